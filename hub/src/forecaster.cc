#include "peergrid/hub/forecaster.h"

#include <algorithm>
#include <utility>

namespace peergrid::hub {
namespace {

// Clear-sky energies older than this behind the newest one asked for are dropped.
constexpr int64_t kCacheSpanS = 2 * 86400;

double Blend(double old_value, double fresh, double weight, bool seen) {
  return seen ? old_value + weight * (fresh - old_value) : fresh;
}

}  // namespace

HubForecaster::HubForecaster(std::vector<HouseholdSpec> households, Observer site,
                             int64_t utc_offset_s, int64_t interval_s, ForecasterOptions options)
    : households_(std::move(households)),
      site_(site),
      utc_offset_s_(utc_offset_s),
      interval_s_(std::max<int64_t>(1, interval_s)),
      options_(options),
      persistence_(households_.size()) {
  for (size_t i = 0; i < households_.size(); ++i) index_[households_[i].participant_id] = i;
}

EnergyWh HubForecaster::ClearSky(size_t i, int64_t interval_start) {
  auto [it, inserted] =
      clear_sky_.try_emplace(interval_start, std::vector<int64_t>(households_.size(), -1));
  if (inserted) {
    const int64_t newest = clear_sky_.rbegin()->first;
    while (clear_sky_.begin()->first < newest - kCacheSpanS) clear_sky_.erase(clear_sky_.begin());
    it = clear_sky_.find(interval_start);
    if (it == clear_sky_.end()) {  // older than the cache keeps: compute, do not keep
      return ClearSkyPvEnergy(households_[i].pv, site_, utc_offset_s_, interval_start, interval_s_);
    }
  }
  int64_t& wh = it->second[i];
  if (wh < 0) {
    wh = ClearSkyPvEnergy(households_[i].pv, site_, utc_offset_s_, interval_start, interval_s_)
             .value();
  }
  return EnergyWh(wh);
}

void HubForecaster::Observe(const IntervalSummary& closed) {
  const double w = std::clamp(options_.weight, 0.0, 1.0);
  for (const HouseholdInterval& h : closed.households) {
    auto found = index_.find(h.participant_id);
    if (found == index_.end()) continue;
    const size_t i = found->second;
    Persistence& p = persistence_[i];
    const int64_t clear_sky = ClearSky(i, closed.interval_start).value();
    if (clear_sky > options_.min_clear_sky_wh) {
      const double clearness = static_cast<double>(h.pv_wh) / static_cast<double>(clear_sky);
      p.clearness = Blend(p.clearness, std::clamp(clearness, 0.0, 1.2), w, p.seen_sky);
      p.seen_sky = true;
    }
    const double expected = ExpectedLoadEnergyWh(households_[i].load, utc_offset_s_,
                                                 closed.interval_start, interval_s_);
    if (expected > 1) {
      const double ratio = static_cast<double>(h.load_wh) / expected;
      p.load_ratio = Blend(p.load_ratio, std::clamp(ratio, 0.2, 5.0), w, p.seen_load);
      p.seen_load = true;
    }
  }
}

HouseholdForecast HubForecaster::Forecast(size_t i, int64_t interval_start) {
  const Persistence& p = persistence_[i];
  return ForecastFromClearSky(households_[i], ClearSky(i, interval_start), utc_offset_s_,
                              interval_start, interval_s_, p.clearness, p.load_ratio);
}

CommunityForecast HubForecaster::Community(int64_t interval_start) {
  CommunityForecast total;
  for (size_t i = 0; i < households_.size(); ++i) {
    const HouseholdForecast f = Forecast(i, interval_start);
    total.pv += f.pv;
    total.load += f.load;
  }
  return total;
}

EnergyWh HubForecaster::DeficitAhead(int64_t interval_start, int64_t lookahead_s) {
  EnergyWh deficit;
  for (int64_t t = interval_start + interval_s_; t <= interval_start + lookahead_s;
       t += interval_s_) {
    const CommunityForecast c = Community(t);
    if (c.load > c.pv) deficit += c.load - c.pv;
  }
  return deficit;
}

}  // namespace peergrid::hub
