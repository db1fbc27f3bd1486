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

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "peergrid/common/status.h"
#include "peergrid/exchange/exchange.h"
#include "peergrid/http/http_server.h"
#include "peergrid/rpc/peer_identity.h"
#include "peergrid/rpc/tls.h"
#include "peergrid/runtime/broadcaster.h"
#include "peergrid/runtime/json_log.h"
#include "peergrid/server/authorizer.h"
#include "peergrid/server/exchange_metrics.h"
#include "peergrid/server/exchange_services.h"
#include "peergrid/server/hub_service.h"
#include "peergrid/server/operator_service.h"
#include "peergrid/telemetry/telemetry_store.h"

namespace peergrid::server {
namespace {

// The HTTP port's options from the daemon's: the same certificate and client
// CA as gRPC (plaintext only with --insecure, which HttpServer keeps to
// loopback), the scrapers' bearer token from --metrics_token_file, and
// client certificates of role admin or regulator for /metrics.
absl::StatusOr<http::HttpOptions> HttpOptionsFor(const ExchangeDaemonOptions& flags) {
  http::HttpOptions options;
  options.listen = flags.http;
  if (!flags.tls.insecure) {
    options.tls = http::HttpTls{flags.tls.cert_file, flags.tls.key_file, flags.tls.client_ca_file};
  }
  if (!flags.metrics_token_file.empty()) {
    std::ifstream in(flags.metrics_token_file);
    std::string token;
    if (!in || !std::getline(in, token)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read --metrics_token_file ", flags.metrics_token_file));
    }
    token = std::string(absl::StripAsciiWhitespace(token));
    if (token.size() < 16) {
      return absl::InvalidArgumentError(
          absl::StrCat("--metrics_token_file ", flags.metrics_token_file,
                       ": the token must be at least 16 characters (e.g. openssl rand -hex 32)"));
    }
    options.metrics_token = std::move(token);
  }
  options.scraper_certificate_check = [](absl::string_view pem) -> absl::Status {
    absl::StatusOr<rpc::PeerIdentity> who = rpc::IdentityFromCertificatePem(pem);
    if (!who.ok()) return absl::PermissionDeniedError(who.status().message());
    if (who->role == rpc::Role::kAdmin || who->role == rpc::Role::kRegulator) {
      return absl::OkStatus();
    }
    return absl::PermissionDeniedError(
        absl::StrCat(who->ToString(), " may not read /metrics (admin or regulator only)"));
  };
  return options;
}

}  // namespace

absl::Status RunExchangeDaemon(const ExchangeDaemonOptions& flags, std::unique_ptr<Clock> clock,
                               const sigset_t& signals) {
  // Refuse to start, before touching the data directory, without mutual TLS
  // (or --insecure on loopback).
  PEERGRID_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                            rpc::MakeServerCredentials(flags.tls, flags.listen));
  std::filesystem::create_directories(flags.data_dir);
  runtime::LogJson("info", "starting",
                   {{"data_dir", flags.data_dir},
                    {"zone", flags.zone},
                    {"transport", flags.tls.insecure ? "insecure (plaintext, every caller admin)"
                                                     : "mutual TLS"}});

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
  telemetry_options.alarm_history_per_hub = flags.alarm_history_per_hub;
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
  // Market alarms go to the operators' WatchAlarms stream and the metrics
  // (the exchange logs them); the replay's alarms were raised before this.
  runtime::Broadcaster<v1::AlarmEvent>& alarm_events = telemetry_store->monitor().events();
  auto publish_alarm = [&metrics, &alarm_events](const v1::Alarm& alarm) {
    metrics.MarketAlarm(alarm.kind());
    v1::AlarmEvent event;
    *event.mutable_alarm() = alarm;
    event.set_transition(v1::RAISED);
    event.set_at_unix_ms(alarm.raised_at_unix_ms());
    alarm_events.Publish(event);
  };
  events.on_alarm = publish_alarm;
  exchange->SetEvents(events);
  for (const v1::Alarm& alarm : exchange->RecentAlarms()) publish_alarm(alarm);

