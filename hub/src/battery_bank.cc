#include "peergrid/hub/battery_bank.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/status.h"

namespace peergrid::hub {
namespace {

absl::Status CheckRange(const std::string& where, const char* field, double v, double lo,
                        double hi) {
  if (!(v >= lo && v <= hi)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, field, " ", v, " is outside [", lo, ", ", hi, "]"));
  }
  return absl::OkStatus();
}

constexpr double kSecondsPerYear = 365.0 * 86400.0;

}  // namespace

absl::Status ValidateBankSpec(const BankSpec& s) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("bank_id", s.bank_id));
  if (!s.owner_participant_id.empty()) {
    PEERGRID_RETURN_IF_ERROR(ValidateId("bank owner_participant_id", s.owner_participant_id));
  }
  const std::string w = absl::StrCat("bank \"", s.bank_id, "\": ");
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "nameplate_wh", s.nameplate_wh, 1, 1e9));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "max_charge_w", s.max_charge_w, 0, 1e8));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "max_discharge_w", s.max_discharge_w, 0, 1e8));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "charge_efficiency", s.charge_efficiency, 0.5, 1));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "discharge_efficiency", s.discharge_efficiency, 0.5, 1));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "soc_min_pct", s.soc_min_pct, 0, 100));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "soc_max_pct", s.soc_max_pct, s.soc_min_pct, 100));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(w, "soc_reserve_pct", s.soc_reserve_pct, s.soc_min_pct, s.soc_max_pct));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(w, "initial_soc_pct", s.initial_soc_pct, s.soc_min_pct, s.soc_max_pct));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "initial_soh_pct", s.initial_soh_pct, 1, 100));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "initial_cycles", s.initial_cycles, 0, 1e6));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "fade_pct_per_cycle", s.fade_pct_per_cycle, 0, 1));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(w, "calendar_fade_pct_per_year", s.calendar_fade_pct_per_year, 0, 50));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "cells_in_series", s.cells_in_series, 1, 1000));
  PEERGRID_RETURN_IF_ERROR(CheckRange(w, "pack_resistance_ohm", s.pack_resistance_ohm, 0, 10));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(w, "thermal_mass_j_per_k", s.thermal_mass_j_per_k, 1000, 1e10));
  PEERGRID_RETURN_IF_ERROR(
      CheckRange(w, "thermal_resistance_k_per_w", s.thermal_resistance_k_per_w, 1e-5, 100));
  return CheckRange(w, "initial_temp_c", s.initial_temp_c, -40, 80);
}

BatteryBank::BatteryBank(BankSpec spec)
    : spec_(std::move(spec)),
      energy_wh_(0),
      soh_pct_(spec_.initial_soh_pct),
      temp_c_(spec_.initial_temp_c) {
  energy_wh_ = capacity_wh() * spec_.initial_soc_pct / 100.0;
}

double BatteryBank::capacity_wh() const {
  return static_cast<double>(spec_.nameplate_wh) * soh_pct_ / 100.0;
}

double BatteryBank::soc_pct() const {
  return std::clamp(100.0 * energy_wh_ / capacity_wh(), 0.0, 100.0);
}

int64_t BatteryBank::cycle_count() const {
  return spec_.initial_cycles + discharged_j_ / 3600 / spec_.nameplate_wh;
}

int64_t BatteryBank::MaxChargeW(int64_t dt_s) const {
  const double cell_min_c = temp_c_ - 0.5;
  if (cell_min_c < 0 || dt_s <= 0) return 0;
  const double room_wh = capacity_wh() * spec_.soc_max_pct / 100.0 - energy_wh_;
  if (room_wh <= 0) return 0;
  const double w = room_wh / spec_.charge_efficiency * 3600.0 / static_cast<double>(dt_s);
  return std::min<int64_t>(spec_.max_charge_w, static_cast<int64_t>(std::floor(w)));
}

int64_t BatteryBank::MaxDischargeW(int64_t dt_s, bool keep_reserve) const {
  if (dt_s <= 0) return 0;
  const double floor_pct = keep_reserve ? spec_.soc_reserve_pct : spec_.soc_min_pct;
  const double above_wh = energy_wh_ - capacity_wh() * floor_pct / 100.0;
  if (above_wh <= 0) return 0;
  const double w = above_wh * spec_.discharge_efficiency * 3600.0 / static_cast<double>(dt_s);
  return std::min<int64_t>(spec_.max_discharge_w, static_cast<int64_t>(std::floor(w)));
}

