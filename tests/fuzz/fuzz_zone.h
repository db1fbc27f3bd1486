// Fuzzing fixture (header-only, tests/fuzz/ only): one real zone in a
// temporary directory — a RocksDB ledger, the telemetry store, the exchange
// over them and the Audit and Operator services — set up the way
// RunExchangeDaemon sets them up, without gRPC, so a fuzz target hands a
// request to exactly the code a server thread runs on it.
//
// The zone is built once per process (Zone()) and keeps what the inputs do to
// it: hub-1 with households alice (signing key FuzzSigner()) and bob (key
// BobSigner()) and the storage participant, a tariff, one report of hub-1 at
// the clock's time, two signed orders, and a signed checkpoint (key
// FuzzZoneKey()). Every order requires a signature (the zone's policy). The
// clock stays at kFuzzNow.
// Files go under $TMPDIR (default /dev/shm, else /tmp) and are removed at exit.
//
// Thread-safety: Zone() is thread-safe; the fixture is what it wraps.
#ifndef PEERGRID_TESTS_FUZZ_FUZZ_ZONE_H_
#define PEERGRID_TESTS_FUZZ_FUZZ_ZONE_H_

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "peergrid/common/clock.h"
#include "peergrid/common/status.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/note.h"
#include "peergrid/runtime/broadcaster.h"
#include "peergrid/server/authorizer.h"
#include "peergrid/server/exchange_services.h"
#include "peergrid/server/operator_service.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/v1/market.pb.h"

