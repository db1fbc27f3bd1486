// Delegated trading is signed with the hub's key (DESIGN.md §9): a
// participant registered with delegates_trading may have its orders and
// cancels signed by its hub's registered key instead of its own; nobody else's
// key counts, and a participant that does not delegate cannot be signed for by
// its hub. The exchange enforces it at intake and the audit re-verifies it
// from the ledger alone, naming the entry a forged signature is in.
#include <memory>
#include <optional>
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

ledger::Signer Key(const std::string& name, char fill) {
  return ledger::Signer::FromSeed(name, std::string(32, fill)).value();
}

class DelegatedSigningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("delegated_signing");
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = "peergrid/jeju-1";
    ASSERT_OK_AND_ASSIGN(ledger_, ledger::Ledger::Open(dir_ + "/ledger", ledger_options));
    exchange::ExchangeOptions options;
    options.zone_id = "jeju-1";
    options.require_signed_orders = true;
    ASSERT_OK_AND_ASSIGN(exchange_,
                         exchange::Exchange::Open(ledger_.get(), &telemetry_, &clock_, options));
    ASSERT_THAT(exchange_->RegisterHub(Hub("hub-1", hub1_key_)), IsOk());
    ASSERT_THAT(exchange_->RegisterHub(Hub("hub-2", hub2_key_)), IsOk());
    // bob delegates and has no key of his own; carol keeps her own key and
    // does not delegate; dan delegates and has a key too.
    ASSERT_THAT(exchange_->RegisterParticipant(Participant("bob", true, nullptr)), IsOk());
    ASSERT_THAT(exchange_->RegisterParticipant(Participant("carol", false, &carol_key_)), IsOk());
    ASSERT_THAT(exchange_->RegisterParticipant(Participant("dan", true, &dan_key_)), IsOk());
    v1::Tariff tariff;
    tariff.set_feed_in_price_mcu_per_kwh(50'000);
    tariff.set_retail_price_mcu_per_kwh(200'000);
    ASSERT_THAT(exchange_->SetTariff(tariff), IsOk());
  }

  static v1::Hub Hub(const std::string& id, const ledger::Signer& key) {
    v1::Hub hub;
    hub.set_hub_id(id);
    hub.set_zone_id("jeju-1");
    hub.set_reporting_period_s(5);
    hub.set_public_key(key.verifier().public_key());
    return hub;
  }

  static v1::Participant Participant(const std::string& id, bool delegates,
                                     const ledger::Signer* key) {
    v1::Participant p;
    p.set_participant_id(id);
    p.set_hub_id("hub-1");
    p.set_kind(v1::HOUSEHOLD);
    p.set_delegates_trading(delegates);
    if (key != nullptr) p.set_public_key(key->verifier().public_key());
    return p;
  }

  static v1::SubmitOrderRequest Buy(const std::string& id, const std::string& participant,
                                    const ledger::Signer* signer) {
    v1::SubmitOrderRequest request;
    v1::Order* o = request.mutable_order();
    o->set_order_id(id);
    o->set_participant_id(participant);
    o->set_side(v1::BUY);
    o->set_quantity_wh(100);
    o->set_limit_price_mcu_per_kwh(100'000);
    o->set_interval_start(kInterval);
    if (signer != nullptr) request.set_signature(signer->Sign(convert::OrderSigningText(*o)));
    return request;
  }

  static v1::CancelOrderRequest Cancel(const std::string& id, const std::string& participant,
                                       const ledger::Signer* signer) {
    v1::CancelOrderRequest request;
    request.set_order_id(id);
    request.set_participant_id(participant);
    if (signer != nullptr) {
      request.set_signature(signer->Sign(convert::CancelSigningText(id, participant)));
    }
    return request;
  }

  // Appends `entry` behind the exchange's back (as an exchange that did not
  // check signatures would have recorded it).
  uint64_t Plant(const v1::LedgerEntry& entry) {
    exchange_.reset();
    absl::StatusOr<uint64_t> index = ledger_->Append(entry.SerializeAsString());
    EXPECT_THAT(index, IsOk());
    return index.value_or(0);
  }

  v1::LedgerEntry Accepted(const v1::SubmitOrderRequest& request, int64_t at_ms) {
    v1::LedgerEntry entry;
    entry.set_recorded_at_unix_ms(at_ms);
    *entry.mutable_order_accepted()->mutable_order() = request.order();
    entry.mutable_order_accepted()->set_signature(request.signature());
    entry.mutable_order_accepted()->set_accepted_at_unix_ms(at_ms);
    return entry;
  }

  absl::StatusOr<audit::AuditReport> Audit() {
    return audit::testing::CheckpointExportAndAudit(ledger_.get(), dir_ + "/export");
  }

  const ledger::Signer hub1_key_ = Key("hub-1", 'a');
  const ledger::Signer hub2_key_ = Key("hub-2", 'b');
  const ledger::Signer carol_key_ = Key("carol", 'c');
  const ledger::Signer dan_key_ = Key("dan", 'd');
  std::string dir_;
  ManualClock clock_{absl::FromUnixSeconds(kStart)};
  ::peergrid::testing::InMemoryTelemetry telemetry_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<exchange::Exchange> exchange_;
};

TEST_F(DelegatedSigningTest, TheHubsKeySignsForParticipantsThatDelegateToIt) {
  EXPECT_THAT(exchange_->SubmitOrder(Buy("b-1", "bob", &hub1_key_)), IsOk());
  // Another hub's key, or none, is refused while signatures are required.
  EXPECT_THAT(exchange_->SubmitOrder(Buy("b-2", "bob", &hub2_key_)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("its hub hub-1's key")));
  EXPECT_THAT(exchange_->SubmitOrder(Buy("b-3", "bob", nullptr)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("signature is required")));
  // A participant with its own key that delegates: either key signs.
  EXPECT_THAT(exchange_->SubmitOrder(Buy("d-1", "dan", &dan_key_)), IsOk());
  EXPECT_THAT(exchange_->CancelOrder(Cancel("d-1", "dan", &hub1_key_)), IsOk());
  EXPECT_THAT(exchange_->SubmitOrder(Buy("d-2", "dan", &hub1_key_)), IsOk());
  // Cancels: the hub's key cancels bob's order, another hub's key cannot.
  EXPECT_THAT(exchange_->CancelOrder(Cancel("b-1", "bob", &hub2_key_)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("does not verify")));
  EXPECT_THAT(exchange_->CancelOrder(Cancel("b-1", "bob", nullptr)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("signature is required")));
  EXPECT_THAT(exchange_->CancelOrder(Cancel("b-1", "bob", &hub1_key_)), IsOk());
}

TEST_F(DelegatedSigningTest, UnderThePolicyAParticipantWithNoKeyToSignWithCannotTrade) {
  // erin has no key and does not delegate: while the zone requires signed
  // orders, nothing she sends is valid (DESIGN.md §9: every order is signed).
  ASSERT_THAT(exchange_->RegisterParticipant(Participant("erin", false, nullptr)), IsOk());
  const uint64_t before = ledger_->Size();
  EXPECT_THAT(exchange_->SubmitOrder(Buy("e-1", "erin", nullptr)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no key to sign with")));
  EXPECT_EQ(ledger_->Size(), before);
  // Recorded anyway (as an exchange without the rule would have): the audit fails it.
  const uint64_t planted = Plant(Accepted(Buy("e-2", "erin", nullptr), kStart * 1000 + 10));
  ASSERT_OK_AND_ASSIGN(audit::AuditReport report, Audit());
  ASSERT_EQ(report.failure_count, 1u) << audit::AuditReportText(report);
  EXPECT_EQ(report.failures[0].index, planted);
  EXPECT_EQ(report.failures[0].check, audit::AuditCheck::kOrderSignature);
  EXPECT_THAT(report.failures[0].reason, HasSubstr("order e-2 is unsigned"));
}

TEST_F(DelegatedSigningTest, AKeyIdIsEightHexDigitsOrNothing) {
  // It is recorded in the signed ledger as sent: only a real key id goes in.
  for (const std::string& bad :
       {std::string("k\n\x01"
                    "AAAA"),
        std::string(900'000, 'A'), std::string("ABCDEF01"), std::string("1234567")}) {
    v1::SubmitOrderRequest order = Buy("k-1", "bob", &hub1_key_);
    order.set_key_id(bad);
    EXPECT_THAT(exchange_->SubmitOrder(order),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key_id")));
  }
  v1::SubmitOrderRequest order = Buy("k-1", "bob", &hub1_key_);
  order.set_key_id("0a1b2c3d");
  ASSERT_THAT(exchange_->SubmitOrder(order), IsOk());
  v1::CancelOrderRequest cancel = Cancel("k-1", "bob", &hub1_key_);
  cancel.set_key_id("\x1b[31mEVIL");
  EXPECT_THAT(exchange_->CancelOrder(cancel), StatusIs(absl::StatusCode::kInvalidArgument,
                                                       HasSubstr("key_id \"\\u001b[31mEVIL\"")));
}

TEST_F(DelegatedSigningTest, AHubCannotSignForAParticipantThatDoesNotDelegate) {
  EXPECT_THAT(exchange_->SubmitOrder(Buy("c-1", "carol", &hub1_key_)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("participant carol's key")));
  EXPECT_THAT(exchange_->SubmitOrder(Buy("c-2", "carol", &carol_key_)), IsOk());
  EXPECT_THAT(exchange_->CancelOrder(Cancel("c-2", "carol", &hub1_key_)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("does not verify")));
}

TEST_F(DelegatedSigningTest, AHubKeyAnyoneCouldSignForIsRefusedAtRegistration) {
  // The identity point: "verifies" R = identity, S = 0 on any message.
  std::string identity(32, '\0');
  identity[0] = 1;
  v1::Hub hub = Hub("hub-3", hub1_key_);
  hub.set_public_key(identity);
  EXPECT_THAT(exchange_->RegisterHub(hub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.public_key")));
  hub.set_public_key("short");
  EXPECT_THAT(exchange_->RegisterHub(hub),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub.public_key")));
}

TEST_F(DelegatedSigningTest, TheAuditReverifiesEveryDelegatedSignatureFromTheLedger) {
  ASSERT_THAT(exchange_->SubmitOrder(Buy("b-1", "bob", &hub1_key_)), IsOk());
  ASSERT_THAT(exchange_->SubmitOrder(Buy("d-1", "dan", &hub1_key_)), IsOk());
  ASSERT_THAT(exchange_->SubmitOrder(Buy("c-1", "carol", &carol_key_)), IsOk());
  ASSERT_THAT(exchange_->CancelOrder(Cancel("d-1", "dan", &dan_key_)), IsOk());
  {
    ASSERT_OK_AND_ASSIGN(audit::AuditReport clean, Audit());
    EXPECT_EQ(clean.failure_count, 0u) << audit::AuditReportText(clean);
  }
  // Recorded anyway: bob's order signed by the other hub, carol's by her hub
  // (she does not delegate), and a hub registered with the identity point.
  const int64_t at_ms = kStart * 1000 + 10;
  const uint64_t other_hub = Plant(Accepted(Buy("b-2", "bob", &hub2_key_), at_ms));
  const uint64_t not_delegated = Plant(Accepted(Buy("c-2", "carol", &hub1_key_), at_ms + 1));
  v1::LedgerEntry bad_hub;
  bad_hub.set_recorded_at_unix_ms(at_ms + 2);
  *bad_hub.mutable_hub_registered()->mutable_hub() = Hub("hub-3", hub1_key_);
  std::string identity(32, '\0');
  identity[0] = 1;
  bad_hub.mutable_hub_registered()->mutable_hub()->set_public_key(identity);
  const uint64_t bad_key = Plant(bad_hub);

  ASSERT_OK_AND_ASSIGN(audit::AuditReport report, Audit());
  ASSERT_EQ(report.failure_count, 3u) << audit::AuditReportText(report);
  EXPECT_EQ(report.failures[0].index, other_hub);
  EXPECT_EQ(report.failures[0].check, audit::AuditCheck::kOrderSignature);
  EXPECT_THAT(report.failures[0].reason, HasSubstr("order b-2"));
  EXPECT_THAT(report.failures[0].reason, HasSubstr("its hub hub-1's key"));
  EXPECT_EQ(report.failures[1].index, not_delegated);
  EXPECT_THAT(report.failures[1].reason, HasSubstr("order c-2"));
  EXPECT_EQ(report.failures[2].index, bad_key);
  EXPECT_EQ(report.failures[2].check, audit::AuditCheck::kRegistration);
  EXPECT_THAT(report.failures[2].reason, HasSubstr("hub \"hub-3\" has a public_key"));
}

}  // namespace
}  // namespace peergrid
