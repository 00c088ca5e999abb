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

TEST(LabelledHistoryTest, EncodeDecodeKeepsSettledAndPendingRows) {
  LabelledHistory h(2, Options(10, 1));
  for (int t = 0; t <= 40; t += 1) {
    h.AddRow("a", t, F(static_cast<float>(t)));
    h.AddRow("b", t, F(static_cast<float>(-t)));
  }
  (void)h.Failed("b", 35);  // b: rows 0..35 settled (25..35 positive), 36..40 pending
  (void)h.Settle(30);       // a: rows 0..19 settled negative, 20..40 pending
  const std::string bytes = h.Encode();
  auto back = LabelledHistory::Decode(bytes, 2, Options(10, 1));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->settled_rows(), 36u + 20u);
  EXPECT_EQ(back->settled_positives(), 11u);
  EXPECT_EQ(back->pending_rows(), 5u + 21u);
  const auto a = h.Settled();
  const auto b = back->Settled();
  EXPECT_EQ(a.features, b.features);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.times, b.times);
  EXPECT_EQ(back->Encode(), bytes);  // deterministic: entities in name order
  // Pending rows carry on: a failure of a at 45 makes its rows 35..40 positive (horizon 10).
  EXPECT_EQ(back->Failed("a", 45).positives, 6u);
  // The row spacing survives too: b's next row comes 1 after its last (40), not before.
  EXPECT_FALSE(back->AddRow("b", 40, F(0)));
  EXPECT_TRUE(back->AddRow("b", 41, F(0)));
}

TEST(LabelledHistoryTest, DecodeRejectsCorruptionAndAnotherFeatureCount) {
  LabelledHistory h(2, Options(10, 1));
  h.AddRow("a", 0, F(1));
  (void)h.Settle(100);
  std::string bytes = h.Encode();
  auto wrong = LabelledHistory::Decode(bytes, 3);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  std::string flipped = bytes;
  flipped[20] = static_cast<char>(flipped[20] ^ 0x40);
  auto bad = LabelledHistory::Decode(flipped, 2);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kCorruption);
  EXPECT_FALSE(LabelledHistory::Decode(bytes.substr(0, bytes.size() - 3), 2).has_value());
  EXPECT_FALSE(LabelledHistory::Decode("PGLH", 2).has_value());
  EXPECT_FALSE(LabelledHistory::Decode("", 2).has_value());
}

}  // namespace
}  // namespace prognos::predict
