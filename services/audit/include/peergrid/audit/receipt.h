// Household receipts (DESIGN.md §7): proof, checkable offline with only the
// ledger's verifier key, that an order is in the signed ledger. A receipt
// (peergrid.v1.Receipt, from AuditService.GetReceipt) carries the order's
// order-accepted entry, its inclusion proof and the signed checkpoint the
// proof leads to. VerifyReceipt checks, in order:
//   1. the checkpoint's signed note verifies with the key (the caller's
//      pinned key; without one, the key the receipt carries — which proves
//      only that the receipt is self-consistent, and says so);
//   2. the receipt's checkpoint fields and inclusion proof describe that
//      checkpoint (size, root) and the receipt's index;
//   3. SHA-256(0x00 ‖ entry) with the proof leads to the signed root
//      (RFC 9162 §2.1.3.2);
//   4. the entry is an order-accepted entry (of `expected_order_id`, if given).
//
// Receipt files are the JSON mapping of peergrid.v1.Receipt (proto field
// names; bytes fields in base64).
//
// Thread-safety: free functions, thread-safe.
// Errors: InvalidArgument for a malformed receipt or file (naming the field);
// PermissionDenied when the checkpoint is not signed by the key; DataLoss when
// the proof or the entry does not match the signed checkpoint; NotFound for a
// missing file or when the entry is not the expected order.
#ifndef PEERGRID_AUDIT_RECEIPT_H_
#define PEERGRID_AUDIT_RECEIPT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "peergrid/ledger/note.h"
#include "peergrid/v1/audit.pb.h"
#include "peergrid/v1/ledger.pb.h"

namespace peergrid::audit {

// What a verified receipt proves.
struct ReceiptSummary {
  uint64_t index = 0;             // the order-accepted entry's ledger index (the order's seq)
  ledger::Checkpoint checkpoint;  // the signed checkpoint that includes it
  std::string verifier_key;       // C2SP key the checkpoint verified with
  bool key_pinned = false;        // true when that key was the caller's
  v1::LedgerEntry entry;          // the entry, parsed
};

// Verifies `receipt` (see above). `pinned_key` may be null (not recommended).
absl::StatusOr<ReceiptSummary> VerifyReceipt(const v1::Receipt& receipt,
                                             const ledger::VerifierKey* pinned_key,
                                             absl::string_view expected_order_id = "");

// Returns a few human lines describing a verified receipt.
std::string ReceiptSummaryText(const ReceiptSummary& summary);

// Reads / writes a receipt file (JSON of peergrid.v1.Receipt).
absl::StatusOr<v1::Receipt> ReadReceiptFile(const std::string& path);
absl::Status WriteReceiptFile(const std::string& path, const v1::Receipt& receipt);

}  // namespace peergrid::audit

#endif  // PEERGRID_AUDIT_RECEIPT_H_
