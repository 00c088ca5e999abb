#include "policy/planner_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace prognos::policy {
namespace {

PlannerState SampleState() {
  PlannerState s;
  s.next_action_id = 4242;
  s.damping.last["w:web-1"] = DampingRecord{1'700'000'000'000, 41, ActionType::kMigrate, 0, "h1"};
  s.damping.last["p:batch"] = DampingRecord{1'700'000'060'000, 40, ActionType::kResizePool, 1, ""};
  s.damping.last["w:db-0"] = DampingRecord{1'700'000'120'000, 39, ActionType::kScaleIn, -1, ""};
  s.damping.emitted = {1'700'000'000'000, 1'700'000'060'000};
  s.feedback.verified[static_cast<std::size_t>(ActionType::kScaleUp)] = 7;
  s.feedback.failed[static_cast<std::size_t>(ActionType::kMigrate)] = 2;
  s.feedback.headroom_adjust["web-1"] = 0.05;
  Preference p;
  p.workload = "db-0";
  p.pin_zone = "eu-1a";
  p.forbid_preemption = true;
  p.headroom = 0.3;
  Preference fleet;
  fleet.prefer_migration = true;
  s.preferences = {p, fleet};
  s.levers["set_cpu_shares:db-0"] = 1536;
  s.maintenance_until["h7"] = 1'700'003'600'000;
  s.maintenance_start["h7"] = 1'700'000'000'000;
  s.migrations_in_flight["web-1"] = 1'700'000'900'000;
  s.drained["h9"] = 1'700'000'300'000;
  return s;
}

void ExpectSame(const PlannerState& a, const PlannerState& b) {
  EXPECT_EQ(a.next_action_id, b.next_action_id);
  ASSERT_EQ(a.damping.last.size(), b.damping.last.size());
  for (const auto& [k, r] : a.damping.last) {
    const DampingRecord& o = b.damping.last.at(k);
    EXPECT_EQ(r.t, o.t);
    EXPECT_EQ(r.action_id, o.action_id);
    EXPECT_EQ(r.type, o.type);
    EXPECT_EQ(r.direction, o.direction);
    EXPECT_EQ(r.from_host, o.from_host);
  }
  EXPECT_EQ(a.damping.emitted, b.damping.emitted);
  EXPECT_EQ(a.feedback.verified, b.feedback.verified);
  EXPECT_EQ(a.feedback.failed, b.feedback.failed);
  EXPECT_EQ(a.feedback.headroom_adjust, b.feedback.headroom_adjust);
  ASSERT_EQ(a.preferences.size(), b.preferences.size());
  for (std::size_t i = 0; i < a.preferences.size(); ++i) {
    EXPECT_EQ(a.preferences[i].workload, b.preferences[i].workload);
    EXPECT_EQ(a.preferences[i].pin_zone, b.preferences[i].pin_zone);
    EXPECT_EQ(a.preferences[i].prefer_migration, b.preferences[i].prefer_migration);
    EXPECT_EQ(a.preferences[i].forbid_preemption, b.preferences[i].forbid_preemption);
    EXPECT_EQ(a.preferences[i].headroom, b.preferences[i].headroom);
  }
  EXPECT_EQ(a.levers, b.levers);
  EXPECT_EQ(a.maintenance_until, b.maintenance_until);
  EXPECT_EQ(a.maintenance_start, b.maintenance_start);
  EXPECT_EQ(a.migrations_in_flight, b.migrations_in_flight);
  EXPECT_EQ(a.drained, b.drained);
}

TEST(PlannerCodecTest, RoundTripsEveryField) {
  for (const PlannerState& s : {PlannerState{}, SampleState()}) {
    const std::string bytes = EncodePlannerState(s);
    auto back = DecodePlannerState(bytes);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    ExpectSame(s, *back);
    EXPECT_EQ(EncodePlannerState(*back), bytes);  // canonical
  }
}

TEST(PlannerCodecTest, HeaderLayoutIsAsDocumented) {
  const std::string bytes = EncodePlannerState(PlannerState{});
  // "PGPS", version 2 (u16 LE), payload length (u32 LE), payload, CRC-32.
  ASSERT_GE(bytes.size(), 14u);
  EXPECT_EQ(bytes.substr(0, 4), "PGPS");
  EXPECT_EQ(static_cast<unsigned char>(bytes[4]), 2);
  EXPECT_EQ(static_cast<unsigned char>(bytes[5]), 0);
  // Empty state payload: id 8 + 5 counts × 4 + 2 × 21 doubles × 8 + 4 time maps × 4 = 380.
  EXPECT_EQ(bytes.size(), 10u + 380u + 4u);
}

// CRC-32 (IEEE 802.3, reflected 0xEDB88320), bit by bit: the format's checksum, written
// independently of the codec's table-driven one.
std::uint32_t ReferenceCrc32(std::string_view data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

void PutLe(std::string* out, std::size_t at, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) (*out)[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

TEST(PlannerCodecTest, ReadsVersion1WithTwentyActionTypes) {
  // A version-1 blob is a version-2 one without the 21st (replicate) count in each per-type
  // array. Built from the v2 encoding of a state without damping records or emissions, so the
  // arrays start at payload offset 8 (id) + 4 (R = 0) + 4 (E = 0) = 16.
  PlannerState s;
  s.next_action_id = 77;
  s.feedback.verified[static_cast<std::size_t>(ActionType::kMigrate)] = 3;
  s.feedback.failed[static_cast<std::size_t>(ActionType::kDrain)] = 1;
  s.drained["h9"] = 1'700'000'300'000;
  const std::string v2 = EncodePlannerState(s);
  const std::string payload = v2.substr(10, v2.size() - 14);
  const std::size_t arrays = 16;
  std::string p1 = payload.substr(0, arrays);
  p1 += payload.substr(arrays, 20 * 8);           // verified, types 0..19
  p1 += payload.substr(arrays + 21 * 8, 20 * 8);  // failed, types 0..19
  p1 += payload.substr(arrays + 2 * 21 * 8);      // the rest
  std::string v1 = v2.substr(0, 10) + p1 + std::string(4, '\0');
  PutLe(&v1, 4, 1, 2);                                // version 1
  PutLe(&v1, 6, p1.size(), 4);                        // payload length
  PutLe(&v1, 10 + p1.size(), ReferenceCrc32(p1), 4);  // CRC of the payload
  ASSERT_EQ(v1.size(), v2.size() - 16);
  auto back = DecodePlannerState(v1);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  ExpectSame(s, *back);                      // the replicate counts read as 0
  EXPECT_EQ(EncodePlannerState(*back), v2);  // written back as version 2
}

TEST(PlannerCodecTest, RejectsCorruptInput) {
  const std::string good = EncodePlannerState(SampleState());
  struct Case {
    const char* name;
    std::string bytes;
    ErrorCode code;
  };
  std::string flipped = good;
  flipped[20] = static_cast<char>(flipped[20] ^ 0x40);
  std::string version = good;
  version[4] = 3;
  std::string magic = good;
  magic[0] = 'X';
  const std::vector<Case> cases = {
      {"empty", "", ErrorCode::kCorruption},
      {"bad_magic", magic, ErrorCode::kCorruption},
      {"unknown_version", version, ErrorCode::kInvalidArgument},
      {"truncated", good.substr(0, good.size() - 1), ErrorCode::kCorruption},
      {"trailing_garbage", good + "x", ErrorCode::kCorruption},
      {"bit_flip", flipped, ErrorCode::kCorruption},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = DecodePlannerState(c.bytes);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, c.code);
  }
  // Every truncation of a valid blob is rejected, none crashes.
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(DecodePlannerState(std::string_view(good).substr(0, n)).has_value()) << n;
  }
}

TEST(PlannerCodecTest, RestoredPlannerKeepsDampingHolds) {
  // A planner that scaled w1 up at t0 is encoded, decoded into a new planner, which must still
  // hold a scale-down inside the stabilization window (5 min by default).
  PolicySpec spec;
  SlaTier t;
  t.name = "t";
  t.target_utilization = 0.5;
  spec.tiers["t"] = t;
  spec.headroom = 0;
  Inventory inv;
  Host h;
  h.id = "h1";
  h.capacity[Resource::kCpu] = 64;
  inv.hosts = {h};
  Workload w;
  w.id = "w1";
  w.host = "h1";
  w.sla_tier = "t";
  w.request[Resource::kCpu] = 1;
  inv.workloads = {w};
  PlannerInput in;
  in.now = 1'700'000'000'000;
  WorkloadDemand d;
  d.workload = "w1";
  d.observed[Resource::kCpu] = 1;
  d.levels = {0.9};
  d.quantiles = {d.observed.Scaled(2)};
  in.demand = {d};
  Planner first(spec);
  ActionPlan p0 = first.Plan(inv, in);
  ASSERT_EQ(p0.actions.size(), 1u);
  inv.workloads[0].request = p0.actions[0].after;

  auto state = DecodePlannerState(EncodePlannerState(first.state()));
  ASSERT_TRUE(state.has_value());
  Planner second(spec);
  second.Restore(*state);
  in.now += 4 * kMinuteMs;
  in.demand[0].observed[Resource::kCpu] = 0.1;
  in.demand[0].quantiles = {in.demand[0].observed};
  ActionPlan p1 = second.Plan(inv, in);
  EXPECT_TRUE(p1.actions.empty());
  ASSERT_EQ(p1.held.size(), 1u);
  // Ids continue after the restored counter.
  in.now += 2 * kMinuteMs;
  ActionPlan p2 = second.Plan(inv, in);
  ASSERT_EQ(p2.actions.size(), 1u);
  EXPECT_GT(p2.actions[0].id, p0.actions[0].id);
}

}  // namespace
}  // namespace prognos::policy
