// The transparency-log half of the audit: rebuilds the RFC 9162 tree from
// the entries, and checks every checkpoint it is given against it — the root
// at the checkpoint's size, the signature by the key in force for that size
// (following KeyRotated entries only when the old key signed them), and
// consistency with the auditor's last trusted checkpoint (same root at the
// trusted size: a fork or a rollback otherwise).
//
// The trust anchor is the regulator's key (--key). It may be the log's first
// key, or a later one: checkpoints before the anchor's rotation are then
// vouched for by the rotation chain inside entries that a checkpoint signed
// by the anchor (or its successors) covers. A checkpoint whose key is not
// known yet (no rotation seen, and the anchor does not verify it) is checked
// when the first rotation names the key before it, or at Finish.
//
// Thread-safety: thread-compatible (one thread feeds it).
// Errors: none returned; every finding is a failure in the AuditReport.
#ifndef PEERGRID_AUDIT_CHECK_LOG_H_
#define PEERGRID_AUDIT_CHECK_LOG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "peergrid/audit/report.h"
#include "peergrid/ledger/hash.h"
#include "peergrid/ledger/note.h"
#include "peergrid/ledger/verify.h"
#include "peergrid/v1/ledger.pb.h"

namespace peergrid::audit::internal {

// Returns the text of a signed note (everything before the blank line),
// without checking any signature.
absl::StatusOr<ledger::Checkpoint> UnverifiedCheckpoint(absl::string_view note);

class LogAuditor {
 public:
  // `report` is not owned and must outlive the auditor.
  LogAuditor(ledger::VerifierKey anchor, AuditReport* report);

  // Adds a signed checkpoint to check; call before the entries reach its
  // size. A malformed note is reported at once.
  void AddCheckpoint(const std::string& note);
  // Sets the last checkpoint this auditor trusted (the --state file).
  void SetTrusted(const TrustedCheckpoint& trusted);
  // Returns the tree size the checkpoints cover (the largest); nullopt when
  // no well-formed checkpoint was added.
  std::optional<uint64_t> target_size() const;

  // Feeds entry `index` (in order); `parsed` is null when it does not parse.
  void AddEntry(uint64_t index, absl::string_view bytes, const v1::LedgerEntry* parsed);
  // Checks what could not be checked entry by entry. Call once, at the end.
  void Finish();

  uint64_t size() const { return builder_.size(); }
  // The largest checkpoint whose root and signature verified.
  const std::optional<TrustedCheckpoint>& latest_verified() const { return latest_; }

 private:
  struct Pending {
    std::string note;
    ledger::Checkpoint checkpoint;
    uint64_t from = 0;  // the previous checkpoint's size
  };

  // Checks the checkpoints of `size` once entries [0, size) are in.
  void CheckAt(uint64_t size);
  // Verifies p's signature with `key`, records the result, returns it.
  bool CheckSignature(const Pending& p, const ledger::VerifierKey& key);
  void FollowRotation(uint64_t index, absl::string_view bytes);
  void Verified(const Pending& p, const ledger::VerifierKey& key);

  const ledger::VerifierKey anchor_;
  AuditReport* const report_;
  ledger::RootBuilder builder_;
  std::string origin_;
  std::multimap<uint64_t, Pending> checkpoints_;  // by tree size, not yet reached
  std::map<uint64_t, ledger::Hash> roots_seen_;   // size -> root of a checked checkpoint
  std::optional<TrustedCheckpoint> trusted_;
  std::optional<ledger::Hash> trusted_root_;
  // Keys: the one before any rotation (once known) and the current one.
  std::optional<ledger::VerifierKey> first_key_;
  std::optional<ledger::VerifierKey> current_key_;
  bool anchor_in_chain_ = false;
  bool rotated_ = false;
  // Checkpoints waiting for the key before the first rotation; their roots
  // were checked when reached (bool: the root matched).
  std::vector<std::pair<Pending, bool>> deferred_;
  uint64_t prev_size_ = 0;  // the size of the last checkpoint reached
  std::optional<TrustedCheckpoint> latest_;
};

}  // namespace peergrid::audit::internal

#endif  // PEERGRID_AUDIT_CHECK_LOG_H_
