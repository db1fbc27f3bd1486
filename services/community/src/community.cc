#include "peergrid/community/community.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/hash.h"
#include "peergrid/ledger/note.h"
#include "peergrid/node/hub_config.h"
#include "peergrid/rpc/grpc_status.h"
#include "peergrid/runtime/json_log.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"
#include "peergrid/v1/operator.grpc.pb.h"

namespace peergrid::community {
namespace {

constexpr int64_t kUtcOffsetS = 9 * 3600;  // KST
constexpr int64_t kIntervalS = 900;

}  // namespace

Community::Community(CommunityOptions options) : options_(std::move(options)) {}

Community::~Community() { StopAlarmWatch(); }

void Community::StopAlarmWatch() {
  alarm_stop_ = true;
  {
    absl::MutexLock lock(&alarm_mu_);
    if (alarm_context_ != nullptr) alarm_context_->TryCancel();
  }
  if (alarm_thread_.joinable()) alarm_thread_.join();
}

void Community::WatchAlarms() {
  while (!alarm_stop_) {
    auto stub = v1::OperatorService::NewStub(grpc::CreateChannel(exchange_address_, credentials()));
    grpc::ClientContext context;
    {
      absl::MutexLock lock(&alarm_mu_);
      if (alarm_stop_) return;
      alarm_context_ = &context;
    }
    auto reader = stub->WatchAlarms(&context, v1::WatchAlarmsRequest());
    v1::AlarmEvent event;
    while (reader->Read(&event)) {
      if (event.transition() != v1::RAISED) continue;
      absl::MutexLock lock(&alarm_mu_);
      ++alarms_raised_[v1::AlarmKind_Name(event.alarm().kind())];
    }
    (void)reader->Finish();
    {
      absl::MutexLock lock(&alarm_mu_);
      alarm_context_ = nullptr;
    }
    // The exchange may be restarting: watch again.
    if (!alarm_stop_) absl::SleepFor(absl::Milliseconds(200));
  }
}

std::string Community::ClockSpec() const {
  return absl::StrCat("sim:", options_.speed, "@", sim_start_s_, "~", anchor_ms_);
}

absl::Status Community::Start() {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(options_.date, &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("date \"", options_.date, "\": expected YYYY-MM-DD"));
  }
  if (options_.hubs < 1 || options_.hubs > 20) {
    return absl::InvalidArgumentError(absl::StrCat("hubs ", options_.hubs, " is outside [1, 20]"));
  }
  if (options_.households_per_hub < 1 || options_.households_per_hub > 500) {
    return absl::InvalidArgumentError(
        absl::StrCat("households ", options_.households_per_hub, " per hub is outside [1, 500]"));
  }
  day_start_s_ = absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone())) - kUtcOffsetS;
  // The zone begins 20 simulated minutes before local midnight, so the day's
  // first interval is the first one whose gate is open.
  sim_start_s_ = day_start_s_ - 1200;
  std::error_code ec;
  std::filesystem::remove_all(options_.dir, ec);
  std::filesystem::create_directories(options_.dir + "/logs");
  // Certificates first: the simulated clock starts at the anchor, and the
  // exchange must be up before the day's first gate closes.
  PEERGRID_RETURN_IF_ERROR(MakeCertificates());
  anchor_ms_ = absl::ToUnixMillis(absl::Now());
  PEERGRID_RETURN_IF_ERROR(StartExchange());
  PEERGRID_RETURN_IF_ERROR(Register());
  return StartHubs();
}

