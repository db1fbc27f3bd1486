#include "peergrid/hub/telemetry_rules.h"

#include <cmath>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/status.h"

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

absl::Status CheckNonNegative(const Where& where, const char* field, int64_t value) {
  if (value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(Text(where), field, " is ", value, ": expected ≥ 0"));
  }
  return absl::OkStatus();
}

absl::Status CheckFinite(const Where& where, const char* field, double value) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat(Text(where), field, " is not a finite number"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMeter(const MeterSample& m, int64_t interval_s) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("meters.participant_id", m.participant_id));
  const Where where{"meter \"", m.participant_id};
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "import_wh", m.import_wh));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "export_wh", m.export_wh));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "pv_wh", m.pv_wh));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "pv_power_w", m.pv_power_w));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "load_power_w", m.load_power_w));
  for (const IntervalRead& r : m.interval_reads) {
    if (interval_s <= 0 || r.interval_start % interval_s != 0) {
      return absl::InvalidArgumentError(absl::StrCat(Text(where), "interval_reads.interval_start ",
                                                     r.interval_start, " is not aligned to ",
                                                     interval_s, " s"));
    }
    PEERGRID_RETURN_IF_ERROR(
        CheckNonNegative(where, "interval_reads.import_wh", r.import_wh.value()));
    PEERGRID_RETURN_IF_ERROR(
        CheckNonNegative(where, "interval_reads.export_wh", r.export_wh.value()));
    if (r.quality == ReadQuality::kUnspecified) {
      return absl::InvalidArgumentError(absl::StrCat(
          Text(where), "interval_reads.quality is unspecified for interval ", r.interval_start));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBank(const BankSample& b) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("banks.bank_id", b.bank_id));
  const Where where{"bank \"", b.bank_id};
  PEERGRID_RETURN_IF_ERROR(CheckPercent(where, "soc_pct", b.soc_pct));
  PEERGRID_RETURN_IF_ERROR(CheckPercent(where, "soh_pct", b.soh_pct));
  PEERGRID_RETURN_IF_ERROR(CheckPercent(where, "soc_min_pct", b.soc_min_pct));
  PEERGRID_RETURN_IF_ERROR(CheckPercent(where, "soc_reserve_pct", b.soc_reserve_pct));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "capacity_wh", b.capacity_wh));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "available_wh", b.available_wh));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "max_charge_w", b.max_charge_w));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "max_discharge_w", b.max_discharge_w));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "cycle_count", b.cycle_count));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "charged_wh", b.charged_wh));
  PEERGRID_RETURN_IF_ERROR(CheckNonNegative(where, "discharged_wh", b.discharged_wh));
  PEERGRID_RETURN_IF_ERROR(CheckFinite(where, "dc_voltage_v", b.dc_voltage_v));
  PEERGRID_RETURN_IF_ERROR(CheckFinite(where, "dc_current_a", b.dc_current_a));
  PEERGRID_RETURN_IF_ERROR(CheckFinite(where, "cell_voltage_min_v", b.cell_voltage_min_v));
  PEERGRID_RETURN_IF_ERROR(CheckFinite(where, "cell_voltage_max_v", b.cell_voltage_max_v));
  PEERGRID_RETURN_IF_ERROR(CheckFinite(where, "cell_temp_min_c", b.cell_temp_min_c));
  PEERGRID_RETURN_IF_ERROR(CheckFinite(where, "cell_temp_max_c", b.cell_temp_max_c));
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

absl::Status ValidateSample(const HubSample& sample, int64_t interval_s) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("hub_id", sample.hub_id));
  PEERGRID_RETURN_IF_ERROR(ValidateId("zone_id", sample.zone_id));
  if (sample.seq == 0) {
    return absl::InvalidArgumentError("seq is 0: report sequence numbers start at 1");
  }
  if (sample.measured_at_unix_ms <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("measured_at_unix_ms is ", sample.measured_at_unix_ms, ": expected > 0"));
  }
  for (const MeterSample& m : sample.meters) PEERGRID_RETURN_IF_ERROR(ValidateMeter(m, interval_s));
  for (const BankSample& b : sample.banks) PEERGRID_RETURN_IF_ERROR(ValidateBank(b));
  PEERGRID_RETURN_IF_ERROR(
      CheckNonNegative(Where{"grid: ", {}}, "import_wh", sample.grid.import_wh));
  PEERGRID_RETURN_IF_ERROR(
      CheckNonNegative(Where{"grid: ", {}}, "export_wh", sample.grid.export_wh));
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
