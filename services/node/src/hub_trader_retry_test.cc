// HubTrader's retries and gap-free revisions against the fake exchange of
// hub_trader_test_util.h (which stamps every request with the test clock and
// refuses a second side as the exchange does): transient refusals retried
// with backoff while the gate is open, permanent ones never; a same-side
// revision places the replacement before it cancels; a side change cancels
// first, places nothing while the cancel fails, and is skipped when too late.
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "hub_trader_test_util.h"
#include "peergrid/node/hub_trader.h"

namespace peergrid::node {
namespace {

using trader_testing::AgentOrders;
using trader_testing::Closed;
using trader_testing::Config;
using trader_testing::Event;
using trader_testing::HubTraderTest;
using trader_testing::Id;
using trader_testing::kRevisionAt;
using trader_testing::kT0;
using trader_testing::kTarget;
using trader_testing::Sample;

grpc::Status Unavailable() { return {grpc::StatusCode::UNAVAILABLE, "try again"}; }
grpc::Status Stale() { return {grpc::StatusCode::FAILED_PRECONDITION, "hub is stale"}; }

// The clock times at which `order_id` was submitted.
std::vector<int64_t> SubmitTimes(const std::vector<Event>& events, const std::string& order_id) {
  std::vector<int64_t> out;
  for (const Event& e : events) {
    if (e.kind == Event::kSubmit && e.order_id == order_id) out.push_back(e.at_s);
  }
  return out;
}

TEST_F(HubTraderTest, ATransientRefusalIsRetriedWithBackoffUntilAccepted) {
  fake_.FailSubmits(Id("buyer", kTarget), 2, Unavailable());
  fake_.FailSubmits(Id("seller", kTarget), 1, Stale());
  StartAndPlace();
  clock_.Set(absl::FromUnixSeconds(kT0 + 5));  // too early for a retry
  clock_.Set(absl::FromUnixSeconds(kT0 + 10));
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("buyer", kTarget), 2));
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("seller", kTarget), 2));
  clock_.Set(absl::FromUnixSeconds(kT0 + 29));
  clock_.Set(absl::FromUnixSeconds(kT0 + 30));  // the second wait doubles
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("buyer", kTarget), 3));
  clock_.Set(absl::FromUnixSeconds(kT0 + 200));
  trader_->Stop();

  const std::vector<Event> events = fake_.Events();
  const std::vector<int64_t> buyer = SubmitTimes(events, Id("buyer", kTarget));
  ASSERT_EQ(buyer.size(), 3u);  // accepted on the third: no more
  EXPECT_GE(buyer[1], buyer[0] + 10);
  EXPECT_GE(buyer[2], buyer[1] + 20);
  EXPECT_EQ(SubmitTimes(events, Id("seller", kTarget)).size(), 2u);
  EXPECT_GE(fake_.FirstOk(Event::kSubmit, Id("buyer", kTarget)), 0);
  EXPECT_GE(fake_.FirstOk(Event::kSubmit, Id("seller", kTarget)), 0);
  const TraderStats stats = trader_->stats();
  EXPECT_EQ(stats.rejected, 3);
  EXPECT_EQ(stats.retried, 3);
  EXPECT_EQ(stats.placed, 3);
  EXPECT_EQ(stats.abandoned, 0);
}

