#include "policy/packing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

namespace prognos::policy {
namespace {

ResourceVector Rv(double cpu, double mem) {
  ResourceVector v;
  v[Resource::kCpu] = cpu;
  v[Resource::kMemory] = mem;
  return v;
}

TEST(PackingTest, AlgorithmsPlaceAsWorkedByHand) {
  // Hosts h0 (8, 8) and h1 (4, 4); scale = (8, 8). Items x (3, 3), y (1, 1).
  //   FFD: x → h0 (first that fits), y → h0.
  //   BFD: free sizes h1 = 4/8 + 4/8 = 1.0 < h0 = 2.0; x (0.75) → h1, then h1 free (1, 1) =
  //        0.25 ≥ y (0.25) → h1.
  //   Dominant best fit: x leaves max(5/8, 5/8) = 0.625 on h0 vs max(1/4, 1/4) = 0.25 on h1 → h1;
  //        y leaves 0 on h1 → h1.
  const std::vector<ResourceVector> hosts = {Rv(8, 8), Rv(4, 4)};
  const std::vector<ResourceVector> items = {Rv(3, 3), Rv(1, 1)};
  struct Case {
    PackingAlgorithm algorithm;
    std::vector<int> assignment;
    double mean_free_share;
  };
  const std::vector<Case> cases = {
      // h0 used: free (4, 4) of (8, 8) → 0.5.
      {PackingAlgorithm::kFirstFitDecreasing, {0, 0}, 0.5},
      // h1 used and full → 0.
      {PackingAlgorithm::kBestFitDecreasing, {1, 1}, 0.0},
      {PackingAlgorithm::kDominantBestFit, {1, 1}, 0.0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(PackingAlgorithmName(c.algorithm)));
    const PackingResult r = Pack(hosts, items, c.algorithm);
    EXPECT_EQ(r.assignment, c.assignment);
    EXPECT_EQ(r.placed, 2);
    EXPECT_EQ(r.hosts_used, 1);
    EXPECT_NEAR(r.mean_free_share, c.mean_free_share, 1e-12);
  }
}

TEST(PackingTest, DominantBestFitKeepsBalancedRoom) {
  // Hosts a, b (4, 4). Items by dominant share: p (3, 1) and q (1, 3) at 0.75 first (input order
  // kept on ties), then r (1, 2) at 0.5.
  //   p → a or b tie → a (first of equal score). q: a leaves max((1−1)/4, (3−3)/4) = 0 → a.
  //   r: a is full, b leaves max(3/4, 2/4) = 0.75 → b. Two hosts, a exactly full.
  // FFD (L1 sizes p = q = 1.0, r = 0.75): p → a, q → a, r → b: the same here.
  const std::vector<ResourceVector> hosts = {Rv(4, 4), Rv(4, 4)};
  const std::vector<ResourceVector> items = {Rv(3, 1), Rv(1, 3), Rv(1, 2)};
  const PackingResult r = Pack(hosts, items, PackingAlgorithm::kDominantBestFit);
  EXPECT_EQ(r.assignment, (std::vector<int>{0, 0, 1}));
}

TEST(PackingTest, UnplaceableItemsAreReported) {
  const PackingResult r =
      Pack({Rv(2, 2)}, {Rv(3, 1), Rv(1, 1)}, PackingAlgorithm::kDominantBestFit);
  EXPECT_EQ(r.assignment, (std::vector<int>{-1, 0}));
  EXPECT_EQ(r.placed, 1);
  const PackingResult empty = Pack({}, {Rv(1, 1)}, PackingAlgorithm::kFirstFitDecreasing);
  EXPECT_EQ(empty.placed, 0);
  EXPECT_EQ(empty.hosts_used, 0);
}

TEST(HostIndexTest, CandidatesMatchABruteForceScan) {
  // 200 random trials: every host where `need` fits is returned (no limit), in ascending order of
  // normalised free size, and none where it does not fit; updates keep the index consistent.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 200; ++trial) {
    SCOPED_TRACE(trial);
    const int n = 1 + static_cast<int>(u(rng) * 40);
    std::vector<ResourceVector> cap, free;
    std::vector<bool> active;
    for (int i = 0; i < n; ++i) {
      cap.push_back(Rv(8 + 56 * u(rng), 32 + 224 * u(rng)));
      free.push_back(
          Rv(cap.back()[Resource::kCpu] * u(rng), cap.back()[Resource::kMemory] * u(rng)));
      active.push_back(u(rng) > 0.1);
    }
    HostIndex index(cap, free, active);
    // A few random updates.
    for (int k = 0; k < 5; ++k) {
      const auto h = static_cast<std::size_t>(u(rng) * n);
      const ResourceVector d = Rv(u(rng), u(rng));
      if (d.FitsIn(index.free(h))) {
        index.Take(h, d);
        free[h] -= d;
      } else {
        index.Give(h, d);
        free[h] += d;
      }
    }
    const ResourceVector need = Rv(20 * u(rng), 80 * u(rng));
    const auto got = index.Candidates(need, 1000, {}, 1000);
    std::set<std::size_t> expected;
    for (int i = 0; i < n; ++i) {
      if (active[static_cast<std::size_t>(i)] && need.FitsIn(free[static_cast<std::size_t>(i)])) {
        expected.insert(static_cast<std::size_t>(i));
      }
    }
    EXPECT_EQ(std::set<std::size_t>(got.begin(), got.end()), expected);
    for (std::size_t i = 1; i < got.size(); ++i) {
      EXPECT_LE(NormalizedSize(index.free(got[i - 1]), index.scale()),
                NormalizedSize(index.free(got[i]), index.scale()));
    }
  }
}

TEST(HostIndexTest, LimitFilterAndDeactivation) {
  HostIndex index({Rv(4, 4), Rv(8, 8), Rv(16, 16)}, {Rv(4, 4), Rv(8, 8), Rv(16, 16)},
                  {true, true, true});
  EXPECT_EQ(index.Candidates(Rv(2, 2), 2), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(index.Candidates(Rv(2, 2), 5, [](std::size_t h) { return h != 0; }),
            (std::vector<std::size_t>{1, 2}));
  index.SetActive(1, false);
  EXPECT_EQ(index.Candidates(Rv(5, 5), 5), (std::vector<std::size_t>{2}));
  index.SetActive(1, true);
  EXPECT_EQ(index.Candidates(Rv(5, 5), 5), (std::vector<std::size_t>{1, 2}));
}

}  // namespace
}  // namespace prognos::policy
