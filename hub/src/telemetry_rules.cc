#include "peergrid/hub/telemetry_rules.h"

#include <cmath>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/limits.h"
#include "peergrid/common/status.h"
#include "peergrid/common/text.h"

namespace peergrid::hub {
namespace {

// What a message is about: `meter "h-1": ` or `grid: `. Kept as views and
// turned into text only when a check fails: ingest validates every meter of
// every report, and formatting the name up front cost more than the checks.
struct Where {
  absl::string_view prefix;  // `meter "`, `bank "` or `grid: `
  absl::string_view id;      // empty for the grid
};

std::string Text(const Where& where) {
  return where.id.empty() ? std::string(where.prefix)
                          : absl::StrCat(where.prefix, where.id, "\": ");
}

absl::Status CheckPercent(const Where& where, const char* field, double value) {
  if (!std::isfinite(value) || value < 0 || value > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat(Text(where), field, " is ", value, ": expected a percentage in [0, 100]"));
  }
  return absl::OkStatus();
}

// Checks lo ≤ value ≤ hi for an integer field.
absl::Status CheckRange(const Where& where, const char* field, int64_t value, int64_t lo,
                        int64_t hi) {
  if (value < lo || value > hi) {
    return absl::InvalidArgumentError(absl::StrCat(Text(where), field, " is ", value,
                                                   ": expected a value in [", lo, ", ", hi, "]"));
  }
  return absl::OkStatus();
}

absl::Status CheckNonNegative(const Where& where, const char* field, int64_t value) {
  if (value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(Text(where), field, " is ", value, ": expected ≥ 0"));
  }
  return absl::OkStatus();
}

// Checks a monotonic lifetime counter: 0 ≤ value ≤ limits::kMaxCounterWh.
absl::Status CheckCounter(const Where& where, const char* field, int64_t value) {
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, field, value));
  return CheckRange(where, field, value, 0, limits::kMaxCounterWh);
}

// Checks a finite lo ≤ value ≤ hi for a measured quantity.
absl::Status CheckFiniteIn(const Where& where, const char* field, double value, double lo,
                           double hi) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat(Text(where), field, " is not a finite number"));
  }
  if (value < lo || value > hi) {
    return absl::InvalidArgumentError(absl::StrCat(Text(where), field, " is ", value,
                                                   ": expected a value in [", lo, ", ", hi, "]"));
  }
  return absl::OkStatus();
}

// Checks that `min_field` ≤ `max_field` (cell extremes).
absl::Status CheckOrdered(const Where& where, const char* min_field, double min,
                          const char* max_field, double max) {
  if (min > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(Text(where), min_field, " ", min, " is above ", max_field, " ", max));
  }
  return absl::OkStatus();
}

// Refuses an enum value the protocol does not define.
absl::Status CheckKnownEnum(const Where& where, const char* field, int value, bool known) {
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat(Text(where), field, " is ", value, ": not a known value"));
  }
  return absl::OkStatus();
}

bool KnownQuality(ReadQuality q) {
  return q == ReadQuality::kOk || q == ReadQuality::kMissing || q == ReadQuality::kEstimated ||
         q == ReadQuality::kBad;
}
bool KnownChargeState(ChargeState c) {
  const int v = static_cast<int>(c);
  return v >= 0 && v <= static_cast<int>(ChargeState::kTesting);
}
bool KnownBankState(BankState b) {
  const int v = static_cast<int>(b);
  return (v >= 0 && v <= static_cast<int>(BankState::kSuspending)) || b == BankState::kFault;
}
bool KnownChemistry(Chemistry c) {
  const int v = static_cast<int>(c);
  return v >= 0 && v <= static_cast<int>(Chemistry::kOther);
}
bool KnownGridMode(GridMode m) {
  const int v = static_cast<int>(m);
  return v >= 0 && v <= static_cast<int>(GridMode::kOffGrid);
}

// SunSpec 802 Evt1 bits that hub.proto's BatteryEvent defines: 0–26, 28, 29.
constexpr uint32_t kKnownAlarmBits = ((1u << 27) - 1) | (1u << 28) | (1u << 29);

