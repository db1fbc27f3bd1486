// The smart hub simulator (the default device adapter): households with PV and
// loads behind their meters, shared battery banks, and the hub's grid
// connection, stepped through time deterministically for a seed.
//
// Each step (at most step_s long, never across a delivery-interval boundary)
// computes the sun's position (SPA) at the step's midpoint, the weather, every
// household's PV and load (integer W), then dispatches the banks for the
// community: surplus charges them, deficit discharges them down to their
// reserve. The hub's internal network loses a little on the way (a no-load
// loss plus a share of the power through the grid connection, see
// HubLossW). Energy balance holds exactly, in integer W, every step:
//   Σ PV + grid import + Σ discharge = Σ load + grid export + Σ charge + losses.
// At each interval boundary every meter closes an interval read: each
// household's, each bank's (charge = import, discharge = export) and the
// grid connection's, so the hub's energy balance (DESIGN.md §12) can be
// checked from the reads alone.
//
// Same config, seed and start → the same numbers, whatever the step sequence
// of AdvanceTo calls (the environment is a hash of time, not a random stream;
// only the step size affects the batteries' integration).
//
// Thread-safety: thread-compatible (one owner drives it).
#ifndef PEERGRID_HUB_SIMULATOR_H_
#define PEERGRID_HUB_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "peergrid/hub/battery_bank.h"
#include "peergrid/hub/household.h"
#include "peergrid/hub/meter.h"
#include "peergrid/hub/solar_position.h"
#include "peergrid/hub/telemetry.h"
#include "peergrid/hub/weather.h"

namespace peergrid::hub {

struct SimulatorConfig {
  std::string hub_id;
  std::string zone_id;
  Observer site;
  // Local time offset from UTC, seconds (load profiles follow local time).
  int64_t utc_offset_s = 0;
  WeatherConfig weather;
  uint64_t seed = 1;
  int64_t step_s = 10;       // integration step, 1–900 s
  int64_t interval_s = 900;  // delivery interval (the zone's)
  std::vector<HouseholdSpec> households;
  std::vector<BankSpec> banks;
};

// Returns OK when the config is usable, else InvalidArgument naming the field.
absl::Status ValidateSimulatorConfig(const SimulatorConfig& config);

// Totals of one step, in W over dt_s seconds (for energy-balance checks).
struct StepRecord {
  int64_t start_unix_s = 0;
  int64_t dt_s = 0;
  int64_t pv_w = 0;
  int64_t load_w = 0;
  int64_t grid_import_w = 0;
  int64_t grid_export_w = 0;
  int64_t charge_w = 0;
  int64_t discharge_w = 0;
  int64_t loss_w = 0;
};

// Share of the power through the grid connection the hub's network loses,
// parts per million.
inline constexpr int64_t kHubLoadLossPpm = 5'000;

// Returns the hub's internal losses, W, for `grid_net_w` (import +) through
// its connection: a no-load loss that covers the rounding of `meter_count`
// interval reads to whole Wh (so a read residual is never negative), plus
// kHubLoadLossPpm of the power. Well inside the default 3 % bound.
int64_t HubLossW(int64_t grid_net_w, int64_t meter_count, int64_t interval_s);

// One household's closed interval, Wh.
struct HouseholdInterval {
  std::string participant_id;
  int64_t pv_wh = 0;
  int64_t load_wh = 0;
  int64_t import_wh = 0;
  int64_t export_wh = 0;
};

// One bank at an interval's close.
struct BankInterval {
  std::string bank_id;
  double soc_pct = 0;
  double soh_pct = 0;
  int64_t power_w = 0;  // mean over the interval, discharge +, charge −
  double cell_temp_max_c = 0;
  int64_t cycle_count = 0;
};

struct IntervalSummary {
  int64_t interval_start = 0;
  std::vector<HouseholdInterval> households;
  std::vector<BankInterval> banks;
};

class Simulator {
 public:
  // Creates a simulator whose clock reads `start_unix_s`. InvalidArgument for
  // a bad config.
  static absl::StatusOr<std::unique_ptr<Simulator>> Create(SimulatorConfig config,
                                                           int64_t start_unix_s);

  // Steps the simulation forward to `unix_s`. InvalidArgument if it is before now.
  absl::Status AdvanceTo(int64_t unix_s);
  // Returns the report of the present state with `seq`, carrying the interval
  // reads closed since the previous TakeReport.
  HubSample TakeReport(uint64_t seq);
  // Returns the summaries of the intervals closed since the previous call.
  std::vector<IntervalSummary> TakeIntervalSummaries();
  // Restores meters, banks and grid counters from the hub's last report and
  // moves the clock to its measurement time (daemon restart). The first read
  // afterwards is ESTIMATED. InvalidArgument if `last` is not this hub's.
  absl::Status RestoreFrom(const HubSample& last);

  // Calls `observer` after every step (tests check the energy balance).
  void set_step_observer(std::function<void(const StepRecord&)> observer) {
    step_observer_ = std::move(observer);
  }

  int64_t now_unix_s() const { return now_s_; }
  const SimulatorConfig& config() const { return config_; }
  const std::vector<BatteryBank>& banks() const { return banks_; }
  const WeatherModel& weather() const { return weather_; }

 private:
  Simulator(SimulatorConfig config, int64_t start_unix_s);
  void Step(int64_t dt_s);
  void CloseInterval(int64_t interval_start);
  // Splits the community's net power among the banks; returns Σ bank power.
  int64_t Dispatch(int64_t community_net_w, int64_t dt_s, double ambient_c);

  SimulatorConfig config_;
  WeatherModel weather_;
  int64_t now_s_;
  std::vector<Meter> meters_;
  std::vector<BatteryBank> banks_;
  // Grid counters at the point of common coupling, W·s.
  int64_t grid_import_j_ = 0;
  int64_t grid_export_j_ = 0;
  int64_t grid_power_w_ = 0;
  // Per bank: net terminal energy (discharge − charge) at the interval start.
  std::vector<int64_t> bank_net_at_interval_start_;
  // Bank and grid meters: counters (Wh) at the interval start, and the reads
  // closed since the last report.
  std::vector<std::pair<int64_t, int64_t>> bank_wh_at_interval_start_;  // charged, discharged
  std::vector<std::vector<IntervalRead>> bank_reads_;
  std::pair<int64_t, int64_t> grid_wh_at_interval_start_;  // import, export
  std::vector<IntervalRead> grid_reads_;
  bool next_read_estimated_ = false;
  std::vector<IntervalSummary> summaries_;
  std::function<void(const StepRecord&)> step_observer_;
};

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_SIMULATOR_H_
