// HubConfig: parsing every key of the peergrid-hub TOML file, the sample
// deploy/hub-jeju.toml, the household generator, and one error per bad value
// naming the field.
#include "peergrid/node/hub_config.h"

#include <fstream>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::node {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

// Writes `text` to a fresh file under ::testing::TempDir() and returns its path.
std::string WriteConfig(const std::string& text) {
  const std::string path = ::peergrid::testing::FreshTempDir("hub_config") + "/hub.toml";
  std::ofstream(path) << text;
  return path;
}

// Every key, none at its default.
constexpr char kFullConfig[] = R"(
hub_id = "test-hub"
zone_id = "test-zone"
exchange = "10.0.0.7:7500"
reporting_period_s = 2
data_dir = "/var/lib/test-hub"
clock = "sim:60@2026-06-21T00:00:00Z"
trade = false
signing_key = "/etc/peergrid/hub-orders.pem"

[site]
latitude_deg = 37.25
longitude_deg = -122.5
elevation_m = 12.5
utc_offset_s = -25200

[weather]
cloudiness = 0.75
variability = 1.25
ambient_mean_c = 17.5
ambient_swing_c = 6
albedo = 0.3

[simulation]
seed = 42
step_s = 30
interval_s = 1800

[households]
count = 5
id_prefix = "home-"
consumer_every = 2
pv_min_w = 4000
pv_max_w = 4500
tilt_deg = 30
azimuth_spread_deg = 10
base_w = 300
morning_peak_w = 700
evening_peak_w = 1100
midday_w = 150

[[banks]]
bank_id = "b-1"
owner = "storage-1"
chemistry = "NCA"
nameplate_wh = 50000
max_charge_w = 10000
max_discharge_w = 12000
charge_efficiency = 0.9
discharge_efficiency = 0.91
soc_min_pct = 10
soc_max_pct = 95
soc_reserve_pct = 30
initial_soc_pct = 60
initial_soh_pct = 88
initial_cycles = 12
second_life = true
mobile = true
fade_pct_per_cycle = 0.01
calendar_fade_pct_per_year = 1.5
cells_in_series = 100

[[banks]]
bank_id = "b-2"
)";

