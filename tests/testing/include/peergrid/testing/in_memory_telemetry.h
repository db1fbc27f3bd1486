// Hub telemetry held in memory, for tests that drive an Exchange in-process:
// the test plays the hubs (latest reports with their receive time, interval
// reads). End-to-end tests use the real TelemetryStore behind real hubs.
// Thread-safe. Header-only; users link peergrid::services.
#ifndef PEERGRID_TESTING_IN_MEMORY_TELEMETRY_H_
#define PEERGRID_TESTING_IN_MEMORY_TELEMETRY_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "peergrid/exchange/market_telemetry.h"

namespace peergrid::testing {

class InMemoryTelemetry final : public exchange::MarketTelemetry {
 public:
  absl::StatusOr<exchange::HubLatest> Latest(const std::string& hub_id) const override {
    absl::MutexLock lock(&mu_);
    auto it = latest_.find(hub_id);
    if (it == latest_.end()) return absl::NotFoundError(hub_id);
    return it->second;
  }
  absl::StatusOr<std::map<std::string, v1::IntervalRead>> IntervalReads(
      int64_t start) const override {
    absl::MutexLock lock(&mu_);
    if (auto failing = failing_.find(start); failing != failing_.end()) return failing->second;
    auto it = reads_.find(start);
    return it == reads_.end() ? std::map<std::string, v1::IntervalRead>() : it->second;
  }
  absl::StatusOr<exchange::HubMeterReads> HubReads(int64_t start) const override {
    absl::MutexLock lock(&mu_);
    auto it = hub_reads_.find(start);
    return it == hub_reads_.end() ? exchange::HubMeterReads() : it->second;
  }
  // Records a hub's OK grid-connection read.
  void GridRead(int64_t start, const std::string& hub_id, int64_t import_wh, int64_t export_wh) {
    absl::MutexLock lock(&mu_);
    hub_reads_[start].grid[hub_id] = OkRead(start, import_wh, export_wh);
  }
  // Records a bank meter's OK read (charge = import, discharge = export).
  void BankRead(int64_t start, const std::string& hub_id, const std::string& bank_id,
                int64_t import_wh, int64_t export_wh) {
    absl::MutexLock lock(&mu_);
    hub_reads_[start].banks[{hub_id, bank_id}] = OkRead(start, import_wh, export_wh);
  }
  // Records a report from `hub_id` received at `now_ms` with these banks.
  void Report(const std::string& hub_id, int64_t now_ms,
              std::vector<v1::BatteryBankReading> banks = {}) {
    exchange::HubLatest latest;
    latest.report.set_hub_id(hub_id);
    for (v1::BatteryBankReading& bank : banks) *latest.report.add_banks() = std::move(bank);
    latest.received_at_unix_ms = now_ms;
    absl::MutexLock lock(&mu_);
    latest_[hub_id] = std::move(latest);
  }
  // Records a participant's OK interval read.
  void Read(int64_t start, const std::string& participant, int64_t import_wh, int64_t export_wh) {
    absl::MutexLock lock(&mu_);
    reads_[start][participant] = OkRead(start, import_wh, export_wh);
  }

  // Stores `read` as it is, however unusable (a forged report's read, planted
  // as it would have landed before input bounds existed).
  void PlantRead(int64_t start, const std::string& participant, v1::IntervalRead read) {
    absl::MutexLock lock(&mu_);
    reads_[start][participant] = std::move(read);
  }
  // Makes IntervalReads(start) fail with `status` (OK: succeed again).
  void FailReads(int64_t start, absl::Status status) {
    absl::MutexLock lock(&mu_);
    if (status.ok()) {
      failing_.erase(start);
    } else {
      failing_[start] = std::move(status);
    }
  }

 private:
  static v1::IntervalRead OkRead(int64_t start, int64_t import_wh, int64_t export_wh) {
    v1::IntervalRead read;
    read.set_interval_start(start);
    read.set_import_wh(import_wh);
    read.set_export_wh(export_wh);
    read.set_quality(v1::OK);
    return read;
  }

  mutable absl::Mutex mu_;
  std::map<int64_t, exchange::HubMeterReads> hub_reads_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, absl::Status> failing_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, exchange::HubLatest> latest_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, std::map<std::string, v1::IntervalRead>> reads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace peergrid::testing

#endif  // PEERGRID_TESTING_IN_MEMORY_TELEMETRY_H_
