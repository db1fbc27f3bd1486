// Runs of empty intervals: finding them, validating them, and the coverage
// rules the audit applies (no overlap, no skipped interval).
#include "peergrid/matching/empty_run.h"

#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::matching {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr int64_t kT = 1'782'000'000;  // aligned to 900 s
const MarketTiming kTiming;

int64_t At(int64_t n) { return kT + n * 900; }

TEST(EmptyRunTest, CountsAndContainsItsIntervalsOnly) {
  const EmptyRun run{At(0), At(4), 900};
  EXPECT_EQ(run.count(), 5);
  EXPECT_TRUE(run.Contains(At(0)));
  EXPECT_TRUE(run.Contains(At(4)));
  EXPECT_FALSE(run.Contains(At(5)));
  EXPECT_FALSE(run.Contains(At(-1)));
  EXPECT_FALSE(run.Contains(At(2) + 1));  // not an interval start
}

TEST(EmptyRunTest, ValidationNamesTheBadField) {
  EXPECT_THAT(ValidateEmptyRun({At(0), At(0), 900}, 900), IsOk());
  EXPECT_THAT(ValidateEmptyRun({At(0), At(kMaxEmptyRunIntervals - 1), 900}, 900), IsOk());
  EXPECT_THAT(ValidateEmptyRun({At(0), At(kMaxEmptyRunIntervals), 900}, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 65536")));
  EXPECT_THAT(ValidateEmptyRun({At(0), At(3), 600}, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interval_s 600")));
  EXPECT_THAT(ValidateEmptyRun({At(0) + 1, At(3), 900}, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("first_interval_start")));
  EXPECT_THAT(ValidateEmptyRun({At(3), At(2), 900}, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is before")));
  EXPECT_THAT(ValidateEmptyRun({At(0), At(3) + 1, 900}, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("last_interval_start")));
  EXPECT_THAT(ValidateEmptyRun({At(0), INT64_MAX - 7, 900}, 900),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(ValidateEmptyRun({0, 0, 0}, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(EmptyRunTest, LastSettlementDueIsTheLatestIntervalWhoseSettlementIsDue) {
  // SettlementDue(s) = s + 900 + 900.
  EXPECT_EQ(LastSettlementDue(kTiming, At(2)), At(0));
  EXPECT_EQ(LastSettlementDue(kTiming, At(2) - 1), At(-1));
  for (int64_t now = At(10); now < At(12); now += 37) {
    const int64_t last = LastSettlementDue(kTiming, now);
    EXPECT_LE(kTiming.SettlementDue(last), now);
    EXPECT_GT(kTiming.SettlementDue(last + 900), now);
  }
}

TEST(EmptyRunTest, FindStopsBeforeTheFirstNonEmptyInterval) {
  const std::set<int64_t> busy = {At(3), At(7)};
  std::vector<int64_t> asked;
  auto empty = [&](int64_t s) {
    asked.push_back(s);
    return !busy.contains(s);
  };
  EXPECT_THAT(FindEmptyRun(At(0), At(10), kTiming, empty), Optional(EmptyRun{At(0), At(2), 900}));
  EXPECT_EQ(asked, (std::vector<int64_t>{At(0), At(1), At(2), At(3)}));  // in order, once each
  EXPECT_EQ(FindEmptyRun(At(3), At(10), kTiming, empty), std::nullopt);
  EXPECT_THAT(FindEmptyRun(At(4), At(10), kTiming, empty), Optional(EmptyRun{At(4), At(6), 900}));
  EXPECT_THAT(FindEmptyRun(At(8), At(10), kTiming, empty), Optional(EmptyRun{At(8), At(10), 900}));
  EXPECT_THAT(FindEmptyRun(At(8), At(8), kTiming, empty), Optional(EmptyRun{At(8), At(8), 900}));
  EXPECT_EQ(FindEmptyRun(At(9), At(8), kTiming, empty), std::nullopt);
}

TEST(EmptyRunTest, FindHoldsAtMostTheMaximum) {
  int calls = 0;
  std::optional<EmptyRun> run = FindEmptyRun(At(0), At(10 * kMaxEmptyRunIntervals), kTiming,
                                             [&](int64_t) { return ++calls > 0; });
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->count(), kMaxEmptyRunIntervals);
  EXPECT_EQ(calls, kMaxEmptyRunIntervals);
  EXPECT_THAT(ValidateEmptyRun(*run, 900), IsOk());
}

TEST(ClearedCoverageTest, FirstRunStartsAtTheZonesFirstInterval) {
  ClearedCoverage coverage(900, At(0));
  EXPECT_EQ(coverage.SkipProblem({At(0), At(5), 900}), std::nullopt);
  EXPECT_THAT(coverage.SkipProblem({At(1), At(5), 900}),
              Optional(HasSubstr("skips intervals [1782000000, 1782000000]")));
  EXPECT_THAT(coverage.SkipProblem({At(-1), At(5), 900}), Optional(HasSubstr("starts before")));
}

TEST(ClearedCoverageTest, RunsFollowTheLatestClearingWithoutGapOrOverlap) {
  ClearedCoverage coverage(900, At(0));
  coverage.AddSingle(At(0), 10);
  coverage.AddSingle(At(1), 11);
  const EmptyRun run{At(2), At(100), 900};
  EXPECT_EQ(coverage.OverlapProblem(run), std::nullopt);
  EXPECT_EQ(coverage.SkipProblem(run), std::nullopt);
  coverage.AddRun(run, 12);
  EXPECT_THAT(coverage.latest(), Optional(At(100)));
  EXPECT_THAT(coverage.ClearedBy(At(1)), Optional(11u));
  EXPECT_THAT(coverage.ClearedBy(At(2)), Optional(12u));
  EXPECT_THAT(coverage.ClearedBy(At(57)), Optional(12u));
  EXPECT_THAT(coverage.ClearedBy(At(100)), Optional(12u));
  EXPECT_EQ(coverage.ClearedBy(At(101)), std::nullopt);
  EXPECT_EQ(coverage.ClearedBy(At(57) + 1), std::nullopt);

  // Overlaps name the first interval cleared twice and who cleared it.
  EXPECT_THAT(coverage.OverlapProblem({At(100), At(120), 900}),
              Optional(HasSubstr("interval 1782090000 of the run")));
  EXPECT_THAT(coverage.OverlapProblem({At(100), At(120), 900}), Optional(HasSubstr("(entry 12)")));
  EXPECT_THAT(coverage.OverlapProblem({At(1), At(3), 900}), Optional(HasSubstr("(entry 11)")));
  EXPECT_THAT(coverage.OverlapProblem({At(-5), At(200), 900}), Optional(HasSubstr("(entry 10)")));
  EXPECT_EQ(coverage.OverlapProblem({At(101), At(120), 900}), std::nullopt);

  // The next run must start at At(101): later skips, earlier reaches back.
  EXPECT_EQ(coverage.SkipProblem({At(101), At(101), 900}), std::nullopt);
  EXPECT_THAT(coverage.SkipProblem({At(103), At(110), 900}),
              Optional(HasSubstr("skips intervals [1782090900, 1782091800]")));
  EXPECT_THAT(coverage.SkipProblem({At(50), At(60), 900}), Optional(HasSubstr("starts before")));

  // A single clearing later than the runs moves the frontier.
  coverage.AddSingle(At(101), 13);
  EXPECT_EQ(coverage.SkipProblem({At(102), At(110), 900}), std::nullopt);
  coverage.AddRun({At(102), At(110), 900}, 14);
  EXPECT_THAT(coverage.ClearedBy(At(105)), Optional(14u));
  EXPECT_THAT(coverage.ClearedBy(At(100)), Optional(12u));
  EXPECT_THAT(coverage.OverlapProblem({At(90), At(103), 900}), Optional(HasSubstr("(entry 12)")));
  EXPECT_THAT(coverage.OverlapProblem({At(103), At(103), 900}), Optional(HasSubstr("(entry 14)")));
}

}  // namespace
}  // namespace peergrid::matching
