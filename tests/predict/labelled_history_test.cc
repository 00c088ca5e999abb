#include "predict/labelled_history.h"

#include <gtest/gtest.h>

#include <vector>

namespace prognos::predict {
namespace {

std::vector<float> F(float x) { return {x, -x}; }

LabelledHistoryOptions Options(DurationMs horizon, DurationMs every) {
  LabelledHistoryOptions o;
  o.horizon_ms = horizon;
  o.row_every_ms = every;
  o.keep_ms = 1'000'000;
  return o;
}

// The example in labelled_history.h: rows at 0, 5, 10; failure at 18; horizon 10.
TEST(LabelledHistoryTest, RowsAreLabelledWhenTheirOutcomeIsKnown) {
  LabelledHistory h(2, Options(10, 5));
  EXPECT_TRUE(h.AddRow("a", 0, F(0)));
  EXPECT_FALSE(h.AddRow("a", 3, F(3)));  // within row_every of the last row
  EXPECT_TRUE(h.AddRow("a", 5, F(5)));
  EXPECT_TRUE(h.AddRow("a", 10, F(10)));
  EXPECT_FALSE(h.AddRow("a", 15, std::vector<float>{1.0F}));  // wrong length
  EXPECT_EQ(h.pending_rows(), 3u);

  auto n = h.Settle(10);  // 0 + 10 < 10 is false: nothing known yet
  EXPECT_EQ(n.rows, 0u);
  n = h.Settle(11);  // row 0's horizon has passed: negative
  EXPECT_EQ(n.rows, 1u);
  EXPECT_EQ(n.positives, 0u);
  n = h.Failed("a", 18);  // 18 − 5 = 13 > 10: negative; 18 − 10 = 8: positive
  EXPECT_EQ(n.rows, 2u);
  EXPECT_EQ(n.positives, 1u);
  EXPECT_EQ(h.pending_rows(), 0u);

  const FailureTrainingSet set = h.Settled();
  ASSERT_EQ(set.rows(), 3u);
  EXPECT_EQ(set.feature_count, 2u);
  EXPECT_EQ(set.times, (std::vector<TimestampMs>{0, 5, 10}));
  EXPECT_EQ(set.labels, (std::vector<double>{0, 0, 1}));
  EXPECT_EQ(set.features, (std::vector<float>{0, -0, 5, -5, 10, -10}));
  EXPECT_EQ(h.settled_positives(), 1u);

  // A replaced part starts afresh: a row right after the failure is recorded.
  EXPECT_TRUE(h.AddRow("a", 19, F(19)));
}

TEST(LabelledHistoryTest, OtherEntitiesAreUnaffectedAndOldRowsAreDropped) {
  LabelledHistoryOptions o = Options(10, 1);
  o.keep_ms = 50;
  o.max_settled_rows = 4;
  LabelledHistory h(2, o);
  for (int t = 0; t <= 100; t += 10) {
    h.AddRow("a", t, F(static_cast<float>(t)));
    h.AddRow("b", t, F(static_cast<float>(-t)));
  }
  const auto failed = h.Failed("b", 100);  // b's rows 90 and 100 positive, the rest negative
  EXPECT_EQ(failed.rows, 11u);
  EXPECT_EQ(failed.positives, 2u);
  h.Settle(200);  // all of a's rows negative
  // Kept: rows with t ≥ 100 − 50 only (b's and a's 50..100: 12 rows, 2 positive); over the cap
  // of 4, the oldest negatives go down to 4 − 4/10 = 4 rows: both positives (b 90, b 100) and
  // the two newest negatives (a 90, a 100; a's come after b's at equal times).
  const auto set = h.Settled();
  ASSERT_EQ(set.rows(), 4u);
  EXPECT_EQ(set.times, (std::vector<TimestampMs>{90, 90, 100, 100}));
  EXPECT_EQ(set.labels, (std::vector<double>{1, 0, 1, 0}));
  EXPECT_EQ(h.settled_positives(), 2u);
  EXPECT_FALSE(h.Failed("nobody", 5).rows);
}

}  // namespace
}  // namespace prognos::predict
