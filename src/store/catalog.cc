#include "store/catalog.h"

#include <sqlite3.h>

#include "store/encoding.h"
#include "store/file_io.h"

namespace prognos::store {

namespace {

tl::unexpected<Error> SqlError(sqlite3* db, const std::string& what) {
  const int code = sqlite3_errcode(db);
  const ErrorCode ec =
      code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? ErrorCode::kCorruption : ErrorCode::kIo;
  return MakeError(ec, "catalog: " + what + ": " + sqlite3_errmsg(db));
}

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) s_ = nullptr;
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return s_ != nullptr; }
  sqlite3_stmt* get() { return s_; }
  void Bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void Bind(int i, std::uint64_t v) { Bind(i, static_cast<std::int64_t>(v)); }
  void BindBlob(int i, std::string_view b) {
    sqlite3_bind_blob64(s_, i, b.data(), b.size(), SQLITE_STATIC);
  }
  int Step() { return sqlite3_step(s_); }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::int64_t Int(int col) { return sqlite3_column_int64(s_, col); }
  std::string_view Blob(int col) {
    const void* p = sqlite3_column_blob(s_, col);
    const int n = sqlite3_column_bytes(s_, col);
    return p == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(p), n);
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

constexpr const char* kBlockColumns =
    "id, series_id, min_t, max_t, count, crc, encoding, length(payload)";

BlockMeta ReadMeta(Stmt& s) {
  BlockMeta m;
  m.id = s.Int(0);
  m.series_id = static_cast<std::uint64_t>(s.Int(1));
  m.min_t = s.Int(2);
  m.max_t = s.Int(3);
  m.count = static_cast<std::uint64_t>(s.Int(4));
  m.crc = static_cast<std::uint32_t>(s.Int(5));
  m.encoding = static_cast<int>(s.Int(6));
  m.bytes = static_cast<std::uint64_t>(s.Int(7));
  return m;
}

// Rolls back on scope exit unless committed.
class Txn {
 public:
  explicit Txn(sqlite3* db) : db_(db) {
    ok_ = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~Txn() {
    if (ok_ && !done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  bool ok() const { return ok_; }
  bool Commit() {
    done_ = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
    return done_;
  }

 private:
  sqlite3* db_;
  bool ok_ = false;
  bool done_ = false;
};

}  // namespace

std::string EncodeLabels(const Labels& labels) {
  std::string out;
  PutUvarint(&out, labels.size());
  for (const auto& l : labels.items()) {
    PutUvarint(&out, l.name.size());
    out += l.name;
    PutUvarint(&out, l.value.size());
    out += l.value;
  }
  return out;
}

Result<Labels> DecodeLabels(std::string_view bytes) {
  Decoder d(bytes);
  const std::uint64_t count = d.Uvarint();
  if (!d.ok() || count > d.remaining() / 2 + 1) {
    return MakeError(ErrorCode::kCorruption, "catalog: bad label set");
  }
  std::vector<Label> items;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string_view name = d.Bytes(d.Uvarint());
    const std::string_view value = d.Bytes(d.Uvarint());
    if (!d.ok()) return MakeError(ErrorCode::kCorruption, "catalog: bad label set");
    items.push_back(Label{std::string(name), std::string(value)});
  }
  if (!d.done()) return MakeError(ErrorCode::kCorruption, "catalog: bad label set");
  return Labels::FromUnsorted(std::move(items));
}

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    auto e = SqlError(db, "open " + path);
    sqlite3_close(db);
    return e;
  }
  std::unique_ptr<Catalog> c(new Catalog(db));
  sqlite3_busy_timeout(db, 5000);
  // page_size and auto_vacuum only take effect on a new database (before the first table):
  // 512-byte pages (the minimum) keep the tail waste of each BLOB's overflow chain small (blocks
  // are a few KiB), incremental auto-vacuum lets retention hand freed pages back to the file
  // system.
  for (const char* sql : {"PRAGMA page_size=512", "PRAGMA auto_vacuum=INCREMENTAL",
                          "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"}) {
    if (auto r = c->Exec(sql); !r) return tl::unexpected(r.error());
  }
  if (auto r =
          c->Exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
                  "CREATE TABLE IF NOT EXISTS series(id INTEGER PRIMARY KEY, labels BLOB NOT NULL,"
                  " sealed_through INTEGER);"
                  "CREATE TABLE IF NOT EXISTS blocks(id INTEGER PRIMARY KEY AUTOINCREMENT,"
                  " series_id INTEGER NOT NULL, min_t INTEGER NOT NULL, max_t INTEGER NOT NULL,"
                  " count INTEGER NOT NULL, crc INTEGER NOT NULL, encoding INTEGER NOT NULL,"
                  " payload BLOB NOT NULL);"
                  "CREATE INDEX IF NOT EXISTS blocks_by_series ON blocks(series_id, min_t);"
                  "CREATE TABLE IF NOT EXISTS quarantine(id INTEGER PRIMARY KEY, series_id INTEGER,"
                  " min_t INTEGER, max_t INTEGER, count INTEGER, crc INTEGER, encoding INTEGER,"
                  " payload BLOB, reason TEXT);"
                  "INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', 1);");
      !r) {
    return tl::unexpected(r.error());
  }
  Stmt v(db, "SELECT value FROM meta WHERE key = 'schema_version'");
  if (!v.ok() || v.Step() != SQLITE_ROW) return SqlError(db, "read schema version");
  if (v.Int(0) > kCatalogSchemaVersion) {
    return MakeError(ErrorCode::kCorruption, "catalog: schema version " + std::to_string(v.Int(0)) +
                                                 " is newer than this build (" +
                                                 std::to_string(kCatalogSchemaVersion) + ")");
  }
  return c;
}