TEST(HubConfigTest, LoadsEveryKey) {
  ASSERT_OK_AND_ASSIGN(HubNodeConfig c, LoadHubConfig(WriteConfig(kFullConfig)));
  EXPECT_EQ(c.sim.hub_id, "test-hub");
  EXPECT_EQ(c.sim.zone_id, "test-zone");
  EXPECT_EQ(c.exchange, "10.0.0.7:7500");
  EXPECT_EQ(c.reporting_period_s, 2);
  EXPECT_EQ(c.data_dir, "/var/lib/test-hub");
  EXPECT_EQ(c.clock, "sim:60@2026-06-21T00:00:00Z");
  EXPECT_FALSE(c.trade);
  EXPECT_EQ(c.signing_key_file, "/etc/peergrid/hub-orders.pem");
  EXPECT_DOUBLE_EQ(c.sim.site.latitude_deg, 37.25);
  EXPECT_DOUBLE_EQ(c.sim.site.longitude_deg, -122.5);
  EXPECT_DOUBLE_EQ(c.sim.site.elevation_m, 12.5);
  EXPECT_EQ(c.sim.utc_offset_s, -25200);
  EXPECT_DOUBLE_EQ(c.sim.weather.cloudiness, 0.75);
  EXPECT_DOUBLE_EQ(c.sim.weather.variability, 1.25);
  EXPECT_DOUBLE_EQ(c.sim.weather.ambient_mean_c, 17.5);
  EXPECT_DOUBLE_EQ(c.sim.weather.ambient_swing_c, 6);  // an integer where a double is expected
  EXPECT_DOUBLE_EQ(c.sim.weather.albedo, 0.3);
  EXPECT_EQ(c.sim.seed, 42u);
  EXPECT_EQ(c.sim.step_s, 30);
  EXPECT_EQ(c.sim.interval_s, 1800);
  const HouseholdGenerator& g = c.households;
  EXPECT_EQ(g.count, 5);
  EXPECT_EQ(g.id_prefix, "home-");
  EXPECT_EQ(g.consumer_every, 2);
  EXPECT_EQ(g.pv_min_w, 4000);
  EXPECT_EQ(g.pv_max_w, 4500);
  EXPECT_DOUBLE_EQ(g.tilt_deg, 30);
  EXPECT_DOUBLE_EQ(g.azimuth_spread_deg, 10);
  EXPECT_DOUBLE_EQ(g.load.base_w, 300);
  EXPECT_DOUBLE_EQ(g.load.morning_peak_w, 700);
  EXPECT_DOUBLE_EQ(g.load.evening_peak_w, 1100);
  EXPECT_DOUBLE_EQ(g.load.midday_w, 150);

  ASSERT_EQ(c.banks.size(), 2u);
  const hub::BankSpec& b = c.banks[0];
  EXPECT_EQ(b.bank_id, "b-1");
  EXPECT_EQ(b.owner_participant_id, "storage-1");
  EXPECT_EQ(b.chemistry, hub::Chemistry::kNca);
  EXPECT_EQ(b.nameplate_wh, 50000);
  EXPECT_EQ(b.max_charge_w, 10000);
  EXPECT_EQ(b.max_discharge_w, 12000);
  EXPECT_DOUBLE_EQ(b.charge_efficiency, 0.9);
  EXPECT_DOUBLE_EQ(b.discharge_efficiency, 0.91);
  EXPECT_DOUBLE_EQ(b.soc_min_pct, 10);
  EXPECT_DOUBLE_EQ(b.soc_max_pct, 95);
  EXPECT_DOUBLE_EQ(b.soc_reserve_pct, 30);
  EXPECT_DOUBLE_EQ(b.initial_soc_pct, 60);
  EXPECT_DOUBLE_EQ(b.initial_soh_pct, 88);
  EXPECT_EQ(b.initial_cycles, 12);
  EXPECT_TRUE(b.second_life);
  EXPECT_TRUE(b.mobile);
  EXPECT_DOUBLE_EQ(b.fade_pct_per_cycle, 0.01);
  EXPECT_DOUBLE_EQ(b.calendar_fade_pct_per_year, 1.5);
  EXPECT_EQ(b.cells_in_series, 100);
  // A bank that names only its id gets BankSpec's defaults, chemistry LFP.
  const hub::BankSpec defaults;
  EXPECT_EQ(c.banks[1].bank_id, "b-2");
  EXPECT_EQ(c.banks[1].chemistry, hub::Chemistry::kLfp);
  EXPECT_EQ(c.banks[1].nameplate_wh, defaults.nameplate_wh);
  EXPECT_EQ(c.banks[1].owner_participant_id, "");

  // Materialize generates the households and keeps every bank.
  ASSERT_OK(Materialize(&c));
  ASSERT_EQ(c.sim.households.size(), 5u);
  EXPECT_EQ(c.sim.households[0].participant_id, "home-01");
  EXPECT_EQ(c.sim.households[4].participant_id, "home-05");
  for (int i = 0; i < 5; ++i) {
    const hub::HouseholdSpec& h = c.sim.households[i];
    EXPECT_DOUBLE_EQ(h.load.base_w, 300) << i;
    if ((i + 1) % 2 == 0) {
      EXPECT_EQ(h.pv.nameplate_w, 0) << "every 2nd is a consumer: " << i;
    } else {
      EXPECT_GE(h.pv.nameplate_w, 4000) << i;
      EXPECT_LE(h.pv.nameplate_w, 4500) << i;
      EXPECT_EQ(h.pv.nameplate_w % 100, 0) << i;
      EXPECT_GE(h.pv.azimuth_deg, 170) << i;
      EXPECT_LE(h.pv.azimuth_deg, 190) << i;
      EXPECT_GE(h.pv.tilt_deg, 25) << i;
      EXPECT_LE(h.pv.tilt_deg, 35) << i;
    }
  }
  EXPECT_EQ(c.sim.banks.size(), 2u);
}

