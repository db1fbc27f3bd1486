// HubTrader against an in-process fake exchange (hub_trader_test_util.h),
// driven by a ManualClock: what it orders for its households and storage,
// when and how it revises, and what it does with refusals. Retries and the
// order of place and cancel in a revision: hub_trader_retry_test.cc.
//
// The trader runs its own thread; the tests wait (bounded, on a condition)
// for the requests the fake receives, then Stop() the trader, which joins its
// thread after the loop iteration in progress, before checking the results.
#include "peergrid/node/hub_trader.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub_trader_test_util.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/ledger/note.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::node {
namespace {

using trader_testing::AgentOrders;
using trader_testing::Closed;
using trader_testing::Config;
using trader_testing::ExpectDecided;
using trader_testing::HubTraderTest;
using trader_testing::Id;
using trader_testing::kFeedIn;
using trader_testing::kRetail;
using trader_testing::kRevisionAt;
using trader_testing::kT0;
using trader_testing::kTarget;
using trader_testing::MakeZone;
using trader_testing::Sample;
using trader_testing::SellerNetWh;

TEST_F(HubTraderTest, PlacesOneOrderPerParticipantForTheFirstOpenIntervalWithinTheBand) {
  const int64_t seller_net = SellerNetWh(kTarget);
  ASSERT_GT(seller_net, 500) << "the test needs a sunny noon interval";
  StartAndPlace();
  trader_->Stop();

  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  const std::map<std::string, matching::Order> expected = Expected(kT0);
  ASSERT_EQ(orders.size(), 3u);
  ASSERT_EQ(expected.size(), 3u);
  ASSERT_TRUE(orders.contains(Id("buyer", kTarget)));
  ASSERT_TRUE(orders.contains(Id("seller", kTarget)));
  ASSERT_TRUE(orders.contains(Id("storage", kTarget)));
  // The deficit household buys 90 % of its 100 Wh forecast.
  const v1::Order& buy = orders.at(Id("buyer", kTarget));
  EXPECT_EQ(buy.side(), v1::BUY);
  EXPECT_EQ(buy.quantity_wh(), 90);
  EXPECT_EQ(buy.seq(), 0u);
  ExpectDecided(buy, expected.at("buyer"));
  // The surplus household sells 80 % of its forecast surplus, cheaper than
  // the buyer bids (the community has energy to spare at noon).
  const v1::Order& sell = orders.at(Id("seller", kTarget));
  EXPECT_EQ(sell.side(), v1::SELL);
  EXPECT_EQ(sell.quantity_wh(), seller_net * 800 / 1000);
  EXPECT_LE(sell.quantity_wh(), 5000 * 900 / 3600);  // never above its deliverable cap
  EXPECT_LT(sell.limit_price_mcu_per_kwh(), buy.limit_price_mcu_per_kwh());
  ExpectDecided(sell, expected.at("seller"));
  // The storage buys the community's surplus (room and power allow it all),
  // never above its highest bid.
  const v1::Order& store = orders.at(Id("storage", kTarget));
  EXPECT_EQ(store.side(), v1::BUY);
  EXPECT_EQ(store.quantity_wh(), seller_net - 100);
  EXPECT_LE(store.limit_price_mcu_per_kwh(),
            hub::StorageAgent().MaxBid({PriceMcuPerKwh(kFeedIn), PriceMcuPerKwh(kRetail)}).value());
  ExpectDecided(store, expected.at("storage"));
  for (const auto& [id, o] : orders) {
    EXPECT_GE(o.limit_price_mcu_per_kwh(), kFeedIn) << id;
    EXPECT_LE(o.limit_price_mcu_per_kwh(), kRetail) << id;
  }
  EXPECT_TRUE(fake_.Cancels().empty());
  const TraderStats stats = trader_->stats();
  EXPECT_EQ(stats.placed, 3);
  EXPECT_EQ(stats.rejected, 0);
  EXPECT_EQ(stats.cancelled, 0);
  EXPECT_EQ(stats.intervals, 1);
}

TEST_F(HubTraderTest, RevisesOnlyTheOrdersWhoseForecastMovedByMoreThanAQuarter) {
  const int64_t seller_net = SellerNetWh(kTarget);
  // The storage's quantity moves by 100 Wh: it must stay within a quarter.
  ASSERT_LT(100, (seller_net - 100) / 4);
  StartAndPlace();
  // The buyer used twice its expected load in the last interval: it now
  // forecasts 200 Wh and should buy 180 Wh instead of 90.
  Observe(Sample(), Closed("buyer", 0, 200));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancels(1));
  ASSERT_TRUE(fake_.WaitForSubmits(4));
  trader_->Stop();