Catalog::~Catalog() {
  sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  sqlite3_close(db_);
}

Result<void> Catalog::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    const int code = sqlite3_errcode(db_);
    return MakeError(
        code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? ErrorCode::kCorruption : ErrorCode::kIo,
        std::string("catalog: ") + sql + ": " + msg);
  }
  return Ok();
}

Result<std::vector<CatalogSeries>> Catalog::LoadSeries() {
  std::lock_guard<std::mutex> l(mu_);
  Stmt s(db_, "SELECT id, labels, sealed_through FROM series");
  if (!s.ok()) return SqlError(db_, "load series");
  std::vector<CatalogSeries> out;
  int rc = 0;
  while ((rc = s.Step()) == SQLITE_ROW) {
    CatalogSeries c;
    c.id = static_cast<std::uint64_t>(s.Int(0));
    auto labels = DecodeLabels(s.Blob(1));
    if (!labels) return tl::unexpected(labels.error());
    c.labels = std::move(*labels);
    c.has_sealed = sqlite3_column_type(s.get(), 2) != SQLITE_NULL;
    c.sealed_through = s.Int(2);
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "load series");
  return out;
}

Result<std::vector<BlockMeta>> Catalog::LoadBlocks() {
  std::lock_guard<std::mutex> l(mu_);
  const std::string sql =
      std::string("SELECT ") + kBlockColumns + " FROM blocks ORDER BY series_id, min_t";
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return SqlError(db_, "load blocks");
  std::vector<BlockMeta> out;
  int rc = 0;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadMeta(s));
  if (rc != SQLITE_DONE) return SqlError(db_, "load blocks");
  return out;
}

Result<BlockMeta> Catalog::InsertBlock(const NewBlock& b) {
  Stmt s(db_,
         "INSERT INTO blocks(series_id, min_t, max_t, count, crc, encoding, payload)"
         " VALUES(?, ?, ?, ?, ?, ?, ?)");
  if (!s.ok()) return SqlError(db_, "insert block");
  BlockMeta m;
  m.series_id = b.series_id;
  m.min_t = b.min_t;
  m.max_t = b.max_t;
  m.count = b.count;
  m.crc = Crc32(b.payload);
  m.encoding = b.payload.empty() ? 0 : static_cast<unsigned char>(b.payload[0]);
  m.bytes = b.payload.size();
  s.Bind(1, m.series_id);
  s.Bind(2, std::int64_t{m.min_t});
  s.Bind(3, std::int64_t{m.max_t});
  s.Bind(4, m.count);
  s.Bind(5, std::int64_t{m.crc});
  s.Bind(6, std::int64_t{m.encoding});
  s.BindBlob(7, b.payload);
  if (s.Step() != SQLITE_DONE) return SqlError(db_, "insert block");
  m.id = sqlite3_last_insert_rowid(db_);
  return m;
}

Result<void> Catalog::Seal(const std::vector<std::pair<std::uint64_t, const Labels*>>& series,
                           const std::vector<NewBlock>& blocks, std::vector<BlockMeta>* metas) {
  std::lock_guard<std::mutex> l(mu_);
  Txn txn(db_);
  if (!txn.ok()) return SqlError(db_, "begin seal");
  {
    Stmt ins(db_, "INSERT OR IGNORE INTO series(id, labels) VALUES(?, ?)");
    if (!ins.ok()) return SqlError(db_, "insert series");
    for (const auto& [id, labels] : series) {
      const std::string bytes = EncodeLabels(*labels);
      ins.Bind(1, id);
      ins.BindBlob(2, bytes);
      if (ins.Step() != SQLITE_DONE) return SqlError(db_, "insert series");
      ins.Reset();
    }
  }
  Stmt up(db_,
          "UPDATE series SET sealed_through = max(coalesce(sealed_through, ?2), ?2) WHERE id = ?1");
  if (!up.ok()) return SqlError(db_, "update series");
  metas->clear();
  for (const NewBlock& b : blocks) {
    auto m = InsertBlock(b);
    if (!m) return tl::unexpected(m.error());
    metas->push_back(*m);
    up.Bind(1, b.series_id);
    up.Bind(2, std::int64_t{b.max_t});
    if (up.Step() != SQLITE_DONE) return SqlError(db_, "update series");
    up.Reset();
  }
  if (!txn.Commit()) return SqlError(db_, "commit seal");
  return Ok();
}

