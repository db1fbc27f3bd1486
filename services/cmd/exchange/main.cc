// peergrid-exchange: the zone daemon. One process per grid zone: it runs the
// market (order intake, clearing at gate closure, settlement), ingests hub
// telemetry, keeps the signed ledger, and serves the operator and audit views.
//
//   peergrid-exchange --data-dir ./peergrid-data --listen 127.0.0.1:7400 --http 127.0.0.1:9400
//
// Everything is embedded: the ledger and the telemetry live in RocksDB under
// --data-dir. See docs/OPERATIONS.md.
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "peergrid/common/clock.h"
#include "peergrid/common/market_time.h"
#include "peergrid/runtime/json_log.h"
#include "peergrid/runtime/toml_flags.h"
#include "peergrid/server/exchange_daemon.h"

ABSL_FLAG(std::string, config, "", "optional TOML file whose keys set these flags");
ABSL_FLAG(std::string, data_dir, "./peergrid-data", "embedded data directory (RocksDB)");
ABSL_FLAG(std::string, listen, "127.0.0.1:7400", "gRPC address HOST:PORT (port 0: any free)");
ABSL_FLAG(std::string, http, "127.0.0.1:9400",
          "HTTPS address HOST:PORT for /metrics (TLS with --tls-cert; plaintext with --insecure; "
          "empty: none)");
ABSL_FLAG(std::string, clock, "real",
          "\"real\", or a simulated clock \"sim:<speed>[@<start>]\" (start: RFC 3339 or Unix s)");
ABSL_FLAG(std::string, zone, "jeju-1", "zone id");
ABSL_FLAG(std::string, origin, "", "ledger checkpoint origin (default peergrid/<zone>)");
ABSL_FLAG(int64_t, interval_s, 900, "delivery interval length, seconds");
ABSL_FLAG(int64_t, gate_lead_s, 300, "gate closure lead before an interval starts, seconds");
ABSL_FLAG(int64_t, settlement_grace_s, 900, "grace for late meter data before settling, seconds");
ABSL_FLAG(int32_t, stale_after_periods, peergrid::MarketTiming().stale_after_periods,
          "a hub is stale (its sellers cannot sell, HUB_STALE) after this many reporting "
          "periods without a report");
ABSL_FLAG(int32_t, alarm_history_per_hub, 1000,
          "alarm transitions (raised, escalated, cleared) kept per hub; older ones are dropped");
ABSL_FLAG(double, checkpoint_every_s, 1.0, "sign a checkpoint this often while entries arrive");
ABSL_FLAG(int32_t, max_message_bytes, 4 << 20, "largest gRPC message accepted, bytes");
ABSL_FLAG(int64_t, hub_stream_max_queued, 64,
          "reports read from one hub stream and not yet stored; beyond it the exchange stops "
          "reading that stream (backpressure)");
ABSL_FLAG(int32_t, max_concurrent_streams, 100,
          "most concurrent gRPC streams (calls) on one connection; more wait for a free one");
ABSL_FLAG(int32_t, max_streams_per_identity, 16,
          "most concurrent long-lived streams (WatchTrades, WatchCheckpoints, WatchAlarms, "
          "HubService.Report together) of one identity (RESOURCE_EXHAUSTED beyond)");
ABSL_FLAG(double, max_orders_per_s, 20,
          "orders and cancels one identity may send per second, sustained (RESOURCE_EXHAUSTED "
          "beyond)");
ABSL_FLAG(double, order_burst, 40, "orders and cancels one identity may send at once");
ABSL_FLAG(int64_t, max_entry_bytes, 1 << 20,
          "largest ledger entry the exchange appends, bytes (at most 64 MiB); a request whose "
          "entry is larger is refused");
ABSL_FLAG(bool, require_signed_orders, false,
          "every order and cancel must be signed (by the participant's key or, delegated, its "
          "hub's): a zone policy recorded in the ledger");
ABSL_FLAG(std::string, metrics_token_file, "",
          "file whose first line is the bearer token /metrics scrapers present "
          "(else only admin or regulator client certificates may scrape)");
