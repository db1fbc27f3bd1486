#include "peergrid/common/clock.h"

#include <cmath>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid {
namespace {

using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ClockTest, ManualClockAdvances) {
  ManualClock clock(absl::FromUnixSeconds(1000));
  EXPECT_EQ(clock.NowUnixSeconds(), 1000);
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(clock.NowUnixSeconds(), 1005);
  clock.Set(absl::FromUnixSeconds(7));
  EXPECT_EQ(clock.NowUnixSeconds(), 7);
}

TEST(ClockTest, ManualClockSleepUntilWakesWhenAdvanced) {
  ManualClock clock(absl::FromUnixSeconds(0));
  std::thread sleeper([&] { clock.SleepUntil(absl::FromUnixSeconds(60)); });
  clock.Advance(absl::Seconds(60));
  sleeper.join();
  EXPECT_EQ(clock.NowUnixSeconds(), 60);
}

TEST(ClockTest, ScaledClockRunsFaster) {
  ScaledClock clock(absl::FromUnixSeconds(1'700'000'000), 1000);
  EXPECT_EQ(clock.ToReal(absl::Seconds(1000)), absl::Seconds(1));
  absl::Time before = clock.Now();
  EXPECT_GE(before, absl::FromUnixSeconds(1'700'000'000));
  // A simulated minute passes in 60 ms of real time.
  clock.SleepUntil(before + absl::Seconds(60));
  EXPECT_GE(clock.Now() - before, absl::Seconds(60));
}

TEST(ClockTest, ParseClock) {
  ASSERT_OK_AND_ASSIGN(auto real, ParseClock("real"));
  EXPECT_EQ(real->ToReal(absl::Seconds(3)), absl::Seconds(3));
  ASSERT_OK_AND_ASSIGN(auto sim, ParseClock("sim:600@2026-06-21T00:00:00Z"));
  EXPECT_EQ(sim->ToReal(absl::Seconds(600)), absl::Seconds(1));
  EXPECT_GE(sim->NowUnixSeconds(), 1782000000);
  ASSERT_OK_AND_ASSIGN(auto sim2, ParseClock("sim:10@86400"));
  EXPECT_GE(sim2->NowUnixSeconds(), 86400);
  EXPECT_LT(sim2->NowUnixSeconds(), 86400 + 3600);
  // Two clocks with the same anchor read the same simulated time.
  const int64_t anchor_ms = absl::ToUnixMillis(absl::Now()) - 1000;
  const std::string spec = "sim:100@86400~" + std::to_string(anchor_ms);
  ASSERT_OK_AND_ASSIGN(auto a, ParseClock(spec));
  ASSERT_OK_AND_ASSIGN(auto b, ParseClock(spec));
  EXPECT_GE(a->NowUnixSeconds(), 86400 + 100);  // one real second after the anchor
  EXPECT_LE(std::abs(absl::ToDoubleSeconds(a->Now() - b->Now())), 5.0);
  EXPECT_THAT(ParseClock("sim:10@0~soon"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("anchor \"soon\"")));
  EXPECT_THAT(ParseClock("fast"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--clock \"fast\"")));
  EXPECT_THAT(ParseClock("sim:0.5"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("speed")));
  EXPECT_THAT(ParseClock("sim:10@yesterday"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("start \"yesterday\"")));
}

}  // namespace
}  // namespace peergrid
