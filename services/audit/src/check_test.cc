// The audit of correctly signed ledgers: a simulated market passes, and each
// economically wrong ledger (re-signed with the test key, so only the
// business rules can catch it) fails naming the right entry and check.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::audit {
namespace {

using testing::Edited;
using ::testing::HasSubstr;
using testing::NthOfKind;
using testing::SimEntry;
using testing::SimOptions;
using testing::SimulatedMarket;

class AuditCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("audit_check");
    SimOptions options;
    options.seed = 7;
    options.missing_read_one_in = 5;
    entries_ = SimulatedMarket(options).Generate();
  }

  // Writes `entries` signed with the test key, audits the export, returns the report.
  AuditReport Audit(const std::vector<SimEntry>& entries) {
    absl::StatusOr<std::string> out = testing::WriteExport(entries, dir_, signer_);
    EXPECT_OK(out);
    absl::StatusOr<AuditReport> report = AuditExport(*out, signer_.verifier(), AuditOptions{});
    EXPECT_OK(report);
    return report.ok() ? *report : AuditReport{};
  }

  // Returns the index of the first clearing with at least `fills` fills.
  uint64_t ClearingWithFills(int fills) {
    for (int n = 0;; ++n) {
      int64_t i = NthOfKind(entries_, v1::LedgerEntry::kIntervalCleared, n);
      if (i < 0) break;
      v1::LedgerEntry e;
      e.ParseFromString(entries_[i].bytes);
      if (e.interval_cleared().result().fills_size() >= fills) return static_cast<uint64_t>(i);
    }
    ADD_FAILURE() << "no clearing with " << fills << " fills (seed 7)";
    return 0;
  }

  static void ExpectFirstFailure(const AuditReport& report, AuditCheck check, uint64_t index,
                                 absl::string_view reason) {
    ASSERT_FALSE(report.ok()) << AuditReportText(report);
    const AuditFailure* first = report.first_failure();
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(AuditCheckName(first->check), AuditCheckName(check)) << AuditReportText(report);
    EXPECT_EQ(first->index, index) << AuditReportText(report);
    EXPECT_THAT(first->reason, HasSubstr(std::string(reason))) << AuditReportText(report);
  }

  std::string dir_;
  ledger::Signer signer_ = testing::TestSigner('a');
  std::vector<SimEntry> entries_;
};

TEST_F(AuditCheckTest, SimulatedMarketPasses) {
  AuditReport report = Audit(entries_);
  EXPECT_TRUE(report.ok()) << AuditReportText(report);
  EXPECT_EQ(report.entries, entries_.size());
  EXPECT_EQ(report.intervals_cleared, 8u);
  EXPECT_EQ(report.intervals_settled, 8u);
  EXPECT_GT(report.corrections, 0u);
  EXPECT_GT(report.cancellations, 0u);
  EXPECT_GT(report.fills, 0u);
  EXPECT_GT(report.volume_wh, 0);
  EXPECT_EQ(report.counts[static_cast<size_t>(AuditCheck::kClearing)].verified, 8u);
  EXPECT_EQ(report.counts[static_cast<size_t>(AuditCheck::kFill)].verified, report.fills);
  EXPECT_EQ(report.counts[static_cast<size_t>(AuditCheck::kSettlement)].verified,
            8u + report.corrections);
  EXPECT_EQ(report.counts[static_cast<size_t>(AuditCheck::kOrderAcceptance)].verified,
            report.orders);
  EXPECT_EQ(report.checkpoints_verified, 1u);  // an export carries the latest checkpoint
  ASSERT_TRUE(report.latest.has_value());
  EXPECT_EQ(report.latest->tree_size, entries_.size());
}

