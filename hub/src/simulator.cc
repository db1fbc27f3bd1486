#include "peergrid/hub/simulator.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/status.h"

namespace peergrid::hub {

absl::Status ValidateSimulatorConfig(const SimulatorConfig& c) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("hub_id", c.hub_id));
  PEERGRID_RETURN_IF_ERROR(ValidateId("zone_id", c.zone_id));
  if (!(std::abs(c.site.latitude_deg) <= 90) || !(std::abs(c.site.longitude_deg) <= 180)) {
    return absl::InvalidArgumentError(absl::StrCat("site latitude ", c.site.latitude_deg,
                                                   " / longitude ", c.site.longitude_deg,
                                                   " is outside [−90, 90] / [−180, 180]"));
  }
  if (std::abs(c.utc_offset_s) > 14 * 3600) {
    return absl::InvalidArgumentError(
        absl::StrCat("utc_offset_s ", c.utc_offset_s, " is outside ±14 h"));
  }
  if (c.interval_s <= 0 || 86400 % c.interval_s != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("interval_s ", c.interval_s, " must divide a day"));
  }
  if (c.step_s < 1 || c.step_s > c.interval_s) {
    return absl::InvalidArgumentError(
        absl::StrCat("step_s ", c.step_s, " is outside [1, interval_s]"));
  }
  if (!(c.weather.cloudiness >= 0 && c.weather.cloudiness <= 1) ||
      !(c.weather.variability >= 0 && c.weather.variability <= 2)) {
    return absl::InvalidArgumentError(absl::StrCat("weather cloudiness ", c.weather.cloudiness,
                                                   " or variability ", c.weather.variability,
                                                   " is out of range"));
  }
  std::set<std::string> ids;
  for (const HouseholdSpec& h : c.households) {
    PEERGRID_RETURN_IF_ERROR(ValidateHousehold(h));
    if (!ids.insert(h.participant_id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("household participant_id \"", h.participant_id, "\" appears twice"));
    }
  }
  std::set<std::string> bank_ids;
  for (const BankSpec& b : c.banks) {
    PEERGRID_RETURN_IF_ERROR(ValidateBankSpec(b));
    if (!bank_ids.insert(b.bank_id).second) {
      return absl::InvalidArgumentError(absl::StrCat("bank_id \"", b.bank_id, "\" appears twice"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Simulator>> Simulator::Create(SimulatorConfig config,
                                                             int64_t start_unix_s) {
  PEERGRID_RETURN_IF_ERROR(ValidateSimulatorConfig(config));
  return std::unique_ptr<Simulator>(new Simulator(std::move(config), start_unix_s));
}

Simulator::Simulator(SimulatorConfig config, int64_t start_unix_s)
    : config_(std::move(config)),
      weather_(config_.weather, config_.seed, config_.utc_offset_s),
      now_s_(start_unix_s) {
  for (const HouseholdSpec& h : config_.households) meters_.emplace_back(h.participant_id);
  for (const BankSpec& b : config_.banks) banks_.emplace_back(b);
  bank_net_at_interval_start_.assign(banks_.size(), 0);
  bank_wh_at_interval_start_.assign(banks_.size(), {0, 0});
  bank_reads_.assign(banks_.size(), {});
  // A start inside an interval makes its first read partial.
  next_read_estimated_ = start_unix_s % config_.interval_s != 0;
}

int64_t HubLossW(int64_t grid_net_w, int64_t meter_count, int64_t interval_s) {
  // Each of the meter_count + 1 reads of an interval is a difference of two
  // counters floored to Wh, so the read residual is the true loss give or
  // take meter_count + 1 Wh: a no-load loss of at least that much per
  // interval keeps it ≥ 0.
  const int64_t no_load_w = ((meter_count + 2) * 3600 + interval_s - 1) / interval_s;
  const int64_t through_w = grid_net_w < 0 ? -grid_net_w : grid_net_w;
  return no_load_w + through_w * kHubLoadLossPpm / 1'000'000;
}

absl::Status Simulator::AdvanceTo(int64_t unix_s) {
  if (unix_s < now_s_) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot go back in time from ", now_s_, " to ", unix_s));
  }
  while (now_s_ < unix_s) {
    const int64_t next_boundary = (now_s_ / config_.interval_s + 1) * config_.interval_s;
    const int64_t dt = std::min({config_.step_s, unix_s - now_s_, next_boundary - now_s_});
    Step(dt);
    if (now_s_ == next_boundary) CloseInterval(next_boundary - config_.interval_s);
  }
  return absl::OkStatus();
}

void Simulator::Step(int64_t dt_s) {
  const double mid = static_cast<double>(now_s_) + static_cast<double>(dt_s) / 2.0;
  const SolarPosition sun = ComputeSolarPosition(mid, config_.site);
  const Irradiance irr = weather_.IrradianceAt(mid, sun);
  const double ambient_c = weather_.AmbientC(mid);

  StepRecord rec;
  rec.start_unix_s = now_s_;
  rec.dt_s = dt_s;
  int64_t community_net_w = 0;  // Σ (load − PV): + deficit, − surplus
  for (size_t i = 0; i < meters_.size(); ++i) {
    const HouseholdSpec& h = config_.households[i];
    int64_t pv_w = 0;
    if (h.pv.nameplate_w > 0) {
      pv_w = PvPowerW(h.pv, weather_.PlaneOfArray(irr, sun, h.pv.tilt_deg, h.pv.azimuth_deg),
                      ambient_c);
    }
    const int64_t load_w = LoadPowerW(h.load, config_.seed, i, mid, config_.utc_offset_s);
    meters_[i].Step(pv_w, load_w, dt_s);
    rec.pv_w += pv_w;
    rec.load_w += load_w;
    community_net_w += load_w - pv_w;
  }
  const int64_t bank_w = Dispatch(community_net_w, dt_s, ambient_c);
  for (const BatteryBank& b : banks_) {
    if (b.last_power_w() > 0) rec.discharge_w += b.last_power_w();
    if (b.last_power_w() < 0) rec.charge_w += -b.last_power_w();
  }
  const int64_t net_w = community_net_w - bank_w;
  rec.loss_w =
      HubLossW(net_w, static_cast<int64_t>(meters_.size() + banks_.size()), config_.interval_s);
  grid_power_w_ = net_w + rec.loss_w;
  if (grid_power_w_ > 0) {
    rec.grid_import_w = grid_power_w_;
    grid_import_j_ += grid_power_w_ * dt_s;
  } else {
    rec.grid_export_w = -grid_power_w_;
    grid_export_j_ += -grid_power_w_ * dt_s;
  }
  now_s_ += dt_s;
  if (step_observer_) step_observer_(rec);
}

int64_t Simulator::Dispatch(int64_t community_net_w, int64_t dt_s, double ambient_c) {
  // Deficit: discharge down to each bank's reserve; surplus: charge. Banks are
  // served in config order, each up to its own limit.
  int64_t remaining = community_net_w;
  int64_t total = 0;
  for (BatteryBank& b : banks_) {
    int64_t p = 0;
    if (remaining > 0) {
      p = std::min(remaining, b.MaxDischargeW(dt_s, /*keep_reserve=*/true));
    } else if (remaining < 0) {
      p = -std::min(-remaining, b.MaxChargeW(dt_s));
    }
    b.Step(p, dt_s, ambient_c);
    remaining -= p;
    total += p;
  }
  return total;
}

void Simulator::CloseInterval(int64_t interval_start) {
  const ReadQuality quality = next_read_estimated_ ? ReadQuality::kEstimated : ReadQuality::kOk;
  next_read_estimated_ = false;
  IntervalSummary summary;
  summary.interval_start = interval_start;
  for (Meter& m : meters_) {
    const MeterCounters d = m.CloseInterval(interval_start, quality);
    summary.households.push_back(
        {m.participant_id(), d.pv_wh, d.load_wh, d.import_wh, d.export_wh});
  }
  for (size_t i = 0; i < banks_.size(); ++i) {
    const BatteryBank& b = banks_[i];
    const int64_t net_j = b.discharged_j() - b.charged_j();
    const BankSample s = b.Sample();
    summary.banks.push_back({b.spec().bank_id, s.soc_pct, s.soh_pct,
                             (net_j - bank_net_at_interval_start_[i]) / config_.interval_s,
                             s.cell_temp_max_c, s.cycle_count});
    bank_net_at_interval_start_[i] = net_j;
    const std::pair<int64_t, int64_t> wh{b.charged_wh(), b.discharged_wh()};
    bank_reads_[i].push_back({interval_start,
                              EnergyWh(wh.first - bank_wh_at_interval_start_[i].first),
                              EnergyWh(wh.second - bank_wh_at_interval_start_[i].second), quality});
    bank_wh_at_interval_start_[i] = wh;
  }
  const std::pair<int64_t, int64_t> grid_wh{grid_import_j_ / 3600, grid_export_j_ / 3600};
  grid_reads_.push_back({interval_start, EnergyWh(grid_wh.first - grid_wh_at_interval_start_.first),
                         EnergyWh(grid_wh.second - grid_wh_at_interval_start_.second), quality});
  grid_wh_at_interval_start_ = grid_wh;
  summaries_.push_back(std::move(summary));
}

HubSample Simulator::TakeReport(uint64_t seq) {
  HubSample out;
  out.hub_id = config_.hub_id;
  out.zone_id = config_.zone_id;
  out.seq = seq;
  out.measured_at_unix_ms = now_s_ * 1000;
  out.meters.reserve(meters_.size());
  for (Meter& m : meters_) {
    MeterSample s = m.Sample();
    s.interval_reads = m.TakeReads();
    out.meters.push_back(std::move(s));
  }
  for (size_t i = 0; i < banks_.size(); ++i) {
    out.banks.push_back(banks_[i].Sample());
    out.banks.back().interval_reads = std::exchange(bank_reads_[i], {});
  }
  out.grid.power_w = grid_power_w_;
  out.grid.import_wh = grid_import_j_ / 3600;
  out.grid.export_wh = grid_export_j_ / 3600;
  out.grid.mode = GridMode::kOnGrid;
  out.grid.interval_reads = std::exchange(grid_reads_, {});
  return out;
}

std::vector<IntervalSummary> Simulator::TakeIntervalSummaries() {
  return std::exchange(summaries_, {});
}

absl::Status Simulator::RestoreFrom(const HubSample& last) {
  if (last.hub_id != config_.hub_id) {
    return absl::InvalidArgumentError(absl::StrCat("restore: report hub_id \"", last.hub_id,
                                                   "\" is not \"", config_.hub_id, "\""));
  }
  for (Meter& m : meters_) {
    for (const MeterSample& s : last.meters) {
      if (s.participant_id == m.participant_id()) m.Restore(s);
    }
  }
  for (size_t i = 0; i < banks_.size(); ++i) {
    for (const BankSample& s : last.banks) {
      if (s.bank_id == banks_[i].spec().bank_id) banks_[i].Restore(s);
    }
    bank_net_at_interval_start_[i] = banks_[i].discharged_j() - banks_[i].charged_j();
    bank_wh_at_interval_start_[i] = {banks_[i].charged_wh(), banks_[i].discharged_wh()};
    bank_reads_[i].clear();
  }
  grid_import_j_ = last.grid.import_wh * 3600;
  grid_export_j_ = last.grid.export_wh * 3600;
  grid_wh_at_interval_start_ = {last.grid.import_wh, last.grid.export_wh};
  grid_reads_.clear();
  grid_power_w_ = last.grid.power_w;
  now_s_ = last.measured_at_unix_ms / 1000;
  next_read_estimated_ = true;
  summaries_.clear();
  return absl::OkStatus();
}

}  // namespace peergrid::hub