TEST(HubConfigTest, MissingKeysKeepTheDefaults) {
  ASSERT_OK_AND_ASSIGN(HubNodeConfig c,
                       ParseHubConfig("hub_id = \"h\"\nzone_id = \"z\"\n", "mini.toml"));
  const HubNodeConfig defaults;
  EXPECT_EQ(c.exchange, defaults.exchange);
  EXPECT_EQ(c.reporting_period_s, 5);
  EXPECT_EQ(c.data_dir, defaults.data_dir);
  EXPECT_EQ(c.clock, "real");
  EXPECT_TRUE(c.trade);
  EXPECT_EQ(c.bank_count, -1);
  EXPECT_TRUE(c.banks.empty());
  EXPECT_EQ(c.sim.seed, defaults.sim.seed);
  EXPECT_EQ(c.sim.step_s, 10);
  EXPECT_EQ(c.sim.interval_s, 900);
  ASSERT_OK(Materialize(&c));
  ASSERT_EQ(c.sim.households.size(), 36u);  // the generator's default
  EXPECT_EQ(c.sim.households[0].participant_id, "h01");
  EXPECT_EQ(c.sim.households[35].participant_id, "h36");
  int consumers = 0;
  for (const hub::HouseholdSpec& h : c.sim.households) consumers += h.pv.nameplate_w == 0;
  EXPECT_EQ(consumers, 9);  // every 4th
  EXPECT_TRUE(c.sim.banks.empty());
}

TEST(HubConfigTest, SampleJejuConfigLoadsAndMaterializes) {
  const std::string path = ::peergrid::testing::SourceDir() + "/deploy/hub-jeju.toml";
  ASSERT_OK_AND_ASSIGN(HubNodeConfig c, LoadHubConfig(path));
  EXPECT_EQ(c.sim.hub_id, "jeju-hub-1");
  EXPECT_EQ(c.sim.zone_id, "jeju-1");
  EXPECT_EQ(c.exchange, "127.0.0.1:7400");
  EXPECT_EQ(c.reporting_period_s, 5);
  EXPECT_EQ(c.clock, "real");
  EXPECT_DOUBLE_EQ(c.sim.site.latitude_deg, 33.5);
  EXPECT_DOUBLE_EQ(c.sim.site.longitude_deg, 126.5);
  EXPECT_DOUBLE_EQ(c.sim.site.elevation_m, 60);
  EXPECT_EQ(c.sim.utc_offset_s, 9 * 3600);
  EXPECT_DOUBLE_EQ(c.sim.weather.cloudiness, 0.35);
  EXPECT_EQ(c.sim.seed, 1u);
  EXPECT_EQ(c.sim.step_s, 10);
  EXPECT_EQ(c.sim.interval_s, 900);
  ASSERT_EQ(c.banks.size(), 2u);
  EXPECT_EQ(c.banks[0].bank_id, "jeju-bank-lfp");
  EXPECT_EQ(c.banks[0].owner_participant_id, "jeju-storage");
  EXPECT_EQ(c.banks[0].chemistry, hub::Chemistry::kLfp);
  EXPECT_EQ(c.banks[0].nameplate_wh, 120000);
  EXPECT_DOUBLE_EQ(c.banks[0].soc_reserve_pct, 20);
  EXPECT_EQ(c.banks[0].cells_in_series, 240);
  EXPECT_EQ(c.banks[1].bank_id, "jeju-bank-ev2");
  EXPECT_EQ(c.banks[1].chemistry, hub::Chemistry::kNmc);
  EXPECT_DOUBLE_EQ(c.banks[1].initial_soh_pct, 78);
  EXPECT_EQ(c.banks[1].initial_cycles, 1400);
  EXPECT_TRUE(c.banks[1].second_life);
  EXPECT_TRUE(c.banks[1].mobile);
  EXPECT_DOUBLE_EQ(c.banks[1].calendar_fade_pct_per_year, 2.0);

  ASSERT_OK(Materialize(&c));
  ASSERT_EQ(c.sim.households.size(), 36u);
  std::set<std::string> ids;
  int with_pv = 0;
  for (const hub::HouseholdSpec& h : c.sim.households) {
    ids.insert(h.participant_id);
    if (h.pv.nameplate_w == 0) continue;
    ++with_pv;
    EXPECT_GE(h.pv.nameplate_w, 3000) << h.participant_id;
    EXPECT_LE(h.pv.nameplate_w, 7000) << h.participant_id;
    EXPECT_GE(h.pv.azimuth_deg, 140) << h.participant_id;
    EXPECT_LE(h.pv.azimuth_deg, 220) << h.participant_id;
    EXPECT_DOUBLE_EQ(h.load.evening_peak_w, 1500) << h.participant_id;
  }
  EXPECT_EQ(with_pv, 27);
  EXPECT_EQ(ids.size(), 36u);
  EXPECT_EQ(*ids.begin(), "jeju-h01");
  EXPECT_EQ(*ids.rbegin(), "jeju-h36");
  EXPECT_EQ(c.sim.households[3].pv.nameplate_w, 0);  // jeju-h04, a consumer
  ASSERT_EQ(c.sim.banks.size(), 2u);
}

