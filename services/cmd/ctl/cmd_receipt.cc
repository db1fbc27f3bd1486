// `peergridctl receipt`: a household's proof that its order is in the ledger.
//
//   receipt --order ID [--server ADDR] [--key KEY_FILE] [--out FILE] [--json]
//       fetches the receipt over AuditService.GetReceipt, verifies it locally
//       (with --key: against the published key) and prints it; --out saves it
//       as JSON of peergrid.v1.Receipt.
//   receipt verify FILE [--key KEY_FILE] [--order ID] [--json]
//       verifies a saved receipt offline.
//
// Exit codes: 0 verified; 1 the receipt does not verify; 2 bad arguments or a
// malformed file; RPC failures as in every online command (client.h).
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "client.h"
#include "command.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/receipt.h"
#include "peergrid/v1/audit.grpc.pb.h"

namespace peergrid::ctl {
namespace {

struct ReceiptFlags {
  ServerOptions server;
  std::string order_id, key_file, out_file;
};

struct VerifyFlags {
  std::string file, key_file, order_id;
  bool json = false;
};

int Report(absl::string_view what, const absl::Status& status) {
  std::cerr << "peergridctl receipt: " << what << ": " << status.message() << " ("
            << absl::StatusCodeToString(status.code()) << ")\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

// Verifies and prints; returns the exit code.
int VerifyAndPrint(const v1::Receipt& receipt, const std::string& key_file,
                   const std::string& order_id, bool json) {
  std::optional<ledger::VerifierKey> key;
  if (!key_file.empty()) {
    absl::StatusOr<ledger::VerifierKey> read = audit::ReadVerifierKeyFile(key_file);
    if (!read.ok()) return Report("--key", read.status());
    key = *read;
  }
  absl::StatusOr<audit::ReceiptSummary> summary =
      audit::VerifyReceipt(receipt, key ? &*key : nullptr, order_id);
  if (!summary.ok()) return Report("does not verify", summary.status());
  if (json) {
    PrintJson(receipt);
  } else {
    std::cout << audit::ReceiptSummaryText(*summary);
  }
  return 0;
}

int Fetch(const ReceiptFlags& f) {
  auto stub = v1::AuditService::NewStub(Connect(f.server));
  v1::GetReceiptRequest request;
  request.set_order_id(f.order_id);
  v1::Receipt receipt;
  grpc::Status status = stub->GetReceipt(Context(f.server).get(), request, &receipt);
  if (!status.ok()) return RpcFailed("receipt", status);
  const int code = VerifyAndPrint(receipt, f.key_file, f.order_id, f.server.json);
  if (code != 0 || f.out_file.empty()) return code;
  if (absl::Status saved = audit::WriteReceiptFile(f.out_file, receipt); !saved.ok()) {
    return Report("--out", saved);
  }
  if (!f.server.json) std::cout << "saved to " << f.out_file << "\n";
  return 0;
}

int VerifyFile(const VerifyFlags& f) {
  absl::StatusOr<v1::Receipt> receipt = audit::ReadReceiptFile(f.file);
  if (!receipt.ok()) return Report(f.file, receipt.status());
  return VerifyAndPrint(*receipt, f.key_file, f.order_id, f.json);
}

void AddReceipt(CLI::App& root) {
  auto flags = std::make_shared<ReceiptFlags>();
  CLI::App* cmd = root.add_subcommand(
      "receipt",
      "Fetch and verify an order's receipt: its ledger entry, inclusion proof and "
      "signed checkpoint");
  cmd->add_option("--order", flags->order_id, "the order id");
  cmd->add_option("--key", flags->key_file,
                  "file with the published C2SP verifier key (without it, the receipt's own key "
                  "is used and the proof is only self-consistent)");
  cmd->add_option("--out", flags->out_file, "save the receipt as JSON to this file");
  AddServerOptions(cmd, &flags->server);
  cmd->require_subcommand(0, 1);

  auto verify = std::make_shared<VerifyFlags>();
  CLI::App* sub = cmd->add_subcommand("verify", "Verify a saved receipt offline");
  sub->add_option("file", verify->file, "receipt JSON file (receipt --out)")->required();
  sub->add_option("--key", verify->key_file, "file with the published C2SP verifier key");
  sub->add_option("--order", verify->order_id, "the order id the receipt must be for");
  sub->add_flag("--json", verify->json, "print the receipt as JSON once verified");
  sub->callback([verify] { SetExitCode(VerifyFile(*verify)); });

  cmd->callback([flags, sub] {
    if (sub->parsed()) return;
    if (flags->order_id.empty()) {
      std::cerr << "peergridctl receipt: --order ID is required (or use `receipt verify FILE`)\n";
      SetExitCode(2);
      return;
    }
    SetExitCode(Fetch(*flags));
  });
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddReceipt);
