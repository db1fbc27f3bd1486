#include "peergrid/hub/household.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "hash_random.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/status.h"

namespace peergrid::hub {
namespace {

double Bump(double hour, double centre, double sigma_h) {
  const double d = (hour - centre) / sigma_h;
  return std::exp(-0.5 * d * d);
}

double LocalHour(double unix_s, int64_t utc_offset_s) {
  double s = std::fmod(unix_s + static_cast<double>(utc_offset_s), 86400.0);
  if (s < 0) s += 86400.0;
  return s / 3600.0;
}

}  // namespace

absl::Status ValidateHousehold(const HouseholdSpec& spec) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("household participant_id", spec.participant_id));
  const std::string where = absl::StrCat("household \"", spec.participant_id, "\": ");
  if (spec.pv.nameplate_w < 0 || spec.pv.nameplate_w > 1000000) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "pv nameplate_w ", spec.pv.nameplate_w, " is outside [0, 1000000]"));
  }
  if (spec.pv.tilt_deg < 0 || spec.pv.tilt_deg > 90) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "pv tilt_deg ", spec.pv.tilt_deg, " is outside [0, 90]"));
  }
  if (spec.pv.azimuth_deg < 0 || spec.pv.azimuth_deg >= 360) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "pv azimuth_deg ", spec.pv.azimuth_deg, " is outside [0, 360)"));
  }
  if (spec.pv.losses < 0 || spec.pv.losses >= 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "pv losses ", spec.pv.losses, " is outside [0, 1)"));
  }
  const LoadProfile& l = spec.load;
  if (l.base_w < 0 || l.morning_peak_w < 0 || l.evening_peak_w < 0 || l.midday_w < 0 ||
      l.spike_w < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, "load powers must be ≥ 0"));
  }
  if (l.noise < 0 || l.noise > 0.9 || l.spike_probability < 0 || l.spike_probability > 1) {
    return absl::InvalidArgumentError(absl::StrCat(where, "load noise ", l.noise,
                                                   " or spike_probability ", l.spike_probability,
                                                   " is out of range"));
  }
  return absl::OkStatus();
}

int64_t PvPowerW(const PvArray& pv, double poa_w_m2, double ambient_c) {
  if (pv.nameplate_w <= 0 || poa_w_m2 <= 0) return 0;
  const double cell_c = ambient_c + poa_w_m2 / 800.0 * (pv.noct_c - 20.0);
  const double dc = static_cast<double>(pv.nameplate_w) * poa_w_m2 / 1000.0 *
                    (1.0 + pv.temp_coeff_per_c * (cell_c - 25.0));
  const double ac = dc * (1.0 - pv.losses);
  return std::clamp<int64_t>(static_cast<int64_t>(ac), 0, pv.nameplate_w);
}

double ExpectedLoadW(const LoadProfile& load, double unix_s, int64_t utc_offset_s) {
  const double h = LocalHour(unix_s, utc_offset_s);
  // Peaks wrap around midnight: evaluate the evening bump a day either side too.
  const double evening = Bump(h, 19.5, 1.6) + Bump(h + 24, 19.5, 1.6) + Bump(h - 24, 19.5, 1.6);
  return load.base_w + load.morning_peak_w * Bump(h, 7.5, 1.0) + load.evening_peak_w * evening +
         load.midday_w * Bump(h, 13.0, 2.0);
}

int64_t LoadPowerW(const LoadProfile& load, uint64_t seed, uint64_t household_index, double unix_s,
                   int64_t utc_offset_s) {
  const double local_s = unix_s + static_cast<double>(utc_offset_s);
  const auto minute = static_cast<uint64_t>(static_cast<int64_t>(std::floor(local_s / 60.0)));
  const auto block = minute / 5;
  const auto day = minute / 1440;
  const uint64_t stream = household_index << 8;
  // Households differ in size (0.7–1.3×) and each day differs a little (±10 %).
  const double household_scale = 0.7 + 0.6 * Uniform(seed, kStreamLoadDay + stream, ~0ULL);
  const double day_scale = 0.9 + 0.2 * Uniform(seed, kStreamLoadDay + stream, day);
  const double expected = ExpectedLoadW(load, unix_s, utc_offset_s);
  double w = expected * household_scale * day_scale *
             (1.0 + load.noise * (2.0 * Uniform(seed, kStreamLoadNoise + stream, minute) - 1.0));
  // Spikes are likelier when the household is awake and active (near peaks).
  const double activity =
      (expected - load.base_w) / std::max(1.0, load.morning_peak_w + load.evening_peak_w);
  if (Uniform(seed, kStreamLoadSpike + stream, block) <
      load.spike_probability * std::clamp(0.3 + 2.0 * activity, 0.0, 1.0)) {
    w += load.spike_w;
  }
  return std::max<int64_t>(0, static_cast<int64_t>(w));
}

}  // namespace peergrid::hub