TEST(HubConfigTest, HouseholdsAreAFunctionOfTheSeed) {
  const std::string base = "hub_id = \"h\"\nzone_id = \"z\"\n[households]\nconsumer_every = 0\n";
  ASSERT_OK_AND_ASSIGN(HubNodeConfig a, ParseHubConfig(base, "a.toml"));
  ASSERT_OK_AND_ASSIGN(HubNodeConfig b, ParseHubConfig(base, "b.toml"));
  ASSERT_OK_AND_ASSIGN(HubNodeConfig other,
                       ParseHubConfig(base + "[simulation]\nseed = 7\n", "c.toml"));
  ASSERT_OK(Materialize(&a));
  ASSERT_OK(Materialize(&b));
  ASSERT_OK(Materialize(&other));
  ASSERT_EQ(a.sim.households.size(), 36u);
  int differ = 0;
  for (size_t i = 0; i < a.sim.households.size(); ++i) {
    EXPECT_GT(a.sim.households[i].pv.nameplate_w, 0) << "consumer_every = 0: all have PV";
    EXPECT_EQ(a.sim.households[i].pv.nameplate_w, b.sim.households[i].pv.nameplate_w);
    EXPECT_DOUBLE_EQ(a.sim.households[i].pv.azimuth_deg, b.sim.households[i].pv.azimuth_deg);
    differ += a.sim.households[i].pv.nameplate_w != other.sim.households[i].pv.nameplate_w;
  }
  EXPECT_GT(differ, 0);
  // Materialize replaces, not appends.
  ASSERT_OK(Materialize(&a));
  EXPECT_EQ(a.sim.households.size(), 36u);
}

TEST(HubConfigTest, BankCountSelectsTheFirstBanks) {
  ASSERT_OK_AND_ASSIGN(HubNodeConfig c, ParseHubConfig(kFullConfig, "full.toml"));
  c.bank_count = 1;
  ASSERT_OK(Materialize(&c));
  ASSERT_EQ(c.sim.banks.size(), 1u);
  EXPECT_EQ(c.sim.banks[0].bank_id, "b-1");
  c.bank_count = 0;
  ASSERT_OK(Materialize(&c));
  EXPECT_TRUE(c.sim.banks.empty());
  c.bank_count = 3;
  EXPECT_THAT(Materialize(&c), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("--banks 3 exceeds the 2 banks in the config")));
}

TEST(HubConfigTest, AMissingFileIsNotFoundNamingThePath) {
  const std::string path = ::peergrid::testing::FreshTempDir("hub_config") + "/absent.toml";
  EXPECT_THAT(LoadHubConfig(path),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("--config " + path)));
}

TEST(HubConfigTest, ATomlSyntaxErrorNamesTheFileAndLine) {
  const std::string path = WriteConfig("hub_id = \"h\"\nzone_id = \n");
  EXPECT_THAT(LoadHubConfig(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path + ":line 2")));
}