absl::Status Community::MakeCertificates() {
  std::filesystem::create_directories(options_.dir + "/tls");
  PEERGRID_ASSIGN_OR_RETURN(rpc::CertIssuer ca,
                            rpc::CertIssuer::Create("peergrid " + options_.zone + " zone CA"));
  PEERGRID_RETURN_IF_ERROR(rpc::WriteTextFile(options_.dir + "/tls/ca.pem", ca.ca().cert_pem));
  PEERGRID_RETURN_IF_ERROR(
      rpc::WriteTextFile(options_.dir + "/tls/ca.key", ca.ca().key_pem, /*secret=*/true));
  rpc::LeafSpec server;
  server.common_name = "peergrid-exchange";
  server.dns_sans = {"localhost"};
  server.ip_sans = {"127.0.0.1"};
  server.server = true;
  PEERGRID_ASSIGN_OR_RETURN(rpc::KeyAndCert pair, ca.Issue(server));
  PEERGRID_RETURN_IF_ERROR(rpc::WriteKeyAndCert(options_.dir + "/tls/exchange", pair));
  ca_ = std::move(ca);
  PEERGRID_ASSIGN_OR_RETURN(admin_tls_, IssueClient("admin", "community"));
  // One credentials object for every channel the community opens.
  PEERGRID_ASSIGN_OR_RETURN(credentials_, rpc::MakeChannelCredentials(admin_tls_, "127.0.0.1"));
  return absl::OkStatus();
}

absl::StatusOr<rpc::ClientTlsFlags> Community::IssueClient(const std::string& role,
                                                           const std::string& id) const {
  if (!ca_.has_value()) return absl::FailedPreconditionError("the community has not started");
  rpc::LeafSpec spec;
  spec.common_name = role + "/" + id;
  spec.uri_sans = {"spiffe://peergrid/" + role + "/" + id};
  PEERGRID_ASSIGN_OR_RETURN(rpc::KeyAndCert pair, ca_->Issue(spec));
  const std::string base = options_.dir + "/tls/" + role + "-" + id;
  PEERGRID_RETURN_IF_ERROR(rpc::WriteKeyAndCert(base, pair));
  return rpc::ClientTlsFlags{base + ".pem", base + ".key", options_.dir + "/tls/ca.pem", false};
}

std::shared_ptr<grpc::ChannelCredentials> Community::credentials() const {
  // Made by MakeCertificates; calling before Start() is a broken invariant.
  if (credentials_ == nullptr) {
    runtime::LogJson("error", "community credentials used before Start()");
    std::abort();
  }
  return credentials_;
}

absl::Status Community::StartExchange() {
  const std::string port_file = options_.dir + "/exchange.port";
  std::filesystem::remove(port_file);
  const std::string listen =
      exchange_address_.empty() ? std::string("127.0.0.1:0") : exchange_address_;
  PEERGRID_ASSIGN_OR_RETURN(
      exchange_, runtime::Subprocess::Start(
                     {options_.bin_dir + "/peergrid-exchange", "--data_dir=" + exchange_data_dir(),
                      "--listen=" + listen, "--http=127.0.0.1:0", "--zone=" + options_.zone,
                      "--clock=" + ClockSpec(), "--port_file=" + port_file,
                      "--tls_cert=" + options_.dir + "/tls/exchange.pem",
                      "--tls_key=" + options_.dir + "/tls/exchange.key",
                      "--client_ca=" + options_.dir + "/tls/ca.pem",
                      // Every order and cancel carries its hub's signature.
                      "--require_signed_orders",
                      // The per-identity order rate is in real seconds; a hub
                      // trading for its households at `speed` times real time
                      // sends `speed` times as many orders per real second.
                      absl::StrCat("--max_orders_per_s=", 20 * std::max(1.0, options_.speed)),
                      absl::StrCat("--order_burst=", 40 * std::max(1.0, options_.speed))},
                     options_.dir + "/logs/exchange.log"));
  absl::StatusOr<std::string> port = runtime::WaitForFileLine(port_file, absl::Seconds(60));
  if (!port.ok()) {
    return absl::UnavailableError(absl::StrCat("the exchange did not start (see ", options_.dir,
                                               "/logs/exchange.log): ", port.status().message()));
  }
  exchange_address_ = "127.0.0.1:" + *port;
  return absl::OkStatus();
}