  const std::vector<v1::CancelOrderRequest> cancels = fake_.Cancels();
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].order_id(), Id("buyer", kTarget));
  EXPECT_EQ(cancels[0].participant_id(), "buyer");
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  ASSERT_EQ(orders.size(), 4u);
  ASSERT_TRUE(orders.contains(Id("buyer", kTarget, "-r")));
  const v1::Order& revised = orders.at(Id("buyer", kTarget, "-r"));
  EXPECT_EQ(revised.side(), v1::BUY);
  EXPECT_EQ(revised.quantity_wh(), 180);
  ExpectDecided(revised, Expected(kRevisionAt).at("buyer"));
  const TraderStats stats = trader_->stats();
  EXPECT_EQ(stats.placed, 4);
  EXPECT_EQ(stats.cancelled, 1);
  EXPECT_EQ(stats.intervals, 1);  // a revision is not a new interval
}

// A limit that moved by more than a tenth of the spread is revised even when
// the quantity did not move: the buyer's load jumps fivefold, the community's
// surplus shrinks, and the seller's ask rises. (Old and new SELL do not fit
// beside each other in the seller's 1 250 Wh: the new one comes in two parts.)
TEST_F(HubTraderTest, ALimitThatMovedIsRevisedToo) {
  StartAndPlace();
  const v1::Order first = fake_.Submitted().at(Id("seller", kTarget));
  Observe(Sample(), Closed("buyer", 0, 500));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancelsOf(Id("seller", kTarget), 1));
  ASSERT_TRUE(fake_.WaitForSubmitsOf(Id("seller", kTarget, "-r2"), 1));
  trader_->Stop();
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  const matching::Order expected = Expected(kRevisionAt).at("seller");
  const v1::Order& revised = orders.at(Id("seller", kTarget, "-r"));
  const v1::Order& rest = orders.at(Id("seller", kTarget, "-r2"));
  EXPECT_EQ(revised.quantity_wh() + rest.quantity_wh(), first.quantity_wh());
  EXPECT_EQ(revised.quantity_wh() + rest.quantity_wh(), expected.quantity.value());
  EXPECT_GT(revised.limit_price_mcu_per_kwh() - first.limit_price_mcu_per_kwh(),
            (kRetail - kFeedIn) / 10);
  EXPECT_EQ(revised.limit_price_mcu_per_kwh(), expected.limit_price.value());
  EXPECT_EQ(rest.limit_price_mcu_per_kwh(), expected.limit_price.value());
}

