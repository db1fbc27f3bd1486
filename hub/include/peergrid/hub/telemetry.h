// The hub's telemetry as plain values (DESIGN.md §6): what one report from a
// smart hub carries — household meters, battery banks (SunSpec 713/802 names)
// and the grid connection. services/ converts these to and from the
// peergrid.v1.HubReport wire message; the enums mirror the proto's numbers.
//
// Sign convention (OpenEMS): power into the site is positive — grid import +,
// export −; battery discharge +, charge −.
// Thread-safety: values; thread-compatible.
#ifndef PEERGRID_HUB_TELEMETRY_H_
#define PEERGRID_HUB_TELEMETRY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "peergrid/common/units.h"

namespace peergrid::hub {

enum class ReadQuality { kUnspecified = 0, kOk = 1, kMissing = 2, kEstimated = 3, kBad = 4 };

// SunSpec 802 `ChaSt`.
enum class ChargeState {
  kUnspecified = 0,
  kOff = 1,
  kEmpty = 2,
  kDischarging = 3,
  kCharging = 4,
  kFull = 5,
  kHolding = 6,
  kTesting = 7,
};

// SunSpec 802 `State`.
enum class BankState {
  kUnspecified = 0,
  kDisconnected = 1,
  kInitializing = 2,
  kConnected = 3,
  kStandby = 4,
  kSocProtection = 5,
  kSuspending = 6,
  kFault = 99,
};

enum class Chemistry {
  kUnspecified = 0,
  kLfp = 1,
  kNmc = 2,
  kNca = 3,
  kLto = 4,
  kLeadAcid = 5,
  kOther = 6
};

enum class GridMode { kUnspecified = 0, kOnGrid = 1, kOffGrid = 2 };

// SunSpec 802 `Evt1` bits used by the model (the full list is in hub.proto).
inline constexpr uint32_t kEventOverTempWarning = 1u << 2;
inline constexpr uint32_t kEventUnderTempWarning = 1u << 4;
inline constexpr uint32_t kEventUnderSocMinWarning = 1u << 14;

// A closed interval's energy at one meter.
struct IntervalRead {
  int64_t interval_start = 0;  // Unix seconds, aligned to the interval length
  EnergyWh import_wh;
  EnergyWh export_wh;
  ReadQuality quality = ReadQuality::kUnspecified;
};

// One household meter at measurement time.
struct MeterSample {
  std::string participant_id;
  int64_t power_w = 0;  // net at the connection: import +, export −
  // Monotonic counters since commissioning, Wh.
  int64_t import_wh = 0;
  int64_t export_wh = 0;
  int64_t pv_wh = 0;
  int64_t pv_power_w = 0;                    // ≥ 0
  int64_t load_power_w = 0;                  // ≥ 0
  std::vector<IntervalRead> interval_reads;  // closed since the previous report
};

// One battery bank (SunSpec 713 + 802).
struct BankSample {
  std::string bank_id;
  double soc_pct = 0;  // 0–100
  double soh_pct = 0;  // 0–100
  int64_t capacity_wh = 0;
  int64_t available_wh = 0;
  double soc_min_pct = 0;
  double soc_reserve_pct = 0;
  int64_t max_charge_w = 0;
  int64_t max_discharge_w = 0;
  int64_t power_w = 0;  // discharge +, charge −
  double dc_voltage_v = 0;
  double dc_current_a = 0;  // discharge +, charge −
  double cell_voltage_min_v = 0;
  double cell_voltage_max_v = 0;
  double cell_temp_min_c = 0;
  double cell_temp_max_c = 0;
  int64_t cycle_count = 0;
  ChargeState charge_state = ChargeState::kUnspecified;
  BankState bank_state = BankState::kUnspecified;
  uint32_t alarm_bits = 0;
  Chemistry chemistry = Chemistry::kUnspecified;
  bool second_life = false;
  bool mobile = false;
  // Monotonic counters of terminal energy since commissioning, Wh.
  int64_t charged_wh = 0;
  int64_t discharged_wh = 0;
  // The bank meter's closed intervals since the previous report: charge is
  // import, discharge export.
  std::vector<IntervalRead> interval_reads;
};

// The hub's point of common coupling.
struct GridSample {
  int64_t power_w = 0;  // import +, export −
  int64_t import_wh = 0;
  int64_t export_wh = 0;
  GridMode mode = GridMode::kUnspecified;
  // The grid-connection meter's closed intervals since the previous report.
  std::vector<IntervalRead> interval_reads;
};

// One report.
struct HubSample {
  std::string hub_id;
  std::string zone_id;
  uint64_t seq = 0;  // from 1, +1 per report
  int64_t measured_at_unix_ms = 0;
  std::vector<MeterSample> meters;
  std::vector<BankSample> banks;
  GridSample grid;
};

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_TELEMETRY_H_