  LatencyObserver observe = [&](const std::string& method, double seconds) {
    metrics.ObserveRequest(method, seconds);
  };
  // Every RPC of every service asks this one table first (DESIGN §9).
  Authorizer authorizer(
      &exchange->directory(),
      [&exchange](const std::string& order_id) -> absl::StatusOr<std::string> {
        PEERGRID_ASSIGN_OR_RETURN(v1::OrderState state, exchange->GetOrder(order_id));
        return state.order().participant_id();
      },
      flags.tls.insecure);
  // Rates are in real seconds, whatever the market clock.
  RealClock real_clock;
  runtime::OrderRateLimiter order_limiter(
      &real_clock, {.per_second = flags.max_orders_per_s, .burst = flags.order_burst});
  // One count of every long-lived stream an identity holds open: WatchTrades,
  // WatchCheckpoints, WatchAlarms and HubService.Report together.
  runtime::StreamLimiter stream_limiter(flags.max_streams_per_identity);
  MarketServiceImpl market(exchange.get(), &trades, &authorizer, observe,
                           {.orders = &order_limiter, .streams = &stream_limiter});
  AdminServiceImpl admin(exchange.get(), &authorizer, observe);
  AuditServiceImpl audit(ledger.get(), exchange.get(), &checkpoints, flags.origin, &authorizer,
                         observe, &stream_limiter);
  HubServiceOptions hub_options;
  hub_options.max_queued_reports =
      static_cast<size_t>(std::max<int64_t>(1, flags.hub_stream_max_queued));
  hub_options.streams = &stream_limiter;
  HubServiceImpl hub(telemetry_store.get(), &exchange->directory(), clock.get(), &authorizer,
                     hub_options);
  OperatorServiceImpl operator_service(telemetry_store.get(), &exchange->directory(), clock.get(),
                                       &authorizer, &stream_limiter);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.listen, credentials, &port);
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

  // The HTTP port: TLS with the gRPC port's certificate unless --insecure;
  // /metrics for a bearer token or an admin's or regulator's certificate.
  std::unique_ptr<http::HttpServer> http_server;
  if (!flags.http.empty()) {
    PEERGRID_ASSIGN_OR_RETURN(http::HttpOptions http_options, HttpOptionsFor(flags));
    PEERGRID_ASSIGN_OR_RETURN(http_server, http::HttpServer::Start(std::move(http_options)));
    http_server->Handle("/metrics", http::HttpAccess::kScraper, [&](const http::HttpRequest&) {
      http::HttpResponse response;
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = metrics.Render();
      return response;
    });
  }

  // Health follows the scheduler: NOT_SERVING (with the reason logged, in
  // peergrid_scheduler_stuck and in GetZone's scheduler_problem) while due
  // work keeps failing, and while it catches up on intervals missed while
  // down (GetZone says "catching up: interval X of Y …"); SERVING again once
  // it recovers; never SERVING again once draining.
  absl::Mutex health_mu;
  bool draining = false, stuck_reported = false;
  auto update_health = [&] {
    const exchange::SchedulerHealth now = exchange->GetSchedulerHealth();
    absl::MutexLock lock(&health_mu);
    if (draining) return;
    metrics.SchedulerStuck(now.stuck);
    if (now.stuck && !stuck_reported) {
      runtime::LogJson("error", "scheduler stuck: NOT_SERVING",
                       {{"reason", now.reason}, {"failing", now.failing}});
    } else if (!now.stuck && stuck_reported) {
      runtime::LogJson("info", "scheduler recovered: SERVING");
    }
    stuck_reported = now.stuck;
    health->SetServingStatus(!now.stuck && !now.catching_up);
  };
  // Catch up on clearings and settlements that fell due while down, then
  // serve. A failure does not stop the start: the scheduler retries it.
  absl::StatusOr<int> catch_up = exchange->RunDue();
  if (!catch_up.ok()) {
    runtime::LogJson("error", "catching up failed (retried)",
                     {{"error", std::string(catch_up.status().message())}});
  }
  const int caught_up = catch_up.value_or(0);
  update_health();
  const std::string bound =
      absl::StrCat(flags.listen.substr(0, flags.listen.rfind(':')), ":", port);
  runtime::LogJson("info", "serving",
                   {{"grpc", bound},
                    {"http", http_server ? absl::StrCat(flags.http.substr(0, flags.http.rfind(':')),
                                                        ":", http_server->port())
                                         : std::string()},
                    {"http_tls", http_server && http_server->tls() ? "yes" : "no"},
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
      update_health();
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
  {
    absl::MutexLock lock(&health_mu);
    draining = true;
    health->SetServingStatus(false);
  }
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
