// A household for the simulator: rooftop PV (nameplate, tilt, azimuth) and a
// load profile with morning and evening peaks and seeded variation. Consumers
// have a zero PV nameplate.
//
// PV model: P_ac = min(nameplate, nameplate · POA/1000 · (1 + γ (T_cell − 25)) ·
// (1 − losses)), T_cell = T_amb + POA/800 · (NOCT − 20) (the NOCT cell model).
// Load model: base + morning and evening Gaussian peaks + a midday shoulder in
// local time, scaled per household and day, with per-minute noise and
// occasional appliance spikes (kettle, cooking), all hashed from the seed.
//
// Thread-safety: pure functions of their arguments.
#ifndef PEERGRID_HUB_HOUSEHOLD_H_
#define PEERGRID_HUB_HOUSEHOLD_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace peergrid::hub {

struct PvArray {
  int64_t nameplate_w = 0;   // peak AC power; 0 for a consumer
  double tilt_deg = 25;      // from horizontal
  double azimuth_deg = 180;  // eastward from north (180 = south)
  double losses = 0.14;      // wiring, soiling, inverter
  double temp_coeff_per_c = -0.004;
  double noct_c = 45;
};

struct LoadProfile {
  double base_w = 250;              // always-on load
  double morning_peak_w = 900;      // extra at the morning peak (07:30 local)
  double evening_peak_w = 1400;     // extra at the evening peak (19:30 local)
  double midday_w = 200;            // extra around 13:00 local
  double noise = 0.15;              // relative per-minute variation
  double spike_w = 1800;            // appliance spike power
  double spike_probability = 0.06;  // per 5-minute block, weighted by the peaks
};

struct HouseholdSpec {
  std::string participant_id;
  PvArray pv;
  LoadProfile load;
};

// Returns OK when the spec is usable, else InvalidArgument naming the field.
absl::Status ValidateHousehold(const HouseholdSpec& spec);

// Returns the AC power of `pv` for plane-of-array irradiance `poa_w_m2` at
// ambient temperature `ambient_c`, W (≥ 0, ≤ nameplate).
int64_t PvPowerW(const PvArray& pv, double poa_w_m2, double ambient_c);

// Returns the noise-free load shape at `unix_s`, W (what a forecast expects).
double ExpectedLoadW(const LoadProfile& load, double unix_s, int64_t utc_offset_s);

// Returns the household's load at `unix_s`, W: the expected shape scaled by a
// per-household, per-day factor, with per-minute noise and spikes. The same
// (seed, household_index, minute) always gives the same value.
int64_t LoadPowerW(const LoadProfile& load, uint64_t seed, uint64_t household_index, double unix_s,
                   int64_t utc_offset_s);

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_HOUSEHOLD_H_