absl::Status ValidateRead(const Where& where, const IntervalRead& r, const SampleContext& context,
                          int64_t max_power_w) {
  if (context.interval_s <= 0 || r.interval_start <= 0 ||
      r.interval_start % context.interval_s != 0) {
    return absl::InvalidArgumentError(absl::StrCat(Text(where), "interval_reads.interval_start ",
                                                   r.interval_start, " is not aligned to ",
                                                   context.interval_s, " s"));
  }
  // The interval must have ended (give or take the clock skew allowed).
  if (r.interval_start >
      (context.now_unix_ms + limits::kMaxClockSkewMs) / 1000 - context.interval_s) {
    return absl::InvalidArgumentError(
        absl::StrCat(Text(where), "interval_reads.interval_start ", r.interval_start,
                     " ends more than ", limits::kMaxClockSkewMs / 1000,
                     " s after the exchange clock (", context.now_unix_ms, " ms)"));
  }
  const int64_t max_wh = limits::MaxIntervalEnergyWh(max_power_w, context.interval_s);
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(where, "interval_reads.import_wh", r.import_wh.value(), 0, max_wh));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(where, "interval_reads.export_wh", r.export_wh.value(), 0, max_wh));
  if (!KnownQuality(r.quality)) {
    return absl::InvalidArgumentError(absl::StrCat(
        Text(where), "interval_reads.quality is ",
        r.quality == ReadQuality::kUnspecified ? std::string("unspecified")
                                               : absl::StrCat(static_cast<int>(r.quality)),
        " for interval ", r.interval_start, " (want OK, MISSING, ESTIMATED or BAD)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMeter(const MeterSample& m, const SampleContext& context) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("meters.participant_id", m.participant_id));
  const Where where{"meter \"", m.participant_id};
  const int64_t max_w = context.meter_max_power_w ? context.meter_max_power_w(m.participant_id)
                                                  : limits::kMaxServiceConnectionW;
  PEERGRID_RETURN_IF_ERROR(CheckRange(where, "power_w", m.power_w, -max_w, max_w));
  PEERGRID_RETURN_IF_ERROR(CheckCounter(where, "import_wh", m.import_wh));
  PEERGRID_RETURN_IF_ERROR(CheckCounter(where, "export_wh", m.export_wh));
  PEERGRID_RETURN_IF_ERROR(CheckCounter(where, "pv_wh", m.pv_wh));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "pv_power_w", m.pv_power_w));
  PEERGRID_RETURN_IF_ERROR(CheckRange(where, "pv_power_w", m.pv_power_w, 0, max_w));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "load_power_w", m.load_power_w));
  PEERGRID_RETURN_IF_ERROR(CheckRange(where, "load_power_w", m.load_power_w, 0, max_w));
  for (const IntervalRead& r : m.interval_reads) {
    PEERGRID_RETURN_IF_ERROR(ValidateRead(where, r, context, max_w));
  }
  return absl::OkStatus();
}