TEST_F(AuditCheckTest, ClearingPriceThatDoesNotFollowFromOrdersFails) {
  const uint64_t c = ClearingWithFills(1);
  entries_[c] = Edited(entries_[c], [](v1::LedgerEntry& e) {
    v1::ClearingResult* r = e.mutable_interval_cleared()->mutable_result();
    const int64_t p = r->clearing_price_mcu_per_kwh().value() + 1;
    r->mutable_clearing_price_mcu_per_kwh()->set_value(p);
    for (v1::Fill& f : *r->mutable_fills()) {
      f.set_price_mcu_per_kwh(p);
      f.set_amount_ucu(f.quantity_wh() * p);
    }
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kClearing, c, "clearing_price_mcu_per_kwh recorded");
}

TEST_F(AuditCheckTest, FillsInAnotherOrderThanTheWalkFail) {
  const uint64_t c = ClearingWithFills(2);
  entries_[c] = Edited(entries_[c], [](v1::LedgerEntry& e) {
    // Same fills, same volume and price, but not in the order the walk makes them.
    auto* fills = e.mutable_interval_cleared()->mutable_result()->mutable_fills();
    fills->SwapElements(0, 1);
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kClearing, c, "fill 0: buy_order_id recorded");
}

TEST_F(AuditCheckTest, FillBeyondAnOrdersQuantityFails) {
  const uint64_t c = ClearingWithFills(2);
  entries_[c] = Edited(entries_[c], [](v1::LedgerEntry& e) {
    // Same volume, moved between the first two fills: one order gets more than it asked.
    auto* fills = e.mutable_interval_cleared()->mutable_result()->mutable_fills();
    v1::Fill& a = (*fills)[0];
    v1::Fill& b = (*fills)[1];
    a.set_quantity_wh(a.quantity_wh() - 1);
    a.set_amount_ucu(a.quantity_wh() * a.price_mcu_per_kwh());
    b.set_quantity_wh(b.quantity_wh() + 1);
    b.set_amount_ucu(b.quantity_wh() * b.price_mcu_per_kwh());
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kFill, c, "filled beyond its quantity");
  EXPECT_TRUE(report.HasFailure(AuditCheck::kClearing, c)) << AuditReportText(report);
}

TEST_F(AuditCheckTest, SettlementThatDoesNotSumToZeroFails) {
  const uint64_t s =
      static_cast<uint64_t>(NthOfKind(entries_, v1::LedgerEntry::kIntervalSettled, 2));
  entries_[s] = Edited(entries_[s], [](v1::LedgerEntry& e) {
    v1::SettlementResult* r = e.mutable_interval_settled()->mutable_result();
    r->set_grid_ucu(r->grid_ucu() + 1);
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kZeroSum, s, "sum to 1 ucu, not 0");
  EXPECT_TRUE(report.HasFailure(AuditCheck::kSettlement, s)) << AuditReportText(report);
}

TEST_F(AuditCheckTest, BillThatDoesNotFollowFromReadsFails) {
  const uint64_t s =
      static_cast<uint64_t>(NthOfKind(entries_, v1::LedgerEntry::kIntervalSettled, 1));
  entries_[s] = Edited(entries_[s], [](v1::LedgerEntry& e) {
    // Shift 1000 ucu between two bills: still sums to zero, but wrong.
    v1::SettlementResult* r = e.mutable_interval_settled()->mutable_result();
    r->mutable_bills(0)->set_bill_ucu(r->bills(0).bill_ucu() + 1000);
    r->mutable_bills(1)->set_bill_ucu(r->bills(1).bill_ucu() - 1000);
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kSettlement, s, "bill_ucu recorded");
}

TEST_F(AuditCheckTest, OrderAcceptedAfterGateClosureFails) {
  const uint64_t o = static_cast<uint64_t>(NthOfKind(entries_, v1::LedgerEntry::kOrderAccepted, 3));
  MarketTiming timing;
  entries_[o] = Edited(entries_[o], [&](v1::LedgerEntry& e) {
    const int64_t gate_ms = timing.GateClosure(e.order_accepted().order().interval_start()) * 1000;
    e.mutable_order_accepted()->set_accepted_at_unix_ms(
        gate_ms);  // the gate closes at exactly this ms
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kOrderAcceptance, o, "not before gate closure");
}

TEST_F(AuditCheckTest, SelfTradeFails) {
  const uint64_t c = ClearingWithFills(1);
  entries_[c] = Edited(entries_[c], [](v1::LedgerEntry& e) {
    v1::Fill* f = e.mutable_interval_cleared()->mutable_result()->mutable_fills(0);
    f->set_seller_id(f->buyer_id());
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kFill, c, "self-trade");
}

TEST_F(AuditCheckTest, FillAboveBuyersLimitFails) {
  const uint64_t c = ClearingWithFills(1);
  // Find the first fill's buyer's limit, and price every fill one above it.
  v1::LedgerEntry cleared;
  cleared.ParseFromString(entries_[c].bytes);
  const std::string buy_id = cleared.interval_cleared().result().fills(0).buy_order_id();
  int64_t limit = -1;
  for (uint64_t i = 0; i < c; ++i) {
    v1::LedgerEntry e;
    e.ParseFromString(entries_[i].bytes);
    if (e.has_order_accepted() && e.order_accepted().order().order_id() == buy_id) {
      limit = e.order_accepted().order().limit_price_mcu_per_kwh();
    }
  }
  ASSERT_GE(limit, 0);
  entries_[c] = Edited(entries_[c], [&](v1::LedgerEntry& e) {
    v1::ClearingResult* r = e.mutable_interval_cleared()->mutable_result();
    r->mutable_clearing_price_mcu_per_kwh()->set_value(limit + 1);
    for (v1::Fill& f : *r->mutable_fills()) {
      f.set_price_mcu_per_kwh(limit + 1);
      f.set_amount_ucu(f.quantity_wh() * (limit + 1));
    }
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kFill, c, "above the buyer's limit");
}

TEST_F(AuditCheckTest, DuplicateOrderIdFails) {
  const uint64_t first =
      static_cast<uint64_t>(NthOfKind(entries_, v1::LedgerEntry::kOrderAccepted, 0));
  const uint64_t later =
      static_cast<uint64_t>(NthOfKind(entries_, v1::LedgerEntry::kOrderAccepted, 5));
  v1::LedgerEntry e;
  e.ParseFromString(entries_[first].bytes);
  const std::string reused = e.order_accepted().order().order_id();
  entries_[later] = Edited(entries_[later], [&](v1::LedgerEntry& x) {
    x.mutable_order_accepted()->mutable_order()->set_order_id(reused);
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kOrderAcceptance, later, "duplicate order_id");
}

TEST_F(AuditCheckTest, OrderOutsideTheBookIsCaughtByOrderCount) {
  // The clearing claims one order fewer than its book holds.
  const uint64_t c = ClearingWithFills(0);
  entries_[c] = Edited(entries_[c], [](v1::LedgerEntry& e) {
    e.mutable_interval_cleared()->set_order_count(e.interval_cleared().order_count() - 1);
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kClearing, c, "order_count");
}

TEST_F(AuditCheckTest, SignedOrdersVerifyWithTheirParticipantsKeys) {
  SimOptions options;
  options.seed = 8;
  options.sign_orders = true;
  entries_ = SimulatedMarket(options).Generate();
  AuditReport report = Audit(entries_);
  EXPECT_TRUE(report.ok()) << AuditReportText(report);
  EXPECT_EQ(report.counts[static_cast<size_t>(AuditCheck::kOrderSignature)].verified,
            report.orders);
}

TEST_F(AuditCheckTest, OrderAlteredAfterItsParticipantSignedItFails) {
  SimOptions options;
  options.seed = 8;
  options.sign_orders = true;
  entries_ = SimulatedMarket(options).Generate();
  const uint64_t o = static_cast<uint64_t>(NthOfKind(entries_, v1::LedgerEntry::kOrderAccepted, 6));
  entries_[o] = Edited(entries_[o], [](v1::LedgerEntry& e) {
    v1::Order* order = e.mutable_order_accepted()->mutable_order();
    order->set_quantity_wh(order->quantity_wh() + 1);  // the exchange "adjusts" the order
  });
  AuditReport report = Audit(entries_);
  ExpectFirstFailure(report, AuditCheck::kOrderSignature, o, "not the one its participant signed");
}

TEST_F(AuditCheckTest, SignedCancelsVerifyAndAForgedOneFails) {
  SimOptions options;
  options.seed = 8;
  options.sign_orders = true;
  options.sign_cancels = true;
  options.cancel_one_in = 4;
  entries_ = SimulatedMarket(options).Generate();
  AuditReport clean = Audit(entries_);
  ASSERT_TRUE(clean.ok()) << AuditReportText(clean);
  ASSERT_GT(clean.cancellations, 0);
  EXPECT_EQ(clean.counts[static_cast<size_t>(AuditCheck::kOrderSignature)].verified,
            clean.orders + clean.cancellations);
  // The exchange cancels an order its participant never asked to cancel,
  // signing with some other key. (A fresh export directory: one audit each.)
  dir_ = peergrid::testing::FreshTempDir("audit_check_forged_cancel");
  const uint64_t c =
      static_cast<uint64_t>(NthOfKind(entries_, v1::LedgerEntry::kOrderCancelled, 0));
  entries_[c] = Edited(entries_[c], [](v1::LedgerEntry& e) {
    ledger::Signer forger = ledger::Signer::Generate("forger").value();
    v1::OrderCancelled* cancel = e.mutable_order_cancelled();
    cancel->set_signature(
        forger.Sign(convert::CancelSigningText(cancel->order_id(), cancel->participant_id())));
  });
  ExpectFirstFailure(Audit(entries_), AuditCheck::kOrderSignature, c,
                     "not the one its participant signed");
}

TEST_F(AuditCheckTest, AParticipantRegisteredWithASmallOrderKeyFails) {
  entries_ = SimulatedMarket(SimOptions{}).Generate();
  const uint64_t p =
      static_cast<uint64_t>(NthOfKind(entries_, v1::LedgerEntry::kParticipantRegistered, 0));
  entries_[p] = Edited(entries_[p], [](v1::LedgerEntry& e) {
    std::string identity(32, '\0');
    identity[0] = 1;  // anyone can "sign" for the identity point
    e.mutable_participant_registered()->mutable_participant()->set_public_key(identity);
  });
  ExpectFirstFailure(Audit(entries_), AuditCheck::kRegistration, p, "small order");
}

TEST_F(AuditCheckTest, ReportsAreWrittenAsTextAndJson) {
  const uint64_t c = ClearingWithFills(1);
  entries_[c] = Edited(entries_[c], [](v1::LedgerEntry& e) {
    v1::Fill* f = e.mutable_interval_cleared()->mutable_result()->mutable_fills(0);
    f->set_seller_id(f->buyer_id());
  });
  AuditReport report = Audit(entries_);
  const std::string text = AuditReportText(report);
  EXPECT_THAT(text, HasSubstr("AUDIT FAILED"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("FIRST BAD ENTRY: entry ", c, ": fill: ")));
  const std::string json = AuditReportJson(report);
  EXPECT_THAT(json, HasSubstr("\"ok\": false"));
  EXPECT_THAT(json, HasSubstr(absl::StrCat("\"index\": ", c)));
  EXPECT_THAT(json, HasSubstr("\"check\": \"fill\""));
}

}  // namespace
}  // namespace peergrid::audit