TEST_F(HubTraderTest, PermanentRefusalsAreNeitherRetriedNorRevised) {
  fake_.SetSubmitStatus(Id("buyer", kTarget), {grpc::StatusCode::INVALID_ARGUMENT, "bad"});
  fake_.SetSubmitStatus(Id("seller", kTarget), {grpc::StatusCode::PERMISSION_DENIED, "no"});
  // A retried submission the exchange already has counts as placed earlier.
  fake_.SetSubmitStatus(Id("storage", kTarget), {grpc::StatusCode::ALREADY_EXISTS, "taken"});
  StartAndPlace();
  for (int64_t t : {10, 30, 70, 150}) clock_.Set(absl::FromUnixSeconds(kT0 + t));
  // All three change (the community turns short); only the storage, whose
  // order the exchange had, is revised: from BUY to SELL.
  Observe(Sample(), Closed("buyer", 0, 200));
  Observe(Sample(), Closed("seller", 0, 50));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("storage", kTarget, "-r"), 1));
  trader_->Stop();

  EXPECT_EQ(fake_.SubmitsOf(Id("buyer", kTarget)), 1);
  EXPECT_EQ(fake_.SubmitsOf(Id("seller", kTarget)), 1);
  EXPECT_EQ(fake_.SubmitsOf(Id("buyer", kTarget, "-r")), 0);
  EXPECT_EQ(fake_.SubmitsOf(Id("seller", kTarget, "-r")), 0);
  EXPECT_EQ(fake_.SubmitsOf(Id("storage", kTarget)), 1);
  const TraderStats stats = trader_->stats();
  EXPECT_EQ(stats.rejected, 2);
  EXPECT_EQ(stats.abandoned, 2);
  EXPECT_EQ(stats.retried, 0);
  EXPECT_EQ(stats.placed, 1);  // the storage's SELL; ALREADY_EXISTS is not a new placement
  EXPECT_EQ(stats.cancelled, 1);
}

TEST_F(HubTraderTest, RetriesAreBoundedToEightAttempts) {
  fake_.SetSubmitStatus(Id("buyer", kTarget), Unavailable());
  StartAndPlace();
  // Attempts at +0, 10, 30, 70, 150, 270, 390, 510 (the wait doubles to 120 s).
  int attempts = 1;
  for (int64_t t : {10, 30, 70, 150, 270, 390, 510}) {
    clock_.Set(absl::FromUnixSeconds(kT0 + t));
    ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("buyer", kTarget), ++attempts)) << t;
  }
  clock_.Set(absl::FromUnixSeconds(kT0 + 590));  // still open, but given up
  trader_->Stop();
  EXPECT_EQ(fake_.SubmitsOf(Id("buyer", kTarget)), 8);
  // It may stand (its answers were lost): never revised into a second order.
  EXPECT_EQ(fake_.SubmitsOf(Id("buyer", kTarget, "-r")), 0);
  EXPECT_EQ(trader_->stats().abandoned, 1);
  EXPECT_EQ(trader_->stats().retried, 7);
}

TEST_F(HubTraderTest, RetriesStopWhenTheGateCloses) {
  fake_.SetSubmitStatus(Id("buyer", kTarget), Stale());
  StartAndPlace();
  clock_.Set(absl::FromUnixSeconds(kT0 + 10));
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("buyer", kTarget), 2));
  clock_.Set(absl::FromUnixSeconds(kTarget - 300));  // kTarget's gate closes
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("buyer", kTarget + 900), 1));
  trader_->Stop();
  EXPECT_EQ(fake_.SubmitsOf(Id("buyer", kTarget)), 2);
  EXPECT_EQ(trader_->stats().abandoned, 1);
}

TEST_F(HubTraderTest, ASameSideRevisionPlacesTheReplacementBeforeCancelling) {
  StartAndPlace();
  Observe(Sample(), Closed("buyer", 0, 200));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancelsOf(Id("buyer", kTarget), 1));
  trader_->Stop();
  const int placed = fake_.FirstOk(Event::kSubmit, Id("buyer", kTarget, "-r"));
  const int cancelled = fake_.FirstOk(Event::kCancel, Id("buyer", kTarget));
  ASSERT_GE(placed, 0);
  ASSERT_GE(cancelled, 0);
  EXPECT_LT(placed, cancelled);
  EXPECT_GE(fake_.MinLiveAfterFirst("buyer", kTarget), 1) << "the buyer was left without an order";
}