TEST_F(HubTraderTest, ASideChangeCancelsAndPlacesTheOtherSide) {
  StartAndPlace();
  // The seller's PV produced nothing (clearness 0): it now has a 50 Wh
  // deficit, and the community turns from surplus to a 150 Wh deficit.
  ASSERT_EQ(SellerNetWh(kTarget, 0.0), -50);
  Observe(Sample(), Closed("seller", 0, 50));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancels(3));
  ASSERT_TRUE(fake_.WaitForSubmits(6));
  trader_->Stop();

  std::vector<std::string> cancelled;
  for (const v1::CancelOrderRequest& c : fake_.Cancels()) cancelled.push_back(c.order_id());
  EXPECT_THAT(cancelled, ::testing::UnorderedElementsAre(
                             Id("seller", kTarget), Id("storage", kTarget), Id("buyer", kTarget)));
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  const std::map<std::string, matching::Order> expected = Expected(kRevisionAt);
  ASSERT_EQ(orders.size(), 6u);
  ASSERT_TRUE(orders.contains(Id("seller", kTarget, "-r")));
  ASSERT_TRUE(orders.contains(Id("storage", kTarget, "-r")));
  const v1::Order& seller = orders.at(Id("seller", kTarget, "-r"));
  EXPECT_EQ(seller.side(), v1::BUY);
  EXPECT_EQ(seller.quantity_wh(), 45);
  ExpectDecided(seller, expected.at("seller"));
  const v1::Order& storage = orders.at(Id("storage", kTarget, "-r"));
  EXPECT_EQ(storage.side(), v1::SELL);
  EXPECT_EQ(storage.quantity_wh(), 150);
  ExpectDecided(storage, expected.at("storage"));
  EXPECT_GE(
      storage.limit_price_mcu_per_kwh(),
      hub::StorageAgent().SellFloor({PriceMcuPerKwh(kFeedIn), PriceMcuPerKwh(kRetail)}).value());
  // The buyer's quantity is unchanged, but with the community short its bid
  // rose by more than a tenth of the spread: revised on the same side.
  const v1::Order& buyer = orders.at(Id("buyer", kTarget, "-r"));
  EXPECT_EQ(buyer.quantity_wh(), orders.at(Id("buyer", kTarget)).quantity_wh());
  EXPECT_GT(buyer.limit_price_mcu_per_kwh(),
            orders.at(Id("buyer", kTarget)).limit_price_mcu_per_kwh() + (kRetail - kFeedIn) / 10);
  ExpectDecided(buyer, expected.at("buyer"));
  EXPECT_EQ(trader_->stats().cancelled, 3);
}

TEST_F(HubTraderTest, AnOrderWithNoRevisedDecisionIsOnlyCancelled) {
  StartAndPlace();
  // The bank is full: the storage can no longer buy anything.
  Observe(Sample(/*soc_pct=*/100), {});
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancels(1));
  trader_->Stop();
  const std::vector<v1::CancelOrderRequest> cancels = fake_.Cancels();
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].order_id(), Id("storage", kTarget));
  EXPECT_EQ(cancels[0].participant_id(), "storage");
  EXPECT_EQ(fake_.SubmitCount(), 3u);  // nothing placed in its stead
  EXPECT_EQ(trader_->stats().cancelled, 1);
}

TEST_F(HubTraderTest, TradesOnlyOnceTheZoneHasATariff) {
  fake_.SetZone(grpc::Status(grpc::StatusCode::UNAVAILABLE, "starting"));
  trader_->Observe(Sample(), {});
  trader_->Start();
  ASSERT_TRUE(fake_.WaitForZoneCalls(3));  // retried at once, not after an interval
  fake_.SetZone(grpc::Status::OK, MakeZone(/*retail=*/0));  // no tariff set yet
  ASSERT_TRUE(fake_.WaitForZoneCalls(6));
  EXPECT_EQ(fake_.SubmitCount(), 0u);
  fake_.SetZone(grpc::Status::OK, MakeZone());
  ASSERT_TRUE(fake_.WaitForSubmits(3));
  trader_->Stop();
  EXPECT_EQ(fake_.SubmitCount(), 3u);
  EXPECT_TRUE(fake_.Submitted().contains(Id("buyer", kTarget)));
}

