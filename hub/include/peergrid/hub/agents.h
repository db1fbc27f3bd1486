// Trading agents of a smart hub (DESIGN.md §6), pure: the hub daemon calls
// them once per delivery interval with a forecast, the tariff, the market
// timing and the clock's `now`, and submits the orders they return. Same
// inputs, same orders: nothing random, nothing remembered between calls.
//
// Forecast (ForecastHousehold, and HubForecaster in forecaster.h): the
// clear-sky PV of the household's array over the interval, scaled by the
// recent clearness (measured PV ÷ clear-sky PV: persistence of the sky), and
// the expected load shape scaled by the recent load ratio (measured ÷
// expected). Only closed intervals are seen: no perfect foresight.
//
// Pricing (all integer mcu/kWh; f = feed_in, r = retail, spread = r − f; a
// "share" is a permille of the spread added to f; every limit lies in [f, r]):
//   community balance  bal = 1000·(pv − load)/(pv + load) of the hub's
//                      forecast for the interval, −1000 (all deficit) …
//                      +1000 (all surplus);
//   dispersion         d ∈ [−dispersion, +dispersion], a hash of (participant
//                      id, interval): agents differ, reproducibly;
//   household SELL     share = sell_margin − community_slope·bal/1000
//                              − own_slope·(surplus ÷ own PV) + d:
//                      the more the community (and the seller itself) has to
//                      spare, the cheaper it sells;
//   household BUY      share = (1000 − buy_margin) − community_slope·bal/1000
//                              + own_slope·(deficit ÷ own load) + d:
//                      the scarcer energy is, the more it bids;
//   defaults           sell_margin 400, buy_margin 500, community_slope 300,
//                      own_slope 120, dispersion 30: at f = 50, r = 200 a
//                      sunny noon seller asks 60–70, a consumer at noon bids
//                      107–117, an evening buyer 183–192 (docs/HUB.md);
//   quantity           a share of the forecast surplus (sell_share 80 %: an
//                      undelivered sell is bought back at retail, so the agent
//                      offers a cautious quantile) or deficit (buy_share 90 %);
//                      a SELL never exceeds the household's deliverable cap.
//   shared storage     u = stored ÷ usable energy above the reserve (permille),
//                      z = scarcity ahead = 1000·D/(D + stored), D the forecast
//                      community deficit over the next lookahead_s;
//     BUY (community surplus)  share = min(buy_ceiling, buy_margin +
//                      buy_soc_slope·(1000 − u)/1000 + buy_scarcity_slope·z/1000):
//                      an empty bank facing an evening deficit buys midday
//                      surplus eagerly, a full one only cheaply;
//     SELL (community deficit) ask = max(floor, f + spread·share/1000),
//                      share = sell_margin + sell_soc_slope·(1000 − u)/1000 +
//                      sell_scarcity_slope·z/1000 + hold_premium·(1000 − u)/1000
//                      during [hold_from_hour, peak_from_hour) local time: a low
//                      bank holds its energy for the evening peak;
//     floor            = ⌈max_bid ÷ round-trip efficiency⌉ + cycle_cost, with
//                      max_bid = f + spread·buy_ceiling/1000, the most it ever
//                      pays: no cycle loses money. When floor > r no cycle can
//                      pay and the storage does not trade;
//     defaults         buy_margin 150, buy_soc_slope 200, buy_scarcity_slope
//                      150, buy_ceiling 500, sell_margin 500, sell_soc_slope
//                      200, sell_scarcity_slope 200, hold_premium 150 from 14:00
//                      to 17:00, efficiency 92 %, cycle cost 8 000 mcu/kWh,
//                      lookahead 6 h.
//     quantity         a share of the community position, never below the
//                      banks' reserve, never beyond their room or power.
// At most one order per participant and interval, so nobody is on both sides.
//
// Thread-safety: pure functions / immutable objects; thread-safe.
#ifndef PEERGRID_HUB_AGENTS_H_
#define PEERGRID_HUB_AGENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "peergrid/common/market_time.h"
#include "peergrid/common/units.h"
#include "peergrid/hub/household.h"
#include "peergrid/hub/solar_position.h"
#include "peergrid/hub/telemetry.h"
#include "peergrid/matching/order.h"
#include "peergrid/matching/validation.h"

