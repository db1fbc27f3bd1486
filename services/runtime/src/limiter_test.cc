#include "peergrid/runtime/limiter.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "peergrid/common/clock.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::runtime {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

OrderRateLimiter::Options Rate(double per_second, double burst, size_t max_identities = 1000) {
  OrderRateLimiter::Options o;
  o.per_second = per_second;
  o.burst = burst;
  o.max_identities = max_identities;
  return o;
}

TEST(OrderRateLimiterTest, BurstThenRefillAtTheRate) {
  ManualClock clock(absl::FromUnixSeconds(1000));
  OrderRateLimiter limiter(&clock, Rate(2, 3));
  for (int i = 0; i < 3; ++i) EXPECT_THAT(limiter.Acquire("alice"), IsOk()) << i;
  EXPECT_THAT(limiter.Acquire("alice"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("\"alice\""), HasSubstr("2/s"), HasSubstr("burst 3"))));
  clock.Advance(absl::Milliseconds(499));  // 0.998 tokens: not yet one
  EXPECT_THAT(limiter.Acquire("alice"),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  clock.Advance(absl::Milliseconds(1));
  EXPECT_THAT(limiter.Acquire("alice"), IsOk());
  EXPECT_THAT(limiter.Acquire("alice"),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  // A long pause refills only up to the burst.
  clock.Advance(absl::Hours(1));
  for (int i = 0; i < 3; ++i) EXPECT_THAT(limiter.Acquire("alice"), IsOk()) << i;
  EXPECT_THAT(limiter.Acquire("alice"),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
}

TEST(OrderRateLimiterTest, IdentitiesHaveTheirOwnBuckets) {
  ManualClock clock(absl::FromUnixSeconds(1000));
  OrderRateLimiter limiter(&clock, Rate(1, 1));
  EXPECT_THAT(limiter.Acquire("alice"), IsOk());
  EXPECT_THAT(limiter.Acquire("alice"),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  EXPECT_THAT(limiter.Acquire("bob"), IsOk());
  EXPECT_THAT(limiter.Acquire("bob"), StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
}

TEST(OrderRateLimiterTest, AClockSteppingBackAddsNoTokens) {
  ManualClock clock(absl::FromUnixSeconds(1000));
  OrderRateLimiter limiter(&clock, Rate(1, 1));
  EXPECT_THAT(limiter.Acquire("alice"), IsOk());
  clock.Set(absl::FromUnixSeconds(10));
  EXPECT_THAT(limiter.Acquire("alice"),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  clock.Set(absl::FromUnixSeconds(1000));
  EXPECT_THAT(limiter.Acquire("alice"),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  clock.Set(absl::FromUnixSeconds(1001));
  EXPECT_THAT(limiter.Acquire("alice"), IsOk());
}

TEST(OrderRateLimiterTest, QuotesAtMost128BytesOfTheIdentity) {
  ManualClock clock(absl::FromUnixSeconds(1000));
  OrderRateLimiter limiter(&clock, Rate(1, 1));
  const std::string long_id = std::string(128, 'x') + std::string(1000, 'y');
  EXPECT_THAT(limiter.Acquire(long_id), IsOk());
  absl::Status refused = limiter.Acquire(long_id);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted,
                                AllOf(HasSubstr(std::string(128, 'x')), Not(HasSubstr("xy")))));
}

TEST(OrderRateLimiterTest, InventedIdentitiesCannotGrowItWithoutBound) {
  ManualClock clock(absl::FromUnixSeconds(1000));
  OrderRateLimiter limiter(&clock, Rate(1, 2, /*max_identities=*/100));
  // However many identities come, at most max_identities buckets are kept.
  for (int i = 0; i < 1000; ++i) {
    ASSERT_THAT(limiter.Acquire("spammer-" + std::to_string(i)), IsOk());
    EXPECT_LE(limiter.tracked(), 100u);
  }
  EXPECT_THAT(limiter.Acquire("alice"), IsOk());
  EXPECT_THAT(limiter.Acquire("alice"), IsOk());
  EXPECT_THAT(limiter.Acquire("alice"),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::_));
  // Full buckets (refilled after 2 s at 1/s) are the first forgotten.
  clock.Advance(absl::Seconds(2));
  for (int i = 0; i < 100; ++i) ASSERT_THAT(limiter.Acquire("late-" + std::to_string(i)), IsOk());
  EXPECT_LE(limiter.tracked(), 100u);
}

TEST(StreamLimiterTest, CountsOpenStreamsPerIdentityAndReleasesOnDestruction) {
  StreamLimiter limiter(2);
  {
    ASSERT_OK_AND_ASSIGN(StreamSlot a1, limiter.Acquire("alice"));
    ASSERT_OK_AND_ASSIGN(StreamSlot a2, limiter.Acquire("alice"));
    EXPECT_THAT(limiter.Acquire("alice").status(),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         AllOf(HasSubstr("\"alice\""), HasSubstr("2 open streams"))));
    ASSERT_OK_AND_ASSIGN(StreamSlot b1, limiter.Acquire("bob"));
    EXPECT_EQ(limiter.open("alice"), 2);
    EXPECT_EQ(limiter.open("bob"), 1);
    EXPECT_EQ(limiter.total(), 3);
  }
  EXPECT_EQ(limiter.open("alice"), 0);
  EXPECT_EQ(limiter.total(), 0);
  ASSERT_OK_AND_ASSIGN(StreamSlot again, limiter.Acquire("alice"));
  EXPECT_EQ(limiter.open("alice"), 1);
}

TEST(StreamLimiterTest, AMovedSlotReleasesOnce) {
  StreamLimiter limiter(1);
  ASSERT_OK_AND_ASSIGN(StreamSlot first, limiter.Acquire("alice"));
  StreamSlot moved = std::move(first);
  EXPECT_EQ(limiter.open("alice"), 1);
  std::vector<StreamSlot> held;
  held.push_back(std::move(moved));
  EXPECT_EQ(limiter.open("alice"), 1);
  held.clear();
  EXPECT_EQ(limiter.open("alice"), 0);
  ASSERT_OK_AND_ASSIGN(StreamSlot second, limiter.Acquire("alice"));
  StreamSlot assigned;
  assigned = std::move(second);
  EXPECT_EQ(limiter.open("alice"), 1);
  assigned = StreamSlot();
  EXPECT_EQ(limiter.open("alice"), 0);
}

}  // namespace
}  // namespace peergrid::runtime
