// The zone's signing policy is ledgered (DESIGN.md §9): the exchange appends
// a SigningPolicySet when its --require-signed-orders differs from the policy
// in force, and the audit checks every order and cancel against the policy in
// force at its index — an unsigned order or cancel recorded while signatures
// were required fails the audit, one recorded while they were optional passes.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/report.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/common/status.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/note.h"
#include "peergrid/testing/in_memory_telemetry.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kStart = 1'782'000'000;  // 2026-06-21 00:00 UTC
constexpr int64_t kInterval = kStart + 3600;

class SigningPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("signing_policy");
    ASSERT_OK_AND_ASSIGN(key_, ledger::Signer::Generate("alice"));
    Reopen(false);
    v1::Hub hub;
    hub.set_hub_id("hub-1");
    hub.set_zone_id("jeju-1");
    hub.set_reporting_period_s(5);
    ASSERT_THAT(exchange_->RegisterHub(hub), IsOk());
    v1::Participant alice;
    alice.set_participant_id("alice");
    alice.set_hub_id("hub-1");
    alice.set_kind(v1::HOUSEHOLD);
    alice.set_public_key(key_->verifier().public_key());
    ASSERT_THAT(exchange_->RegisterParticipant(alice), IsOk());
    v1::Tariff tariff;
    tariff.set_feed_in_price_mcu_per_kwh(50'000);
    tariff.set_retail_price_mcu_per_kwh(200'000);
    ASSERT_THAT(exchange_->SetTariff(tariff), IsOk());
  }

  void Reopen(bool require_signed) {
    exchange_.reset();
    ledger_.reset();
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = "peergrid/jeju-1";
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Open(dir_ + "/ledger", ledger_options));
    exchange::ExchangeOptions options;
    options.zone_id = "jeju-1";
    options.require_signed_orders = require_signed;
    ASSERT_OK_AND_ASSIGN(exchange_,
                         exchange::Exchange::Open(ledger_.get(), &telemetry_, &clock_, options));
  }

  static v1::SubmitOrderRequest Buy(const std::string& id) {
    v1::SubmitOrderRequest request;
    v1::Order* o = request.mutable_order();
    o->set_order_id(id);
    o->set_participant_id("alice");
    o->set_side(v1::BUY);
    o->set_quantity_wh(100);
    o->set_limit_price_mcu_per_kwh(100'000);
    o->set_interval_start(kInterval);
    return request;
  }

  std::optional<v1::LedgerEntry> Entry(uint64_t index) {
    absl::StatusOr<std::vector<std::string>> entries = ledger_->GetEntries(index, index + 1);
    v1::LedgerEntry entry;
    if (!entries.ok() || entries->size() != 1 || !entry.ParseFromString((*entries)[0])) {
      return std::nullopt;
    }
    return entry;
  }

  // Appends `entry` behind the exchange's back (the way an exchange that did
  // not enforce the policy would have recorded it).
  uint64_t Plant(const v1::LedgerEntry& entry) {
    exchange_.reset();
    absl::StatusOr<uint64_t> index = ledger_->Append(entry.SerializeAsString());
    EXPECT_THAT(index, IsOk());
    return index.value_or(0);
  }

  absl::StatusOr<audit::AuditReport> Audit() {
    return audit::testing::CheckpointExportAndAudit(ledger_.get(), dir_ + "/export");
  }

  std::string dir_;
  std::optional<ledger::Signer> key_;
  ManualClock clock_{absl::FromUnixSeconds(kStart)};
  ::peergrid::testing::InMemoryTelemetry telemetry_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<exchange::Exchange> exchange_;
};

TEST_F(SigningPolicyTest, ThePolicyIsAppendedOnlyWhenItChanges) {
  const uint64_t before = ledger_->Size();
  Reopen(false);  // the policy in force (none: optional) already says so
  EXPECT_EQ(ledger_->Size(), before);
  Reopen(true);
  ASSERT_EQ(ledger_->Size(), before + 1);
  std::optional<v1::LedgerEntry> entry = Entry(before);
  ASSERT_TRUE(entry.has_value());
  ASSERT_TRUE(entry->has_signing_policy_set());
  EXPECT_TRUE(entry->signing_policy_set().require_signed_orders());
  Reopen(true);
  EXPECT_EQ(ledger_->Size(), before + 1);
  Reopen(false);
  ASSERT_EQ(ledger_->Size(), before + 2);
  entry = Entry(before + 1);
  ASSERT_TRUE(entry.has_value());
  EXPECT_FALSE(entry->signing_policy_set().require_signed_orders());
}

TEST_F(SigningPolicyTest, TheAuditChecksEachOrderAndCancelAgainstThePolicyInForce) {
  // Signatures optional: an unsigned order is accepted and audits clean.
  ASSERT_THAT(exchange_->SubmitOrder(Buy("o-1")), IsOk());
  // Required from here on: unsigned refused, signed accepted.
  const uint64_t policy = ledger_->Size();
  Reopen(true);
  EXPECT_THAT(exchange_->SubmitOrder(Buy("o-2")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("signature is required")));
  v1::SubmitOrderRequest signed_order = Buy("o-3");
  signed_order.set_signature(key_->Sign(convert::OrderSigningText(signed_order.order())));
  ASSERT_OK_AND_ASSIGN(v1::SubmitOrderResponse accepted, exchange_->SubmitOrder(signed_order));
  // An unsigned order and an unsigned cancel recorded anyway.
  v1::LedgerEntry forged;
  forged.set_recorded_at_unix_ms(kStart * 1000 + 10);
  *forged.mutable_order_accepted()->mutable_order() = Buy("o-4").order();
  forged.mutable_order_accepted()->set_accepted_at_unix_ms(kStart * 1000 + 10);
  const uint64_t unsigned_order = Plant(forged);
  v1::LedgerEntry cancel;
  cancel.set_recorded_at_unix_ms(kStart * 1000 + 11);
  cancel.mutable_order_cancelled()->set_order_id("o-3");
  cancel.mutable_order_cancelled()->set_participant_id("alice");
  cancel.mutable_order_cancelled()->set_interval_start(kInterval);
  cancel.mutable_order_cancelled()->set_order_seq(accepted.seq());
  const uint64_t unsigned_cancel = Plant(cancel);

  ASSERT_OK_AND_ASSIGN(audit::AuditReport report, Audit());
  ASSERT_EQ(report.failure_count, 2u) << audit::AuditReportText(report);
  EXPECT_EQ(report.failures[0].index, unsigned_order);
  EXPECT_EQ(report.failures[0].check, audit::AuditCheck::kOrderSignature);
  EXPECT_THAT(report.failures[0].reason,
              HasSubstr(absl::StrCat("order o-4 is unsigned, but the signing policy in force "
                                     "(entry ",
                                     policy, ") requires participant alice's signature")));
  EXPECT_EQ(report.failures[1].index, unsigned_cancel);
  EXPECT_THAT(report.failures[1].reason, HasSubstr("cancel of order o-3 is unsigned"));
}

}  // namespace
}  // namespace peergrid