std::string Community::HubConfig(int hub) const {
  const std::string id = absl::StrCat("hub-", hub);
  std::string text =
      absl::StrFormat(R"(hub_id = "%s"
zone_id = "%s"
exchange = "%s"
reporting_period_s = %d
data_dir = "%s"
clock = "%s"

[site]
latitude_deg = %.4f
longitude_deg = %.4f
elevation_m = 60
utc_offset_s = %d

[weather]
cloudiness = 0.35
variability = 0.5
ambient_mean_c = 25
ambient_swing_c = 4
albedo = 0.2

[simulation]
seed = %d
step_s = 30
interval_s = %d

[households]
count = %d
id_prefix = "h%d-"
consumer_every = 4
pv_min_w = 3000
pv_max_w = 7000
tilt_deg = 25
azimuth_spread_deg = 40
base_w = 250
morning_peak_w = 900
evening_peak_w = 1500
midday_w = 200

[[banks]]
bank_id = "hub%d-lfp"
owner = "hub%d-storage"
chemistry = "LFP"
nameplate_wh = %d
max_charge_w = 40000
max_discharge_w = 40000
charge_efficiency = 0.965
discharge_efficiency = 0.965
soc_min_pct = 5
soc_reserve_pct = 20
initial_soc_pct = 40
initial_soh_pct = 99
cells_in_series = 240

[[banks]]
bank_id = "hub%d-ev"
owner = "hub%d-storage"
chemistry = "NMC"
nameplate_wh = 64000
max_charge_w = 15000
max_discharge_w = 15000
charge_efficiency = 0.95
discharge_efficiency = 0.95
soc_min_pct = 10
soc_reserve_pct = 25
initial_soc_pct = 50
initial_soh_pct = %d
initial_cycles = 1400
second_life = true
mobile = %s
fade_pct_per_cycle = 0.02
calendar_fade_pct_per_year = 2.0
cells_in_series = 96
)",
                      id, options_.zone, exchange_address_, options_.reporting_period_s,
                      options_.dir + "/" + id, ClockSpec(), 33.5 - 0.02 * hub, 126.5 + 0.03 * hub,
                      static_cast<int>(kUtcOffsetS), static_cast<int>(options_.seed + hub),
                      static_cast<int>(kIntervalS), options_.households_per_hub, hub, hub, hub,
                      static_cast<int64_t>(options_.households_per_hub) * 2400, hub, hub, 76 + hub,
                      hub % 2 == 0 ? "true" : "false");
  return text;
}

absl::Status Community::Register() {
  auto admin = v1::AdminService::NewStub(grpc::CreateChannel(exchange_address_, credentials()));
  auto check = [](const char* what, const grpc::Status& status) {
    absl::Status s = rpc::FromGrpcStatus(status);
    if (s.ok()) return s;
    return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
  };
  v1::RegisterResponse response;
  v1::SetTariffRequest tariff;
  tariff.mutable_tariff()->set_feed_in_price_mcu_per_kwh(options_.feed_in_mcu_per_kwh);
  tariff.mutable_tariff()->set_retail_price_mcu_per_kwh(options_.retail_mcu_per_kwh);
  PEERGRID_RETURN_IF_ERROR(check(
      "set tariff",
      admin->SetTariff(rpc::ContextWithDeadline(absl::Seconds(10)).get(), tariff, &response)));
  for (int h = 1; h <= options_.hubs; ++h) {
    PEERGRID_ASSIGN_OR_RETURN(
        node::HubNodeConfig config,
        node::ParseHubConfig(HubConfig(h), absl::StrCat("hub-", h, " config")));
    PEERGRID_RETURN_IF_ERROR(Materialize(&config));
    v1::RegisterHubRequest hub;
    hub.mutable_hub()->set_hub_id(config.sim.hub_id);
    hub.mutable_hub()->set_zone_id(options_.zone);
    hub.mutable_hub()->set_display_name(absl::StrCat("Jeju community hub ", h));
    hub.mutable_hub()->set_latitude_deg(config.sim.site.latitude_deg);
    hub.mutable_hub()->set_longitude_deg(config.sim.site.longitude_deg);
    hub.mutable_hub()->set_reporting_period_s(options_.reporting_period_s);
    PEERGRID_ASSIGN_OR_RETURN(std::string public_key, MakeHubSigningKey(h, config.sim.hub_id));
    hub.mutable_hub()->set_public_key(std::move(public_key));
    PEERGRID_RETURN_IF_ERROR(check(
        "register hub",
        admin->RegisterHub(rpc::ContextWithDeadline(absl::Seconds(10)).get(), hub, &response)));
    std::vector<v1::Participant> participants;
    for (const hub::HouseholdSpec& household : config.sim.households) {
      v1::Participant p;
      p.set_participant_id(household.participant_id);
      p.set_hub_id(config.sim.hub_id);
      p.set_kind(v1::HOUSEHOLD);
      p.set_pv_nameplate_w(household.pv.nameplate_w);
      p.set_delegates_trading(true);  // the hub's agents trade for its households
      participants.push_back(p);
    }
    std::map<std::string, v1::Participant> storage;
    for (const hub::BankSpec& bank : config.sim.banks) {
      if (bank.owner_participant_id.empty()) continue;
      v1::Participant& p = storage[bank.owner_participant_id];
      p.set_participant_id(bank.owner_participant_id);
      p.set_hub_id(config.sim.hub_id);
      p.set_kind(v1::SHARED_STORAGE);
      p.add_storage_bank_ids(bank.bank_id);
      p.set_delegates_trading(true);
    }
    for (auto& [id, p] : storage) participants.push_back(p);
    for (const v1::Participant& p : participants) {
      v1::RegisterParticipantRequest request;
      *request.mutable_participant() = p;
      PEERGRID_RETURN_IF_ERROR(
          check("register participant",
                admin->RegisterParticipant(rpc::ContextWithDeadline(absl::Seconds(10)).get(),
                                           request, &response)));
      participants_.push_back(p.participant_id());
      registered_.push_back(p);
    }
  }
  return absl::OkStatus();
}