namespace peergrid::hub {

struct HouseholdForecast {
  EnergyWh pv;
  EnergyWh load;
  // pv − load: + surplus, − deficit.
  EnergyWh net() const { return pv - load; }
  friend bool operator==(const HouseholdForecast&, const HouseholdForecast&) = default;
};

// Σ over a hub's households of their forecasts for one interval.
using CommunityForecast = HouseholdForecast;

// Returns 1000·(pv − load)/(pv + load), rounded toward zero, in
// [−1000, 1000]; 0 when both are 0 (or negative).
int BalancePermille(const HouseholdForecast& forecast);

// Returns the clear-sky PV energy of `pv` over [interval_start, +interval_s).
EnergyWh ClearSkyPvEnergy(const PvArray& pv, const Observer& site, int64_t utc_offset_s,
                          int64_t interval_start, int64_t interval_s);

// Returns the noise-free load energy of `load` over [interval_start,
// +interval_s) (ExpectedLoadW integrated over 5-minute samples).
double ExpectedLoadEnergyWh(const LoadProfile& load, int64_t utc_offset_s, int64_t interval_start,
                            int64_t interval_s);

// Forecasts one household's interval. `clearness` (0–1.2) and `load_ratio`
// (0.2–5) are the persistence factors; out-of-range values are clamped.
HouseholdForecast ForecastHousehold(const HouseholdSpec& household, const Observer& site,
                                    int64_t utc_offset_s, int64_t interval_start,
                                    int64_t interval_s, double clearness, double load_ratio);
// The same from an already computed clear-sky PV energy of the interval.
HouseholdForecast ForecastFromClearSky(const HouseholdSpec& household, EnergyWh clear_sky_pv,
                                       int64_t utc_offset_s, int64_t interval_start,
                                       int64_t interval_s, double clearness, double load_ratio);

// Returns what a sampled bank can discharge, by matching's one rule
// (matching::EnergyAboveReserve and its max_discharge_w): the exchange
// computes the same from the report of this sample.
matching::StorageCapacity StorageCapacityOf(const BankSample& bank);

// Returns a deterministic offset in [−spread_permille, +spread_permille]
// from a hash of (participant_id, interval_start); 0 when spread_permille ≤ 0.
int DispersionPermille(const std::string& participant_id, int64_t interval_start,
                       int spread_permille);

// What every agent needs to know about the market.
struct MarketView {
  matching::Tariff tariff;
  MarketTiming timing;
  int64_t now_unix_s = 0;
};

// A household's strategy; see the header comment for the formulas.
struct PricingStrategy {
  int sell_margin_permille = 400;      // SELL share in a balanced community
  int buy_margin_permille = 500;       // BUY below retail in a balanced community
  int community_slope_permille = 300;  // both sides move by this per unit of balance
  int own_slope_permille = 120;        // by this per unit of own surplus/deficit share
  int dispersion_permille = 30;        // ± this, hashed per participant and interval
  int sell_share_permille = 800;
  int buy_share_permille = 900;
  int64_t min_quantity_wh = 10;  // smaller positions are not worth an order
};

struct HouseholdState {
  std::string participant_id;
  int64_t interval_start = 0;  // the interval the forecast is for
  HouseholdForecast forecast;
  // The most this household may sell in the interval (the exchange's
  // deliverable check: PV nameplate × interval + storage above reserve).
  EnergyWh deliverable_cap;
  // The hub's forecast for all its households in the interval (this one
  // included); zero means unknown and prices as a balanced community.
  CommunityForecast community;
};

class HouseholdAgent {
 public:
  explicit HouseholdAgent(PricingStrategy strategy = {}) : strategy_(strategy) {}
  // Returns the household's order for state.interval_start, or nothing when
  // its gate is closed, the position is too small, or the inputs are invalid.
  std::optional<matching::Order> Decide(const HouseholdState& state,
                                        const MarketView& market) const;
  // Returns the SELL limit for a forecast surplus (state.forecast.net() > 0),
  // the BUY limit otherwise; within [feed_in, retail] of a valid `tariff`.
  PriceMcuPerKwh SellLimit(const HouseholdState& state, const matching::Tariff& tariff) const;
  PriceMcuPerKwh BuyLimit(const HouseholdState& state, const matching::Tariff& tariff) const;

