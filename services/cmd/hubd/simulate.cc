// `peergrid-hub simulate`: one local day of the hub, offline, as two CSV files.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "hubd.h"
#include "peergrid/common/status.h"
#include "peergrid/hub/simulator.h"

namespace peergrid::hubd {

absl::Status Simulate(const node::HubNodeConfig& config, const std::string& date,
                      const std::string& out_dir) {
  if (out_dir.empty()) return absl::InvalidArgumentError("--out DIR is required");
  absl::Time day;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", date,
                       absl::FixedTimeZone(static_cast<int>(config.sim.utc_offset_s)), &day,
                       &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--date \"", date, "\": expected YYYY-MM-DD (", err, ")"));
  }
  const int64_t start = absl::ToUnixSeconds(day);
  PEERGRID_ASSIGN_OR_RETURN(std::unique_ptr<hub::Simulator> sim,
                            hub::Simulator::Create(config.sim, start));
  PEERGRID_RETURN_IF_ERROR(sim->AdvanceTo(start + 86400));
  const std::vector<hub::IntervalSummary> day_intervals = sim->TakeIntervalSummaries();

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("--out ", out_dir, ": ", ec.message()));
  std::ofstream households(out_dir + "/households.csv");
  std::ofstream batteries(out_dir + "/batteries.csv");
  if (!households || !batteries) {
    return absl::UnavailableError(absl::StrCat("--out ", out_dir, ": cannot write the CSV files"));
  }
  households << "interval_start,household_id,pv_wh,load_wh,import_wh,export_wh\n";
  batteries << "interval_start,bank_id,soc_pct,soh_pct,power_w,cell_temp_max_c,cycle_count\n";
  int64_t pv = 0, load = 0, imported = 0, exported = 0;
  for (const hub::IntervalSummary& s : day_intervals) {
    for (const hub::HouseholdInterval& h : s.households) {
      households << absl::StrCat(s.interval_start, ",", h.participant_id, ",", h.pv_wh, ",",
                                 h.load_wh, ",", h.import_wh, ",", h.export_wh, "\n");
      pv += h.pv_wh;
      load += h.load_wh;
      imported += h.import_wh;
      exported += h.export_wh;
    }
    for (const hub::BankInterval& b : s.banks) {
      batteries << absl::StrFormat("%d,%s,%.2f,%.3f,%d,%.2f,%d\n", s.interval_start, b.bank_id,
                                   b.soc_pct, b.soh_pct, b.power_w, b.cell_temp_max_c,
                                   b.cycle_count);
    }
  }
  households.close();
  batteries.close();
  if (!households || !batteries) {
    return absl::UnavailableError(
        absl::StrCat("--out ", out_dir, ": writing the CSV files failed"));
  }
  std::cout << absl::StrFormat(
      "%s %s: %d households, %d banks, %d intervals; PV %d Wh, load %d Wh, household import %d "
      "Wh, export %d Wh -> %s\n",
      config.sim.hub_id, date, config.sim.households.size(), config.sim.banks.size(),
      day_intervals.size(), pv, load, imported, exported, out_dir);
  return absl::OkStatus();
}

}  // namespace peergrid::hubd