TEST_F(HubTraderTest, WaitsForASampleAndRefreshesTheZoneEveryInterval) {
  trader_->Start();
  ASSERT_TRUE(fake_.WaitForZoneCalls(1));
  clock_.Set(absl::FromUnixSeconds(kT0 + 900));  // one interval later: refresh
  ASSERT_TRUE(fake_.WaitForZoneCalls(2));
  EXPECT_EQ(fake_.SubmitCount(), 0u);  // no sample yet, no orders
  trader_->Observe(Sample(), {});
  ASSERT_TRUE(fake_.WaitForSubmits(3));
  trader_->Stop();
  for (const auto& [id, order] : fake_.Submitted()) {
    EXPECT_EQ(order.interval_start(), kT0 + 1800) << id;
  }
}

TEST_F(HubTraderTest, MovesOnToTheNextIntervalOnceTheGateAdvances) {
  StartAndPlace();
  clock_.Set(absl::FromUnixSeconds(kT0 + 600));  // kTarget's gate is closing
  ASSERT_TRUE(fake_.WaitForSubmits(6));
  trader_->Stop();
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  ASSERT_EQ(orders.size(), 6u);
  for (const char* who : {"buyer", "seller", "storage"}) {
    ASSERT_TRUE(orders.contains(Id(who, kTarget + 900))) << who;
    EXPECT_EQ(orders.at(Id(who, kTarget + 900)).interval_start(), kTarget + 900);
  }
  EXPECT_TRUE(fake_.Cancels().empty());
  EXPECT_EQ(trader_->stats().intervals, 2);
  EXPECT_EQ(trader_->stats().placed, 6);
}

TEST_F(HubTraderTest, WithTheHubsKeyEveryOrderAndCancelIsSignedByTheHub) {
  ASSERT_OK_AND_ASSIGN(ledger::Signer key, ledger::Signer::FromSeed("hub-1", std::string(32, 'k')));
  trader_ = std::make_unique<HubTrader>(Config(), fake_.channel(), &clock_, key);
  StartAndPlace();
  // A side change: three cancels and three revised orders, all signed.
  Observe(Sample(), Closed("seller", 0, 50));
  MoveToRevision();
  ASSERT_TRUE(fake_.WaitForCancels(3));
  ASSERT_TRUE(fake_.WaitForSubmits(6));
  trader_->Stop();

  v1::Hub hub;
  hub.set_hub_id("hub-1");
  hub.set_public_key(key.verifier().public_key());
  auto delegating = [](const std::string& id, bool delegates) {
    v1::Participant p;
    p.set_participant_id(id);
    p.set_hub_id("hub-1");
    p.set_delegates_trading(delegates);
    return p;
  };
  const std::map<std::string, std::string> signatures = fake_.Signatures();
  const std::map<std::string, v1::Order> orders = fake_.Submitted();
  ASSERT_EQ(orders.size(), 6u);
  for (const auto& [id, order] : orders) {
    ASSERT_TRUE(signatures.contains(id));
    EXPECT_THAT(
        convert::VerifyParticipantSignature(convert::OrderSigningText(order), signatures.at(id),
                                            delegating(order.participant_id(), true), &hub),
        ::peergrid::testing::IsOk())
        << id;
    // The hub's key signs only for participants that delegate to it.
    EXPECT_THAT(
        convert::VerifyParticipantSignature(convert::OrderSigningText(order), signatures.at(id),
                                            delegating(order.participant_id(), false), &hub),
        ::peergrid::testing::StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_))
        << id;
  }
  for (const v1::CancelOrderRequest& cancel : fake_.Cancels()) {
    EXPECT_THAT(convert::VerifyParticipantSignature(
                    convert::CancelSigningText(cancel.order_id(), cancel.participant_id()),
                    cancel.signature(), delegating(cancel.participant_id(), true), &hub),
                ::peergrid::testing::IsOk())
        << cancel.order_id();
  }
}

TEST_F(HubTraderTest, WithoutAKeyOrdersGoUnsigned) {
  StartAndPlace();
  trader_->Stop();
  for (const auto& [id, signature] : fake_.Signatures()) EXPECT_TRUE(signature.empty()) << id;
}

}  // namespace
}  // namespace peergrid::node