absl::Status ValidateBank(const BankSample& b, const SampleContext& context) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("banks.bank_id", b.bank_id));
  const Where where{"bank \"", b.bank_id};
  PEERGRID_RETURN_IF_ERROR(CheckPercent(where, "soc_pct", b.soc_pct));
  PEERGRID_RETURN_IF_ERROR(CheckPercent(where, "soh_pct", b.soh_pct));
  PEERGRID_RETURN_IF_ERROR(CheckPercent(where, "soc_min_pct", b.soc_min_pct));
  PEERGRID_RETURN_IF_ERROR(CheckPercent(where, "soc_reserve_pct", b.soc_reserve_pct));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "capacity_wh", b.capacity_wh));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(where, "capacity_wh", b.capacity_wh, 0, limits::kMaxBankCapacityWh));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "available_wh", b.available_wh));
  if (b.available_wh > b.capacity_wh) {
    return absl::InvalidArgumentError(absl::StrCat(Text(where), "available_wh ", b.available_wh,
                                                   " is above capacity_wh ", b.capacity_wh));
  }
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "max_charge_w", b.max_charge_w));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(where, "max_charge_w", b.max_charge_w, 0, limits::kMaxBankPowerW));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "max_discharge_w", b.max_discharge_w));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(where, "max_discharge_w", b.max_discharge_w, 0, limits::kMaxBankPowerW));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(where, "power_w", b.power_w, -limits::kMaxBankPowerW, limits::kMaxBankPowerW));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "cycle_count", b.cycle_count));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(where, "cycle_count", b.cycle_count, 0, limits::kMaxCycleCount));
  PEERGRID_RETURN_IF_ERROR(CheckCounter(where, "charged_wh", b.charged_wh));
  PEERGRID_RETURN_IF_ERROR(CheckCounter(where, "discharged_wh", b.discharged_wh));
  PEERGRID_RETURN_IF_ERROR(
      CheckFiniteIn(where, "dc_voltage_v", b.dc_voltage_v, 0, limits::kMaxDcVoltageV));
  PEERGRID_RETURN_IF_ERROR(CheckFiniteIn(where, "dc_current_a", b.dc_current_a,
                                         -limits::kMaxDcCurrentA, limits::kMaxDcCurrentA));
  PEERGRID_RETURN_IF_ERROR(CheckFiniteIn(where, "cell_voltage_min_v", b.cell_voltage_min_v, 0,
                                         limits::kMaxCellVoltageV));
  PEERGRID_RETURN_IF_ERROR(CheckFiniteIn(where, "cell_voltage_max_v", b.cell_voltage_max_v, 0,
                                         limits::kMaxCellVoltageV));
  PEERGRID_RETURN_IF_ERROR(CheckOrdered(where, "cell_voltage_min_v", b.cell_voltage_min_v,
                                        "cell_voltage_max_v", b.cell_voltage_max_v));
  PEERGRID_RETURN_IF_ERROR(CheckFiniteIn(where, "cell_temp_min_c", b.cell_temp_min_c,
                                         limits::kMinTemperatureC, limits::kMaxTemperatureC));
  PEERGRID_RETURN_IF_ERROR(CheckFiniteIn(where, "cell_temp_max_c", b.cell_temp_max_c,
                                         limits::kMinTemperatureC, limits::kMaxTemperatureC));
  PEERGRID_RETURN_IF_ERROR(CheckOrdered(where, "cell_temp_min_c", b.cell_temp_min_c,
                                        "cell_temp_max_c", b.cell_temp_max_c));
  PEERGRID_RETURN_IF_ERROR(CheckKnownEnum(where, "charge_state", static_cast<int>(b.charge_state),
                                          KnownChargeState(b.charge_state)));
  PEERGRID_RETURN_IF_ERROR(CheckKnownEnum(where, "bank_state", static_cast<int>(b.bank_state),
                                          KnownBankState(b.bank_state)));
  PEERGRID_RETURN_IF_ERROR(CheckKnownEnum(where, "chemistry", static_cast<int>(b.chemistry),
                                          KnownChemistry(b.chemistry)));
  if ((b.alarm_bits & ~kKnownAlarmBits) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(Text(where), "alarm_bits 0x", absl::Hex(b.alarm_bits),
                     " has bits that are not SunSpec 802 Evt1 events (0x",
                     absl::Hex(b.alarm_bits & ~kKnownAlarmBits), ")"));
  }
  // The bank meter reads at most its bank's power limit over the interval.
  for (const IntervalRead& r : b.interval_reads) {
    PEERGRID_RETURN_IF_ERROR(ValidateRead(where, r, context, limits::kMaxBankPowerW));
  }
  return absl::OkStatus();
}

absl::Status CheckNotDecreasing(const Where& where, const char* field, int64_t now,
                                int64_t before) {
  if (now < before) {
    return absl::FailedPreconditionError(absl::StrCat(
        Text(where), field, " decreased from ", before, " to ", now, " (a monotonic counter)"));
  }
  return absl::OkStatus();
}