void BatteryBank::Step(int64_t power_w, int64_t dt_s, double ambient_c) {
  if (power_w > MaxDischargeW(dt_s, false) || -power_w > MaxChargeW(dt_s)) std::abort();
  const double dt = static_cast<double>(dt_s);
  const double cap_before = capacity_wh();
  if (power_w < 0) {
    energy_wh_ += static_cast<double>(-power_w) * spec_.charge_efficiency * dt / 3600.0;
    charged_j_ += -power_w * dt_s;
  } else if (power_w > 0) {
    energy_wh_ -= static_cast<double>(power_w) / spec_.discharge_efficiency * dt / 3600.0;
    discharged_j_ += power_w * dt_s;
  }
  // SoH fade from the equivalent cycles of this step and from the calendar.
  const double cycles = power_w > 0 ? static_cast<double>(power_w) * dt / 3600.0 /
                                          static_cast<double>(spec_.nameplate_wh)
                                    : 0.0;
  soh_pct_ -=
      spec_.fade_pct_per_cycle * cycles + spec_.calendar_fade_pct_per_year * dt / kSecondsPerYear;
  soh_pct_ = std::max(soh_pct_, 1.0);
  // Fade shrinks the capacity; the stored energy cannot exceed it.
  if (capacity_wh() < cap_before) energy_wh_ = std::min(energy_wh_, capacity_wh());
  energy_wh_ = std::max(energy_wh_, 0.0);

  power_w_ = power_w;
  current_a_ = static_cast<double>(power_w) / PackVoltage();
  // Lumped thermal model, integrated in sub-steps of at most 10 s for stability.
  const double heat_w = current_a_ * current_a_ * spec_.pack_resistance_ohm;
  for (double left = dt; left > 0; left -= 10.0) {
    const double h = std::min(left, 10.0);
    temp_c_ += (heat_w + (ambient_c - temp_c_) / spec_.thermal_resistance_k_per_w) * h /
               spec_.thermal_mass_j_per_k;
  }
}

void BatteryBank::Restore(const BankSample& s) {
  soh_pct_ = std::clamp(s.soh_pct, 1.0, 100.0);
  energy_wh_ = capacity_wh() * std::clamp(s.soc_pct, 0.0, 100.0) / 100.0;
  temp_c_ = (s.cell_temp_min_c + s.cell_temp_max_c) / 2.0;
  charged_j_ = s.charged_wh * 3600;
  discharged_j_ = s.discharged_wh * 3600;
  power_w_ = 0;
  current_a_ = 0;
}

double BatteryBank::CellOcv(double soc) const {
  switch (spec_.chemistry) {
    case Chemistry::kLfp:
      // Flat plateau with knees near empty and full: 2.79 V at 0 %, 3.42 V at 100 %.
      return 3.20 + 0.13 * (soc - 0.5) - 0.35 * std::exp(-soc / 0.04) +
             0.15 * std::exp((soc - 1.0) / 0.03);
    case Chemistry::kLto:
      return 1.9 + 0.7 * soc;
    case Chemistry::kLeadAcid:
      return 1.95 + 0.2 * soc;
    default:  // NMC, NCA and others: 3.0 V empty, 4.2 V full.
      return 3.0 + 1.2 * soc - 0.2 * std::exp(-soc / 0.05);
  }
}

double BatteryBank::PackVoltage() const {
  return CellOcv(soc_pct() / 100.0) * spec_.cells_in_series;
}

BankSample BatteryBank::Sample() const {
  BankSample s;
  s.bank_id = spec_.bank_id;
  s.soc_pct = soc_pct();
  s.soh_pct = soh_pct_;
  s.capacity_wh = static_cast<int64_t>(capacity_wh());
  const double above_min = energy_wh_ - capacity_wh() * spec_.soc_min_pct / 100.0;
  s.available_wh =
      std::max<int64_t>(0, static_cast<int64_t>(above_min * spec_.discharge_efficiency));
  s.soc_min_pct = spec_.soc_min_pct;
  s.soc_reserve_pct = spec_.soc_reserve_pct;
  s.max_charge_w = spec_.max_charge_w;
  s.max_discharge_w = spec_.max_discharge_w;
  s.power_w = power_w_;
  const double ocv = CellOcv(s.soc_pct / 100.0);
  const double cell_drop = current_a_ * spec_.pack_resistance_ohm / spec_.cells_in_series;
  const double spread = spec_.second_life ? 0.03 : 0.01;  // reused packs drift apart
  s.dc_voltage_v = PackVoltage() - current_a_ * spec_.pack_resistance_ohm;
  s.dc_current_a = current_a_;
  s.cell_voltage_min_v = ocv - cell_drop - spread;
  s.cell_voltage_max_v = ocv - cell_drop + spread;
  const double temp_spread = 0.5 + std::abs(current_a_) * 0.01;
  s.cell_temp_min_c = temp_c_ - temp_spread;
  s.cell_temp_max_c = temp_c_ + temp_spread;
  s.cycle_count = cycle_count();
  if (power_w_ > 0) {
    s.charge_state = ChargeState::kDischarging;
  } else if (power_w_ < 0) {
    s.charge_state = ChargeState::kCharging;
  } else if (s.soc_pct >= spec_.soc_max_pct - 0.5) {
    s.charge_state = ChargeState::kFull;
  } else if (s.soc_pct <= spec_.soc_min_pct + 0.5) {
    s.charge_state = ChargeState::kEmpty;
  } else {
    s.charge_state = ChargeState::kHolding;
  }
  s.bank_state =
      s.soc_pct <= spec_.soc_min_pct + 0.5 ? BankState::kSocProtection : BankState::kConnected;
  if (s.soc_pct <= spec_.soc_min_pct + 0.5) s.alarm_bits |= kEventUnderSocMinWarning;
  if (s.cell_temp_min_c < 0) s.alarm_bits |= kEventUnderTempWarning;
  if (s.cell_temp_max_c >= 50) s.alarm_bits |= kEventOverTempWarning;
  s.chemistry = spec_.chemistry;
  s.second_life = spec_.second_life;
  s.mobile = spec_.mobile;
  s.charged_wh = charged_wh();
  s.discharged_wh = discharged_wh();
  return s;
}

}  // namespace peergrid::hub
