// The regulator audit (DESIGN.md §8, docs/AUDIT.md): verifies a zone's
// ledger from its entries alone, without trusting the exchange —
//   - every checkpoint's signature with the regulator's key (rotations
//     followed only when signed by the key in force);
//   - the tree rebuilt from the entries matches every checkpoint, and (with
//     a state file) extends the last checkpoint this auditor trusted;
//   - every interval's clearing re-run with matching/ from its recorded book
//     equals the recorded result, fill by fill;
//   - every settlement and correction re-run from its recorded inputs equals
//     the recorded bills and sums to zero with the grid line;
//   - no order accepted after gate closure, no self-trade, no fill beyond a
//     limit, no duplicate order id.
// Findings go into an AuditReport (audit_report.h); the audit passes only
// when the report has no failure. With a state file, a passing audit then
// advances it to the latest checkpoint.
//
// Which checkpoints are verified: AuditExport, the export's one checkpoint
// (the latest); AuditServer, every checkpoint the server still has (its
// history from WatchCheckpoints, up to the latest) plus, with a state file,
// the server's consistency proof from the trusted size to the latest.
//
// Thread-safety: the functions are thread-safe; run one audit per state file
// at a time.
// Errors (the audit could not run; a ledger that fails is not an error):
// NotFound for a missing key, export or state file; InvalidArgument for a
// malformed key or state file; Unavailable and other gRPC codes when the
// server cannot be read (the message names the RPC).
#ifndef PEERGRID_AUDIT_AUDIT_H_
#define PEERGRID_AUDIT_AUDIT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "peergrid/audit/report.h"
#include "peergrid/common/market_time.h"
#include "peergrid/ledger/note.h"
#include "peergrid/v1/audit.grpc.pb.h"

namespace peergrid::audit {

struct AuditOptions {
  // The zone's market timing (interval length, gate lead, horizon, grace).
  MarketTiming timing;
  // The auditor's state file (audit_check_state.h format); empty for none.
  // A missing file is created by the first passing audit.
  std::string state_file;
  // Called with (entries audited, entries to audit) every few thousand
  // entries and at the end, from the auditing thread.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// Reads a verifier key file: the C2SP verifier key string on its first
// non-empty line (like an export's log.pub).
absl::StatusOr<ledger::VerifierKey> ReadVerifierKeyFile(const std::string& path);

// Audits a ledger export directory (ledger/export_format.h) with `key` as the
// trust anchor.
absl::StatusOr<AuditReport> AuditExport(const std::string& dir, const ledger::VerifierKey& key,
                                        const AuditOptions& options);

// Audits the ledger served by `stub` (label names it in the report, e.g. the
// address). Entries are read in pages of up to 1000 with GetEntries.
absl::StatusOr<AuditReport> AuditServer(v1::AuditService::StubInterface* stub,
                                        const std::string& label, const ledger::VerifierKey& key,
                                        const AuditOptions& options);

}  // namespace peergrid::audit

#endif  // PEERGRID_AUDIT_AUDIT_H_