  const PricingStrategy& strategy() const { return strategy_; }

 private:
  PricingStrategy strategy_;
};

// The shared storage's strategy; see the header comment for the formulas.
struct StorageStrategy {
  int buy_margin_permille = 150;
  int buy_soc_slope_permille = 200;
  int buy_scarcity_slope_permille = 150;
  int buy_ceiling_permille = 500;  // the most it ever bids: f + 50 % of the spread
  int sell_margin_permille = 500;
  int sell_soc_slope_permille = 200;
  int sell_scarcity_slope_permille = 200;
  int hold_premium_permille = 150;
  int hold_from_hour = 14;  // local time: the hours before the evening peak
  int peak_from_hour = 17;
  int round_trip_efficiency_permille = 920;
  int64_t cycle_cost_mcu_per_kwh = 8'000;  // degradation per kWh cycled
  int64_t lookahead_s = 6 * 3600;          // horizon of the scarcity forecast
  int share_permille = 1000;               // share of the community position to take
  int64_t min_quantity_wh = 50;
};

struct StorageState {
  std::string participant_id;
  int64_t interval_start = 0;
  // Forecast Σ (PV − load) of the hub's households for the interval.
  EnergyWh community_net;
  // Forecast Σ max(0, load − PV) of the community over the lookahead_s after
  // the interval: the scarcity to come.
  EnergyWh deficit_ahead;
  // The site's local time offset (time-of-day rules).
  int64_t utc_offset_s = 0;
  // The banks this participant trades, as last sampled.
  std::vector<BankSample> banks;
};

class StorageAgent {
 public:
  explicit StorageAgent(StorageStrategy strategy = {}) : strategy_(strategy) {}
  // Returns the shared storage's order for state.interval_start, or nothing.
  std::optional<matching::Order> Decide(const StorageState& state, const MarketView& market) const;

  // Returns the BUY limit for `state`, ≤ MaxBid.
  PriceMcuPerKwh BuyLimit(const StorageState& state, const matching::Tariff& tariff) const;
  // Returns the SELL limit for `state`, ≥ SellFloor, or nothing when the
  // floor lies above retail.
  std::optional<PriceMcuPerKwh> SellLimit(const StorageState& state,
                                          const matching::Tariff& tariff) const;
  // Returns the most the storage ever bids under `tariff`.
  PriceMcuPerKwh MaxBid(const matching::Tariff& tariff) const;
  // Returns ⌈MaxBid ÷ efficiency⌉ + cycle cost: it never sells below this.
  PriceMcuPerKwh SellFloor(const matching::Tariff& tariff) const;

  // Returns what the banks can sell in one interval without going below their
  // reserve, as the exchange's deliverable check counts it:
  // matching::DeliverableEnergy of their StorageCapacityOf with no PV, i.e.
  // Σ min(energy above reserve, max_discharge × interval); 0 when that is
  // undefined (a negative power, an overflow).
  static EnergyWh SellableWh(const std::vector<BankSample>& banks, int64_t interval_s);
  // Returns what the banks can absorb in one interval: Σ min(room to full,
  // max_charge × interval), the room read as matching::EnergyAboveReserve
  // reads energy (the energy between the SoC and 100 %).
  static EnergyWh BuyableWh(const std::vector<BankSample>& banks, int64_t interval_s);
  // Returns the banks' stored energy above their reserve as a permille of
  // the energy between reserve and full (1000 when nothing is usable).
  static int FillPermille(const std::vector<BankSample>& banks);

  const StorageStrategy& strategy() const { return strategy_; }

 private:
  // Returns the scarcity ahead, permille (the header's z).
  static int ScarcityPermille(const StorageState& state);
  // Returns whether the interval falls in the pre-peak holding hours.
  bool InHoldHours(const StorageState& state) const;

  StorageStrategy strategy_;
};

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_AGENTS_H_