Result<BlockMeta> Catalog::Replace(const std::vector<std::int64_t>& old_ids,
                                   const NewBlock& merged) {
  std::lock_guard<std::mutex> l(mu_);
  Txn txn(db_);
  if (!txn.ok()) return SqlError(db_, "begin merge");
  Stmt del(db_, "DELETE FROM blocks WHERE id = ?");
  if (!del.ok()) return SqlError(db_, "merge");
  for (const std::int64_t id : old_ids) {
    del.Bind(1, id);
    if (del.Step() != SQLITE_DONE) return SqlError(db_, "merge delete");
    if (sqlite3_changes(db_) != 1) {
      return MakeError(ErrorCode::kNotFound, "catalog: block " + std::to_string(id) + " is gone");
    }
    del.Reset();
  }
  auto m = InsertBlock(merged);
  if (!m) return m;
  if (!txn.Commit()) return SqlError(db_, "commit merge");
  return m;
}

Result<std::string> Catalog::ReadPayload(const BlockMeta& meta) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt s(db_, "SELECT payload FROM blocks WHERE id = ?");
  if (!s.ok()) return SqlError(db_, "read block");
  s.Bind(1, meta.id);
  const int rc = s.Step();
  if (rc == SQLITE_DONE) {
    return MakeError(ErrorCode::kNotFound,
                     "catalog: block " + std::to_string(meta.id) + " is gone");
  }
  if (rc != SQLITE_ROW) return SqlError(db_, "read block");
  std::string payload(s.Blob(0));
  if (Crc32(payload) != meta.crc) {
    return MakeError(ErrorCode::kCorruption,
                     "catalog: block " + std::to_string(meta.id) + " fails its CRC-32");
  }
  return payload;
}

Result<void> Catalog::Quarantine(const BlockMeta& meta, const std::string& reason) {
  std::lock_guard<std::mutex> l(mu_);
  Txn txn(db_);
  if (!txn.ok()) return SqlError(db_, "begin quarantine");
  Stmt mv(db_,
          "INSERT OR REPLACE INTO quarantine(id, series_id, min_t, max_t, count, crc, encoding,"
          " payload, reason) SELECT id, series_id, min_t, max_t, count, crc, encoding, payload, ?"
          " FROM blocks WHERE id = ?");
  Stmt del(db_, "DELETE FROM blocks WHERE id = ?");
  if (!mv.ok() || !del.ok()) return SqlError(db_, "quarantine");
  mv.BindBlob(1, reason);
  mv.Bind(2, meta.id);
  del.Bind(1, meta.id);
  if (mv.Step() != SQLITE_DONE || del.Step() != SQLITE_DONE) return SqlError(db_, "quarantine");
  if (!txn.Commit()) return SqlError(db_, "commit quarantine");
  return Ok();
}

Result<void> Catalog::Delete(const std::vector<std::int64_t>& ids) {
  std::lock_guard<std::mutex> l(mu_);
  Txn txn(db_);
  if (!txn.ok()) return SqlError(db_, "begin delete");
  Stmt del(db_, "DELETE FROM blocks WHERE id = ?");
  if (!del.ok()) return SqlError(db_, "delete");
  for (const std::int64_t id : ids) {
    del.Bind(1, id);
    if (del.Step() != SQLITE_DONE) return SqlError(db_, "delete");
    del.Reset();
  }
  if (!txn.Commit()) return SqlError(db_, "commit delete");
  return Ok();
}

Result<void> Catalog::Shrink() {
  std::lock_guard<std::mutex> l(mu_);
  if (auto r = Exec("PRAGMA incremental_vacuum"); !r) return r;
  return Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

Result<void> Catalog::CorruptForTesting(std::int64_t block_id, std::size_t offset) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt s(db_, "SELECT payload FROM blocks WHERE id = ?");
  s.Bind(1, block_id);
  if (s.Step() != SQLITE_ROW) return SqlError(db_, "corrupt");
  std::string p(s.Blob(0));
  p[offset % p.size()] = static_cast<char>(p[offset % p.size()] ^ 0x5a);
  Stmt u(db_, "UPDATE blocks SET payload = ? WHERE id = ?");
  u.BindBlob(1, p);
  u.Bind(2, block_id);
  if (u.Step() != SQLITE_DONE) return SqlError(db_, "corrupt");
  return Ok();
}

}  // namespace prognos::store
