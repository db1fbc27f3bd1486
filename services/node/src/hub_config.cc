#include "peergrid/node/hub_config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "peergrid/common/status.h"
#include "peergrid/runtime/toml_flags.h"
// toml++ header-only, without exceptions: parse errors come back as values.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include "toml++/toml.h"

namespace peergrid::node {
namespace {

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
double Unit(uint64_t seed, uint64_t i, uint64_t k) {
  return static_cast<double>(Mix(Mix(seed ^ (i << 8)) ^ k) >> 11) * 0x1.0p-53;
}

// Reads optional keys of a table into typed fields, remembering the first
// type error.
class Reader {
 public:
  Reader(const toml::table* t, std::string where, absl::Status* status)
      : t_(t), where_(std::move(where)), status_(status) {}
  template <typename T>
  void Get(const char* key, T* out) {
    if (t_ == nullptr) return;
    const toml::node* n = t_->get(key);
    if (n == nullptr) return;
    if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = n->value<std::string>()) return (void)(*out = *v);
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = n->value<bool>()) return (void)(*out = *v);
    } else if constexpr (std::is_floating_point_v<T>) {
      if (auto v = n->value<double>()) return (void)(*out = *v);
    } else {
      // value_exact: no bool-as-integer, no double truncation; then the
      // field's own range, so a huge value is refused rather than wrapped.
      if (auto v = n->value_exact<int64_t>()) {
        if (!std::in_range<T>(*v)) {
          if (status_->ok()) {
            *status_ = absl::InvalidArgumentError(
                absl::StrCat(where_, key, " ", *v, " does not fit its field"));
          }
          return;
        }
        *out = static_cast<T>(*v);
        return;
      }
    }
    if (status_->ok()) {
      *status_ = absl::InvalidArgumentError(absl::StrCat(where_, key, " has the wrong type"));
    }
  }

 private:
  const toml::table* t_;
  std::string where_;
  absl::Status* status_;
};

absl::StatusOr<hub::Chemistry> ParseChemistry(const std::string& s, const std::string& where) {
  if (s == "LFP") return hub::Chemistry::kLfp;
  if (s == "NMC") return hub::Chemistry::kNmc;
  if (s == "NCA") return hub::Chemistry::kNca;
  if (s == "LTO") return hub::Chemistry::kLto;
  if (s == "LEAD_ACID") return hub::Chemistry::kLeadAcid;
  return absl::InvalidArgumentError(
      absl::StrCat(where, "chemistry \"", s, "\" is not one of LFP, NMC, NCA, LTO, LEAD_ACID"));
}

}  // namespace