// Found by tests/fuzz/hub_config_fuzz.cc: a NUL inside a table header made
// Debian's toml++ abort on an assertion instead of returning an error.
TEST(HubConfigTest, AControlCharacterIsRefusedNamingTheFileAndOffset) {
  const std::string crash("hub_id = \"h\"\nzon_eid = \"z\"\n[\0002useholds]\ncount = 2\n", 50);
  EXPECT_THAT(ParseHubConfig(crash, "hub.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("hub.toml: control character 0x00 at byte 28")));
  EXPECT_THAT(ParseHubConfig("hub_id = \"h\x01\"\n", "hub.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0x01 at byte 11")));
  // A non-ASCII byte after a key made toml++ reach __builtin_unreachable.
  EXPECT_THAT(ParseHubConfig("_ \u00b140\u00b0 of south\nbase_w = 250\n", "hub.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("hub.toml: non-ASCII byte outside a string or comment 0xc2 at "
                                 "byte 2")));
  EXPECT_THAT(ParseHubConfig("# x\n[}ite]\n", "hub.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("table header that does not start with a key")));
  // Tabs and CRLF line ends are TOML.
  EXPECT_THAT(ParseHubConfig("hub_id\t= \"h\"\r\nzone_id = \"z\"\r\n", "hub.toml"), IsOk());
}

struct ParseCase {
  const char* toml;
  const char* message;
};

TEST(HubConfigTest, AValueOfTheWrongTypeNamesTheFileAndKey) {
  const ParseCase cases[] = {
      {"hub_id = 7", "bad.toml: hub_id has the wrong type"},
      {"reporting_period_s = \"five\"", "bad.toml: reporting_period_s has the wrong type"},
      {"reporting_period_s = 2.5", "bad.toml: reporting_period_s has the wrong type"},
      {"trade = \"yes\"", "bad.toml: trade has the wrong type"},
      {"[site]\nlatitude_deg = \"north\"", "bad.toml: site.latitude_deg has the wrong type"},
      {"[weather]\ncloudiness = true", "bad.toml: weather.cloudiness has the wrong type"},
      {"[simulation]\nseed = \"x\"", "bad.toml: simulation.seed has the wrong type"},
      {"[households]\ncount = [1]", "bad.toml: households.count has the wrong type"},
      {"[[banks]]\nbank_id = \"a\"\n[[banks]]\nnameplate_wh = \"big\"",
       "bad.toml: banks[1].nameplate_wh has the wrong type"},
      {"[[banks]]\nmobile = \"yes\"", "bad.toml: banks[0].mobile has the wrong type"},
      // One error is reported: the first bad key in reading order (exchange
      // is read before clock), whatever the order in the file.
      {"clock = 1\nexchange = 2", "bad.toml: exchange has the wrong type"},
  };
  for (const ParseCase& c : cases) {
    EXPECT_THAT(ParseHubConfig(c.toml, "bad.toml"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.toml;
  }
}

TEST(HubConfigTest, AnUnknownChemistryNamesTheBank) {
  EXPECT_THAT(
      ParseHubConfig("[[banks]]\nbank_id = \"a\"\n[[banks]]\nchemistry = \"LIION\"", "bad.toml"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("bad.toml: banks[1].chemistry \"LIION\" is not one of LFP, NMC")));
  for (const char* name : {"LFP", "NMC", "NCA", "LTO", "LEAD_ACID"}) {
    EXPECT_THAT(ParseHubConfig(absl::StrCat("[[banks]]\nchemistry = \"", name, "\""), "ok.toml"),
                IsOk())
        << name;
  }
}

// Parses kFullConfig with `bank` appended (it ends inside the [[banks]] table
// of "b-2") and materializes it.
absl::Status MaterializeWithBank(const std::string& bank) {
  const std::string text = std::string(kFullConfig) + bank + "\n";
  absl::StatusOr<HubNodeConfig> c = ParseHubConfig(text, "full.toml");
  if (!c.ok()) return c.status();
  return Materialize(&*c);
}

TEST(HubConfigTest, MaterializeNamesTheBadField) {
  // The sample itself is fine; each case breaks one value.
  ASSERT_OK(MaterializeWithBank(""));
  const ParseCase cases[] = {
      {"nameplate_wh = 0", "bank \"b-2\": nameplate_wh 0 is outside [1, 1e+09]"},
      {"soc_reserve_pct = 1", "bank \"b-2\": soc_reserve_pct 1 is outside [5, 100]"},
      {"soc_max_pct = 4", "bank \"b-2\": soc_max_pct 4 is outside [5, 100]"},
      {"initial_soh_pct = 0", "bank \"b-2\": initial_soh_pct 0 is outside [1, 100]"},
      {"charge_efficiency = 1.5", "bank \"b-2\": charge_efficiency 1.5 is outside [0.5, 1]"},
      {"max_discharge_w = -1", "bank \"b-2\": max_discharge_w -1 is outside [0, 1e+08]"},
      {"cells_in_series = 0", "bank \"b-2\": cells_in_series 0 is outside [1, 1000]"},
  };
  for (const ParseCase& c : cases) {
    EXPECT_THAT(MaterializeWithBank(c.toml),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.toml;
  }
}

// Returns the Materialize status of a minimal config with `body` appended.
absl::Status MaterializeMinimal(const std::string& body) {
  absl::StatusOr<HubNodeConfig> c =
      ParseHubConfig(absl::StrCat("hub_id = \"h\"\nzone_id = \"z\"\n", body), "min.toml");
  if (!c.ok()) return c.status();
  return Materialize(&*c);
}

TEST(HubConfigTest, EachOutOfRangeValueIsInvalidArgumentNamingIt) {
  const ParseCase cases[] = {
      {"reporting_period_s = 0", "reporting_period_s 0 is outside [1, 60]"},
      {"reporting_period_s = 61", "reporting_period_s 61 is outside [1, 60]"},
      {"[households]\ncount = -1", "households count -1 is outside [0, 10000]"},
      {"[households]\ncount = 10001", "households count 10001 is outside [0, 10000]"},
      {"[households]\npv_min_w = 5000\npv_max_w = 4000",
       "households pv_min_w 5000 / pv_max_w 4000"},
      {"[households]\npv_min_w = -1", "households pv_min_w -1"},
      {"[households]\nid_prefix = \"my house \"",
       "household participant_id \"my house 01\" has a character outside"},
      {"[households]\nbase_w = -5", "load powers must be ≥ 0"},
      {"[site]\nlatitude_deg = 91", "site latitude 91"},
      {"[site]\nlongitude_deg = -181", "longitude -181"},
      {"[site]\nutc_offset_s = 90000", "utc_offset_s 90000 is outside ±14 h"},
      {"[weather]\ncloudiness = 1.5", "weather cloudiness 1.5"},
      {"[weather]\nvariability = -0.1", "variability -0.1"},
      {"[simulation]\ninterval_s = 7", "interval_s 7 must divide a day"},
      {"[simulation]\nstep_s = 0", "step_s 0 is outside [1, interval_s]"},
      {"[simulation]\nstep_s = 901", "step_s 901 is outside [1, interval_s]"},
      {"[[banks]]\nbank_id = \"x\"\n[[banks]]\nbank_id = \"x\"", "bank_id \"x\" appears twice"},
      {"[[banks]]\nbank_id = \"\"", "bank_id is empty"},
      {"[[banks]]\nbank_id = \"b\"\nowner = \"a b\"", "bank owner_participant_id \"a b\""},
  };
  for (const ParseCase& c : cases) {
    EXPECT_THAT(MaterializeMinimal(c.toml),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.toml;
  }
  EXPECT_THAT(MaterializeMinimal("[households]\ncount = 0"), IsOk());
  EXPECT_THAT(MaterializeMinimal(""), IsOk());
}

TEST(HubConfigTest, AnEmptyHubOrZoneIdFailsMaterialize) {
  absl::StatusOr<HubNodeConfig> c = ParseHubConfig("zone_id = \"z\"", "x.toml");
  ASSERT_OK(c.status());
  EXPECT_THAT(Materialize(&*c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub_id is empty")));
  c = ParseHubConfig("hub_id = \"h\"", "x.toml");
  ASSERT_OK(c.status());
  EXPECT_THAT(Materialize(&*c),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("zone_id is empty")));
}

// An integer that does not fit its field is refused, not wrapped (4294967297
// would otherwise become 1 household).
TEST(HubConfigTest, AnIntegerTooLargeForItsFieldIsRejected) {
  EXPECT_THAT(MaterializeMinimal("[households]\ncount = 4294967297"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("count")));
  EXPECT_THAT(MaterializeMinimal("reporting_period_s = 4294967301"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reporting_period_s")));
  EXPECT_THAT(MaterializeMinimal("[[banks]]\nbank_id = \"b\"\ncells_in_series = 4294967496"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cells_in_series")));
}

}  // namespace
}  // namespace peergrid::node
