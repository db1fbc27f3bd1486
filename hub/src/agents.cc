#include "peergrid/hub/agents.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "peergrid/hub/weather.h"

namespace peergrid::hub {
namespace {

constexpr int64_t kForecastSampleS = 300;

// Returns `x` × permille / 1000, rounded down (x ≥ 0).
int64_t Permille(int64_t x, int permille) { return x * permille / 1000; }

bool Tradable(int64_t interval_start, const MarketView& m) {
  if (!m.tariff.Validate().ok() || !m.timing.Validate().ok()) return false;
  if (!m.timing.IsAligned(interval_start)) return false;
  if (!m.timing.GateOpen(interval_start, m.now_unix_s)) return false;
  return interval_start <= m.now_unix_s + m.timing.horizon_s;
}

matching::Order MakeOrder(const std::string& participant_id, int64_t interval_start,
                          matching::Side side, int64_t quantity_wh, int64_t price) {
  matching::Order o;
  o.order_id = OrderId(absl::StrCat(participant_id, ".", interval_start,
                                    side == matching::Side::kSell ? ".S" : ".B"));
  o.participant_id = ParticipantId(participant_id);
  o.side = side;
  o.quantity = EnergyWh(quantity_wh);
  o.limit_price = PriceMcuPerKwh(price);
  o.interval_start = interval_start;
  return o;
}

}  // namespace

EnergyWh ClearSkyPvEnergy(const PvArray& pv, const Observer& site, int64_t utc_offset_s,
                          int64_t interval_start, int64_t interval_s) {
  if (pv.nameplate_w <= 0) return EnergyWh(0);
  WeatherConfig clear;
  clear.cloudiness = 0;
  clear.variability = 0;
  const WeatherModel sky(clear, 0, utc_offset_s);
  // Midpoint rule over 5-minute samples.
  double wh = 0;
  for (int64_t t = interval_start; t < interval_start + interval_s; t += kForecastSampleS) {
    const int64_t dt = std::min(kForecastSampleS, interval_start + interval_s - t);
    const double mid = static_cast<double>(t) + static_cast<double>(dt) / 2.0;
    const SolarPosition sun = ComputeSolarPosition(mid, site);
    const Irradiance irr = sky.IrradianceAt(mid, sun);
    const double poa = sky.PlaneOfArray(irr, sun, pv.tilt_deg, pv.azimuth_deg);
    wh += static_cast<double>(PvPowerW(pv, poa, sky.AmbientC(mid))) * static_cast<double>(dt) /
          3600.0;
  }
  return EnergyWh(static_cast<int64_t>(wh));
}

HouseholdForecast ForecastHousehold(const HouseholdSpec& household, const Observer& site,
                                    int64_t utc_offset_s, int64_t interval_start,
                                    int64_t interval_s, double clearness, double load_ratio) {
  clearness = std::clamp(std::isfinite(clearness) ? clearness : 1.0, 0.0, 1.2);
  load_ratio = std::clamp(std::isfinite(load_ratio) ? load_ratio : 1.0, 0.2, 5.0);
  const EnergyWh clear_pv =
      ClearSkyPvEnergy(household.pv, site, utc_offset_s, interval_start, interval_s);
  double load_wh = 0;
  for (int64_t t = interval_start; t < interval_start + interval_s; t += kForecastSampleS) {
    const int64_t dt = std::min(kForecastSampleS, interval_start + interval_s - t);
    const double mid = static_cast<double>(t) + static_cast<double>(dt) / 2.0;
    load_wh += ExpectedLoadW(household.load, mid, utc_offset_s) * static_cast<double>(dt) / 3600.0;
  }
  HouseholdForecast f;
  f.pv = EnergyWh(static_cast<int64_t>(static_cast<double>(clear_pv.value()) * clearness));
  f.load = EnergyWh(static_cast<int64_t>(load_wh * load_ratio));
  return f;
}

std::optional<matching::Order> HouseholdAgent::Decide(const HouseholdState& s,
                                                      const MarketView& m) const {
  if (!Tradable(s.interval_start, m) || s.participant_id.empty()) return std::nullopt;
  const int64_t f = m.tariff.feed_in.value();
  const int64_t r = m.tariff.retail.value();
  const int64_t spread = r - f;
  const int64_t net = s.forecast.net().value();
  if (net > 0) {
    const int64_t q = std::min(Permille(net, strategy_.sell_share_permille),
                               std::max<int64_t>(0, s.deliverable_cap.value()));
    if (q < std::max<int64_t>(1, strategy_.min_quantity_wh)) return std::nullopt;
    // ⌈margin · spread⌉, kept inside the band.
    const int64_t up = (spread * strategy_.sell_margin_permille + 999) / 1000;
    return MakeOrder(s.participant_id, s.interval_start, matching::Side::kSell, q,
                     std::clamp(f + up, f, r));
  }
  const int64_t q = Permille(-net, strategy_.buy_share_permille);
  if (q < std::max<int64_t>(1, strategy_.min_quantity_wh)) return std::nullopt;
  return MakeOrder(s.participant_id, s.interval_start, matching::Side::kBuy,
                   std::min<int64_t>(q, matching::kMaxQuantityWh),
                   std::clamp(r - Permille(spread, strategy_.buy_margin_permille), f, r));
}

matching::StorageCapacity StorageCapacityOf(const BankSample& bank) {
  return matching::StorageCapacity{
      matching::EnergyAboveReserve(bank.soc_pct, bank.soc_reserve_pct, bank.capacity_wh),
      PowerW(bank.max_discharge_w)};
}

EnergyWh StorageAgent::SellableWh(const std::vector<BankSample>& banks, int64_t interval_s) {
  std::vector<matching::StorageCapacity> capacities;
  capacities.reserve(banks.size());
  for (const BankSample& b : banks) capacities.push_back(StorageCapacityOf(b));
  return matching::DeliverableEnergy(PowerW(0), capacities, interval_s).value_or(EnergyWh(0));
}

EnergyWh StorageAgent::BuyableWh(const std::vector<BankSample>& banks, int64_t interval_s) {
  int64_t total = 0;
  for (const BankSample& b : banks) {
    const int64_t energy = matching::EnergyAboveReserve(100, b.soc_pct, b.capacity_wh).value();
    const int64_t power = b.max_charge_w * interval_s / 3600;
    total += std::min(energy, power);
  }
  return EnergyWh(total);
}

std::optional<matching::Order> StorageAgent::Decide(const StorageState& s,
                                                    const MarketView& m) const {
  if (!Tradable(s.interval_start, m) || s.participant_id.empty()) return std::nullopt;
  const int64_t f = m.tariff.feed_in.value();
  const int64_t r = m.tariff.retail.value();
  const int64_t spread = r - f;
  const int64_t buy_limit = f + Permille(spread, strategy_.buy_margin_permille);
  const int64_t net = s.community_net.value();
  const int64_t min_q = std::max<int64_t>(1, strategy_.min_quantity_wh);
  if (net > 0) {  // community surplus: store it
    const int64_t q = std::min(Permille(net, strategy_.share_permille),
                               BuyableWh(s.banks, m.timing.interval_s).value());
    if (q < min_q) return std::nullopt;
    return MakeOrder(s.participant_id, s.interval_start, matching::Side::kBuy, q, buy_limit);
  }
  if (net < 0) {  // community deficit: sell stored energy above the reserve
    const int64_t q = std::min(Permille(-net, strategy_.share_permille),
                               SellableWh(s.banks, m.timing.interval_s).value());
    if (q < min_q) return std::nullopt;
    const int64_t eff = std::max(1, strategy_.round_trip_efficiency_permille);
    const int64_t breakeven = (buy_limit * 1000 + eff - 1) / eff;
    const int64_t sell_limit =
        std::clamp(std::max(f + Permille(spread, strategy_.sell_margin_permille), breakeven), f, r);
    return MakeOrder(s.participant_id, s.interval_start, matching::Side::kSell, q, sell_limit);
  }
  return std::nullopt;
}

}  // namespace peergrid::hub
