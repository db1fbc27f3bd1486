// `peergrid-hub run`: the daemon loop. The simulator advances on the
// (possibly simulated) clock; every reporting period its report goes into the
// store-and-forward buffer (synced) and the streamer sends the buffer to the
// exchange. SIGTERM/SIGINT stop it: the current stream is finished gracefully
// and everything unacknowledged stays in the buffer for the next start.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "hubd.h"
#include "peergrid/common/clock.h"
#include "peergrid/common/status.h"
#include "peergrid/convert/hub_convert.h"
#include "peergrid/hub/simulator.h"
#include "peergrid/node/hub_buffer.h"
#include "peergrid/node/hub_streamer.h"
#include "peergrid/node/hub_trader.h"
#include "peergrid/rpc/tls.h"
#include "peergrid/runtime/json_log.h"

namespace peergrid::hubd {
namespace {

using runtime::LogJson;

// Reports further behind than this many periods are skipped (the simulation
// still integrates the gap; only the intermediate reports are not made).
constexpr int64_t kMaxCatchUpPeriods = 100;

// Waits until `clock` reads `t` or `stop` is set; returns false on stop.
bool WaitUntil(const Clock& clock, absl::Time t, const std::atomic<bool>& stop) {
  while (!stop) {
    const absl::Duration left = t - clock.Now();
    if (left <= absl::ZeroDuration()) return true;
    absl::SleepFor(std::clamp(clock.ToReal(left), absl::Microseconds(100), absl::Milliseconds(50)));
  }
  return false;
}

}  // namespace

absl::Status Run(const node::HubNodeConfig& config) {
  // Signals go to a dedicated thread (blocked everywhere else, before any
  // other thread starts).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::atomic<bool> stop{false};
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    stop = true;
  });
  auto stop_signal_thread = [&] {
    if (!stop) pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
  };

  absl::Status status = [&]() -> absl::Status {
    PEERGRID_ASSIGN_OR_RETURN(std::unique_ptr<Clock> clock, ParseClock(config.clock));
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("--data-dir ", config.data_dir, ": ", ec.message()));
    }
    PEERGRID_ASSIGN_OR_RETURN(std::unique_ptr<node::HubBuffer> buffer,
                              node::HubBuffer::Open(config.data_dir + "/buffer"));
    const int64_t period = config.reporting_period_s;
    const int64_t now_s = clock->NowUnixSeconds();
    PEERGRID_ASSIGN_OR_RETURN(std::unique_ptr<hub::Simulator> sim,
                              hub::Simulator::Create(config.sim, now_s));
    if (std::optional<v1::HubReport> last = buffer->LastReport()) {
      const int64_t last_s = last->measured_at_unix_ms() / 1000;
      if (last_s > now_s) {
        return absl::FailedPreconditionError(absl::StrCat(
            "--clock reads ", now_s, " but the buffer's last report (seq ", last->seq(),
            ") was measured at ", last_s, ": start the clock later or use a fresh --data-dir"));
      }
      PEERGRID_RETURN_IF_ERROR(sim->RestoreFrom(convert::FromProto(*last)));
      runtime::LogJson(
          "info", "restored",
          {{"seq", last->seq()}, {"measured_at_unix_s", last_s}, {"gap_s", now_s - last_s}});
    }
    // Both channels, reports and orders, are mutual TLS as hub/<hub_id>.
    PEERGRID_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials,
                              rpc::MakeChannelCredentials(config.tls, config.exchange));
    node::StreamerOptions options;
    options.target = config.exchange;
    options.credentials = credentials;
    options.seed = config.sim.seed;
    node::HubStreamer streamer(buffer.get(), options);
    streamer.Start();
    std::unique_ptr<node::HubTrader> trader;
    if (config.trade) {
      std::optional<ledger::Signer> signer;
      if (!config.signing_key_file.empty()) {
        PEERGRID_ASSIGN_OR_RETURN(std::string pem,
                                  rpc::ReadPemFile("--signing-key", config.signing_key_file));
        absl::StatusOr<ledger::Signer> key = ledger::Signer::FromPkcs8Pem(config.sim.hub_id, pem);
        if (!key.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("--signing-key ", config.signing_key_file,
                                                         ": ", key.status().message()));
        }
        signer = *std::move(key);
      }
      trader = std::make_unique<node::HubTrader>(config.sim,
                                                 grpc::CreateChannel(config.exchange, credentials),
                                                 clock.get(), std::move(signer));
      trader->Start();
    }
    runtime::LogJson("info", "started",
                     {{"hub_id", config.sim.hub_id},
                      {"exchange", config.exchange},
                      {"households", static_cast<int64_t>(config.sim.households.size())},
                      {"banks", static_cast<int64_t>(config.sim.banks.size())},
                      {"reporting_period_s", period},
                      {"next_seq", buffer->next_seq()}});
    int warning_level = 0;
    absl::Status loop_status;
    while (!stop) {
      int64_t next = (sim->now_unix_s() / period + 1) * period;
      if (!WaitUntil(*clock, absl::FromUnixSeconds(next), stop)) break;
      const int64_t behind = clock->NowUnixSeconds() - next;
      if (behind > kMaxCatchUpPeriods * period) next += behind / period * period;
      loop_status = sim->AdvanceTo(next);
      if (!loop_status.ok()) break;
      v1::HubReport report;
      const hub::HubSample sample = sim->TakeReport(0);
      const std::vector<hub::IntervalSummary> closed = sim->TakeIntervalSummaries();
      if (trader != nullptr) trader->Observe(sample, closed);
      convert::ToProto(sample, &report);
      absl::StatusOr<uint64_t> seq = buffer->Append(std::move(report));
      if (!seq.ok()) {
        runtime::LogJson("error", "cannot buffer report", {{"error", seq.status().ToString()}});
        continue;  // e.g. disk full: the next period tries again
      }
      const node::BufferUsage usage = buffer->Usage();
      const int level = node::DiskWarningLevel(usage);
      if (level > warning_level) {
        runtime::LogJson("warn", "buffer disk filling up",
                         {{"disk_used_ratio", usage.disk_used_ratio()},
                          {"disk_free_bytes", usage.disk_free_bytes},
                          {"pending_reports", usage.pending_reports},
                          {"pending_bytes", usage.pending_bytes}});
      }
      warning_level = level;
    }
    runtime::LogJson("info", "stopping",
                     {{"next_seq", buffer->next_seq()}, {"acked_seq", buffer->acked_seq()}});
    if (trader != nullptr) {
      trader->Stop();
      const node::TraderStats t = trader->stats();
      runtime::LogJson("info", "trading stopped",
                       {{"intervals", t.intervals},
                        {"placed", t.placed},
                        {"rejected", t.rejected},
                        {"cancelled", t.cancelled}});
    }
    streamer.Stop(absl::Seconds(2));
    buffer->Close();
    runtime::LogJson("info", "stopped",
                     {{"acked_seq", buffer->acked_seq()}, {"sent", streamer.stats().sent}});
    return loop_status;
  }();
  stop_signal_thread();
  return status;
}

}  // namespace peergrid::hubd
