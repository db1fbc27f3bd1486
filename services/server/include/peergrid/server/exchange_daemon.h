// The exchange daemon's composition root: opens the ledger and the telemetry
// store under one data directory, builds the Exchange over them, serves every
// gRPC service and /metrics, runs the scheduler and the checkpointer, and
// drains on SIGTERM/SIGINT. peergrid-exchange's main only parses flags into
// ExchangeDaemonOptions and calls RunExchangeDaemon.
//
// Thread-safety: RunExchangeDaemon owns its threads; call it once per process.
// Errors: InvalidArgument, before anything else, when the TLS flags are
// missing or wrong or --insecure meets a non-loopback --listen (rpc/tls.h);
// whatever opening the stores returns (DataLoss for a ledger whose
// root does not match its checkpoint), Unavailable when it cannot listen.
#ifndef PEERGRID_SERVER_EXCHANGE_DAEMON_H_
#define PEERGRID_SERVER_EXCHANGE_DAEMON_H_

#include <csignal>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "peergrid/common/clock.h"
#include "peergrid/common/market_time.h"
#include "peergrid/rpc/tls.h"

namespace peergrid::server {

struct ExchangeDaemonOptions {
  std::string data_dir = "./peergrid-data";
  std::string listen = "127.0.0.1:7400";  // gRPC HOST:PORT (port 0: any free)
  std::string http = "127.0.0.1:9400";    // HTTPS HOST:PORT (/metrics); empty: none
  std::string metrics_token_file;         // bearer token for /metrics scrapers; empty: none
  std::string zone = "jeju-1";
  std::string origin;     // ledger checkpoint origin; empty: peergrid/<zone>
  std::string port_file;  // where to write the bound gRPC port once serving
  MarketTiming timing;
  double checkpoint_every_s = 1.0;
  int32_t max_message_bytes = 4 << 20;
  // Reports read from one hub stream but not yet stored (HubServiceOptions).
  int64_t hub_stream_max_queued = 64;
  // Alarm transitions kept per hub in the telemetry store (ListAlarmHistory).
  int32_t alarm_history_per_hub = 1000;
  // Bounded resources (DESIGN.md §9); none is unlimited.
  int32_t max_concurrent_streams = 100;   // per connection (HTTP/2 streams)
  int32_t max_streams_per_identity = 16;  // long-lived streams of one identity, all kinds
  double max_orders_per_s = 20;           // orders and cancels per identity, sustained
  double order_burst = 40;                // ... and in a burst
  size_t max_entry_bytes = 1 << 20;       // largest ledger entry appended
  bool require_signed_orders = false;
  rpc::ServerTlsFlags tls;  // --tls-cert --tls-key --client-ca, or --insecure
};

// Runs the daemon until one of `signals` arrives (they must be blocked in
// every thread), then drains and returns.
absl::Status RunExchangeDaemon(const ExchangeDaemonOptions& options, std::unique_ptr<Clock> clock,
                               const sigset_t& signals);

}  // namespace peergrid::server

#endif  // PEERGRID_SERVER_EXCHANGE_DAEMON_H_
