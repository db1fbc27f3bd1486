// The regulator audit's findings (DESIGN.md §8, docs/AUDIT.md): how many
// items each check verified, what was covered (entries, intervals, volume,
// checkpoints), and every failure with the index of the entry where the
// evidence was found. The audit passes only when nothing failed.
//
// Failures are kept in log order: a failure found in entry i sorts at i, a
// checkpoint failure right after the last entry the checkpoint covers. The
// first failure is therefore the first bad entry. A checkpoint failure
// (signature, root, consistency) names the first entry that no verified
// checkpoint vouches for: the Merkle root proves *that* entries [from, tree
// size) differ from the signed tree, not *which* one.
//
// Thread-safety: plain values; thread-compatible.
#ifndef PEERGRID_AUDIT_REPORT_H_
#define PEERGRID_AUDIT_REPORT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace peergrid::audit {

// Every check the audit runs. The names (AuditCheckName) appear in reports.
enum class AuditCheck {
  kEntryFormat,          // "entry_format": each entry parses as a LedgerEntry with a kind
  kRegistration,         // "registration": hubs and participants registered once, valid ids
  kTariff,               // "tariff": every tariff is valid
  kOrderAcceptance,      // "order_acceptance": acceptance rules, gate closure, unique ids
  kOrderSignature,       // "order_signature": a signed order verifies with its participant's key
  kCancellation,         // "cancellation": cancels name a live order before gate closure
  kClearing,             // "clearing": re-running matching gives the recorded result
  kFill,                 // "fill": limits respected, no self-trade, consistent amounts
  kSettlement,           // "settlement": re-running settlement gives the recorded bills
  kZeroSum,              // "zero_sum": Σ bills + grid line = 0
  kKeyRotation,          // "key_rotation": signed by the key in force
  kCheckpointSignature,  // "checkpoint_signature": signed by the key in force for its size
  kTree,                 // "tree": entries rebuild every checkpoint's root
  kConsistency,          // "consistency": extends the auditor's last trusted checkpoint
  kEmptyIntervals,       // "empty_intervals": a run of intervals cleared and settled empty
  kEnergyBalance,        // "energy_balance": each hub's complete reads balance (DESIGN §12)
};
inline constexpr size_t kAuditCheckCount = 16;

// Returns the check's report name, e.g. "order_acceptance".
absl::string_view AuditCheckName(AuditCheck check);

struct AuditFailure {
  AuditCheck check = AuditCheck::kEntryFormat;
  // The entry where the evidence is; for a checkpoint failure, the first
  // entry the failing checkpoint would have proven.
  uint64_t index = 0;
  // For checkpoint failures: the checkpoint's tree size.
  std::optional<uint64_t> tree_size;
  // Lowercase, names the values involved.
  std::string reason;
};

struct AuditCheckCount {
  uint64_t verified = 0;
  uint64_t failed = 0;
};

// A checkpoint the auditor trusts: the last one of a passing audit, kept in
// the --state file.
struct TrustedCheckpoint {
  std::string origin;
  uint64_t tree_size = 0;
  std::string root_base64;
  std::string note;          // the signed note as received
  std::string verifier_key;  // C2SP key that signed it
};

struct AuditReport {
  // Failures beyond this many are counted but not kept.
  static constexpr size_t kMaxKeptFailures = 100;

  std::string source;  // "export /path" or "server host:port"
  std::string origin;
  uint64_t entries = 0;  // entries audited
  std::array<AuditCheckCount, kAuditCheckCount> counts{};
  uint64_t checkpoints_verified = 0;
  uint64_t key_rotations = 0;
  uint64_t orders = 0;
  uint64_t cancellations = 0;
  uint64_t intervals_cleared = 0;  // one by one and in empty runs
  uint64_t intervals_settled = 0;
  uint64_t empty_runs = 0;       // EmptyIntervals entries
  uint64_t empty_intervals = 0;  // the intervals they cleared and settled
  uint64_t corrections = 0;
  uint64_t fills = 0;
  uint64_t bills = 0;
  int64_t volume_wh = 0;  // Σ volume of the verified clearings
  std::optional<int64_t> first_interval;
  std::optional<int64_t> last_interval;
  // The latest checkpoint the audit covered, and the trusted one before it.
  std::optional<TrustedCheckpoint> latest;
  std::optional<TrustedCheckpoint> previously_trusted;
  bool state_advanced = false;
  double seconds = 0;

  std::vector<AuditFailure> failures;  // the first kMaxKeptFailures, in log order
  uint64_t failure_count = 0;

  bool ok() const { return failure_count == 0; }
  // Counts one verified item for `check`.
  void Pass(AuditCheck check) { ++counts[static_cast<size_t>(check)].verified; }
  // Records a failure at `index` (see AuditFailure).
  void Fail(AuditCheck check, uint64_t index, std::string reason,
            std::optional<uint64_t> tree_size = std::nullopt);
  // Returns the first failure, if any.
  const AuditFailure* first_failure() const { return failures.empty() ? nullptr : &failures[0]; }
  // Returns whether some failure of `check` was recorded at `index`.
  bool HasFailure(AuditCheck check, uint64_t index) const;
  // Notes that an interval was covered (for first/last_interval).
  void CoverInterval(int64_t interval_start);
};

// Returns the human report: a verdict line, coverage, per-check counts and
// the failures (each "entry <index>: <check>: <reason>").
std::string AuditReportText(const AuditReport& report);

// Returns the JSON report (docs/AUDIT.md lists the fields): "ok", "source",
// "origin", "entries", "checks" {name: {verified, failed}}, "coverage",
// "checkpoint", "previously_trusted", "state_advanced", "first_failure"
// {index, check, reason[, tree_size]} or null, "failures" [...],
// "failure_count", "seconds".
std::string AuditReportJson(const AuditReport& report);

}  // namespace peergrid::audit

#endif  // PEERGRID_AUDIT_REPORT_H_
