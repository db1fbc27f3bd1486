// `peergridctl demo`: the main job. A simulated Jeju community trades for one
// day over real gRPC — one peergrid-exchange and several peergrid-hub
// processes on loopback sharing a simulated clock — then the day is summed up
// and the ledger is exported and audited from scratch.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client.h"
#include "command.h"
#include "peergrid/audit/audit.h"
#include "peergrid/community/community.h"
#include "peergrid/community/ledger_summary.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/ledger.h"

namespace peergrid::ctl {
namespace {

std::string SelfDir() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

std::string Kwh(int64_t wh) { return absl::StrFormat("%.1f kWh", static_cast<double>(wh) / 1000); }
std::string Money(int64_t ucu) { return absl::StrFormat("%.2f", static_cast<double>(ucu) / 1e6); }

void PrintProgress(const community::IntervalProgress& p) {
  const absl::Time t = absl::FromUnixSeconds(p.event.interval_start());
  const std::string local = absl::FormatTime("%H:%M", t, absl::FixedTimeZone(9 * 3600));
  const std::string price = p.event.has_clearing_price_mcu_per_kwh()
                                ? FormatPrice(p.event.clearing_price_mcu_per_kwh().value())
                                : std::string("no trade");
  const int width = 24;
  const int done = p.index * width / p.total;
  std::printf("[%s%s] %2d/%d  %s KST  %-16s %10s traded  %3d fills  ledger %llu\n",
              std::string(done, '#').c_str(), std::string(width - done, '.').c_str(), p.index,
              p.total, local.c_str(), price.c_str(), Kwh(p.event.volume_wh()).c_str(),
              p.event.fills_size(), static_cast<unsigned long long>(p.ledger_size));
  std::fflush(stdout);
}

void PrintSummary(const community::DaySummary& s) {
  std::printf("\n== the day's energy (meters and banks, as the hubs report them) ==\n");
  std::printf("  the day's intervals             %d cleared, %d settled\n", s.intervals_cleared,
              s.intervals_settled);
  std::printf("  household consumption           %s (PV generated %s)\n",
              Kwh(s.consumption_wh).c_str(), Kwh(s.pv_wh).c_str());
  std::printf("  grid import / export            %s / %s\n", Kwh(s.grid_import_wh).c_str(),
              Kwh(s.grid_export_wh).c_str());
  std::printf("  met by local renewables         %.1f %% of consumption\n", 100 * s.local_share);
  std::printf("  battery throughput              %s charged, %s discharged (%.2f cycles)\n",
              Kwh(s.battery_charged_wh).c_str(), Kwh(s.battery_discharged_wh).c_str(),
              s.battery_cycles);
  std::printf("  alarms raised                   %d", s.alarms_raised);
  const char* sep = " (";
  for (const auto& [kind, count] : s.alarms_by_kind) {
    std::printf("%s%s %d", sep, kind.c_str(), count);
    sep = ", ";
  }
  std::printf("%s\n", s.alarms_by_kind.empty() ? "" : ")");
  for (const std::string& problem : s.problems) std::printf("  PROBLEM: %s\n", problem.c_str());
}

std::string LocalTime(int64_t unix_s) {
  return absl::FormatTime("%H:%M", absl::FromUnixSeconds(unix_s), absl::FixedTimeZone(9 * 3600));
}

std::string Savings(const community::BillTotals& t) {
  return absl::StrFormat("%s vs %s grid-only: saved %s (%.1f %%)", Money(t.bills_ucu),
                         Money(t.baseline_ucu), Money(t.savings_ucu()), 100 * t.savings_share());
}

void PrintLedgerSummary(const community::LedgerSummary& l) {
  std::printf("\n== the market, from the ledger (the figures the audit checks) ==\n");
  std::printf("  ledger entries                  %llu\n",
              static_cast<unsigned long long>(l.entries));
  std::printf("  orders, cancels                 %llu orders accepted, %llu cancelled\n",
              static_cast<unsigned long long>(l.orders),
              static_cast<unsigned long long>(l.cancellations));
  std::printf("  intervals cleared / settled     %llu / %llu (%llu corrections)\n",
              static_cast<unsigned long long>(l.intervals_cleared),
              static_cast<unsigned long long>(l.intervals_settled),
              static_cast<unsigned long long>(l.corrections));
  std::printf("  P2P energy traded               %s in %llu fills\n", Kwh(l.p2p_traded_wh).c_str(),
              static_cast<unsigned long long>(l.fills));
  if (l.min_price_mcu_per_kwh && l.max_price_mcu_per_kwh) {
    std::printf(
        "  clearing price range            %s (%s KST) .. %s (%s KST)\n",
        FormatPrice(*l.min_price_mcu_per_kwh).c_str(), LocalTime(l.min_price_interval).c_str(),
        FormatPrice(*l.max_price_mcu_per_kwh).c_str(), LocalTime(l.max_price_interval).c_str());
  }
  std::printf("  households (%lld)                %s\n",
              static_cast<long long>(l.households.participants), Savings(l.households).c_str());
  std::printf("  shared storage (%lld)             %s\n",
              static_cast<long long>(l.storage.participants), Savings(l.storage).c_str());
  std::printf("  bills settled ESTIMATED         %lld households', %lld storage's\n",
              static_cast<long long>(l.households.estimated),
              static_cast<long long>(l.storage.estimated));
  std::printf(
      "  energy balance                  %lld of %lld hub-intervals with complete reads "
      "balance; hub losses %s\n",
      static_cast<long long>(l.balances_checked - l.balances_failed),
      static_cast<long long>(l.balances_checked), Kwh(l.losses_wh).c_str());
  for (const std::string& failure : l.balance_failures) {
    std::printf("  METER_BALANCE: %s\n", failure.c_str());
  }
}

// Returns the ways the ledger summary and the audit's own counts differ.
std::vector<std::string> Reconcile(const community::LedgerSummary& l, const audit::AuditReport& r) {
  std::vector<std::string> out;
  auto same = [&](const char* what, uint64_t mine, uint64_t audit) {
    if (mine != audit)
      out.push_back(absl::StrFormat("%s: summary %d, audit %d", what, mine, audit));
  };
  same("ledger entries", l.entries, r.entries);
  same("orders", l.orders, r.orders);
  same("cancellations", l.cancellations, r.cancellations);
  same("intervals cleared", l.intervals_cleared, r.intervals_cleared);
  same("intervals settled", l.intervals_settled, r.intervals_settled);
  same("corrections", l.corrections, r.corrections);
  same("fills", l.fills, r.fills);
  return out;
}

// Exports the stopped exchange's ledger and audits the export from scratch.
int Audit(const community::Community& community) {
  const std::string export_dir = community.options().dir + "/export";
  ledger::LedgerOptions options;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> ledger =
      ledger::Ledger::Open(community.exchange_data_dir() + "/ledger", options);
  if (!ledger.ok()) return ReportStatus(ledger.status());
  std::error_code ec;
  std::filesystem::remove_all(export_dir, ec);
  if (absl::Status s = ledger::ExportLedger(**ledger, export_dir); !s.ok()) return ReportStatus(s);
  absl::StatusOr<std::vector<std::string>> entries = (*ledger)->GetEntries(0, (*ledger)->Size());
  ledger->reset();
  if (!entries.ok()) return ReportStatus(entries.status());
  absl::StatusOr<community::LedgerSummary> figures = community::SummarizeLedger(*entries);
  if (!figures.ok()) return ReportStatus(figures.status());
  PrintLedgerSummary(*figures);
  std::printf("\n== audit ==\n");
  absl::StatusOr<ledger::ExportSummary> verified = ledger::VerifyExport(export_dir);
  if (!verified.ok()) {
    std::printf("  ledger verification: FAILED: %s\n",
                std::string(verified.status().message()).c_str());
    return 1;
  }
  std::printf("  ledger verification: OK (%llu entries, root matches the signed checkpoint)\n",
              static_cast<unsigned long long>(verified->entries));
  absl::StatusOr<ledger::VerifierKey> key = ledger::VerifierKey::Parse(verified->verifier_key);
  if (!key.ok()) return ReportStatus(key.status());
  audit::AuditOptions audit_options;
  absl::StatusOr<audit::AuditReport> report = audit::AuditExport(export_dir, *key, audit_options);
  if (!report.ok()) return ReportStatus(report.status());
  std::printf(
      "  audit: %s — %llu intervals re-cleared, %llu settlements recomputed, "
      "%llu orders checked\n",
      report->ok() ? "PASSED" : "FAILED",
      static_cast<unsigned long long>(report->intervals_cleared),
      static_cast<unsigned long long>(report->intervals_settled),
      static_cast<unsigned long long>(report->orders));
  if (!report->ok() && !report->failures.empty()) {
    std::printf("  first failure: entry %llu: %s\n",
                static_cast<unsigned long long>(report->failures[0].index),
                report->failures[0].reason.c_str());
  }
  const std::vector<std::string> differences = Reconcile(*figures, *report);
  if (differences.empty()) {
    std::printf(
        "  the summary's figures equal the audit's (entries, orders, cancels, intervals, "
        "fills)\n");
  }
  for (const std::string& d : differences) std::printf("  PROBLEM: %s\n", d.c_str());
  std::printf("  export: %s (verify again with: peergridctl audit --export %s --key %s/log.pub)\n",
              export_dir.c_str(), export_dir.c_str(), export_dir.c_str());
  return report->ok() && differences.empty() ? 0 : 1;
}

int RunDemo(const community::CommunityOptions& options, absl::Duration timeout) {
  std::printf("peergrid demo: %d hubs x %d households on %s (Jeju, KST), %gx simulated time\n",
              options.hubs, options.households_per_hub, options.date.c_str(), options.speed);
  std::printf("data: %s (exchange/, hub-N/, logs/)\n", options.dir.c_str());
  const absl::Time started = absl::Now();
  community::Community community(options);
  if (absl::Status s = community.Start(); !s.ok()) return ReportStatus(s);
  std::printf("exchange on %s; %zu participants registered; hubs streaming and trading\n\n",
              community.exchange_address().c_str(), community.participants().size());
  absl::Status day = community.RunDay(PrintProgress, timeout);
  if (!day.ok()) {
    (void)community.Stop();
    return ReportStatus(day);
  }
  absl::StatusOr<community::DaySummary> summary = community.Summarize();
  absl::Status stopped = community.Stop();
  if (!summary.ok()) return ReportStatus(summary.status());
  PrintSummary(*summary);
  if (!stopped.ok()) return ReportStatus(stopped);
  int audit = Audit(community);
  std::printf("\ndemo finished in %s; explore with: peergridctl --help (data kept in %s)\n",
              absl::FormatDuration(absl::Trunc(absl::Now() - started, absl::Seconds(1))).c_str(),
              options.dir.c_str());
  std::printf("  certificates (zone CA, exchange, admin, hubs): %s/tls/ (docs/SECURITY.md)\n",
              options.dir.c_str());
  return summary->problems.empty() ? audit : 1;
}

void AddDemo(CLI::App& root) {
  auto options = std::make_shared<community::CommunityOptions>();
  auto timeout_s = std::make_shared<double>(600);
  CLI::App* cmd = root.add_subcommand(
      "demo",
      "Run a simulated community's day over real gRPC (an exchange and hubs on loopback), "
      "then audit the ledger");
  cmd->add_option("--dir", options->dir, "where the processes keep their data (wiped first)")
      ->capture_default_str();
  cmd->add_option("--hubs", options->hubs, "smart hubs")->capture_default_str();
  cmd->add_option("--households", options->households_per_hub, "households per hub")
      ->capture_default_str();
  cmd->add_option("--date", options->date, "the local day, YYYY-MM-DD")->capture_default_str();
  cmd->add_option("--speed", options->speed, "simulated seconds per real second")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "simulation seed")->capture_default_str();
  cmd->add_option("--bin-dir", options->bin_dir,
                  "directory of peergrid-exchange and peergrid-hub (default: beside peergridctl)");
  cmd->add_option("--timeout", *timeout_s, "give up after this many real seconds")
      ->capture_default_str();
  cmd->callback([options, timeout_s] {
    if (options->bin_dir.empty()) options->bin_dir = SelfDir();
    SetExitCode(RunDemo(*options, absl::Seconds(*timeout_s)));
  });
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddDemo);
