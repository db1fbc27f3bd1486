// A simulated energy community run as real processes: one peergrid-exchange
// and N peergrid-hub daemons on loopback, sharing one simulated clock, for a
// whole local day. Used by `peergridctl demo` and the end-to-end tests.
//
//   Community community(options);
//   community.Start();                 // spawn, register, start the hubs
//   community.RunDay(progress);        // until the day's last interval is settled
//   DaySummary summary = community.Summarize();
//   community.Stop();                  // SIGTERM everything (ledger flushed)
//
// Layout under options.dir: exchange/ (its data), hub-1/ … (each hub's
// buffer and config), logs/*.log, tls/ (the zone CA and every process's
// certificate: everything runs with mutual TLS, DESIGN §9). Start() removes
// what a previous run left.
// Thread-compatible.
#ifndef PEERGRID_COMMUNITY_COMMUNITY_H_
#define PEERGRID_COMMUNITY_COMMUNITY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "peergrid/rpc/cert_issuer.h"
#include "peergrid/rpc/tls.h"
#include "peergrid/runtime/subprocess.h"
#include "peergrid/v1/admin.pb.h"
#include "peergrid/v1/market.pb.h"

namespace peergrid::community {

struct CommunityOptions {
  std::string dir = "./peergrid-data/demo";
  // Directory holding peergrid-exchange and peergrid-hub.
  std::string bin_dir;
  std::string zone = "jeju-1";
  std::string date = "2026-06-21";  // local day (KST, UTC+9)
  int hubs = 3;
  int households_per_hub = 100;
  double speed = 720;  // simulated seconds per real second
  uint64_t seed = 7;
  int32_t reporting_period_s = 15;
  int64_t feed_in_mcu_per_kwh = 50'000;  // 50.000 per kWh
  int64_t retail_mcu_per_kwh = 200'000;  // 200.000 per kWh
  // Extra flags for every hub (e.g. to disable trading in a test).
  std::vector<std::string> hub_flags;
};

// One cleared interval, as the progress callback sees it.
struct IntervalProgress {
  int index = 0;  // 1-based within the day
  int total = 0;
  v1::TradeEvent event;
  uint64_t ledger_size = 0;
};

struct DaySummary {
  int intervals_cleared = 0;
  int intervals_settled = 0;
  int64_t p2p_traded_wh = 0;
  int64_t fills = 0;
  int64_t orders = 0;
  int64_t consumption_wh = 0;  // Σ household load (PV + import − export)
  int64_t pv_wh = 0;           // Σ household PV generation
  int64_t grid_import_wh = 0;  // at the hubs' points of common coupling
  int64_t grid_export_wh = 0;
  double local_share = 0;     // 1 − grid import / consumption
  int64_t bills_ucu = 0;      // Σ bills over participants
  int64_t baseline_ucu = 0;   // Σ grid-only bills
  int64_t grid_line_ucu = 0;  // Σ grid lines; bills + grid lines = 0
  int64_t battery_charged_wh = 0;
  int64_t battery_discharged_wh = 0;
  double battery_cycles = 0;  // equivalent full cycles over the day, all banks
  int alarms_raised = 0;
  std::map<std::string, int> alarms_by_kind;  // RAISED transitions by AlarmKind name
  uint64_t ledger_size = 0;
  std::vector<std::string> problems;  // invariant violations found while summarizing
};

class Community {
 public:
  explicit Community(CommunityOptions options);
  ~Community();

  // Spawns the exchange, registers the zone (tariff, hubs, participants),
  // writes each hub's config and spawns the hubs.
  absl::Status Start();
  // Blocks until the day's last interval is settled (or `timeout` of real
  // time passes), calling `progress` for every cleared interval.
  absl::Status RunDay(const std::function<void(const IntervalProgress&)>& progress,
                      absl::Duration timeout);
  // Blocks until the interval starting at `interval_start` is cleared (or
  // `timeout` of real time passes).
  absl::Status WaitForCleared(int64_t interval_start, absl::Duration timeout);
  // Reads trades, bills, meters and batteries back from the exchange.
  absl::StatusOr<DaySummary> Summarize();
  // Sends SIGTERM to every process (hubs first) and waits for them.
  absl::Status Stop();

  // SIGKILLs the exchange and starts it again on the same data (fault tests).
  absl::Status RestartExchange(bool kill);

  const std::string& exchange_address() const { return exchange_address_; }
  std::string exchange_data_dir() const { return options_.dir + "/exchange"; }
  int64_t day_start_unix_s() const { return day_start_s_; }
  const std::vector<std::string>& participants() const { return participants_; }
  const CommunityOptions& options() const { return options_; }

  // Returns TLS flags for a new client certificate of `role`/`id` (e.g.
  // "household", "h1") signed by the zone CA, written under tls/.
  absl::StatusOr<rpc::ClientTlsFlags> IssueClient(const std::string& role,
                                                  const std::string& id) const;
  // Returns the path of hub `h`'s order-signing key (PKCS#8 PEM, 0600), whose
  // public half is registered as the hub's public_key.
  std::string HubSigningKeyPath(int h) const;
  // The admin/community identity the community itself uses, and its credentials.
  const rpc::ClientTlsFlags& admin_tls() const { return admin_tls_; }
  std::shared_ptr<grpc::ChannelCredentials> credentials() const;

 private:
  absl::Status MakeCertificates();
  absl::Status StartExchange();
  absl::Status Register();
  absl::Status StartHubs();
  // Writes hub `h`'s signing key (derived from the seed) to
  // HubSigningKeyPath(h) and returns its raw public key.
  absl::StatusOr<std::string> MakeHubSigningKey(int h, const std::string& hub_id) const;
  std::string ClockSpec() const;
  std::string HubConfig(int hub) const;

  const CommunityOptions options_;
  int64_t day_start_s_ = 0;
  int64_t sim_start_s_ = 0;
  int64_t anchor_ms_ = 0;
  std::string exchange_address_;
  std::optional<rpc::CertIssuer> ca_;
  rpc::ClientTlsFlags admin_tls_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::unique_ptr<runtime::Subprocess> exchange_;
  std::vector<std::unique_ptr<runtime::Subprocess>> hubs_;
  std::vector<std::string> participants_;
  std::vector<v1::Participant> registered_;
  void WatchAlarms();
  void StopAlarmWatch();

  std::atomic<bool> alarm_stop_{false};
  absl::Mutex alarm_mu_;
  grpc::ClientContext* alarm_context_ ABSL_GUARDED_BY(alarm_mu_) = nullptr;
  std::map<std::string, int> alarms_raised_ ABSL_GUARDED_BY(alarm_mu_);
  std::thread alarm_thread_;
};

}  // namespace peergrid::community

#endif  // PEERGRID_COMMUNITY_COMMUNITY_H_