TEST_F(HubTraderTest, TheOldOrderStandsUntilItsReplacementIsAccepted) {
  fake_.FailSubmits(Id("buyer", kTarget, "-r"), 1, Unavailable());
  fake_.SetSubmitStatus(Id("seller", kTarget, "-r"), {grpc::StatusCode::INVALID_ARGUMENT, "bad"});
  StartAndPlace();
  // The buyer's quantity doubles; the seller's limit moves with the
  // community's balance (its replacement is refused for good).
  Observe(Sample(), Closed("buyer", 0, 500));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("buyer", kTarget, "-r"), 1));
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("seller", kTarget, "-r"), 1));
  clock_.Set(absl::FromUnixSeconds(kRevisionAt + 10));
  ASSERT_TRUE(fake_.WaitForCancelsOf(Id("buyer", kTarget), 1));
  clock_.Set(absl::FromUnixSeconds(kRevisionAt + 100));
  trader_->Stop();
  EXPECT_EQ(fake_.SubmitsOf(Id("buyer", kTarget, "-r")), 2);
  EXPECT_LT(fake_.FirstOk(Event::kSubmit, Id("buyer", kTarget, "-r")),
            fake_.FirstOk(Event::kCancel, Id("buyer", kTarget)));
  EXPECT_GE(fake_.MinLiveAfterFirst("buyer", kTarget), 1);
  // The seller keeps its old order.
  EXPECT_EQ(fake_.CancelsOf(Id("seller", kTarget)), 0);
  EXPECT_EQ(fake_.SubmitsOf(Id("seller", kTarget, "-r")), 1);
  EXPECT_EQ(fake_.MinLiveAfterFirst("seller", kTarget), 1);
}

TEST_F(HubTraderTest, AFailedCancelOfAReplacedOrderIsRetried) {
  fake_.FailCancels(Id("buyer", kTarget), 1, Unavailable());
  StartAndPlace();
  Observe(Sample(), Closed("buyer", 0, 200));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancelsOf(Id("buyer", kTarget), 1));
  clock_.Set(absl::FromUnixSeconds(kRevisionAt + 10));
  ASSERT_TRUE(fake_.WaitForCancelsOf(Id("buyer", kTarget), 2));
  trader_->Stop();
  EXPECT_GE(fake_.FirstOk(Event::kCancel, Id("buyer", kTarget)), 0);
  EXPECT_EQ(trader_->stats().cancelled, 1);
  EXPECT_EQ(trader_->stats().retried, 1);
}

// A side change must cancel first. While the cancel fails the other side is
// not placed (the participant would be on both sides); once it goes
// through, the new order follows.
TEST_F(HubTraderTest, ASideChangeCancelsFirstAndWaitsForTheCancel) {
  fake_.FailCancels(Id("seller", kTarget), 1, Unavailable());
  fake_.FailCancels(Id("storage", kTarget), 1, {grpc::StatusCode::FAILED_PRECONDITION, "closed"});
  StartAndPlace();
  Observe(Sample(), Closed("seller", 0, 50));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancelsOf(Id("seller", kTarget), 1));
  ASSERT_TRUE(fake_.WaitForCancelsOf(Id("storage", kTarget), 1));
  clock_.Set(absl::FromUnixSeconds(kRevisionAt + 10));
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("seller", kTarget, "-r"), 1));
  clock_.Set(absl::FromUnixSeconds(kRevisionAt + 100));
  trader_->Stop();
  const std::vector<Event> events = fake_.Events();
  EXPECT_EQ(SubmitTimes(events, Id("seller", kTarget, "-r")),
            std::vector<int64_t>{kRevisionAt + 10});
  EXPECT_LT(fake_.FirstOk(Event::kCancel, Id("seller", kTarget)),
            fake_.FirstOk(Event::kSubmit, Id("seller", kTarget, "-r")));
  // The storage's cancel was refused for good: its BUY stands and no SELL follows.
  EXPECT_EQ(fake_.CancelsOf(Id("storage", kTarget)), 1);
  EXPECT_EQ(fake_.SubmitsOf(Id("storage", kTarget, "-r")), 0);
  EXPECT_EQ(trader_->stats().abandoned, 2);  // the cancel and the SELL behind it
}

TEST_F(HubTraderTest, TooCloseToTheGateASideChangeKeepsTheOldOrder) {
  StartAndPlace();
  Observe(Sample(), Closed("buyer", 0, 200));              // same side: still revised
  Observe(Sample(), Closed("seller", 0, 50));              // side changes: too late
  clock_.Set(absl::FromUnixSeconds(kTarget - 300 - 100));  // 100 s before the gate
  ASSERT_TRUE(fake_.WaitForCancelsOf(Id("buyer", kTarget), 1));
  trader_->Stop();
  EXPECT_EQ(fake_.SubmitsOf(Id("buyer", kTarget, "-r")), 1);
  for (const char* who : {"seller", "storage"}) {
    EXPECT_EQ(fake_.CancelsOf(Id(who, kTarget)), 0) << who;
    EXPECT_EQ(fake_.SubmitsOf(Id(who, kTarget, "-r")), 0) << who;
  }
}

