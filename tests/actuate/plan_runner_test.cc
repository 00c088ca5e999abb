#include "actuate/plan_runner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace prognos::actuate {
namespace {

using policy::Action;
using policy::ActionOutcome;
using policy::ActionPlan;
using policy::ActionType;
using policy::Outcome;
using policy::Resource;

// A tiny world: where each workload runs, its per-replica CPU request and its replica count.
struct World {
  std::map<std::string, std::string> host;
  std::map<std::string, double> cpu;
  std::map<std::string, int> replicas;
  bool operator==(const World&) const = default;
};

World Initial() {
  World w;
  w.host = {{"web", "n1"}, {"db", "n2"}, {"batch", "n3"}};
  w.cpu = {{"web", 2}, {"db", 4}, {"batch", 1}};
  w.replicas = {{"web", 2}, {"db", 1}, {"batch", 1}};
  return w;
}

// A faithful scripted actuator over World: a precondition holds when the world is in the
// action's `before` state; Apply checks it again and moves the world to `after`; Verify answers
// from a per-action script (default: confirmed). Reverts (policy::Inverse, rule "rollback") are
// ordinary actions to it, as they are to a real backend.
class FakeActuator final : public Actuator {
 public:
  World world = Initial();
  std::set<std::uint64_t> fail_apply;  // Apply of these action ids returns an error
  bool fail_reverts = false;           // Apply of every revert returns an error
  // Per action id: (from time, answer) pairs in time order; the last one with from ≤ now answers.
  std::map<std::uint64_t, std::vector<std::pair<TimestampMs, Verification>>> verify;
  std::vector<std::string> applies;  // what was applied, in order ("migrate web n1->n4")
  std::vector<std::uint64_t> verified_ids;

  std::string_view name() const override { return "fake"; }

  Result<void> CheckPrecondition(const Action& a) override { return Check(a); }

  Result<void> Apply(const Action& a, TimestampMs /*now*/) override {
    const bool revert = a.rule == "rollback";
    if ((revert && fail_reverts) || (!revert && fail_apply.count(a.id) > 0)) {
      return MakeError(ErrorCode::kUnavailable, "backend refused");
    }
    if (auto r = Check(a); !r) return r;
    switch (a.type) {
      case ActionType::kMigrate:
        world.host[a.workload] = a.target_host;
        break;
      case ActionType::kScaleUp:
      case ActionType::kScaleDown:
        world.cpu[a.workload] = a.after[Resource::kCpu];
        break;
      case ActionType::kScaleOut:
      case ActionType::kScaleIn:
        world.replicas[a.workload] = a.replicas_after;
        break;
      default:
        return MakeError(ErrorCode::kInvalidArgument, "fake: unsupported action");
    }
    applies.push_back(Describe(a));
    return Ok();
  }

  Verification Verify(const Action& a, TimestampMs now) override {
    verified_ids.push_back(a.id);
    Verification v = Verification::kConfirmed;
    auto it = verify.find(a.id);
    if (it != verify.end()) {
      for (const auto& [from, answer] : it->second) {
        if (from <= now) v = answer;
      }
    }
    return v;
  }

  static std::string Describe(const Action& a) {
    std::string s(policy::ActionTypeName(a.type));
    s += " " + a.workload + " ";
    switch (a.type) {
      case ActionType::kMigrate:
        s += a.host + "->" + a.target_host;
        break;
      case ActionType::kScaleOut:
      case ActionType::kScaleIn:
        s += std::to_string(a.replicas_before) + "->" + std::to_string(a.replicas_after);
        break;
      default:
        s += std::to_string(static_cast<int>(a.before[Resource::kCpu])) + "->" +
             std::to_string(static_cast<int>(a.after[Resource::kCpu]));
    }
    return s;
  }