ABSL_FLAG(std::string, port_file, "", "write the bound gRPC port here once serving");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate of this exchange (mutual TLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(std::string, client_ca, "", "PEM CA that every client certificate must chain to");
ABSL_FLAG(bool, insecure, false,
          "plaintext gRPC, every caller treated as admin; only on a loopback --listen");

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, so every Mutex operation would also
  // update a process-wide lock graph (deadlock detection) under a global
  // lock. The tests keep it on; the daemons, under load, turn it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "the peergrid zone exchange: market, telemetry ingest, signed ledger, audit.\n"
      "  peergrid-exchange (--tls-cert FILE --tls-key FILE --client-ca FILE | --insecure)\n"
      "      [--config FILE] [--data-dir DIR] [--listen HOST:PORT] "
      "[--http HOST:PORT] [--clock real|sim:SPEED@START]\n"
      "Flags may also come from --flagfile or a TOML --config (command line wins);\n"
      "dashes and underscores in flag names are the same (--data-dir = --data_dir).");
  std::vector<std::string> normalized = peergrid::runtime::NormalizeFlagNames(argc, argv);
  std::vector<char*> normalized_argv;
  for (std::string& arg : normalized) normalized_argv.push_back(arg.data());
  absl::ParseCommandLine(static_cast<int>(normalized_argv.size()), normalized_argv.data());
  if (const std::string config = absl::GetFlag(FLAGS_config); !config.empty()) {
    absl::Status applied = peergrid::runtime::ApplyTomlFlags(config, normalized);
    if (!applied.ok()) {
      peergrid::runtime::LogJson("error", "bad config",
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
    peergrid::runtime::LogJson("error", "bad flag",
                               {{"error", std::string(clock.status().message())}});
    return 2;
  }
  peergrid::server::ExchangeDaemonOptions flags;
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
  flags.timing.stale_after_periods = absl::GetFlag(FLAGS_stale_after_periods);
  flags.checkpoint_every_s = absl::GetFlag(FLAGS_checkpoint_every_s);
  flags.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  flags.hub_stream_max_queued = absl::GetFlag(FLAGS_hub_stream_max_queued);
  flags.alarm_history_per_hub = absl::GetFlag(FLAGS_alarm_history_per_hub);
  flags.require_signed_orders = absl::GetFlag(FLAGS_require_signed_orders);
  flags.metrics_token_file = absl::GetFlag(FLAGS_metrics_token_file);
  flags.tls.cert_file = absl::GetFlag(FLAGS_tls_cert);
  flags.tls.key_file = absl::GetFlag(FLAGS_tls_key);
  flags.tls.client_ca_file = absl::GetFlag(FLAGS_client_ca);
  flags.tls.insecure = absl::GetFlag(FLAGS_insecure);
  flags.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  flags.max_streams_per_identity = absl::GetFlag(FLAGS_max_streams_per_identity);
  flags.max_orders_per_s = absl::GetFlag(FLAGS_max_orders_per_s);
  flags.order_burst = absl::GetFlag(FLAGS_order_burst);
  const int64_t max_entry_bytes = absl::GetFlag(FLAGS_max_entry_bytes);
  if (flags.max_concurrent_streams < 1 || flags.max_streams_per_identity < 1 ||
      !(flags.max_orders_per_s > 0) || !(flags.order_burst >= 1) || max_entry_bytes < 1 ||
      max_entry_bytes > int64_t{64} << 20) {
    peergrid::runtime::LogJson(
        "error", "bad flag",
        {{"error",
          "--max-concurrent-streams and --max-streams-per-identity must be >= 1, "
          "--max-orders-per-s > 0, --order-burst >= 1, --max-entry-bytes in [1, 64 MiB]"}});
    return 2;
  }
  flags.max_entry_bytes = static_cast<size_t>(max_entry_bytes);
  absl::Status status = peergrid::server::RunExchangeDaemon(flags, *std::move(clock), signals);
  if (!status.ok()) {
    peergrid::runtime::LogJson("error", "exchange failed",
                               {{"error", std::string(status.message())},
                                {"code", std::string(absl::StatusCodeToString(status.code()))}});
    return 1;
  }
  return 0;
}