// Two sells of one seller must fit what it may deliver together (the
// exchange counts its other open sells): the replacement is split, the part
// that fits placed before the old order is cancelled, the rest after.
TEST_F(HubTraderTest, ASellWithoutRoomForBothIsSplitAroundTheCancel) {
  config_ = Config(/*buyer_w=*/8000);  // 2 000 Wh per interval: the community is short
  trader_ = std::make_unique<HubTrader>(config_, fake_.channel(), &clock_);
  const hub::HubSample low = Sample(/*soc_pct=*/24);  // 4 000 Wh above the reserve
  const std::vector<hub::IntervalSummary> doubled = Closed("buyer", 0, 4000);
  const matching::Order before = AgentOrders(config_, {}, low, kTarget, kT0).at("storage");
  const matching::Order after =
      AgentOrders(config_, doubled, low, kTarget, kRevisionAt).at("storage");
  ASSERT_EQ(before.side, matching::Side::kSell);
  ASSERT_EQ(after.side, matching::Side::kSell);
  ASSERT_GT(before.quantity.value() + after.quantity.value(), 4000);
  ASSERT_LT(before.quantity.value(), 4000);
  StartAndPlace(low);
  Observe(low, doubled);
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("storage", kTarget, "-r2"), 1));
  trader_->Stop();
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  const int64_t first = orders.at(Id("storage", kTarget, "-r")).quantity_wh();
  const int64_t rest = orders.at(Id("storage", kTarget, "-r2")).quantity_wh();
  EXPECT_EQ(first, 4000 - before.quantity.value());
  EXPECT_EQ(first + rest, after.quantity.value());
  EXPECT_EQ(orders.at(Id("storage", kTarget, "-r2")).limit_price_mcu_per_kwh(),
            after.limit_price.value());
  const int placed = fake_.FirstOk(Event::kSubmit, Id("storage", kTarget, "-r"));
  const int cancelled = fake_.FirstOk(Event::kCancel, Id("storage", kTarget));
  const int topped_up = fake_.FirstOk(Event::kSubmit, Id("storage", kTarget, "-r2"));
  ASSERT_GE(placed, 0);
  EXPECT_LT(placed, cancelled);
  EXPECT_LT(cancelled, topped_up);
  EXPECT_GE(fake_.MinLiveAfterFirst("storage", kTarget), 1);
}

// With no room at all beside the old SELL, it is cancelled first, as for a
// side change.
TEST_F(HubTraderTest, ASellWithNoRoomBesideTheOldOneIsRevisedCancelFirst) {
  config_ = Config(/*buyer_w=*/20000);  // 5 000 Wh per interval
  trader_ = std::make_unique<HubTrader>(config_, fake_.channel(), &clock_);
  const hub::HubSample low = Sample(/*soc_pct=*/24);  // 4 000 Wh above the reserve
  const std::vector<hub::IntervalSummary> smaller = Closed("buyer", 0, 2500);
  const matching::Order before = AgentOrders(config_, {}, low, kTarget, kT0).at("storage");
  const matching::Order after =
      AgentOrders(config_, smaller, low, kTarget, kRevisionAt).at("storage");
  ASSERT_EQ(before.quantity.value(), 4000);  // all it may deliver
  ASSERT_EQ(after.side, matching::Side::kSell);
  ASSERT_LT(after.quantity.value(), 3000);
  StartAndPlace(low);
  Observe(low, smaller);
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("storage", kTarget, "-r"), 1));
  trader_->Stop();
  EXPECT_LT(fake_.FirstOk(Event::kCancel, Id("storage", kTarget)),
            fake_.FirstOk(Event::kSubmit, Id("storage", kTarget, "-r")));
  EXPECT_EQ(fake_.Submitted().at(Id("storage", kTarget, "-r")).quantity_wh(),
            after.quantity.value());
  EXPECT_EQ(fake_.SubmitsOf(Id("storage", kTarget, "-r2")), 0);
}

}  // namespace
}  // namespace peergrid::node
