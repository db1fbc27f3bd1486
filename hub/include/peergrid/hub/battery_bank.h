// A battery bank model for the simulator: new or second-life (reused EV)
// packs, fixed or mobile. Tracks stored energy with charge and discharge
// efficiencies, power limits, a minimum SoC and a community reserve,
// equivalent full cycles, a lumped thermal model, and SoH fade.
//
//   energy       E += P_charge·η_c·dt;  E −= P_discharge/η_d·dt  (terminal power P)
//   capacity     nameplate · SoH;  SoC = E / capacity
//   cycles       equivalent full cycles = Σ discharged terminal energy / nameplate
//                (plus the cycles a second-life pack arrives with)
//   SoH fade     −fade_pct_per_cycle per equivalent cycle − calendar fade per year
//   thermal      C·dT/dt = I²·R + (T_ambient − T)/R_th; cells spread ± around T
//   voltage      per-chemistry open-circuit curve per cell, minus I·R under load
//   BMS          no charging with a cell below 0 °C; no discharge below soc_min
//
// Thread-safety: thread-compatible (one owner steps it).
#ifndef PEERGRID_HUB_BATTERY_BANK_H_
#define PEERGRID_HUB_BATTERY_BANK_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "peergrid/hub/telemetry.h"

namespace peergrid::hub {

struct BankSpec {
  std::string bank_id;
  // The participant that trades this bank's energy (e.g. the hub's shared
  // storage participant); empty if it only balances the hub.
  std::string owner_participant_id;
  Chemistry chemistry = Chemistry::kLfp;
  int64_t nameplate_wh = 100000;
  int64_t max_charge_w = 25000;
  int64_t max_discharge_w = 25000;
  double charge_efficiency = 0.96;
  double discharge_efficiency = 0.96;
  double soc_min_pct = 5;
  double soc_max_pct = 100;
  double soc_reserve_pct = 20;
  double initial_soc_pct = 50;
  double initial_soh_pct = 100;
  int64_t initial_cycles = 0;
  bool second_life = false;
  bool mobile = false;
  double fade_pct_per_cycle = 0.004;
  double calendar_fade_pct_per_year = 1.0;
  int cells_in_series = 200;
  double pack_resistance_ohm = 0.1;
  double thermal_mass_j_per_k = 400000;
  double thermal_resistance_k_per_w = 0.05;
  double initial_temp_c = 20;
};

// Returns OK when the spec is consistent, else InvalidArgument naming the field.
absl::Status ValidateBankSpec(const BankSpec& spec);

class BatteryBank {
 public:
  // `spec` must pass ValidateBankSpec.
  explicit BatteryBank(BankSpec spec);

  // Returns the largest charge power (W ≥ 0) the bank accepts for the next
  // `dt_s` seconds: 0 below 0 °C or at soc_max.
  int64_t MaxChargeW(int64_t dt_s) const;
  // Returns the largest discharge power (W ≥ 0) for the next `dt_s` seconds,
  // down to soc_min, or down to the reserve when `keep_reserve`.
  int64_t MaxDischargeW(int64_t dt_s, bool keep_reserve) const;
  // Applies terminal power `power_w` (discharge +, charge −) for `dt_s`
  // seconds at ambient temperature `ambient_c`. The power must lie within
  // [−MaxChargeW, MaxDischargeW(keep_reserve = false)] (crashes otherwise).
  void Step(int64_t power_w, int64_t dt_s, double ambient_c);
  // Restores the state a previous report carried (daemon restart).
  void Restore(const BankSample& sample);

  // Returns the reading a report carries now.
  BankSample Sample() const;

  double soc_pct() const;
  double soh_pct() const { return soh_pct_; }
  double capacity_wh() const;
  double energy_wh() const { return energy_wh_; }
  double temp_c() const { return temp_c_; }
  int64_t cycle_count() const;
  int64_t charged_wh() const { return charged_j_ / 3600; }
  int64_t discharged_wh() const { return discharged_j_ / 3600; }
  // Terminal energy counters, W·s (exact).
  int64_t charged_j() const { return charged_j_; }
  int64_t discharged_j() const { return discharged_j_; }
  int64_t last_power_w() const { return power_w_; }
  const BankSpec& spec() const { return spec_; }

 private:
  double CellOcv(double soc) const;
  double PackVoltage() const;

  BankSpec spec_;
  double energy_wh_;
  double soh_pct_;
  double temp_c_;
  int64_t charged_j_ = 0;     // terminal energy in, W·s
  int64_t discharged_j_ = 0;  // terminal energy out, W·s
  int64_t power_w_ = 0;
  double current_a_ = 0;
};

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_BATTERY_BANK_H_