std::string Community::HubSigningKeyPath(int h) const {
  return absl::StrCat(options_.dir, "/keys/hub-", h, ".pem");
}

absl::StatusOr<std::string> Community::MakeHubSigningKey(int h, const std::string& hub_id) const {
  // Derived from the seed, so the same seed signs the same orders alike.
  const ledger::Hash seed = ledger::Sha256(
      absl::StrCat("peergrid community hub signing key\n", options_.seed, "\n", hub_id, "\n"));
  PEERGRID_ASSIGN_OR_RETURN(ledger::Signer signer,
                            ledger::Signer::FromSeed(hub_id, ledger::HashBytes(seed)));
  std::filesystem::create_directories(options_.dir + "/keys");
  PEERGRID_RETURN_IF_ERROR(
      rpc::WriteTextFile(HubSigningKeyPath(h), signer.Pkcs8Pem(), /*secret=*/true));
  return signer.verifier().public_key();
}

absl::Status Community::StartHubs() {
  for (int h = 1; h <= options_.hubs; ++h) {
    const std::string config_path = absl::StrCat(options_.dir, "/hub-", h, ".toml");
    std::ofstream(config_path) << HubConfig(h);
    PEERGRID_ASSIGN_OR_RETURN(rpc::ClientTlsFlags tls, IssueClient("hub", absl::StrCat("hub-", h)));
    std::vector<std::string> argv = {options_.bin_dir + "/peergrid-hub",
                                     "run",
                                     "--config=" + config_path,
                                     "--tls_cert=" + tls.cert_file,
                                     "--tls_key=" + tls.key_file,
                                     "--ca=" + tls.ca_file,
                                     "--signing_key=" + HubSigningKeyPath(h)};
    argv.insert(argv.end(), options_.hub_flags.begin(), options_.hub_flags.end());
    PEERGRID_ASSIGN_OR_RETURN(
        std::unique_ptr<runtime::Subprocess> hub,
        runtime::Subprocess::Start(argv, absl::StrCat(options_.dir, "/logs/hub-", h, ".log")));
    hubs_.push_back(std::move(hub));
  }
  // Count alarms for the summary.
  alarm_thread_ = std::thread([this] { WatchAlarms(); });
  return absl::OkStatus();
}

}  // namespace peergrid::community
