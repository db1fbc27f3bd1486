// peergrid-exchange: the zone daemon. One process per grid zone: it runs the
// market (order intake, clearing at gate closure, settlement), ingests hub
// telemetry, keeps the signed ledger, and serves the operator and audit views.
//
//   peergrid-exchange --data-dir ./peergrid-data --listen 127.0.0.1:7400 --http 127.0.0.1:9400
//
// Everything is embedded: the ledger and the telemetry live in RocksDB under
// --data-dir. See docs/OPERATIONS.md.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "peergrid/common/clock.h"
#include "peergrid/common/status.h"
#include "peergrid/services/exchange.h"
#include "peergrid/services/exchange_metrics.h"
#include "peergrid/services/exchange_services.h"
#include "peergrid/services/hub_service.h"
#include "peergrid/services/json_log.h"
#include "peergrid/services/operator_service.h"
#include "peergrid/services/telemetry_store.h"
#include "peergrid/services/toml_flags.h"
#include "prometheus/exposer.h"

ABSL_FLAG(std::string, config, "", "optional TOML file whose keys set these flags");
ABSL_FLAG(std::string, data_dir, "./peergrid-data", "embedded data directory (RocksDB)");
ABSL_FLAG(std::string, listen, "127.0.0.1:7400", "gRPC address HOST:PORT (port 0: any free)");
ABSL_FLAG(std::string, http, "127.0.0.1:9400",
          "HTTP address for /metrics HOST:PORT (empty: no HTTP)");
ABSL_FLAG(std::string, clock, "real",
          "\"real\", or a simulated clock \"sim:<speed>[@<start>]\" (start: RFC 3339 or Unix s)");
ABSL_FLAG(std::string, zone, "jeju-1", "zone id");
ABSL_FLAG(std::string, origin, "", "ledger checkpoint origin (default peergrid/<zone>)");
ABSL_FLAG(int64_t, interval_s, 900, "delivery interval length, seconds");
ABSL_FLAG(int64_t, gate_lead_s, 300, "gate closure lead before an interval starts, seconds");
ABSL_FLAG(int64_t, settlement_grace_s, 900, "grace for late meter data before settling, seconds");
ABSL_FLAG(double, checkpoint_every_s, 1.0, "sign a checkpoint this often while entries arrive");
ABSL_FLAG(int32_t, max_message_bytes, 4 << 20, "largest gRPC message accepted, bytes");
ABSL_FLAG(bool, require_signed_orders, false,
          "reject unsigned orders from participants with a registered key");
ABSL_FLAG(std::string, port_file, "", "write the bound gRPC port here once serving");

namespace peergrid::services {
namespace {

struct Flags {
  std::string data_dir, listen, http, zone, origin, port_file;
  MarketTiming timing;
};

absl::Status Run(const Flags& flags, std::unique_ptr<Clock> clock, const sigset_t& signals) {
  std::filesystem::create_directories(flags.data_dir);
  LogJson("info", "starting", {{"data_dir", flags.data_dir}, {"zone", flags.zone}});

  ledger::LedgerOptions ledger_options;
  ledger_options.origin = flags.origin;
  PEERGRID_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> ledger,
                            ledger::Ledger::Open(flags.data_dir + "/ledger", ledger_options));
  LogJson("info", "ledger verified", {{"size", ledger->Size()}});
  PEERGRID_ASSIGN_OR_RETURN(std::unique_ptr<TelemetryStore> telemetry_store,
                            TelemetryStore::Open(flags.data_dir + "/telemetry"));
  const MarketTelemetry& telemetry = *telemetry_store;

  ExchangeOptions options;
  options.zone_id = flags.zone;
  options.log_origin = flags.origin;
  options.timing = flags.timing;
  options.require_signed_orders = absl::GetFlag(FLAGS_require_signed_orders);
  PEERGRID_ASSIGN_OR_RETURN(std::unique_ptr<Exchange> exchange,
                            Exchange::Open(ledger.get(), &telemetry, clock.get(), options));

  ExchangeMetrics metrics(ledger.get(), &exchange->directory(), &telemetry, clock.get());
  Broadcaster<v1::TradeEvent> trades;
  Broadcaster<v1::Checkpoint> checkpoints;
  ExchangeEvents events;
  events.on_order = [&](const v1::Order& order) { metrics.OrderAccepted(order); };
  events.on_cleared = [&](const v1::TradeEvent& event) {
    metrics.IntervalCleared(event);
    trades.Publish(event);
    LogJson("info", "cleared",
            {{"interval", event.interval_start()},
             {"volume_wh", event.volume_wh()},
             {"fills", event.fills_size()},
             {"ledger_index", event.ledger_index()}});
  };
  events.on_settled = [&](const v1::IntervalSettled& settled, bool correction) {
    metrics.IntervalSettled();
    LogJson("info", correction ? "settlement corrected" : "settled",
            {{"interval", settled.interval_start()}, {"bills", settled.result().bills_size()}});
  };
  events.on_checkpoint = [&](const ledger::SignedCheckpoint& checkpoint) {
    metrics.CheckpointSigned(checkpoint.checkpoint.tree_size);
    checkpoints.Publish(CheckpointToProto(checkpoint));
  };
  exchange->SetEvents(events);