absl::Status CompareMeters(const MeterSample& m, const MeterSample& p) {
  const Where where{"meter \"", m.participant_id};
  PEERGRID_RETURN_IF_ERROR(CheckNotDecreasing(where, "import_wh", m.import_wh, p.import_wh));
  PEERGRID_RETURN_IF_ERROR(CheckNotDecreasing(where, "export_wh", m.export_wh, p.export_wh));
  return CheckNotDecreasing(where, "pv_wh", m.pv_wh, p.pv_wh);
}

absl::Status CompareBanks(const BankSample& b, const BankSample& p) {
  const Where where{"bank \"", b.bank_id};
  PEERGRID_RETURN_IF_ERROR(CheckNotDecreasing(where, "charged_wh", b.charged_wh, p.charged_wh));
  PEERGRID_RETURN_IF_ERROR(
      CheckNotDecreasing(where, "discharged_wh", b.discharged_wh, p.discharged_wh));
  return CheckNotDecreasing(where, "cycle_count", b.cycle_count, p.cycle_count);
}

// Calls compare(now, previous) for every element of `now` whose key is also in
// `previous`; the common case (same order in both) needs no map.
template <typename T, typename Key, typename Compare>
absl::Status ForMatching(const std::vector<T>& now, const std::vector<T>& previous, Key key,
                         Compare compare) {
  absl::flat_hash_map<std::string, const T*> index;
  for (size_t i = 0; i < now.size(); ++i) {
    const T* prev = nullptr;
    if (i < previous.size() && key(previous[i]) == key(now[i])) {
      prev = &previous[i];
    } else {
      if (index.empty()) {
        for (const T& p : previous) index.emplace(key(p), &p);
      }
      auto it = index.find(key(now[i]));
      if (it != index.end()) prev = it->second;
    }
    if (prev != nullptr) PEERGRID_RETURN_IF_ERROR(compare(now[i], *prev));
  }
  return absl::OkStatus();
}

}  // namespace

// Refuses more than `max` elements, or two with the same key: a report names
// each meter and bank once (a second copy would slip past the checks that
// compare it with the previous report).
template <typename T, typename Key>
absl::Status CheckUniqueAndBounded(const std::vector<T>& items, Key key, const char* list,
                                   const char* field, int64_t max) {
  if (static_cast<int64_t>(items.size()) > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(list, " has ", items.size(), " entries, more than ", max));
  }
  absl::flat_hash_set<absl::string_view> seen;
  seen.reserve(items.size());
  for (const T& item : items) {
    if (!seen.insert(key(item)).second) {
      return absl::InvalidArgumentError(absl::StrCat(list, ".", field, " ", QuoteInput(key(item)),
                                                     " appears twice in one report"));
    }
  }
  return absl::OkStatus();
}

