#include "peergrid/hub/agents.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "hash_random.h"
#include "peergrid/hub/weather.h"

namespace peergrid::hub {
namespace {

constexpr int64_t kForecastSampleS = 300;
constexpr uint64_t kStreamDispersion = 0xD15B0001;

// Returns `x` × permille / 1000, rounded down (x ≥ 0).
int64_t Permille(int64_t x, int permille) { return x * permille / 1000; }

// Returns f + ⌊spread × share / 1000⌋ with the share clamped to [0, 1000]:
// a price inside the band. (spread ≤ kMaxPriceMcuPerKwh: no overflow.)
PriceMcuPerKwh InBand(const matching::Tariff& t, int64_t share_permille) {
  const int64_t f = t.feed_in.value();
  const int64_t spread = std::max<int64_t>(0, t.retail.value() - f);
  return PriceMcuPerKwh(f + spread * std::clamp<int64_t>(share_permille, 0, 1000) / 1000);
}

bool Tradable(int64_t interval_start, const MarketView& m) {
  if (!m.tariff.Validate().ok() || !m.timing.Validate().ok()) return false;
  if (!m.timing.IsAligned(interval_start)) return false;
  if (!m.timing.GateOpen(interval_start, m.now_unix_s)) return false;
  return interval_start <= m.now_unix_s + m.timing.horizon_s;
}

matching::Order MakeOrder(const std::string& participant_id, int64_t interval_start,
                          matching::Side side, int64_t quantity_wh, PriceMcuPerKwh price) {
  matching::Order o;
  o.order_id = OrderId(absl::StrCat(participant_id, ".", interval_start,
                                    side == matching::Side::kSell ? ".S" : ".B"));
  o.participant_id = ParticipantId(participant_id);
  o.side = side;
  o.quantity = EnergyWh(quantity_wh);
  o.limit_price = price;
  o.interval_start = interval_start;
  return o;
}

// FNV-1a, 64 bits: a hash of the id that is the same in every process.
uint64_t StableHash(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Returns ⌊1000 · part / whole⌋ clamped to [0, 1000]; 0 when whole ≤ 0.
int64_t RatioPermille(int64_t part, int64_t whole) {
  if (whole <= 0 || part <= 0) return 0;
  return std::min<int64_t>(1000, part / whole * 1000 + part % whole * 1000 / whole);
}

}  // namespace

int BalancePermille(const HouseholdForecast& f) {
  const int64_t pv = std::max<int64_t>(0, f.pv.value());
  const int64_t load = std::max<int64_t>(0, f.load.value());
  const int64_t total = pv + load;
  if (total <= 0) return 0;
  return static_cast<int>(pv >= load ? RatioPermille(pv - load, total)
                                     : -RatioPermille(load - pv, total));
}

int DispersionPermille(const std::string& participant_id, int64_t interval_start,
                       int spread_permille) {
  if (spread_permille <= 0) return 0;
  const uint64_t h =
      HashOf(StableHash(participant_id), kStreamDispersion, static_cast<uint64_t>(interval_start));
  const auto width = static_cast<uint64_t>(2 * spread_permille + 1);
  return static_cast<int>(h % width) - spread_permille;
}

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

double ExpectedLoadEnergyWh(const LoadProfile& load, int64_t utc_offset_s, int64_t interval_start,
                            int64_t interval_s) {
  double wh = 0;
  for (int64_t t = interval_start; t < interval_start + interval_s; t += kForecastSampleS) {
    const int64_t dt = std::min(kForecastSampleS, interval_start + interval_s - t);
    const double mid = static_cast<double>(t) + static_cast<double>(dt) / 2.0;
    wh += ExpectedLoadW(load, mid, utc_offset_s) * static_cast<double>(dt) / 3600.0;
  }
  return wh;
}

HouseholdForecast ForecastFromClearSky(const HouseholdSpec& household, EnergyWh clear_sky_pv,
                                       int64_t utc_offset_s, int64_t interval_start,
                                       int64_t interval_s, double clearness, double load_ratio) {
  clearness = std::clamp(std::isfinite(clearness) ? clearness : 1.0, 0.0, 1.2);
  load_ratio = std::clamp(std::isfinite(load_ratio) ? load_ratio : 1.0, 0.2, 5.0);
  const double load_wh =
      ExpectedLoadEnergyWh(household.load, utc_offset_s, interval_start, interval_s);
  HouseholdForecast f;
  f.pv = EnergyWh(static_cast<int64_t>(static_cast<double>(clear_sky_pv.value()) * clearness));
  f.load = EnergyWh(static_cast<int64_t>(load_wh * load_ratio));
  return f;
}

HouseholdForecast ForecastHousehold(const HouseholdSpec& household, const Observer& site,
                                    int64_t utc_offset_s, int64_t interval_start,
                                    int64_t interval_s, double clearness, double load_ratio) {
  return ForecastFromClearSky(
      household, ClearSkyPvEnergy(household.pv, site, utc_offset_s, interval_start, interval_s),
      utc_offset_s, interval_start, interval_s, clearness, load_ratio);
}

PriceMcuPerKwh HouseholdAgent::SellLimit(const HouseholdState& s,
                                         const matching::Tariff& tariff) const {
  const PricingStrategy& p = strategy_;
  const int64_t bal = BalancePermille(s.community);
  const int64_t own = RatioPermille(s.forecast.net().value(), s.forecast.pv.value());
  return InBand(tariff,
                p.sell_margin_permille - p.community_slope_permille * bal / 1000 -
                    p.own_slope_permille * own / 1000 +
                    DispersionPermille(s.participant_id, s.interval_start, p.dispersion_permille));
}

PriceMcuPerKwh HouseholdAgent::BuyLimit(const HouseholdState& s,
                                        const matching::Tariff& tariff) const {
  const PricingStrategy& p = strategy_;
  const int64_t bal = BalancePermille(s.community);
  const int64_t own = RatioPermille(-s.forecast.net().value(), s.forecast.load.value());
  return InBand(tariff,
                1000 - p.buy_margin_permille - p.community_slope_permille * bal / 1000 +
                    p.own_slope_permille * own / 1000 +
                    DispersionPermille(s.participant_id, s.interval_start, p.dispersion_permille));
}

std::optional<matching::Order> HouseholdAgent::Decide(const HouseholdState& s,
                                                      const MarketView& m) const {
  if (!Tradable(s.interval_start, m) || s.participant_id.empty()) return std::nullopt;
  const int64_t net = s.forecast.net().value();
  const int64_t min_q = std::max<int64_t>(1, strategy_.min_quantity_wh);
  if (net > 0) {
    const int64_t q = std::min(Permille(net, strategy_.sell_share_permille),
                               std::max<int64_t>(0, s.deliverable_cap.value()));
    if (q < min_q) return std::nullopt;
    return MakeOrder(s.participant_id, s.interval_start, matching::Side::kSell,
                     std::min<int64_t>(q, matching::kMaxQuantityWh), SellLimit(s, m.tariff));
  }
  const int64_t q = Permille(-net, strategy_.buy_share_permille);
  if (q < min_q) return std::nullopt;
  return MakeOrder(s.participant_id, s.interval_start, matching::Side::kBuy,
                   std::min<int64_t>(q, matching::kMaxQuantityWh), BuyLimit(s, m.tariff));
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

int StorageAgent::FillPermille(const std::vector<BankSample>& banks) {
  int64_t stored = 0, usable = 0;
  for (const BankSample& b : banks) {
    stored += matching::EnergyAboveReserve(b.soc_pct, b.soc_reserve_pct, b.capacity_wh).value();
    usable += matching::EnergyAboveReserve(100, b.soc_reserve_pct, b.capacity_wh).value();
  }
  if (usable <= 0) return 1000;
  return static_cast<int>(RatioPermille(stored, usable));
}

int StorageAgent::ScarcityPermille(const StorageState& s) {
  int64_t stored = 0;
  for (const BankSample& b : s.banks) {
    stored += matching::EnergyAboveReserve(b.soc_pct, b.soc_reserve_pct, b.capacity_wh).value();
  }
  const int64_t deficit = std::max<int64_t>(0, s.deficit_ahead.value());
  return static_cast<int>(RatioPermille(deficit, deficit + stored));
}

bool StorageAgent::InHoldHours(const StorageState& s) const {
  int64_t local = (s.interval_start + s.utc_offset_s) % 86400;
  if (local < 0) local += 86400;
  const int64_t hour = local / 3600;
  return hour >= strategy_.hold_from_hour && hour < strategy_.peak_from_hour;
}

PriceMcuPerKwh StorageAgent::MaxBid(const matching::Tariff& tariff) const {
  return InBand(tariff, strategy_.buy_ceiling_permille);
}

PriceMcuPerKwh StorageAgent::SellFloor(const matching::Tariff& tariff) const {
  const int64_t eff = std::clamp(strategy_.round_trip_efficiency_permille, 1, 1000);
  const int64_t bid = MaxBid(tariff).value();  // ≤ 10^9: no overflow below
  return PriceMcuPerKwh(
      (bid * 1000 + eff - 1) / eff +
      std::clamp<int64_t>(strategy_.cycle_cost_mcu_per_kwh, 0, matching::kMaxPriceMcuPerKwh));
}

PriceMcuPerKwh StorageAgent::BuyLimit(const StorageState& s, const matching::Tariff& tariff) const {
  const StorageStrategy& p = strategy_;
  const int64_t empty = 1000 - FillPermille(s.banks);
  const int64_t share = p.buy_margin_permille + p.buy_soc_slope_permille * empty / 1000 +
                        p.buy_scarcity_slope_permille * ScarcityPermille(s) / 1000;
  return std::min(InBand(tariff, share), MaxBid(tariff));
}

std::optional<PriceMcuPerKwh> StorageAgent::SellLimit(const StorageState& s,
                                                      const matching::Tariff& tariff) const {
  const PriceMcuPerKwh floor = SellFloor(tariff);
  if (floor > tariff.retail) return std::nullopt;
  const StorageStrategy& p = strategy_;
  const int64_t empty = 1000 - FillPermille(s.banks);
  int64_t share = p.sell_margin_permille + p.sell_soc_slope_permille * empty / 1000 +
                  p.sell_scarcity_slope_permille * ScarcityPermille(s) / 1000;
  if (InHoldHours(s)) share += p.hold_premium_permille * empty / 1000;
  return std::max(floor, InBand(tariff, share));
}

std::optional<matching::Order> StorageAgent::Decide(const StorageState& s,
                                                    const MarketView& m) const {
  if (!Tradable(s.interval_start, m) || s.participant_id.empty()) return std::nullopt;
  // A cycle that cannot pay is not started, and stored energy is not sold at a loss.
  const std::optional<PriceMcuPerKwh> ask = SellLimit(s, m.tariff);
  if (!ask) return std::nullopt;
  const int64_t net = s.community_net.value();
  const int64_t min_q = std::max<int64_t>(1, strategy_.min_quantity_wh);
  if (net > 0) {  // community surplus: store it
    const int64_t q = std::min(Permille(net, strategy_.share_permille),
                               BuyableWh(s.banks, m.timing.interval_s).value());
    if (q < min_q) return std::nullopt;
    return MakeOrder(s.participant_id, s.interval_start, matching::Side::kBuy,
                     std::min<int64_t>(q, matching::kMaxQuantityWh), BuyLimit(s, m.tariff));
  }
  if (net < 0) {  // community deficit: sell stored energy above the reserve
    const int64_t q = std::min(Permille(-net, strategy_.share_permille),
                               SellableWh(s.banks, m.timing.interval_s).value());
    if (q < min_q) return std::nullopt;
    return MakeOrder(s.participant_id, s.interval_start, matching::Side::kSell,
                     std::min<int64_t>(q, matching::kMaxQuantityWh), *ask);
  }
  return std::nullopt;
}

}  // namespace peergrid::hub
