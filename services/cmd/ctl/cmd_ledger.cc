// `peergridctl ledger ...`: the auditor's tools for the zone's signed ledger
// (docs/LEDGER.md). Every command opens the ledger read-only, so it also
// works beside a running exchange.
//
//   ledger export --data-dir DIR --out OUT
//   ledger verify --export OUT | --data-dir DIR
//   ledger proof inclusion --data-dir DIR --index I [--size N]
//   ledger proof consistency --data-dir DIR --from M --to N
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "command.h"
#include "nlohmann/json.hpp"
#include "peergrid/common/status.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/verify.h"

namespace peergrid::ctl {
namespace {

using ledger::Hash;
using ledger::HashToBase64;

absl::StatusOr<std::unique_ptr<ledger::Ledger>> OpenReadOnly(const std::string& dir) {
  ledger::LedgerOptions options;
  options.read_only = true;
  return ledger::Ledger::Open(dir, options);
}

nlohmann::json HashList(const std::vector<Hash>& hashes) {
  nlohmann::json out = nlohmann::json::array();
  for (const Hash& h : hashes) out.push_back(HashToBase64(h));
  return out;
}

absl::Status Export(const std::string& dir, const std::string& out) {
  PEERGRID_ASSIGN_OR_RETURN(auto log, OpenReadOnly(dir));
  PEERGRID_RETURN_IF_ERROR(ledger::ExportLedger(*log, out));
  PEERGRID_ASSIGN_OR_RETURN(ledger::SignedCheckpoint cp, log->LatestCheckpoint());
  std::cout << "exported " << cp.checkpoint.tree_size << " entries of " << cp.checkpoint.origin
            << " to " << out << " (checkpoint root " << HashToBase64(cp.checkpoint.root) << ")\n";
  return absl::OkStatus();
}

absl::Status VerifyExportDir(const std::string& out) {
  PEERGRID_ASSIGN_OR_RETURN(ledger::ExportSummary summary, ledger::VerifyExport(out));
  std::cout << "ok: " << summary.checkpoint.origin << " export of " << summary.entries
            << " entries matches its checkpoint (root " << HashToBase64(summary.checkpoint.root)
            << "), signed by " << summary.verifier_key << "; " << summary.rotation_indexes.size()
            << " key rotation(s)\n";
  return absl::OkStatus();
}

absl::Status VerifyDataDir(const std::string& dir) {
  PEERGRID_ASSIGN_OR_RETURN(auto log, OpenReadOnly(dir));  // re-hashes every entry
  PEERGRID_RETURN_IF_ERROR(log->VerifyAll());
  PEERGRID_ASSIGN_OR_RETURN(std::vector<ledger::SignedCheckpoint> all, log->Checkpoints(0));
  std::cout << "ok: " << log->origin() << " has " << log->Size() << " entries; " << all.size()
            << " signed checkpoint(s) verify";
  if (!all.empty()) {
    std::cout << ", latest at size " << all.back().checkpoint.tree_size << " root "
              << HashToBase64(all.back().checkpoint.root);
  }
  std::cout << "\n";
  return absl::OkStatus();
}

absl::Status ProveInclusion(const std::string& dir, uint64_t index, int64_t size_flag) {
  PEERGRID_ASSIGN_OR_RETURN(auto log, OpenReadOnly(dir));
  uint64_t size = log->Size();
  if (size_flag >= 0) {
    size = static_cast<uint64_t>(size_flag);
  } else if (absl::StatusOr<ledger::SignedCheckpoint> cp = log->LatestCheckpoint();
             cp.ok() && index < cp->checkpoint.tree_size) {
    size = cp->checkpoint.tree_size;  // prove against the signed root by default
  }
  PEERGRID_ASSIGN_OR_RETURN(ledger::InclusionProof proof, log->ProveInclusion(index, size));
  PEERGRID_ASSIGN_OR_RETURN(Hash root, log->RootAt(size));
  PEERGRID_ASSIGN_OR_RETURN(Hash leaf, log->LeafHashAt(index));
  nlohmann::json out = {{"leafIdx", index},
                        {"treeSize", size},
                        {"root", HashToBase64(root)},
                        {"leafHash", HashToBase64(leaf)},
                        {"proof", HashList(proof.path)}};
  std::cout << out.dump(2) << "\n";
  return absl::OkStatus();
}

absl::Status ProveConsistency(const std::string& dir, uint64_t from, uint64_t to) {
  PEERGRID_ASSIGN_OR_RETURN(auto log, OpenReadOnly(dir));
  PEERGRID_ASSIGN_OR_RETURN(ledger::ConsistencyProof proof, log->ProveConsistency(from, to));
  PEERGRID_ASSIGN_OR_RETURN(Hash root1, log->RootAt(from));
  PEERGRID_ASSIGN_OR_RETURN(Hash root2, log->RootAt(to));
  nlohmann::json out = {{"size1", from},
                        {"size2", to},
                        {"root1", HashToBase64(root1)},
                        {"root2", HashToBase64(root2)},
                        {"proof", HashList(proof.path)}};
  std::cout << out.dump(2) << "\n";
  return absl::OkStatus();
}

void AddLedger(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("ledger", "Export, verify and prove the signed ledger");
  cmd->require_subcommand(1);

  CLI::App* exp = cmd->add_subcommand(
      "export", "Write OUT/checkpoint, OUT/log.pub, OUT/log.pub.pem and OUT/entries");
  auto exp_dir = std::make_shared<std::string>();
  auto exp_out = std::make_shared<std::string>();
  exp->add_option("--data-dir", *exp_dir, "Ledger data directory")->required();
  exp->add_option("--out", *exp_out, "Output directory")->required();
  exp->callback([=] { SetExitCode(ReportStatus(Export(*exp_dir, *exp_out))); });

  CLI::App* ver = cmd->add_subcommand(
      "verify",
      "Rebuild the tree, check the root and every signature (exit 0 or name the problem)");
  auto ver_export = std::make_shared<std::string>();
  auto ver_dir = std::make_shared<std::string>();
  CLI::Option* by_export = ver->add_option("--export", *ver_export, "Export directory");
  CLI::Option* by_dir = ver->add_option("--data-dir", *ver_dir, "Ledger data directory");
  by_export->excludes(by_dir);
  ver->callback([=] {
    if (by_export->count() > 0) {
      SetExitCode(ReportStatus(VerifyExportDir(*ver_export)));
    } else if (by_dir->count() > 0) {
      SetExitCode(ReportStatus(VerifyDataDir(*ver_dir)));
    } else {
      SetExitCode(ReportStatus(absl::InvalidArgumentError("give --export OUT or --data-dir DIR")));
    }
  });

  CLI::App* proof = cmd->add_subcommand("proof", "Print an RFC 9162 proof as JSON");
  proof->require_subcommand(1);
  CLI::App* incl = proof->add_subcommand("inclusion", "Inclusion proof of one entry");
  auto incl_dir = std::make_shared<std::string>();
  auto incl_index = std::make_shared<uint64_t>(0);
  auto incl_size = std::make_shared<int64_t>(-1);
  incl->add_option("--data-dir", *incl_dir, "Ledger data directory")->required();
  incl->add_option("--index", *incl_index, "Entry index")->required();
  incl->add_option("--size", *incl_size,
                   "Tree size (default: the latest signed checkpoint's, else the log's)");
  incl->callback(
      [=] { SetExitCode(ReportStatus(ProveInclusion(*incl_dir, *incl_index, *incl_size))); });
  CLI::App* cons = proof->add_subcommand("consistency", "Consistency proof between two sizes");
  auto cons_dir = std::make_shared<std::string>();
  auto cons_from = std::make_shared<uint64_t>(0);
  auto cons_to = std::make_shared<uint64_t>(0);
  cons->add_option("--data-dir", *cons_dir, "Ledger data directory")->required();
  cons->add_option("--from", *cons_from, "Older tree size (> 0)")->required();
  cons->add_option("--to", *cons_to, "Newer tree size")->required();
  cons->callback(
      [=] { SetExitCode(ReportStatus(ProveConsistency(*cons_dir, *cons_from, *cons_to))); });
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddLedger);
