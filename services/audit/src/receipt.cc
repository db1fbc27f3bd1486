#include "peergrid/audit/receipt.h"

#include <cstdio>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "peergrid/audit/state.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/hash.h"
#include "peergrid/ledger/verify.h"

namespace peergrid::audit {
namespace {

absl::Status Mismatch(absl::string_view field, absl::string_view got, absl::string_view want) {
  return absl::DataLossError(
      absl::StrCat("receipt ", field, " is ", got, " but the signed checkpoint says ", want));
}

// Checks the receipt's own description of the checkpoint and the proof
// against the signed checkpoint.
absl::Status CheckFields(const v1::Receipt& r, const ledger::Checkpoint& cp) {
  const v1::Checkpoint& c = r.checkpoint();
  if (c.tree_size() != 0 && c.tree_size() != cp.tree_size) {
    return Mismatch("checkpoint.tree_size", absl::StrCat(c.tree_size()),
                    absl::StrCat(cp.tree_size));
  }
  if (!c.origin().empty() && c.origin() != cp.origin) {
    return Mismatch("checkpoint.origin", c.origin(), cp.origin);
  }
  if (!c.root_hash().empty() && c.root_hash() != ledger::HashBytes(cp.root)) {
    return Mismatch("checkpoint.root_hash", "another root", ledger::HashToBase64(cp.root));
  }
  const v1::InclusionProof& p = r.inclusion();
  if (p.leaf_index() != r.index()) {
    return absl::InvalidArgumentError(absl::StrCat("receipt inclusion.leaf_index ", p.leaf_index(),
                                                   " is not its index ", r.index()));
  }
  if (p.tree_size() != cp.tree_size) {
    return Mismatch("inclusion.tree_size", absl::StrCat(p.tree_size()), absl::StrCat(cp.tree_size));
  }
  if (!p.root_hash().empty() && p.root_hash() != ledger::HashBytes(cp.root)) {
    return Mismatch("inclusion.root_hash", "another root", ledger::HashToBase64(cp.root));
  }
  if (!p.leaf_hash().empty() && p.leaf_hash() != ledger::HashBytes(ledger::LeafHash(r.entry()))) {
    return absl::DataLossError("receipt inclusion.leaf_hash is not the hash of its entry");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReceiptSummary> VerifyReceipt(const v1::Receipt& receipt,
                                             const ledger::VerifierKey* pinned_key,
                                             absl::string_view expected_order_id) {
  ReceiptSummary summary;
  std::optional<ledger::VerifierKey> carried;
  if (pinned_key == nullptr) {
    if (receipt.verifier_key().empty()) {
      return absl::InvalidArgumentError("receipt verifier_key is empty and no key was given");
    }
    PEERGRID_ASSIGN_OR_RETURN(carried, ledger::VerifierKey::Parse(receipt.verifier_key()));
  }
  const ledger::VerifierKey& key = pinned_key != nullptr ? *pinned_key : *carried;
  summary.key_pinned = pinned_key != nullptr;
  summary.verifier_key = key.ToString();
  absl::StatusOr<ledger::Checkpoint> cp =
      ledger::VerifyCheckpoint(receipt.checkpoint().note(), key, "");
  if (!cp.ok()) {
    std::string hint;
    if (pinned_key != nullptr && !receipt.verifier_key().empty() &&
        receipt.verifier_key() != key.ToString()) {
      hint = absl::StrCat(" (the receipt names the key ", receipt.verifier_key(),
                          ": if the log rotated its key, audit the rotation and pin the new key)");
    }
    return absl::Status(cp.status().code(),
                        absl::StrCat("receipt checkpoint: ", cp.status().message(), hint));
  }
  summary.checkpoint = *cp;
  PEERGRID_RETURN_IF_ERROR(CheckFields(receipt, *cp));
  std::vector<ledger::Hash> path;
  for (int i = 0; i < receipt.inclusion().proof_size(); ++i) {
    PEERGRID_ASSIGN_OR_RETURN(ledger::Hash h,
                              ledger::HashFromBytes(receipt.inclusion().proof(i),
                                                    absl::StrCat("inclusion.proof[", i, "]")));
    path.push_back(h);
  }
  absl::Status included = ledger::VerifyInclusion(ledger::LeafHash(receipt.entry()),
                                                  receipt.index(), cp->tree_size, path, cp->root);
  if (!included.ok()) {
    return absl::Status(included.code(),
                        absl::StrCat("receipt inclusion proof: ", included.message()));
  }
  summary.index = receipt.index();
  if (!summary.entry.ParseFromString(receipt.entry()) || !summary.entry.has_order_accepted()) {
    return absl::InvalidArgumentError(
        absl::StrCat("receipt entry ", receipt.index(), " is not an order-accepted entry"));
  }
  const std::string& id = summary.entry.order_accepted().order().order_id();
  if (!expected_order_id.empty() && id != expected_order_id) {
    return absl::NotFoundError(absl::StrCat("receipt entry ", receipt.index(), " is order ", id,
                                            ", not ", expected_order_id));
  }
  return summary;
}

std::string ReceiptSummaryText(const ReceiptSummary& s) {
  const v1::OrderAccepted& a = s.entry.order_accepted();
  const v1::Order& o = a.order();
  char price[32];
  std::snprintf(price, sizeof price, "%.3f",
                static_cast<double>(o.limit_price_mcu_per_kwh()) / 1000);
  std::string out = absl::StrCat(
      "receipt verified: order ", o.order_id(), " is entry ", s.index, " of ", s.checkpoint.origin,
      "\n  order      ", o.participant_id(), " ", v1::Side_Name(o.side()), " ", o.quantity_wh(),
      " Wh, limit ", price, "/kWh, interval ", o.interval_start(), ", accepted at ",
      a.accepted_at_unix_ms(), " ms\n  checkpoint size ", s.checkpoint.tree_size, ", root ",
      ledger::HashToBase64(s.checkpoint.root), "\n  signed by  ", s.verifier_key,
      s.key_pinned ? " (your key)\n"
                   : " (the key the receipt carries: pass --key with the published key to pin "
                     "it)\n");
  return out;
}

absl::StatusOr<v1::Receipt> ReadReceiptFile(const std::string& path) {
  PEERGRID_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  v1::Receipt receipt;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(text, &receipt, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("receipt file ", path,
                     " is not a peergrid.v1.Receipt in JSON: ", std::string(status.message())));
  }
  return receipt;
}

absl::Status WriteReceiptFile(const std::string& path, const v1::Receipt& receipt) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(receipt, &json, options);
  if (!status.ok()) return absl::InternalError("cannot print the receipt as JSON");
  return WriteFileAtomically(path, json);
}

}  // namespace peergrid::audit
