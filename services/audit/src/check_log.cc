#include "check_log.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/ledger/export_format.h"

namespace peergrid::audit::internal {

absl::StatusOr<ledger::Checkpoint> UnverifiedCheckpoint(absl::string_view note) {
  size_t split = note.rfind("\n\n");
  if (split == absl::string_view::npos) {
    return absl::InvalidArgumentError("signed note has no blank line before its signatures");
  }
  return ledger::ParseCheckpointText(note.substr(0, split + 1));
}

LogAuditor::LogAuditor(ledger::VerifierKey anchor, AuditReport* report)
    : anchor_(std::move(anchor)), report_(report) {}

void LogAuditor::AddCheckpoint(const std::string& note) {
  absl::StatusOr<ledger::Checkpoint> cp = UnverifiedCheckpoint(note);
  if (!cp.ok()) {
    report_->Fail(AuditCheck::kCheckpointSignature, builder_.size(),
                  absl::StrCat("malformed checkpoint: ", cp.status().message()));
    return;
  }
  if (cp->tree_size < builder_.size()) {
    report_->Fail(AuditCheck::kTree, 0,
                  absl::StrCat("checkpoint of size ", cp->tree_size,
                               " arrived after its entries were audited"),
                  cp->tree_size);
    return;
  }
  if (origin_.empty()) origin_ = cp->origin;
  if (report_->origin.empty()) report_->origin = origin_;
  checkpoints_.emplace(cp->tree_size, Pending{note, *cp, 0});
  if (cp->tree_size == 0) CheckAt(0);
}

void LogAuditor::SetTrusted(const TrustedCheckpoint& trusted) {
  trusted_ = trusted;
  origin_ = trusted.origin;
  report_->origin = origin_;
  absl::StatusOr<ledger::Hash> root = ledger::HashFromBase64(trusted.root_base64);
  if (!root.ok()) {
    report_->Fail(AuditCheck::kConsistency, 0,
                  absl::StrCat("the trusted state's root_hash: ", root.status().message()));
    trusted_.reset();
    return;
  }
  trusted_root_ = *root;
}

std::optional<uint64_t> LogAuditor::target_size() const {
  std::optional<uint64_t> size;
  if (!roots_seen_.empty()) size = roots_seen_.rbegin()->first;
  if (!checkpoints_.empty()) size = std::max(size.value_or(0), checkpoints_.rbegin()->first);
  return size;
}

void LogAuditor::AddEntry(uint64_t index, absl::string_view bytes, const v1::LedgerEntry* parsed) {
  builder_.Append(ledger::LeafHash(bytes));
  report_->entries = builder_.size();
  if (parsed != nullptr && parsed->has_key_rotated()) FollowRotation(index, bytes);
  const uint64_t size = builder_.size();
  if (trusted_ && trusted_->tree_size == size) {
    const ledger::Hash root = builder_.Root();
    if (root == *trusted_root_) {
      report_->Pass(AuditCheck::kConsistency);
    } else {
      report_->Fail(AuditCheck::kConsistency, 0,
                    absl::StrCat("fork: entries [0, ", size, ") rebuild root ",
                                 ledger::HashToBase64(root), ", but the checkpoint this auditor ",
                                 "trusted at size ", size, " has root ", trusted_->root_base64),
                    size);
    }
  }
  if (checkpoints_.contains(size)) CheckAt(size);
}

void LogAuditor::CheckAt(uint64_t size) {
  const ledger::Hash root = builder_.Root();
  auto [begin, end] = checkpoints_.equal_range(size);
  for (auto it = begin; it != end; ++it) {
    Pending& p = it->second;
    p.from = prev_size_;
    auto seen = roots_seen_.find(size);
    if (seen != roots_seen_.end() && seen->second != p.checkpoint.root) {
      report_->Fail(AuditCheck::kConsistency, p.from,
                    absl::StrCat("fork: two checkpoints of size ", size, " with roots ",
                                 ledger::HashToBase64(seen->second), " and ",
                                 ledger::HashToBase64(p.checkpoint.root)),
                    size);
    }
    roots_seen_.emplace(size, p.checkpoint.root);
    const bool root_ok = p.checkpoint.root == root;
    if (root_ok) {
      report_->Pass(AuditCheck::kTree);
    } else {
      report_->Fail(AuditCheck::kTree, p.from,
                    absl::StrCat("entries [0, ", size, ") rebuild root ",
                                 ledger::HashToBase64(root), ", the checkpoint says ",
                                 ledger::HashToBase64(p.checkpoint.root), ": entries in [", p.from,
                                 ", ", size, ") were changed, dropped, added or reordered"),
                    size);
    }
    std::optional<ledger::VerifierKey> key = rotated_ ? current_key_ : first_key_;
    if (!key && ledger::VerifyCheckpoint(p.note, anchor_, origin_).ok()) {
      first_key_ = anchor_;  // the anchor signed before any rotation: it is the first key
      anchor_in_chain_ = true;
      key = anchor_;
    }
    if (!key) {
      deferred_.emplace_back(p, root_ok);
      continue;
    }
    if (CheckSignature(p, *key) && root_ok) Verified(p, *key);
  }
  checkpoints_.erase(size);
  prev_size_ = size;
}

bool LogAuditor::CheckSignature(const Pending& p, const ledger::VerifierKey& key) {
  absl::StatusOr<ledger::Checkpoint> cp = ledger::VerifyCheckpoint(p.note, key, origin_);
  if (!cp.ok()) {
    report_->Fail(AuditCheck::kCheckpointSignature, p.from,
                  absl::StrCat("checkpoint of size ", p.checkpoint.tree_size,
                               " is not signed by the key in force for that size (", key.ToString(),
                               "): ", cp.status().message()),
                  p.checkpoint.tree_size);
    return false;
  }
  report_->Pass(AuditCheck::kCheckpointSignature);
  return true;
}

void LogAuditor::Verified(const Pending& p, const ledger::VerifierKey& key) {
  ++report_->checkpoints_verified;
  if (latest_ && latest_->tree_size > p.checkpoint.tree_size) return;
  latest_ = TrustedCheckpoint{p.checkpoint.origin, p.checkpoint.tree_size,
                              ledger::HashToBase64(p.checkpoint.root), p.note, key.ToString()};
}

void LogAuditor::FollowRotation(uint64_t index, absl::string_view bytes) {
  absl::StatusOr<std::optional<ledger::KeyRotation>> parsed = ledger::ParseKeyRotation(bytes);
  if (!parsed.ok()) {
    report_->Fail(AuditCheck::kKeyRotation, index,
                  absl::StrCat("not followed: ", parsed.status().message()));
    return;
  }
  if (!parsed->has_value()) return;
  const ledger::KeyRotation& r = **parsed;
  const std::optional<ledger::VerifierKey>& in_force = rotated_ ? current_key_ : first_key_;
  if (in_force && !(*in_force == r.old_key)) {
    report_->Fail(AuditCheck::kKeyRotation, index,
                  absl::StrCat("not followed: rotation from ", r.old_key.ToString(),
                               " but the key in force is ", in_force->ToString()));
    return;
  }
  if (!rotated_) {
    first_key_ = r.old_key;
    for (const auto& [p, root_ok] : deferred_) {
      if (CheckSignature(p, r.old_key) && root_ok) Verified(p, r.old_key);
    }
    deferred_.clear();
  }
  if (r.old_key == anchor_ || r.new_key == anchor_) anchor_in_chain_ = true;
  current_key_ = r.new_key;
  rotated_ = true;
  ++report_->key_rotations;
  report_->Pass(AuditCheck::kKeyRotation);
}

void LogAuditor::Finish() {
  const uint64_t size = builder_.size();
  for (const auto& [want, p] : checkpoints_) {
    report_->Fail(AuditCheck::kTree, prev_size_,
                  absl::StrCat("the checkpoint covers ", want, " entries but only ", size,
                               " were available: entries [", size, ", ", want, ") are missing"),
                  want);
  }
  checkpoints_.clear();
  for (const auto& [p, root_ok] : deferred_) {  // no rotation: the anchor is the only key
    if (CheckSignature(p, anchor_) && root_ok) Verified(p, anchor_);
  }
  deferred_.clear();
  if (rotated_ && !anchor_in_chain_) {
    report_->Fail(AuditCheck::kCheckpointSignature, 0,
                  absl::StrCat("the trusted key ", anchor_.ToString(),
                               " is not in the log's key chain (first key ",
                               first_key_ ? first_key_->ToString() : "unknown", ")"),
                  size);
  }
  if (trusted_ && trusted_->tree_size > size) {
    report_->Fail(AuditCheck::kConsistency, size,
                  absl::StrCat("rollback: this auditor trusted a checkpoint of size ",
                               trusted_->tree_size, " but the log now has ", size, " entries"),
                  size);
  }
  if (report_->checkpoints_verified == 0 && report_->failure_count == 0) {
    report_->Fail(AuditCheck::kCheckpointSignature, 0, "no signed checkpoint covers the entries",
                  size);
  }
}

}  // namespace peergrid::audit::internal