absl::StatusOr<HubNodeConfig> ParseHubConfig(absl::string_view text, const std::string& origin) {
  PEERGRID_RETURN_IF_ERROR(runtime::CheckTomlText(text, origin));
  toml::parse_result parsed = toml::parse(std::string_view(text.data(), text.size()), origin);
  if (!parsed) {
    std::ostringstream where;
    where << parsed.error().source().begin;
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ":", where.str(), ": ", std::string(parsed.error().description())));
  }
  const toml::table& root = parsed.table();
  HubNodeConfig c;
  absl::Status status;
  const std::string w = origin + ": ";
  Reader top(&root, w, &status);
  top.Get("hub_id", &c.sim.hub_id);
  top.Get("zone_id", &c.sim.zone_id);
  top.Get("exchange", &c.exchange);
  top.Get("reporting_period_s", &c.reporting_period_s);
  top.Get("data_dir", &c.data_dir);
  top.Get("clock", &c.clock);
  top.Get("trade", &c.trade);
  top.Get("signing_key", &c.signing_key_file);
  Reader site(root["site"].as_table(), w + "site.", &status);
  site.Get("latitude_deg", &c.sim.site.latitude_deg);
  site.Get("longitude_deg", &c.sim.site.longitude_deg);
  site.Get("elevation_m", &c.sim.site.elevation_m);
  site.Get("utc_offset_s", &c.sim.utc_offset_s);
  Reader weather(root["weather"].as_table(), w + "weather.", &status);
  weather.Get("cloudiness", &c.sim.weather.cloudiness);
  weather.Get("variability", &c.sim.weather.variability);
  weather.Get("ambient_mean_c", &c.sim.weather.ambient_mean_c);
  weather.Get("ambient_swing_c", &c.sim.weather.ambient_swing_c);
  weather.Get("albedo", &c.sim.weather.albedo);
  Reader sim(root["simulation"].as_table(), w + "simulation.", &status);
  sim.Get("seed", &c.sim.seed);
  sim.Get("step_s", &c.sim.step_s);
  sim.Get("interval_s", &c.sim.interval_s);
  Reader hh(root["households"].as_table(), w + "households.", &status);
  HouseholdGenerator& g = c.households;
  hh.Get("count", &g.count);
  hh.Get("id_prefix", &g.id_prefix);
  hh.Get("consumer_every", &g.consumer_every);
  hh.Get("pv_min_w", &g.pv_min_w);
  hh.Get("pv_max_w", &g.pv_max_w);
  hh.Get("tilt_deg", &g.tilt_deg);
  hh.Get("azimuth_spread_deg", &g.azimuth_spread_deg);
  hh.Get("base_w", &g.load.base_w);
  hh.Get("morning_peak_w", &g.load.morning_peak_w);
  hh.Get("evening_peak_w", &g.load.evening_peak_w);
  hh.Get("midday_w", &g.load.midday_w);
  if (const toml::array* banks = root["banks"].as_array()) {
    for (size_t i = 0; i < banks->size(); ++i) {
      const std::string bw = absl::StrCat(w, "banks[", i, "].");
      hub::BankSpec b;
      Reader r(banks->get(i)->as_table(), bw, &status);
      std::string chemistry = "LFP";
      r.Get("bank_id", &b.bank_id);
      r.Get("owner", &b.owner_participant_id);
      r.Get("chemistry", &chemistry);
      r.Get("nameplate_wh", &b.nameplate_wh);
      r.Get("max_charge_w", &b.max_charge_w);
      r.Get("max_discharge_w", &b.max_discharge_w);
      r.Get("charge_efficiency", &b.charge_efficiency);
      r.Get("discharge_efficiency", &b.discharge_efficiency);
      r.Get("soc_min_pct", &b.soc_min_pct);
      r.Get("soc_max_pct", &b.soc_max_pct);
      r.Get("soc_reserve_pct", &b.soc_reserve_pct);
      r.Get("initial_soc_pct", &b.initial_soc_pct);
      r.Get("initial_soh_pct", &b.initial_soh_pct);
      r.Get("initial_cycles", &b.initial_cycles);
      r.Get("second_life", &b.second_life);
      r.Get("mobile", &b.mobile);
      r.Get("fade_pct_per_cycle", &b.fade_pct_per_cycle);
      r.Get("calendar_fade_pct_per_year", &b.calendar_fade_pct_per_year);
      r.Get("cells_in_series", &b.cells_in_series);
      PEERGRID_ASSIGN_OR_RETURN(b.chemistry, ParseChemistry(chemistry, bw));
      c.banks.push_back(std::move(b));
    }
  }
  PEERGRID_RETURN_IF_ERROR(status);
  return c;
}

absl::StatusOr<HubNodeConfig> LoadHubConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--config ", path, ": cannot read the file"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseHubConfig(text.str(), path);
}

absl::Status Materialize(HubNodeConfig* c) {
  const HouseholdGenerator& g = c->households;
  if (g.count < 0 || g.count > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("households count ", g.count, " is outside [0, 10000]"));
  }
  if (g.pv_min_w < 0 || g.pv_max_w < g.pv_min_w) {
    return absl::InvalidArgumentError(absl::StrCat("households pv_min_w ", g.pv_min_w,
                                                   " / pv_max_w ", g.pv_max_w,
                                                   " must satisfy 0 ≤ min ≤ max"));
  }
  if (c->reporting_period_s < 1 || c->reporting_period_s > 60) {
    return absl::InvalidArgumentError(
        absl::StrCat("reporting_period_s ", c->reporting_period_s, " is outside [1, 60]"));
  }
  c->sim.households.clear();
  for (int i = 0; i < g.count; ++i) {
    hub::HouseholdSpec h;
    h.participant_id = absl::StrFormat("%s%02d", g.id_prefix, i + 1);
    const bool consumer = g.consumer_every > 0 && (i + 1) % g.consumer_every == 0;
    if (!consumer) {
      const double span = static_cast<double>(g.pv_max_w - g.pv_min_w);
      const auto w = g.pv_min_w + static_cast<int64_t>(Unit(c->sim.seed, i, 1) * span);
      h.pv.nameplate_w = w / 100 * 100;
      h.pv.tilt_deg = std::clamp(g.tilt_deg + 10 * (Unit(c->sim.seed, i, 2) - 0.5), 0.0, 90.0);
      h.pv.azimuth_deg = 180 + g.azimuth_spread_deg * (2 * Unit(c->sim.seed, i, 3) - 1);
    }
    h.load = g.load;
    c->sim.households.push_back(std::move(h));
  }
  const int n = c->bank_count < 0 ? static_cast<int>(c->banks.size()) : c->bank_count;
  if (n > static_cast<int>(c->banks.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--banks ", n, " exceeds the ", c->banks.size(), " banks in the config"));
  }
  c->sim.banks.assign(c->banks.begin(), c->banks.begin() + n);
  return hub::ValidateSimulatorConfig(c->sim);
}

}  // namespace peergrid::node
