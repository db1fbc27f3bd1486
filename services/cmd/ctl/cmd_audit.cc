// `peergridctl audit`: the regulator's audit of a zone's ledger (docs/AUDIT.md).
//
//   audit --export DIR --key KEY_FILE [--state FILE] [--report FILE] [--json]
//   audit --server ADDR --key KEY_FILE [--state FILE] [--report FILE] [--json]
//   audit follow --server ADDR --key KEY_FILE --out DIR [--once]
//
// Exit codes: 0 the audit passed; 1 it failed (or the log forked); 2 bad
// arguments, key or state file; 3 the audit could not run (missing files,
// unreachable server, I/O).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "client.h"
#include "command.h"
#include "grpcpp/grpcpp.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/follow.h"
#include "peergrid/v1/audit.grpc.pb.h"

namespace peergrid::ctl {
namespace {

using audit::AuditReport;

struct TimingFlags {
  MarketTiming timing;
  void Add(CLI::App* cmd) {
    cmd->add_option("--interval-s", timing.interval_s, "delivery interval length, seconds")
        ->capture_default_str();
    cmd->add_option("--gate-lead-s", timing.gate_lead_s, "gate closure before the interval, s")
        ->capture_default_str();
    cmd->add_option("--horizon-s", timing.horizon_s, "how far ahead orders are accepted, s")
        ->capture_default_str();
    cmd->add_option("--settlement-grace-s", timing.settlement_grace_s,
                    "wait for meter reads after the interval, s")
        ->capture_default_str();
  }
};

struct AuditFlags {
  std::string export_dir, server, key_file, state_file, report_file;
  bool json = false, quiet = false;
  TimingFlags timing;
  rpc::ClientTlsFlags tls;
};

struct FollowFlags {
  std::string server, key_file, out_dir;
  bool once = false;
  double retry_s = 5;
  TimingFlags timing;
  rpc::ClientTlsFlags tls;
};

int Failed(const absl::Status& status) {
  std::cerr << "peergridctl audit: " << status.message() << " ("
            << absl::StatusCodeToString(status.code()) << ")\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 3;
}

// Returns a channel to the AuditService, or exits 2 when the TLS flags are wrong.
std::shared_ptr<grpc::Channel> Channel(const std::string& address, const rpc::ClientTlsFlags& tls) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);  // settlement entries are large; pages adapt anyway
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ConnectTo(address, tls, args);
  if (!channel.ok()) {
    std::cerr << "peergridctl audit: " << channel.status().message() << "\n";
    std::exit(2);
  }
  return *std::move(channel);
}