// Refuses two reads of one interval from one meter in one report.
absl::Status CheckOneReadPerInterval(const std::vector<IntervalRead>& reads, const char* what,
                                     const std::string& id) {
  for (size_t i = 1; i < reads.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (reads[i].interval_start != reads[j].interval_start) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          what, id.empty() ? std::string() : absl::StrCat(" ", QuoteInput(id)),
          ": two interval_reads of interval ", reads[i].interval_start, " in one report"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSample(const HubSample& sample, const SampleContext& context) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("hub_id", sample.hub_id));
  PEERGRID_RETURN_IF_ERROR(ValidateId("zone_id", sample.zone_id));
  if (sample.seq == 0) {
    return absl::InvalidArgumentError("seq is 0: report sequence numbers start at 1");
  }
  if (sample.measured_at_unix_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("measured_at_unix_ms is ", sample.measured_at_unix_ms, ": expected > 0"));
  }
  if (sample.measured_at_unix_ms > context.now_unix_ms + limits::kMaxClockSkewMs) {
    return absl::InvalidArgumentError(
        absl::StrCat("measured_at_unix_ms ", sample.measured_at_unix_ms, " is more than ",
                     limits::kMaxClockSkewMs / 1000, " s ahead of the exchange clock (",
                     context.now_unix_ms, " ms)"));
  }
  PEERGRID_RETURN_IF_ERROR(CheckUniqueAndBounded(
      sample.meters, [](const MeterSample& m) -> const std::string& { return m.participant_id; },
      "meters", "participant_id", limits::kMaxMetersPerReport));
  PEERGRID_RETURN_IF_ERROR(CheckUniqueAndBounded(
      sample.banks, [](const BankSample& b) -> const std::string& { return b.bank_id; }, "banks",
      "bank_id", limits::kMaxBanksPerReport));
  for (const MeterSample& m : sample.meters) {
    PEERGRID_RETURN_IF_ERROR(ValidateMeter(m, context));
    PEERGRID_RETURN_IF_ERROR(CheckOneReadPerInterval(m.interval_reads, "meter", m.participant_id));
  }
  for (const BankSample& b : sample.banks) {
    PEERGRID_RETURN_IF_ERROR(ValidateBank(b, context));
    PEERGRID_RETURN_IF_ERROR(CheckOneReadPerInterval(b.interval_reads, "bank", b.bank_id));
  }
  PEERGRID_RETURN_IF_ERROR(CheckOneReadPerInterval(sample.grid.interval_reads, "grid", ""));
  const Where grid{"grid: ", {}};
  PEERGRID_RETURN_IF_ERROR(CheckRange(grid, "power_w", sample.grid.power_w,
                                      -limits::kMaxHubConnectionW, limits::kMaxHubConnectionW));
  PEERGRID_RETURN_IF_ERROR(CheckCounter(grid, "import_wh", sample.grid.import_wh));
  PEERGRID_RETURN_IF_ERROR(CheckCounter(grid, "export_wh", sample.grid.export_wh));
  for (const IntervalRead& r : sample.grid.interval_reads) {
    PEERGRID_RETURN_IF_ERROR(ValidateRead(grid, r, context, limits::kMaxHubConnectionW));
  }
  return CheckKnownEnum(grid, "mode", static_cast<int>(sample.grid.mode),
                        KnownGridMode(sample.grid.mode));
}

absl::Status ValidateSeqAdvance(uint64_t seq, uint64_t last_stored_seq) {
  if (seq > last_stored_seq && seq - last_stored_seq > limits::kMaxSeqAdvance) {
    return absl::InvalidArgumentError(absl::StrCat("seq ", seq, " jumps more than ",
                                                   limits::kMaxSeqAdvance,
                                                   " past the last stored seq ", last_stored_seq));
  }
  return absl::OkStatus();
}

absl::Status ValidateAgainstPrevious(const HubSample& sample, const HubSample& previous) {
  if (sample.seq <= previous.seq) {
    return absl::FailedPreconditionError(absl::StrCat("seq ", sample.seq, " goes backwards: hub \"",
                                                      sample.hub_id, "\" is at seq ",
                                                      previous.seq));
  }
  if (sample.measured_at_unix_ms < previous.measured_at_unix_ms) {
    return absl::FailedPreconditionError(
        absl::StrCat("measured_at_unix_ms ", sample.measured_at_unix_ms, " goes backwards: seq ",
                     previous.seq, " was measured at ", previous.measured_at_unix_ms));
  }
  PEERGRID_RETURN_IF_ERROR(ForMatching(
      sample.meters, previous.meters,
      [](const MeterSample& m) -> const std::string& { return m.participant_id; }, CompareMeters));
  PEERGRID_RETURN_IF_ERROR(ForMatching(
      sample.banks, previous.banks,
      [](const BankSample& b) -> const std::string& { return b.bank_id; }, CompareBanks));
  PEERGRID_RETURN_IF_ERROR(CheckNotDecreasing(Where{"grid: ", {}}, "import_wh",
                                              sample.grid.import_wh, previous.grid.import_wh));
  return CheckNotDecreasing(Where{"grid: ", {}}, "export_wh", sample.grid.export_wh,
                            previous.grid.export_wh);
}

}  // namespace peergrid::hub