  LatencyObserver observe = [&](const std::string& method, double seconds) {
    metrics.ObserveRequest(method, seconds);
  };
  MarketServiceImpl market(exchange.get(), &trades, observe);
  AdminServiceImpl admin(exchange.get(), observe);
  AuditServiceImpl audit(ledger.get(), exchange.get(), &checkpoints, flags.origin, observe);
  HubServiceImpl hub(telemetry_store.get(), &exchange->directory(), clock.get());
  OperatorServiceImpl operator_service(telemetry_store.get(), &exchange->directory(), clock.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(absl::GetFlag(FLAGS_max_message_bytes));
  for (grpc::Service* service :
       std::initializer_list<grpc::Service*>{&market, &admin, &audit, &hub, &operator_service}) {
    builder.RegisterService(service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on --listen ", flags.listen));
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus(false);

  std::unique_ptr<prometheus::Exposer> exposer;
  if (!flags.http.empty()) {
    exposer = std::make_unique<prometheus::Exposer>(flags.http);
    for (const auto& collectable : metrics.collectables())
      exposer->RegisterCollectable(collectable);
  }

  // Catch up on clearings and settlements that fell due while down, then serve.
  PEERGRID_ASSIGN_OR_RETURN(int caught_up, exchange->RunDue());
  health->SetServingStatus(true);
  const std::string bound =
      absl::StrCat(flags.listen.substr(0, flags.listen.rfind(':')), ":", port);
  LogJson("info", "serving",
          {{"grpc", bound},
           {"http", exposer ? absl::StrCat(flags.http.substr(0, flags.http.rfind(':')), ":",
                                           exposer->GetListeningPorts().at(0))
                            : std::string()},
           {"caught_up", caught_up},
           {"verifier_key", ledger->verifier_key().ToString()}});
  if (!flags.port_file.empty()) {
    std::ofstream(flags.port_file + ".tmp") << port << "\n";
    std::filesystem::rename(flags.port_file + ".tmp", flags.port_file);
  }

  absl::Notification stop;
  std::thread scheduler([&] {
    while (!stop.HasBeenNotified()) {
      absl::StatusOr<int> ran = exchange->RunDue();
      if (!ran.ok()) {
        LogJson("error", "scheduled work failed", {{"error", std::string(ran.status().message())}});
      }
      absl::Duration wait = absl::Milliseconds(200);
      if (std::optional<int64_t> due = exchange->NextDueUnixSeconds()) {
        wait = std::min(wait, clock->ToReal(absl::FromUnixSeconds(*due) - clock->Now()));
      }
      stop.WaitForNotificationWithTimeout(std::max(wait, absl::Milliseconds(1)));
    }
  });
  std::thread checkpointer([&] {
    const absl::Duration every = absl::Seconds(absl::GetFlag(FLAGS_checkpoint_every_s));
    while (!stop.WaitForNotificationWithTimeout(every)) {
      absl::Status status = exchange->SignCheckpoint();
      if (!status.ok()) {
        LogJson("error", "checkpoint failed", {{"error", std::string(status.message())}});
      }
    }
  });

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LogJson("info", "draining", {{"signal", signal_number}});
  health->SetServingStatus(false);
  trades.Close();
  checkpoints.Close();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  stop.Notify();
  scheduler.join();
  checkpointer.join();
  PEERGRID_RETURN_IF_ERROR(exchange->SignCheckpoint());
  LogJson("info", "stopped", {{"ledger_size", ledger->Size()}});
  return absl::OkStatus();
}

}  // namespace
}  // namespace peergrid::services

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, so every Mutex operation would also
  // update a process-wide lock graph (deadlock detection) under a global
  // lock. The tests keep it on; the daemons, under load, turn it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "the peergrid zone exchange: market, telemetry ingest, signed ledger, audit.\n"
      "  peergrid-exchange [--config FILE] [--data-dir DIR] [--listen HOST:PORT] "
      "[--http HOST:PORT] [--clock real|sim:SPEED@START]\n"
      "Flags may also come from --flagfile or a TOML --config (command line wins);\n"
      "dashes and underscores in flag names are the same (--data-dir = --data_dir).");
  std::vector<std::string> normalized = peergrid::services::NormalizeFlagNames(argc, argv);
  std::vector<char*> normalized_argv;
  for (std::string& arg : normalized) normalized_argv.push_back(arg.data());
  absl::ParseCommandLine(static_cast<int>(normalized_argv.size()), normalized_argv.data());
  if (const std::string config = absl::GetFlag(FLAGS_config); !config.empty()) {
    absl::Status applied = peergrid::services::ApplyTomlFlags(config, normalized);
    if (!applied.ok()) {
      peergrid::services::LogJson("error", "bad config",
                                  {{"error", std::string(applied.message())}});
      return 2;
    }
  }
  // Block SIGTERM and SIGINT in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<peergrid::Clock>> clock =
      peergrid::ParseClock(absl::GetFlag(FLAGS_clock));
  if (!clock.ok()) {
    peergrid::services::LogJson("error", "bad flag",
                                {{"error", std::string(clock.status().message())}});
    return 2;
  }
  peergrid::services::Flags flags;
  flags.data_dir = absl::GetFlag(FLAGS_data_dir);
  flags.listen = absl::GetFlag(FLAGS_listen);
  flags.http = absl::GetFlag(FLAGS_http);
  flags.zone = absl::GetFlag(FLAGS_zone);
  flags.origin = absl::GetFlag(FLAGS_origin);
  if (flags.origin.empty()) flags.origin = "peergrid/" + flags.zone;
  flags.port_file = absl::GetFlag(FLAGS_port_file);
  flags.timing.interval_s = absl::GetFlag(FLAGS_interval_s);
  flags.timing.gate_lead_s = absl::GetFlag(FLAGS_gate_lead_s);
  flags.timing.settlement_grace_s = absl::GetFlag(FLAGS_settlement_grace_s);
  absl::Status status = peergrid::services::Run(flags, *std::move(clock), signals);
  if (!status.ok()) {
    peergrid::services::LogJson("error", "exchange failed",
                                {{"error", std::string(status.message())},
                                 {"code", std::string(absl::StatusCodeToString(status.code()))}});
    return 1;
  }
  return 0;
}