// Prints "audit: N / M entries (P%)" to stderr at most once a second (so an
// audit shorter than a second prints nothing), and the last line at the end.
std::function<void(uint64_t, uint64_t)> Progress(bool quiet) {
  if (quiet) return nullptr;
  struct State {
    absl::Time last = absl::Now();
    bool printed = false;
  };
  auto state = std::make_shared<State>();
  return [state](uint64_t done, uint64_t total) {
    const absl::Time now = absl::Now();
    const bool end = done == total;
    if (now - state->last < absl::Seconds(1) && !(end && state->printed)) return;
    state->last = now;
    state->printed = true;
    const double pct =
        total == 0 ? 100.0 : 100.0 * static_cast<double>(done) / static_cast<double>(total);
    std::fprintf(stderr, "audit: %llu / %llu entries (%.0f%%)\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 pct);
  };
}

int RunAudit(const AuditFlags& f) {
  if (f.export_dir.empty() == f.server.empty()) {
    std::cerr << "peergridctl audit: give exactly one of --export DIR or --server ADDR\n";
    return 2;
  }
  absl::StatusOr<ledger::VerifierKey> key = audit::ReadVerifierKeyFile(f.key_file);
  if (!key.ok()) return Failed(key.status());
  audit::AuditOptions options;
  options.timing = f.timing.timing;
  if (absl::Status valid = options.timing.Validate(); !valid.ok()) return Failed(valid);
  options.state_file = f.state_file;
  options.progress = Progress(f.quiet);
  absl::StatusOr<audit::AuditReport> report;
  if (!f.export_dir.empty()) {
    report = audit::AuditExport(f.export_dir, *key, options);
  } else {
    auto stub = v1::AuditService::NewStub(Channel(f.server, f.tls));
    report = audit::AuditServer(stub.get(), f.server, *key, options);
  }
  if (!report.ok()) return Failed(report.status());
  if (!f.report_file.empty()) {
    std::ofstream out(f.report_file, std::ios::trunc);
    out << audit::AuditReportJson(*report);
    out.close();
    if (!out) {
      std::cerr << "peergridctl audit: cannot write " << f.report_file << "\n";
      return 3;
    }
  }
  std::cout << (f.json ? audit::AuditReportJson(*report) : audit::AuditReportText(*report));
  return report->ok() ? 0 : 1;
}

int RunFollow(const FollowFlags& f) {
  absl::StatusOr<ledger::VerifierKey> key = audit::ReadVerifierKeyFile(f.key_file);
  if (!key.ok()) return Failed(key.status());
  audit::FollowOptions options;
  options.timing = f.timing.timing;
  options.out_dir = f.out_dir;
  options.once = f.once;
  options.log = [](absl::string_view line) { std::cerr << "audit follow: " << line << "\n"; };
  absl::StatusOr<std::unique_ptr<audit::AuditFollower>> follower =
      audit::AuditFollower::Open(*key, options);
  if (!follower.ok()) return Failed(follower.status());
  auto stub = v1::AuditService::NewStub(Channel(f.server, f.tls));
  for (;;) {
    absl::Status run = (*follower)->Run(stub.get());
    if (absl::IsDataLoss(run)) {
      std::cerr << "\n*** LOG FORK: " << run.message() << " ***\n"
                << "*** the mirror in " << f.out_dir << " keeps its verified copy; "
                << "refusing to follow ***\n";
      return 1;
    }
    if (run.ok() || f.once) {
      if (!run.ok()) return Failed(run);
      const audit::AuditReport& report = (*follower)->report();
      std::cout << "mirror " << f.out_dir << ": " << (*follower)->size() << " verified entries; "
                << (report.ok() ? "audit passed" : "AUDIT FAILED (see report.json)") << "\n";
      return report.ok() ? 0 : 1;
    }
    std::cerr << "audit follow: " << run.message() << "; retrying in " << f.retry_s << " s\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(f.retry_s * 1000)));
  }
}

void AddAudit(CLI::App& root) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* cmd = root.add_subcommand(
      "audit",
      "Verify a zone's ledger without trusting the exchange: signatures, the Merkle tree, "
      "consistency with your last audit, every clearing and settlement re-run (docs/AUDIT.md)");
  cmd->add_option("--export", flags->export_dir,
                  "ledger export directory (peergridctl ledger export)");
  cmd->add_option("--server", flags->server, "exchange AuditService address HOST:PORT");
  AddTlsOptions(cmd, &flags->tls);
  cmd->add_option("--key", flags->key_file, "file with the published C2SP verifier key (log.pub)");
  cmd->add_option("--state", flags->state_file,
                  "the auditor's state file: the last checkpoint trusted (advanced on success)");
  cmd->add_option("--report", flags->report_file, "write the JSON report to this file");
  cmd->add_flag("--json", flags->json, "print the JSON report instead of the text one");
  cmd->add_flag("--quiet", flags->quiet, "no progress lines on stderr");
  flags->timing.Add(cmd);
  cmd->require_subcommand(0, 1);

  auto follow = std::make_shared<FollowFlags>();
  CLI::App* sub = cmd->add_subcommand(
      "follow", "Keep a verified mirror of a live ledger; refuse loudly if the log ever forks");
  AddTlsOptions(sub, &follow->tls);
  sub->add_option("--server", follow->server, "exchange AuditService address HOST:PORT")
      ->required();
  sub->add_option("--key", follow->key_file, "file with the published C2SP verifier key")
      ->required();
  sub->add_option("--out", follow->out_dir, "mirror directory")->required();
  sub->add_flag("--once", follow->once, "stop once caught up with the latest checkpoint");
  sub->add_option("--retry-s", follow->retry_s, "wait before reconnecting, seconds")
      ->capture_default_str();
  follow->timing.Add(sub);
  sub->callback([follow] { SetExitCode(RunFollow(*follow)); });

  cmd->callback([flags, sub] {
    if (sub->parsed()) return;
    if (flags->key_file.empty()) {
      std::cerr << "peergridctl audit: --key KEY_FILE is required\n";
      SetExitCode(2);
      return;
    }
    SetExitCode(RunAudit(*flags));
  });
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddAudit);
