// The block catalog: a SQLite database (WAL journal, synchronous=FULL) holding the series (id,
// label set, sealed-through time) and the sealed blocks (series, time range, count, CRC-32,
// encoding version, payload inline as a BLOB). Schema and rules: docs/formats/blocks.md; why the
// payloads live in SQLite: docs/adr/0001-block-storage.md. Every mutation is one transaction, so
// a crash leaves either all of a seal, merge or retention pass or none of it.
// Thread-safe: one connection behind a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/labels.h"
#include "core/result.h"
#include "core/sample.h"

struct sqlite3;

namespace prognos::store {

inline constexpr int kCatalogSchemaVersion = 1;

struct BlockMeta {
  std::int64_t id = 0;
  std::uint64_t series_id = 0;
  TimestampMs min_t = 0;
  TimestampMs max_t = 0;
  std::uint64_t count = 0;
  std::uint32_t crc = 0;
  int encoding = 0;
  std::uint64_t bytes = 0;
};

struct CatalogSeries {
  std::uint64_t id = 0;
  Labels labels;
  bool has_sealed = false;
  TimestampMs sealed_through = 0;  // newest sealed time; WAL samples at or before it are sealed
};

struct NewBlock {
  std::uint64_t series_id = 0;
  TimestampMs min_t = 0;
  TimestampMs max_t = 0;
  std::uint64_t count = 0;
  std::string payload;
};

class Catalog {
 public:
  // Opens or creates `path`. kCorruption when the file is not a catalog or has a newer schema.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& path);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  Result<std::vector<CatalogSeries>> LoadSeries();
  // Metadata of every live (not quarantined) block, by series then time.
  Result<std::vector<BlockMeta>> LoadBlocks();

  // One transaction: inserts the series rows not there yet, the blocks, and raises each block's
  // series' sealed_through to its max_t. Fills `ids` with the new block ids (in order).
  Result<void> Seal(const std::vector<std::pair<std::uint64_t, const Labels*>>& series,
                    const std::vector<NewBlock>& blocks, std::vector<BlockMeta>* metas);
  // One transaction: deletes `old_ids`, inserts `merged`.
  Result<BlockMeta> Replace(const std::vector<std::int64_t>& old_ids, const NewBlock& merged);
  // Payload of a block and a check of its CRC-32: kCorruption when it does not match.
  Result<std::string> ReadPayload(const BlockMeta& meta);
  // Moves the block row to the quarantine table (kept for inspection, never served).
  Result<void> Quarantine(const BlockMeta& meta, const std::string& reason);
  // Deletes the given blocks (retention) in one transaction.
  Result<void> Delete(const std::vector<std::int64_t>& ids);
  // Returns free pages to the file system and truncates SQLite's -wal file.
  Result<void> Shrink();
  // Tests only: overwrite one byte of a block's payload (simulates media corruption).
  Result<void> CorruptForTesting(std::int64_t block_id, std::size_t offset);

 private:
  explicit Catalog(sqlite3* db) : db_(db) {}
  Result<void> Exec(const char* sql);
  Result<BlockMeta> InsertBlock(const NewBlock& b);
  std::mutex mu_;
  sqlite3* db_;
};

// Label set <-> catalog bytes (the WAL series record's label encoding, docs/formats/blocks.md).
std::string EncodeLabels(const Labels& labels);
Result<Labels> DecodeLabels(std::string_view bytes);

}  // namespace prognos::store