namespace peergrid::fuzz {

inline constexpr int64_t kFuzzNow = 1'782'000'000;  // 2026-06-21 00:00 UTC
inline constexpr int64_t kFuzzInterval = kFuzzNow + 3600;
inline constexpr char kFuzzZoneId[] = "jeju-1";
inline constexpr char kFuzzOrigin[] = "peergrid/jeju-1";

// Aborts with `what` when `ok` is false: a fixture that cannot stand up
// must not fuzz an empty zone silently.
inline void FuzzCheck(bool ok, std::string_view what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz fixture: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

// alice's key (seed 32 × 'a').
inline ledger::Signer FuzzSigner() {
  return ledger::Signer::FromSeed("alice", std::string(32, 'a')).value();
}

// bob's key (seed 32 × 'b').
inline ledger::Signer BobSigner() {
  return ledger::Signer::FromSeed("bob", std::string(32, 'b')).value();
}

// The zone ledger's checkpoint key (seed 32 × 'R'), so receipts made by one
// process verify in another.
inline ledger::Signer FuzzZoneKey() {
  return ledger::Signer::FromSeed(kFuzzOrigin, std::string(32, 'R')).value();
}

// Returns a directory for the fixture's files.
inline std::string FuzzTempDir(const char* name) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "";
  if (base.empty()) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  std::string dir = base + "/peergrid-" + name + "-XXXXXX";
  FuzzCheck(mkdtemp(dir.data()) != nullptr, "mkdtemp failed");
  return dir;
}

// The order request the seeds and the fixture use (alice and bob sign theirs).
inline v1::SubmitOrderRequest FuzzOrder(const std::string& order_id, const std::string& who,
                                        v1::Side side, int64_t quantity_wh, int64_t price) {
  v1::SubmitOrderRequest request;
  v1::Order* o = request.mutable_order();
  o->set_order_id(order_id);
  o->set_participant_id(who);
  o->set_side(side);
  o->set_quantity_wh(quantity_wh);
  o->set_limit_price_mcu_per_kwh(price);
  o->set_interval_start(kFuzzInterval);
  if (who == "alice") request.set_signature(FuzzSigner().Sign(convert::OrderSigningText(*o)));
  if (who == "bob") request.set_signature(BobSigner().Sign(convert::OrderSigningText(*o)));
  return request;
}

// hub-1's report number `seq` at kFuzzNow: three meters and one bank.
inline v1::HubReport FuzzReport(uint64_t seq) {
  v1::HubReport r;
  r.set_hub_id("hub-1");
  r.set_zone_id(kFuzzZoneId);
  r.set_seq(seq);
  r.set_measured_at_unix_ms(kFuzzNow * 1000 - 5000 + static_cast<int64_t>(seq) * 1000);
  for (const char* id : {"alice", "bob", "storage"}) {
    v1::MeterReading* m = r.add_meters();
    m->set_participant_id(id);
    m->set_power_w(-1200);
    m->set_import_wh(1000 + static_cast<int64_t>(seq));
    m->set_export_wh(2000 + 2 * static_cast<int64_t>(seq));
    m->set_pv_wh(5000 + 3 * static_cast<int64_t>(seq));
    m->set_pv_power_w(2400);
    m->set_load_power_w(1200);
  }
  v1::BatteryBankReading* bank = r.add_banks();
  bank->set_bank_id("bank-1");
  bank->set_soc_pct(60);
  bank->set_soh_pct(98);
  bank->set_capacity_wh(100'000);
  bank->set_available_wh(50'000);
  bank->set_soc_min_pct(10);
  bank->set_soc_reserve_pct(20);
  bank->set_max_charge_w(20'000);
  bank->set_max_discharge_w(20'000);
  r.mutable_grid()->set_power_w(300);
  r.mutable_grid()->set_import_wh(10'000);
  r.mutable_grid()->set_export_wh(4'000);
  r.mutable_grid()->set_mode(v1::ON_GRID);
  return r;
}

class FuzzZone {
 public:
  FuzzZone() : dir_(FuzzTempDir("fuzz-zone")), clock_(absl::FromUnixSeconds(kFuzzNow)) {
    ledger::LedgerOptions ledger_options;
    ledger_options.origin = kFuzzOrigin;
    ledger_options.key_file = dir_ + "/log-key.pem";
    {
      std::ofstream key(ledger_options.key_file, std::ios::binary | std::ios::trunc);
      key << FuzzZoneKey().Pkcs8Pem();
      FuzzCheck(static_cast<bool>(key), "write the ledger key");
    }
    auto ledger = ledger::Ledger::Open(dir_ + "/ledger", ledger_options);
    FuzzCheck(ledger.ok(), "ledger open");
    ledger_ = *std::move(ledger);
    telemetry::TelemetryOptions telemetry_options;
    telemetry_options.sync = false;
    auto store = telemetry::TelemetryStore::Open(dir_ + "/telemetry", telemetry_options);
    FuzzCheck(store.ok(), "telemetry open");
    store_ = *std::move(store);
    exchange::ExchangeOptions options;
    options.zone_id = kFuzzZoneId;
    options.log_origin = kFuzzOrigin;
    options.require_signed_orders = true;
    auto opened = exchange::Exchange::Open(ledger_.get(), store_.get(), &clock_, options);
    FuzzCheck(opened.ok(), "exchange open");
    exchange_ = *std::move(opened);
    // The handlers ask the authorizer first; an --insecure one lets every
    // fuzzed request through to the code behind it (its rules have their own
    // tests: authorizer_test, security_tls_slow_test).
    authorizer_ = std::make_unique<server::Authorizer>(
        &exchange_->directory(),
        [this](const std::string& order_id) -> absl::StatusOr<std::string> {
          PEERGRID_ASSIGN_OR_RETURN(v1::OrderState state, exchange_->GetOrder(order_id));
          return state.order().participant_id();
        },
        /*insecure=*/true);
    audit_ = std::make_unique<server::AuditServiceImpl>(
        ledger_.get(), exchange_.get(), &checkpoints_, kFuzzOrigin, authorizer_.get(), Ignore());
    operator_ = std::make_unique<server::OperatorServiceImpl>(store_.get(), &exchange_->directory(),
                                                              &clock_, authorizer_.get());
    Populate();
  }

  ~FuzzZone() {
    operator_.reset();
    audit_.reset();
    authorizer_.reset();
    exchange_.reset();
    store_.reset();
    ledger_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  exchange::Exchange& exchange() { return *exchange_; }
  telemetry::TelemetryStore& store() { return *store_; }
  ledger::Ledger& ledger() { return *ledger_; }
  server::AuditServiceImpl& audit() { return *audit_; }
  server::OperatorServiceImpl& operator_service() { return *operator_; }
  int64_t now_ms() const { return absl::ToUnixMillis(clock_.Now()); }

 private:
  static server::LatencyObserver Ignore() {
    return [](const std::string&, double) {};
  }

  void Populate() {
    v1::Hub hub;
    hub.set_hub_id("hub-1");
    hub.set_zone_id(kFuzzZoneId);
    hub.set_latitude_deg(33.5);
    hub.set_longitude_deg(126.5);
    hub.set_reporting_period_s(5);
    FuzzCheck(exchange_->RegisterHub(hub).ok(), "register hub-1");
    for (const char* id : {"alice", "bob"}) {
      v1::Participant p;
      p.set_participant_id(id);
      p.set_hub_id("hub-1");
      p.set_kind(v1::HOUSEHOLD);
      p.set_pv_nameplate_w(6000);
      p.set_public_key(
          (std::string_view(id) == "alice" ? FuzzSigner() : BobSigner()).verifier().public_key());
      FuzzCheck(exchange_->RegisterParticipant(p).ok(), "register participant");
    }
    v1::Participant storage;
    storage.set_participant_id("storage");
    storage.set_hub_id("hub-1");
    storage.set_kind(v1::SHARED_STORAGE);
    storage.add_storage_bank_ids("bank-1");
    FuzzCheck(exchange_->RegisterParticipant(storage).ok(), "register storage");
    v1::Tariff tariff;
    tariff.set_feed_in_price_mcu_per_kwh(50'000);
    tariff.set_retail_price_mcu_per_kwh(200'000);
    FuzzCheck(exchange_->SetTariff(tariff).ok(), "set tariff");
    const v1::HubReport report = FuzzReport(1);
    const v1::HubReport* reports[] = {&report};
    auto ingested = store_->Ingest("hub-1", reports, now_ms());
    FuzzCheck(ingested.ok() && ingested->at(0).outcome == telemetry::IngestResult::Outcome::kStored,
              "ingest hub-1's first report");
    FuzzCheck(
        exchange_->SubmitOrder(FuzzOrder("fixture-sell", "alice", v1::SELL, 1000, 90'000)).ok(),
        "alice's signed sell");
    FuzzCheck(exchange_->SubmitOrder(FuzzOrder("fixture-buy", "bob", v1::BUY, 800, 120'000)).ok(),
              "bob's signed buy");
    FuzzCheck(exchange_->SignCheckpoint().ok(), "checkpoint");
  }

  const std::string dir_;
  ManualClock clock_;
  runtime::Broadcaster<v1::Checkpoint> checkpoints_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<telemetry::TelemetryStore> store_;
  std::unique_ptr<exchange::Exchange> exchange_;
  std::unique_ptr<server::Authorizer> authorizer_;
  std::unique_ptr<server::AuditServiceImpl> audit_;
  std::unique_ptr<server::OperatorServiceImpl> operator_;
};

// Returns the process's zone, built on first use and torn down at exit.
inline FuzzZone& Zone() {
  static FuzzZone* const zone = new FuzzZone();
  static const bool registered = std::atexit([] { delete zone; }) == 0;
  (void)registered;
  return *zone;
}

// Splits a fuzz input into a method selector (its first byte, modulo
// `methods`) and the request bytes after it. Returns false for empty input.
inline bool SplitMethod(const uint8_t* data, size_t size, int methods, int* method,
                        std::string_view* request) {
  if (size == 0) return false;
  *method = data[0] % methods;
  *request = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  return true;
}

}  // namespace peergrid::fuzz

#endif  // PEERGRID_TESTS_FUZZ_FUZZ_ZONE_H_
