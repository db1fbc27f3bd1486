// The regulator audit at scale (issue 7 target: a full audit of a 1M-entry
// ledger, re-running every clearing and settlement, in ≤ 30 s).
//
// Builds (once; reused while --dir holds it) a ledger of --entries entries
// with the ledger library: a simulated market of 3 hubs × 100 households,
// each trading most intervals (≈ 300 entries per interval: orders, cancels,
// one clearing, one settlement of ~300 bills, corrections for late reads),
// one key rotation half-way, a checkpoint after every clearing and
// settlement — then exports it and times:
//   1. AuditExport of the export (the figure the target is about);
//   2. AuditServer over a loopback gRPC AuditService on the same ledger
//      (every checkpoint of the history verified; 1000 entries per page).
//
//   build/bench/audit_bench [--entries=1000000] [--dir=/tmp/peergrid-audit-bench]
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/audit/testing/fixture_service.h"
#include "peergrid/ledger/ledger.h"

ABSL_FLAG(uint64_t, entries, 1'000'000, "ledger size to audit");
ABSL_FLAG(std::string, dir, "/tmp/peergrid-audit-bench", "where the ledger and export live");
ABSL_FLAG(bool, server, true, "also time the audit over gRPC");

namespace peergrid::bench {
namespace {

using audit::testing::SimEntry;

constexpr int kHubs = 3, kHouseholds = 100;

double Seconds(absl::Time since) { return absl::ToDoubleSeconds(absl::Now() - since); }

long PeakRssMb() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

std::vector<SimEntry> Generate(uint64_t entries) {
  audit::testing::SimOptions options;
  options.hubs = kHubs;
  options.households_per_hub = kHouseholds;
  options.intervals = static_cast<int>(entries / 280 + 2);
  options.missing_read_one_in = 3000;  // about one late read per 10 intervals
  options.rotate_after_interval = options.intervals / 2;
  options.seed = 2026;
  std::vector<SimEntry> sim = audit::testing::SimulatedMarket(options).Generate();
  if (sim.size() > entries) sim.resize(entries);
  return sim;
}

// Builds the ledger and its export unless --dir already holds them.
absl::StatusOr<std::string> Prepare(const std::string& dir, uint64_t entries,
                                    const ledger::Signer& first, const ledger::Signer& second) {
  const std::string out = dir + "/export";
  const std::string marker = dir + "/built-" + std::to_string(entries);
  if (std::filesystem::exists(marker)) return out;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  absl::Time t = absl::Now();
  std::vector<SimEntry> sim = Generate(entries);
  std::printf("generated %zu entries in %.1f s\n", sim.size(), Seconds(t));
  t = absl::Now();
  std::ofstream(dir + "/key.pem") << first.Pkcs8Pem();
  ledger::LedgerOptions options;
  options.origin = audit::testing::kTestOrigin;
  options.key_file = dir + "/key.pem";
  PEERGRID_ASSIGN_OR_RETURN(auto log, ledger::Ledger::Open(dir + "/db", options));
  PEERGRID_RETURN_IF_ERROR(audit::testing::WriteLedger(sim, log.get(), &second));
  PEERGRID_ASSIGN_OR_RETURN(std::vector<ledger::SignedCheckpoint> checkpoints, log->Checkpoints(0));
  std::printf("wrote the ledger (%llu entries, %zu checkpoints) in %.1f s\n",
              static_cast<unsigned long long>(log->Size()), checkpoints.size(), Seconds(t));
  t = absl::Now();
  PEERGRID_RETURN_IF_ERROR(ledger::ExportLedger(*log, out));
  std::printf("exported in %.1f s (%.0f MB)\n", Seconds(t),
              static_cast<double>(std::filesystem::file_size(out + "/entries")) / 1e6);
  std::ofstream(marker) << "ok\n";
  return out;
}

void Print(const char* what, const audit::AuditReport& r) {
  std::printf(
      "%s: %s, %llu entries, %llu checkpoints, %llu intervals cleared, %llu settled, %llu "
      "corrections, %llu orders, %llu fills, %llu bills, %llu key rotation(s)\n"
      "  %.2f s = %.0f entries/s (peak RSS %ld MB)\n",
      what, r.ok() ? "PASSED" : "FAILED", static_cast<unsigned long long>(r.entries),
      static_cast<unsigned long long>(r.checkpoints_verified),
      static_cast<unsigned long long>(r.intervals_cleared),
      static_cast<unsigned long long>(r.intervals_settled),
      static_cast<unsigned long long>(r.corrections), static_cast<unsigned long long>(r.orders),
      static_cast<unsigned long long>(r.fills), static_cast<unsigned long long>(r.bills),
      static_cast<unsigned long long>(r.key_rotations), r.seconds,
      static_cast<double>(r.entries) / r.seconds, PeakRssMb());
  if (!r.ok()) std::printf("%s", audit::AuditReportText(r).c_str());
}

int Main() {
  const uint64_t entries = absl::GetFlag(FLAGS_entries);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  const ledger::Signer first = audit::testing::TestSigner('1');
  const ledger::Signer second = audit::testing::TestSigner('2');
  absl::StatusOr<std::string> out = Prepare(dir, entries, first, second);
  if (!out.ok()) {
    std::fprintf(stderr, "audit_bench: %s\n", std::string(out.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<audit::AuditReport> offline =
      audit::AuditExport(*out, first.verifier(), audit::AuditOptions{});
  if (!offline.ok()) {
    std::fprintf(stderr, "audit_bench: %s\n", std::string(offline.status().message()).c_str());
    return 1;
  }
  Print("audit --export", *offline);
  if (!absl::GetFlag(FLAGS_server)) return offline->ok() ? 0 : 1;

  ledger::LedgerOptions options;
  options.read_only = true;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> log = ledger::Ledger::Open(dir + "/db", options);
  if (!log.ok()) return 1;
  audit::testing::FixtureAuditService service(log->get());
  audit::testing::LoopbackServer server(&service);
  auto stub = server.Stub();
  absl::StatusOr<audit::AuditReport> online =
      audit::AuditServer(stub.get(), server.address(), first.verifier(), audit::AuditOptions{});
  if (!online.ok()) {
    std::fprintf(stderr, "audit_bench: %s\n", std::string(online.status().message()).c_str());
    return 1;
  }
  Print("audit --server (loopback gRPC)", *online);
  return offline->ok() && online->ok() ? 0 : 1;
}

}  // namespace
}  // namespace peergrid::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return peergrid::bench::Main();
}