 private:
  Result<void> Check(const Action& a) const {
    switch (a.type) {
      case ActionType::kMigrate:
        if (world.host.at(a.workload) != a.host) {
          return MakeError(ErrorCode::kInvalidArgument,
                           a.workload + " is on " + world.host.at(a.workload) + ", not " + a.host);
        }
        return Ok();
      case ActionType::kScaleUp:
      case ActionType::kScaleDown:
        if (world.cpu.at(a.workload) != a.before[Resource::kCpu]) {
          return MakeError(ErrorCode::kInvalidArgument, a.workload + " request changed");
        }
        return Ok();
      case ActionType::kScaleOut:
      case ActionType::kScaleIn:
        if (world.replicas.at(a.workload) != a.replicas_before) {
          return MakeError(ErrorCode::kInvalidArgument, a.workload + " replicas changed");
        }
        return Ok();
      default:
        return MakeError(ErrorCode::kInvalidArgument, "fake: unsupported action");
    }
  }
};

Action Migrate(std::uint64_t id, const std::string& w, const std::string& from,
               const std::string& to) {
  Action a;
  a.id = id;
  a.type = ActionType::kMigrate;
  a.workload = w;
  a.host = from;
  a.target_host = to;
  a.verify_window_ms = 60 * kSecondMs;
  return a;
}

Action ScaleUp(std::uint64_t id, const std::string& w, const std::string& host, double before,
               double after) {
  Action a;
  a.id = id;
  a.type = ActionType::kScaleUp;
  a.workload = w;
  a.host = host;
  a.before[Resource::kCpu] = before;
  a.after[Resource::kCpu] = after;
  a.verify_window_ms = 60 * kSecondMs;
  return a;
}

Action ScaleOut(std::uint64_t id, const std::string& w, const std::string& host, int before,
                int after) {
  Action a;
  a.id = id;
  a.type = ActionType::kScaleOut;
  a.workload = w;
  a.host = host;
  a.replicas_before = before;
  a.replicas_after = after;
  a.verify_window_ms = 60 * kSecondMs;
  return a;
}

Action Shadow(Action a) {
  a.shadow = true;
  return a;
}

Action NotBefore(Action a, TimestampMs t) {
  a.not_before = t;
  return a;
}

Action Window(Action a, DurationMs ms) {
  a.verify_window_ms = ms;
  return a;
}

// "id:outcome" per outcome, in report order.
std::vector<std::string> Brief(const std::vector<ActionOutcome>& outcomes) {
  std::vector<std::string> out;
  out.reserve(outcomes.size());
  for (const ActionOutcome& o : outcomes) {
    out.push_back(std::to_string(o.action_id) + ":" + std::string(policy::OutcomeName(o.outcome)));
  }
  return out;
}

struct Step {
  TimestampMs t;
  std::vector<std::string> want;  // Brief() of what Submit (first step) or Tick returns
};

struct Case {
  std::string name;
  std::vector<Action> plan;
  std::set<std::uint64_t> fail_apply;
  std::map<std::uint64_t, std::vector<std::pair<TimestampMs, Verification>>> verify;
  std::vector<Step> steps;  // steps[0] is the Submit, the rest are Ticks
  World want_world;         // after the last step
  std::vector<std::string> want_applies;
  bool want_idle = true;
};

World With(void (*edit)(World&)) {
  World w = Initial();
  edit(w);
  return w;
}

TEST(PlanRunnerTest, RunsPlansAsTransactions) {
  const std::vector<Case> cases = {
      {"independent actions are applied in plan order and verified at the next tick",
       {Migrate(1, "web", "n1", "n4"), ScaleUp(2, "db", "n2", 4, 6)},
       {},
       {},
       {{0, {"1:applied", "2:applied"}}, {1000, {"1:verified", "2:verified"}}},
       With([](World& w) {
         w.host["web"] = "n4";
         w.cpu["db"] = 6;
       }),
       {"migrate web n1->n4", "scale_up db 4->6"}},
      {"a failing precondition skips that action only",
       // web is on n1, so the migration's precondition (web on n2) fails; db's scale-up goes on.
       {Migrate(1, "web", "n2", "n4"), ScaleUp(2, "db", "n2", 4, 6)},
       {},
       {},
       {{0, {"1:skipped", "2:applied"}}, {1000, {"2:verified"}}},
       With([](World& w) { w.cpu["db"] = 6; }),
       {"scale_up db 4->6"}},
      {"an apply error fails the action and skips later actions on its workload or host",
       // 1 fails to apply. 2 touches workload web, 4 touches host n4 (1's target): both skipped.
       // 3 (db on n2) shares nothing with 1 and is applied.
       {Migrate(1, "web", "n1", "n4"), ScaleUp(2, "web", "n4", 2, 3), ScaleOut(3, "db", "n2", 1, 2),
        Migrate(4, "batch", "n3", "n4")},
       {1},
       {},
       {{0, {"1:failed", "2:skipped", "3:applied", "4:skipped"}}, {1000, {"3:verified"}}},
       With([](World& w) { w.replicas["db"] = 2; }),
       {"scale_out db 1->2"}},
      {"a verification failure reverts dependent actions newest first, then the action",
       // Tick 1000: 1 fails verification. 2 (same workload) was applied after it: revert 2
       // (scale_down 3->2), then 1 (migrate n4->n1). 3 is independent and verifies.
       {Migrate(1, "web", "n1", "n4"), ScaleUp(2, "web", "n4", 2, 3),
        ScaleOut(3, "db", "n2", 1, 2)},
       {},
       {{1, {{0, Verification::kFailed}}}},
       {{0, {"1:applied", "2:applied", "3:applied"}},
        {1000, {"2:rolled_back", "1:rolled_back", "3:verified"}}},
       With([](World& w) { w.replicas["db"] = 2; }),
       {"migrate web n1->n4", "scale_up web 2->3", "scale_out db 1->2", "scale_down web 3->2",
        "migrate web n4->n1"}},
      {"several dependents are reverted newest first",
       // 2 and 3 stack on 1 (same workload). Reverting 2 before 3 would find cpu 4, not 3, and
       // fail its precondition: only newest-first restores the original state.
       {Migrate(1, "web", "n1", "n4"), ScaleUp(2, "web", "n4", 2, 3),
        ScaleUp(3, "web", "n4", 3, 4)},
       {},
       {{1, {{0, Verification::kFailed}}}},
       {{0, {"1:applied", "2:applied", "3:applied"}},
        {1000, {"3:rolled_back", "2:rolled_back", "1:rolled_back"}}},
       Initial(),
       {"migrate web n1->n4", "scale_up web 2->3", "scale_up web 3->4", "scale_down web 4->3",
        "scale_down web 3->2", "migrate web n4->n1"}},
      {"a migration failing midway is rolled back to the original placement",
       // Evacuate n1: web n1->n4, then batch n3->n1 into the freed room (depends on host n1).
       // Tick 1000: web's migration is still pending, batch's verified. Tick 2000: web's
       // fails: batch goes back to n3 first (verified or not), then web back to n1.
       {Migrate(1, "web", "n1", "n4"), Migrate(2, "batch", "n3", "n1")},
       {},
       {{1, {{0, Verification::kPending}, {2000, Verification::kFailed}}}},
       {{0, {"1:applied", "2:applied"}},
        {1000, {"2:verified"}},
        {2000, {"2:rolled_back", "1:rolled_back"}}},
       Initial(),
       {"migrate web n1->n4", "migrate batch n3->n1", "migrate batch n1->n3",
        "migrate web n4->n1"}},
      {"shadow actions are reported and never applied",
       {Shadow(Migrate(1, "web", "n1", "n4")), Shadow(ScaleUp(2, "db", "n2", 4, 6))},
       {},
       {},
       {{0, {"1:shadow", "2:shadow"}}, {1000, {}}},
       Initial(),
       {}},
      {"an action not verified within its window is rolled back at the deadline",
       // Window 60 s from t=0: still pending at 59 999 ms, rolled back at 60 000 ms.
       {Migrate(1, "web", "n1", "n4")},
       {},
       {{1, {{0, Verification::kPending}}}},
       {{0, {"1:applied"}}, {59'999, {}}, {60'000, {"1:rolled_back"}}},
       Initial(),
       {"migrate web n1->n4", "migrate web n4->n1"}},
      {"not_before holds an action and the later ones on its target until it is due",
       // 1 is due at 10 s; 2 (same workload db, due now) waits behind it; 3 is independent.
       {NotBefore(ScaleOut(1, "db", "n2", 1, 2), 10'000), ScaleUp(2, "db", "n2", 4, 5),
        ScaleUp(3, "web", "n1", 2, 3)},
       {},
       {},
       {{0, {"1:planned", "2:planned", "3:applied"}},
        {5000, {"3:verified"}},
        {10'000, {"1:applied", "2:applied"}},
        {11'000, {"1:verified", "2:verified"}}},
       With([](World& w) {
         w.replicas["db"] = 2;
         w.cpu["db"] = 5;
         w.cpu["web"] = 3;
       }),
       {"scale_up web 2->3", "scale_out db 1->2", "scale_up db 4->5"}},
      {"a held action whose dependency is rolled back is skipped",
       // 1 applied at 0 and fails verification at 1000; 2 (web, due at 5 s) is then skipped.
       {Migrate(1, "web", "n1", "n4"), NotBefore(ScaleUp(2, "web", "n4", 2, 3), 5000)},
       {},
       {{1, {{0, Verification::kFailed}}}},
       {{0, {"1:applied", "2:planned"}}, {1000, {"1:rolled_back", "2:skipped"}}, {5000, {}}},
       Initial(),
       {"migrate web n1->n4", "migrate web n4->n1"}},
      {"a held action that fails to apply skips its held dependents",
       {NotBefore(Migrate(1, "web", "n1", "n4"), 5000), ScaleUp(2, "web", "n4", 2, 3)},
       {1},
       {},
       {{0, {"1:planned", "2:planned"}}, {5000, {"1:failed", "2:skipped"}}},
       Initial(),
       {}},
      {"the zero verify window falls back to the runner's default (5 min)",
       {Window(Migrate(1, "web", "n1", "n4"), 0)},
       {},
       {{1, {{0, Verification::kPending}}}},
       {{0, {"1:applied"}}, {5 * kMinuteMs - 1, {}}, {5 * kMinuteMs, {"1:rolled_back"}}},
       Initial(),
       {"migrate web n1->n4", "migrate web n4->n1"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeActuator fake;
    fake.fail_apply = c.fail_apply;
    fake.verify = c.verify;
    PlanRunner runner(fake);
    ActionPlan plan;
    plan.actions = c.plan;
    ASSERT_FALSE(c.steps.empty());
    EXPECT_EQ(Brief(runner.Submit(plan, c.steps[0].t)), c.steps[0].want);
    for (std::size_t i = 1; i < c.steps.size(); ++i) {
      SCOPED_TRACE("tick at " + std::to_string(c.steps[i].t));
      EXPECT_EQ(Brief(runner.Tick(c.steps[i].t)), c.steps[i].want);
    }
    EXPECT_EQ(fake.world, c.want_world);
    EXPECT_EQ(fake.applies, c.want_applies);
    EXPECT_EQ(runner.idle(), c.want_idle);
    EXPECT_TRUE(runner.pending().empty());
    EXPECT_TRUE(runner.held().empty());
  }
}

TEST(PlanRunnerTest, OutcomesCarryReasonsTimeAndNoMeasurement) {
  FakeActuator fake;
  fake.fail_apply = {1};
  fake.verify[3] = {{0, Verification::kPending}};
  PlanRunner runner(fake);
  ActionPlan plan;
  plan.actions = {Migrate(1, "web", "n1", "n4"), ScaleUp(2, "web", "n4", 2, 3),
                  Migrate(3, "db", "n2", "n5")};
  const auto submitted = runner.Submit(plan, 100);
  ASSERT_EQ(submitted.size(), 3u);
  EXPECT_EQ(submitted[0].detail, "apply: backend refused");
  EXPECT_EQ(submitted[1].detail, "skipped: action #1 (migrate) failed to apply: backend refused");
  EXPECT_EQ(submitted[2].detail, "applied by fake; verify within 60s");
  for (const ActionOutcome& o : submitted) {
    EXPECT_EQ(o.t, 100);
    EXPECT_TRUE(std::isnan(o.observed_utilization));
  }
  EXPECT_EQ(submitted[1].type, ActionType::kScaleUp);
  EXPECT_EQ(submitted[1].workload, "web");

  const auto late = runner.Tick(100 + 60'000);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].detail, "not verified within the 60s window");
  EXPECT_EQ(late[0].t, 60'100);
}

TEST(PlanRunnerTest, DependentsAreNamedInTheRollbackReason) {
  FakeActuator fake;
  fake.verify[1] = {{0, Verification::kFailed}};
  PlanRunner runner(fake);
  ActionPlan plan;
  plan.actions = {Migrate(1, "web", "n1", "n4"), ScaleUp(2, "web", "n4", 2, 3)};
  runner.Submit(plan, 0);
  const auto out = runner.Tick(1000);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].action_id, 2u);
  EXPECT_EQ(out[0].detail, "rolled back with action #1 (migrate): verification failed");
  EXPECT_EQ(out[1].detail, "verification failed");
}

TEST(PlanRunnerTest, FailedRevertIsReportedAndCounted) {
  FakeActuator fake;
  fake.verify[1] = {{0, Verification::kFailed}};
  fake.fail_reverts = true;
  PlanRunner runner(fake);
  ActionPlan plan;
  plan.actions = {Migrate(1, "web", "n1", "n4")};
  runner.Submit(plan, 0);
  const auto out = runner.Tick(1000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].outcome, Outcome::kFailed);
  EXPECT_EQ(out[0].detail, "verification failed; revert failed: backend refused");
  EXPECT_EQ(runner.revert_failures(), 1u);
  EXPECT_EQ(fake.world.host["web"], "n4");  // the revert did not happen: the world says so
}

TEST(PlanRunnerTest, PendingHeldAndCountsReflectTheRunnerState) {
  FakeActuator fake;
  fake.verify[1] = {{0, Verification::kPending}, {2000, Verification::kConfirmed}};
  PlanRunner runner(fake);
  ActionPlan plan;
  plan.actions = {Migrate(1, "web", "n1", "n4"), NotBefore(ScaleOut(2, "db", "n2", 1, 2), 5000),
                  Shadow(ScaleUp(3, "batch", "n3", 1, 2))};
  runner.Submit(plan, 1000);
  const auto pending = runner.pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].action.id, 1u);
  EXPECT_EQ(pending[0].plan, 1u);
  EXPECT_EQ(pending[0].applied_at, 1000);
  EXPECT_EQ(pending[0].deadline, 61'000);
  const auto held = runner.held();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].action.id, 2u);
  EXPECT_FALSE(runner.idle());

  runner.Tick(2000);  // 1 verified
  EXPECT_TRUE(runner.pending().empty());
  EXPECT_EQ(runner.held().size(), 1u);
  runner.Tick(5000);  // 2 applied
  runner.Tick(6000);  // 2 verified
  EXPECT_TRUE(runner.idle());
  // Events: applied ×2, verified ×2, planned ×1 (2 held), shadow ×1 (3).
  EXPECT_EQ(runner.count(Outcome::kApplied), 2u);
  EXPECT_EQ(runner.count(Outcome::kVerified), 2u);
  EXPECT_EQ(runner.count(Outcome::kPlanned), 1u);
  EXPECT_EQ(runner.count(Outcome::kShadow), 1u);
  EXPECT_EQ(runner.count(Outcome::kRolledBack), 0u);
}

TEST(PlanRunnerTest, DrainSettlesEverything) {
  struct DrainCase {
    std::string name;
    DrainMode mode;
    std::vector<std::string> want;
    std::string want_web_host;
  };
  const std::vector<DrainCase> cases = {
      // 1 still pending at shutdown: reverted (web back on n1); 2 confirmed; 3 held → skipped.
      {"revert unverified",
       DrainMode::kRevertUnverified,
       {"1:rolled_back", "2:verified", "3:skipped"},
       "n1"},
      // Keep: 1 stays applied (web on n4), reported once more as applied.
      {"keep unverified",
       DrainMode::kKeepUnverified,
       {"1:applied", "2:verified", "3:skipped"},
       "n4"},
  };
  for (const DrainCase& c : cases) {
    SCOPED_TRACE(c.name);
    FakeActuator fake;
    fake.verify[1] = {{0, Verification::kPending}};
    PlanRunner runner(fake);
    ActionPlan plan;
    plan.actions = {Migrate(1, "web", "n1", "n4"), ScaleOut(2, "db", "n2", 1, 2),
                    NotBefore(ScaleUp(3, "batch", "n3", 1, 2), 50'000)};
    runner.Submit(plan, 0);
    EXPECT_EQ(Brief(runner.Drain(1000, c.mode)), c.want);
    EXPECT_TRUE(runner.idle());
    EXPECT_TRUE(runner.pending().empty());
    EXPECT_TRUE(runner.held().empty());
    EXPECT_EQ(fake.world.host["web"], c.want_web_host);
    EXPECT_TRUE(runner.Tick(100'000).empty());
  }
}

TEST(PlanRunnerTest, PlansAreIndependentTransactions) {
  // A failure in plan 2 does not roll back plan 1's action on the same workload.
  FakeActuator fake;
  fake.verify[2] = {{0, Verification::kFailed}};
  PlanRunner runner(fake);
  ActionPlan first;
  first.actions = {ScaleUp(1, "web", "n1", 2, 3)};
  ActionPlan second;
  second.actions = {Migrate(2, "web", "n1", "n4")};
  EXPECT_EQ(Brief(runner.Submit(first, 0)), (std::vector<std::string>{"1:applied"}));
  EXPECT_EQ(Brief(runner.Submit(second, 0)), (std::vector<std::string>{"2:applied"}));
  EXPECT_EQ(Brief(runner.Tick(1000)), (std::vector<std::string>{"1:verified", "2:rolled_back"}));
  EXPECT_EQ(fake.world.host["web"], "n1");
  EXPECT_EQ(fake.world.cpu["web"], 3);
}

// Property test over random plans (seeded): each plan is consistent with the world it starts
// from (every action's `before` is the state the earlier non-shadow actions leave), with random
// apply errors, verification answers, timeouts and not_before times. Whatever happens:
//   1. every action ends in a terminal outcome (verified, rolled_back, failed, skipped, shadow),
//      and verified / rolled_back only follow applied;
//   2. shadow actions reach the actuator never, the others at most once plus once per revert;
//   3. the world equals the initial one with exactly the finally-verified actions applied in plan
//      order - so every failure was undone completely, and nothing verified was lost;
//   4. no action stays verified on top of a dependency that did not (see below).
TEST(PlanRunnerTest, RandomPlansEndInAConsistentWorld) {
  const std::vector<std::string> workloads = {"web", "db", "batch"};
  const std::vector<std::string> hosts = {"n1", "n2", "n3", "n4", "n5"};
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    auto uniform = [&rng](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    FakeActuator fake;
    World sim = Initial();
    ActionPlan plan;
    const int n = uniform(1, 8);
    for (int i = 0; i < n; ++i) {
      const std::string& w = workloads[static_cast<std::size_t>(uniform(0, 2))];
      const std::uint64_t id = static_cast<std::uint64_t>(i) + 1;
      Action a;
      switch (uniform(0, 2)) {
        case 0: {
          std::string to = sim.host[w];
          while (to == sim.host[w]) to = hosts[static_cast<std::size_t>(uniform(0, 4))];
          a = Migrate(id, w, sim.host[w], to);
          break;
        }
        case 1:
          a = ScaleUp(id, w, sim.host[w], sim.cpu[w], sim.cpu[w] + 1);
          break;
        default:
          a = ScaleOut(id, w, sim.host[w], sim.replicas[w], sim.replicas[w] + 1);
          break;
      }
      a.shadow = uniform(0, 9) == 0;
      if (uniform(0, 4) == 0) a.not_before = uniform(1, 5000);
      if (!a.shadow) {  // later actions build on the state this one leaves
        sim.host[w] = a.type == ActionType::kMigrate ? a.target_host : sim.host[w];
        sim.cpu[w] = a.after[Resource::kCpu] != 0 ? a.after[Resource::kCpu] : sim.cpu[w];
        sim.replicas[w] = a.replicas_after != 0 ? a.replicas_after : sim.replicas[w];
      }
      if (uniform(0, 9) == 0) fake.fail_apply.insert(id);
      const int v = uniform(0, 9);
      if (v < 5) {
        fake.verify[id] = {{0, Verification::kConfirmed}};
      } else if (v < 7) {  // confirmed late, perhaps after the 60 s window
        fake.verify[id] = {{0, Verification::kPending},
                           {uniform(0, 70'000), Verification::kConfirmed}};
      } else if (v < 9) {
        fake.verify[id] = {{0, Verification::kPending},
                           {uniform(0, 70'000), Verification::kFailed}};
      } else {
        fake.verify[id] = {{0, Verification::kPending}};
      }
      plan.actions.push_back(a);
    }

    PlanRunner runner(fake);
    std::vector<ActionOutcome> all = runner.Submit(plan, 0);
    // Everything is applied by 5 s and settled within its 60 s window.
    for (TimestampMs t = 1000; t <= 70'000; t += 1000) {
      for (ActionOutcome& o : runner.Tick(t)) all.push_back(std::move(o));
    }
    EXPECT_TRUE(runner.idle());
    EXPECT_TRUE(runner.Drain(70'001).empty());

    std::map<std::uint64_t, std::vector<Outcome>> by_id;
    for (const ActionOutcome& o : all) by_id[o.action_id].push_back(o.outcome);
    std::size_t applied = 0, reverted = 0;
    World want = Initial();
    for (const Action& a : plan.actions) {
      SCOPED_TRACE("action " + std::to_string(a.id));
      const std::vector<Outcome>& seq = by_id[a.id];
      ASSERT_FALSE(seq.empty());
      const Outcome last = seq.back();
      EXPECT_TRUE(last == Outcome::kVerified || last == Outcome::kRolledBack ||
                  last == Outcome::kFailed || last == Outcome::kSkipped ||
                  last == Outcome::kShadow);
      if (a.shadow) {
        EXPECT_EQ(seq, std::vector<Outcome>{Outcome::kShadow});
      }
      bool was_applied = false;
      for (Outcome o : seq) {
        if (o == Outcome::kVerified || o == Outcome::kRolledBack) {
          EXPECT_TRUE(was_applied);
        }
        if (o == Outcome::kApplied) {
          was_applied = true;
          ++applied;
        }
        if (o == Outcome::kRolledBack) ++reverted;
      }
      if (last == Outcome::kVerified) {
        want.host[a.workload] =
            a.type == ActionType::kMigrate ? a.target_host : want.host[a.workload];
        if (a.type == ActionType::kScaleUp) want.cpu[a.workload] = a.after[Resource::kCpu];
        if (a.type == ActionType::kScaleOut) want.replicas[a.workload] = a.replicas_after;
      }
    }
    EXPECT_EQ(fake.applies.size(), applied + reverted);
    EXPECT_EQ(fake.world, want);
    // 4. Verified actions stand only on verified ground: when an action ends verified, so did
    //    every earlier non-shadow action of the plan that shares a workload or host with it.
    auto shares = [](const Action& x, const Action& y) {
      const std::set<std::string> tx = {"w:" + x.workload, "h:" + x.host, "h:" + x.target_host};
      for (const std::string& k : {"w:" + y.workload, "h:" + y.host, "h:" + y.target_host}) {
        if (k != "h:" && tx.count(k) > 0) return true;
      }
      return false;
    };
    for (std::size_t j = 0; j < plan.actions.size(); ++j) {
      const Action& b = plan.actions[j];
      if (b.shadow || by_id[b.id].back() != Outcome::kVerified) continue;
      for (std::size_t i = 0; i < j; ++i) {
        const Action& a = plan.actions[i];
        if (a.shadow || !shares(a, b)) continue;
        EXPECT_EQ(by_id[a.id].back(), Outcome::kVerified)
            << "action " << b.id << " verified on top of action " << a.id;
      }
    }
  }
}

}  // namespace
}  // namespace prognos::actuate
