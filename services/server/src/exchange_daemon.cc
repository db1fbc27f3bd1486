#include "peergrid/server/exchange_daemon.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "peergrid/common/status.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/runtime/broadcaster.h"
#include "peergrid/runtime/json_log.h"
#include "peergrid/server/exchange_metrics.h"
#include "peergrid/server/exchange_services.h"
#include "peergrid/server/hub_service.h"
#include "peergrid/server/operator_service.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "prometheus/exposer.h"

namespace peergrid::server {

absl::Status RunExchangeDaemon(const ExchangeDaemonOptions& flags, std::unique_ptr<Clock> clock,
                               const sigset_t& signals) {
  std::filesystem::create_directories(flags.data_dir);
  runtime::LogJson("info", "starting", {{"data_dir", flags.data_dir}, {"zone", flags.zone}});

  ledger::LedgerOptions ledger_options;
  ledger_options.origin = flags.origin;
  ledger_options.max_entry_bytes = flags.max_entry_bytes;
  PEERGRID_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> ledger,
                            ledger::Ledger::Open(flags.data_dir + "/ledger", ledger_options));
  runtime::LogJson("info", "ledger verified", {{"size", ledger->Size()}});
  // One MarketTiming for the zone: the exchange, the telemetry store (and its
  // battery monitor) and the metrics read interval length and staleness from it.
  telemetry::TelemetryOptions telemetry_options;
  telemetry_options.timing = flags.timing;
  PEERGRID_ASSIGN_OR_RETURN(
      std::unique_ptr<telemetry::TelemetryStore> telemetry_store,
      telemetry::TelemetryStore::Open(flags.data_dir + "/telemetry", telemetry_options));
  const exchange::MarketTelemetry& telemetry = *telemetry_store;

  exchange::ExchangeOptions options;
  options.zone_id = flags.zone;
  options.log_origin = flags.origin;
  options.timing = flags.timing;
  options.require_signed_orders = flags.require_signed_orders;
  PEERGRID_ASSIGN_OR_RETURN(
      std::unique_ptr<exchange::Exchange> exchange,
      exchange::Exchange::Open(ledger.get(), &telemetry, clock.get(), options));

  ExchangeMetrics metrics(ledger.get(), &exchange->directory(), &telemetry, clock.get(),
                          flags.timing.stale_after_periods);
  runtime::Broadcaster<v1::TradeEvent> trades;
  runtime::Broadcaster<v1::Checkpoint> checkpoints;
  exchange::ExchangeEvents events;
  events.on_order = [&](const v1::Order& order) { metrics.OrderAccepted(order); };
  events.on_cleared = [&](const v1::TradeEvent& event) {
    metrics.IntervalCleared(event);
    trades.Publish(event);
    runtime::LogJson("info", "cleared",
                     {{"interval", event.interval_start()},
                      {"volume_wh", event.volume_wh()},
                      {"fills", event.fills_size()},
                      {"ledger_index", event.ledger_index()}});
  };
  events.on_settled = [&](const v1::IntervalSettled& settled, bool correction) {
    metrics.IntervalSettled();
    runtime::LogJson(
        "info", correction ? "settlement corrected" : "settled",
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
  // Rates are in real seconds, whatever the market clock.
  RealClock real_clock;
  runtime::OrderRateLimiter order_limiter(
      &real_clock, {.per_second = flags.max_orders_per_s, .burst = flags.order_burst});
  runtime::StreamLimiter stream_limiter(flags.max_streams_per_identity);
  MarketServiceImpl market(exchange.get(), &trades, observe,
                           {.orders = &order_limiter, .streams = &stream_limiter});
  AdminServiceImpl admin(exchange.get(), observe);
  AuditServiceImpl audit(ledger.get(), exchange.get(), &checkpoints, flags.origin, observe);
  HubServiceImpl hub(telemetry_store.get(), &exchange->directory(), clock.get());
  OperatorServiceImpl operator_service(telemetry_store.get(), &exchange->directory(), clock.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(flags.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, flags.max_concurrent_streams);
  for (grpc::Service* service :
       std::initializer_list<grpc::Service*>{&market, &admin, &audit, &hub, &operator_service}) {
    builder.RegisterService(service);
  }
  std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
  if (grpc_server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on --listen ", flags.listen));
  }
  grpc::HealthCheckServiceInterface* health = grpc_server->GetHealthCheckService();
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
  runtime::LogJson("info", "serving",
                   {{"grpc", bound},
                    {"http", exposer ? absl::StrCat(flags.http.substr(0, flags.http.rfind(':')),
                                                    ":", exposer->GetListeningPorts().at(0))
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
        runtime::LogJson("error", "scheduled work failed",
                         {{"error", std::string(ran.status().message())}});
      }
      absl::Duration wait = absl::Milliseconds(200);
      if (std::optional<int64_t> due = exchange->NextDueUnixSeconds()) {
        wait = std::min(wait, clock->ToReal(absl::FromUnixSeconds(*due) - clock->Now()));
      }
      stop.WaitForNotificationWithTimeout(std::max(wait, absl::Milliseconds(1)));
    }
  });
  std::thread checkpointer([&] {
    const absl::Duration every = absl::Seconds(flags.checkpoint_every_s);
    while (!stop.WaitForNotificationWithTimeout(every)) {
      absl::Status status = exchange->SignCheckpoint();
      if (!status.ok()) {
        runtime::LogJson("error", "checkpoint failed", {{"error", std::string(status.message())}});
      }
    }
  });

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  runtime::LogJson("info", "draining", {{"signal", signal_number}});
  health->SetServingStatus(false);
  trades.Close();
  checkpoints.Close();
  grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  stop.Notify();
  scheduler.join();
  checkpointer.join();
  PEERGRID_RETURN_IF_ERROR(exchange->SignCheckpoint());
  runtime::LogJson("info", "stopped", {{"ledger_size", ledger->Size()}});
  return absl::OkStatus();
}

}  // namespace peergrid::server
