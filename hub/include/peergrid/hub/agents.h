// Trading agents of a smart hub (DESIGN.md §6), pure: the hub daemon calls
// them once per delivery interval with a forecast, the tariff, the market
// timing and the clock's `now`, and submits the orders they return.
//
// Forecast (ForecastHousehold): the clear-sky PV of the household's array over
// the interval, scaled by the recent clearness (measured PV ÷ clear-sky PV of
// the last interval: persistence of the sky), and the expected load shape
// scaled by the recent load ratio (measured ÷ expected).
//
// Pricing strategy (documented contract; all integer mcu/kWh, spread =
// retail − feed_in):
//   household SELL  limit = feed_in + ⌈sell_margin·spread⌉ — never worse than
//                   the grid's feed-in, and low enough to clear against any
//                   buyer who bids above the band's lower quarter;
//   household BUY   limit = retail − ⌊buy_margin·spread⌋ — never worse than the
//                   grid's retail price;
//   quantity        a share of the forecast surplus (sell_share, default 80 %:
//                   an undelivered sell is bought back at retail, so the agent
//                   offers a cautious quantile) or deficit (buy_share, 90 %);
//                   a SELL never exceeds what the exchange lets the household
//                   deliver (its deliverable cap).
//   shared storage  BUY into community surplus at ≤ feed_in + buy_margin·spread,
//                   SELL into community deficit at ≥ max(feed_in +
//                   sell_margin·spread, buy limit ÷ round-trip efficiency) so a
//                   full cycle never loses money; it never sells energy below
//                   its banks' reserve and never buys beyond their room or
//                   power limits.
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
};

// Returns the clear-sky PV energy of `pv` over [interval_start, +interval_s).
EnergyWh ClearSkyPvEnergy(const PvArray& pv, const Observer& site, int64_t utc_offset_s,
                          int64_t interval_start, int64_t interval_s);

// Forecasts one household's interval. `clearness` (0–1.2) and `load_ratio`
// (0.2–5) are the persistence factors; out-of-range values are clamped.
HouseholdForecast ForecastHousehold(const HouseholdSpec& household, const Observer& site,
                                    int64_t utc_offset_s, int64_t interval_start,
                                    int64_t interval_s, double clearness, double load_ratio);

// Returns what a sampled bank can discharge, by matching's one rule
// (matching::EnergyAboveReserve and its max_discharge_w): the exchange
// computes the same from the report of this sample.
matching::StorageCapacity StorageCapacityOf(const BankSample& bank);

// What every agent needs to know about the market.
struct MarketView {
  matching::Tariff tariff;
  MarketTiming timing;
  int64_t now_unix_s = 0;
};

struct PricingStrategy {
  int sell_margin_permille = 250;
  int buy_margin_permille = 250;
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
};

class HouseholdAgent {
 public:
  explicit HouseholdAgent(PricingStrategy strategy = {}) : strategy_(strategy) {}
  // Returns the household's order for state.interval_start, or nothing when
  // its gate is closed, the position is too small, or the inputs are invalid.
  std::optional<matching::Order> Decide(const HouseholdState& state,
                                        const MarketView& market) const;

 private:
  PricingStrategy strategy_;
};

struct StorageStrategy {
  int buy_margin_permille = 400;   // BUY limit at feed_in + 40 % of the spread
  int sell_margin_permille = 600;  // SELL limit at least feed_in + 60 %
  int round_trip_efficiency_permille = 920;
  int share_permille = 1000;  // share of the community position to take
  int64_t min_quantity_wh = 50;
};

struct StorageState {
  std::string participant_id;
  int64_t interval_start = 0;
  // Forecast Σ (PV − load) of the hub's households for the interval.
  EnergyWh community_net;
  // The banks this participant trades, as last sampled.
  std::vector<BankSample> banks;
};

class StorageAgent {
 public:
  explicit StorageAgent(StorageStrategy strategy = {}) : strategy_(strategy) {}
  // Returns the shared storage's order for state.interval_start, or nothing.
  std::optional<matching::Order> Decide(const StorageState& state, const MarketView& market) const;

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

 private:
  StorageStrategy strategy_;
};

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_AGENTS_H_
