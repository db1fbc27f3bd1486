// Persistence forecasts of one hub's households (DESIGN.md §6): what the hub
// has measured in closed intervals against what the models expected there —
// clearness = measured PV ÷ clear-sky PV, load ratio = measured ÷ expected
// load — smoothed over intervals and applied to a coming interval's clear-sky
// PV and expected load shape (ForecastFromClearSky). It never sees an
// interval before it closes: no perfect foresight.
//
// Smoothing: the first closed interval of a household sets its factors; each
// later one moves them by `weight` (an exponential average), so one kettle
// spike or one passing cloud does not swing the next forecast all the way.
// PV in an interval whose clear-sky energy is below min_clear_sky_wh (night,
// dawn) says nothing about the sky and leaves the clearness as it was.
//
// Clear-sky PV (the costly part: solar positions) is cached per interval, so
// forecasting the next hours for every interval costs one new interval each.
//
// Thread-safety: thread-compatible (one owner, or a lock around it).
#ifndef PEERGRID_HUB_FORECASTER_H_
#define PEERGRID_HUB_FORECASTER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "peergrid/common/units.h"
#include "peergrid/hub/agents.h"
#include "peergrid/hub/household.h"
#include "peergrid/hub/simulator.h"
#include "peergrid/hub/solar_position.h"

namespace peergrid::hub {

struct Persistence {
  double clearness = 1.0;
  double load_ratio = 1.0;
  bool seen_sky = false;
  bool seen_load = false;
};

struct ForecasterOptions {
  double weight = 0.5;  // share of the newest interval in the smoothed factors
  int64_t min_clear_sky_wh = 50;
};

class HubForecaster {
 public:
  HubForecaster(std::vector<HouseholdSpec> households, Observer site, int64_t utc_offset_s,
                int64_t interval_s, ForecasterOptions options = {});

  // Folds one closed interval's measurements into the factors. Households
  // not in the spec list are ignored.
  void Observe(const IntervalSummary& closed);

  // Returns household i's forecast for the interval (i < households().size()).
  HouseholdForecast Forecast(size_t i, int64_t interval_start);
  // Returns Σ of every household's forecast for the interval.
  CommunityForecast Community(int64_t interval_start);
  // Returns Σ max(0, load − pv) of the community forecasts over the intervals
  // that start in (interval_start, interval_start + lookahead_s].
  EnergyWh DeficitAhead(int64_t interval_start, int64_t lookahead_s);

  const std::vector<HouseholdSpec>& households() const { return households_; }
  const Persistence& persistence(size_t i) const { return persistence_[i]; }
  int64_t interval_s() const { return interval_s_; }

 private:
  EnergyWh ClearSky(size_t i, int64_t interval_start);

  const std::vector<HouseholdSpec> households_;
  const Observer site_;
  const int64_t utc_offset_s_;
  const int64_t interval_s_;
  const ForecasterOptions options_;
  std::map<std::string, size_t> index_;
  std::vector<Persistence> persistence_;
  // interval_start → clear-sky PV per household (−1 = not computed yet).
  std::map<int64_t, std::vector<int64_t>> clear_sky_;
};

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_FORECASTER_H_
