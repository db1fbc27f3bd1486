// LedgerImpl: checkpoints, key rotation and the full verification.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "key_file.h"
#include "ledger_impl.h"
#include "ledger_store.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/storage/rocks_status.h"

namespace peergrid::ledger {
namespace {

// Parses the note stored at `tree_size` without verifying it (listings);
// DataLoss when it does not parse.
absl::StatusOr<SignedCheckpoint> ParseStoredNote(uint64_t tree_size, std::string note) {
  absl::StatusOr<ledger::Checkpoint> cp =
      ParseCheckpointText(note.substr(0, note.find("\n\n") + 1));
  if (!cp.ok()) {
    return absl::DataLossError(absl::StrCat("stored checkpoint at size ", tree_size,
                                            " does not parse: ", cp.status().message()));
  }
  return SignedCheckpoint{*std::move(cp), std::move(note)};
}

}  // namespace

const VerifierKey& LedgerImpl::verifier_key() const {
  absl::MutexLock lock(&keys_mu_);
  return keys_.rbegin()->second;  // never empty after Init
}

absl::StatusOr<VerifierKey> LedgerImpl::VerifierKeyAt(uint64_t tree_size) const {
  absl::MutexLock lock(&keys_mu_);
  auto it = keys_.upper_bound(tree_size);
  if (it == keys_.begin()) return absl::NotFoundError("ledger has no verifier key");
  return std::prev(it)->second;
}

absl::StatusOr<SignedCheckpoint> LedgerImpl::ParseStoredCheckpoint(uint64_t tree_size,
                                                                   const std::string& note) const {
  PEERGRID_ASSIGN_OR_RETURN(VerifierKey key, VerifierKeyAt(tree_size));
  absl::StatusOr<ledger::Checkpoint> cp = VerifyCheckpoint(note, key, origin_);
  if (!cp.ok()) {
    return absl::DataLossError(absl::StrCat("stored checkpoint at size ", tree_size,
                                            " does not verify: ", cp.status().message()));
  }
  if (cp->tree_size != tree_size) {
    return absl::DataLossError(
        absl::StrCat("stored checkpoint at size ", tree_size, " signs size ", cp->tree_size));
  }
  return SignedCheckpoint{*std::move(cp), note};
}

absl::Status LedgerImpl::CheckAgainstTree(const SignedCheckpoint& cp) const {
  const uint64_t size = Size();
  const uint64_t want = cp.checkpoint.tree_size;
  if (want > size) {
    return absl::DataLossError(absl::StrCat("signed checkpoint covers ", want,
                                            " entries but the log has ", size, ": entries [", size,
                                            ", ", want, ") are lost; first bad index ", size));
  }
  PEERGRID_ASSIGN_OR_RETURN(Hash root, tree_.Root(want));
  if (root == cp.checkpoint.root) return absl::OkStatus();
  // Find the last earlier checkpoint that still matches to bound the damage.
  uint64_t good = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekForPrev(store::Key(store::kCheckpoint, want - 1)); it->Valid(); it->Prev()) {
    uint64_t at = 0;
    if (!store::ParseKey(storage::View(it->key()), store::kCheckpoint, &at)) break;
    absl::StatusOr<SignedCheckpoint> earlier = ParseStoredCheckpoint(at, it->value().ToString());
    absl::StatusOr<Hash> earlier_root = tree_.Root(at);
    if (earlier.ok() && earlier_root.ok() && *earlier_root == earlier->checkpoint.root) {
      good = at;
      break;
    }
  }
  return absl::DataLossError(absl::StrCat(
      "root of the first ", want, " entries differs from the signed checkpoint: an entry in [",
      good, ", ", want, ") was changed (first bad index at or after ", good, ")"));
}

absl::StatusOr<SignedCheckpoint> LedgerImpl::Checkpoint() {
  absl::MutexLock lock(&sign_mu_);
  return CheckpointLocked();
}

absl::StatusOr<SignedCheckpoint> LedgerImpl::CheckpointLocked() {
  const uint64_t size = Size();
  if (latest_.has_value() && latest_->checkpoint.tree_size == size) return *latest_;
  if (!signer_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("ledger is open read-only: cannot sign a checkpoint of size ", size));
  }
  if (latest_.has_value()) {
    // Never sign a tree that does not extend the previous checkpoint.
    PEERGRID_RETURN_IF_ERROR(CheckAgainstTree(*latest_));
  }
  PEERGRID_ASSIGN_OR_RETURN(VerifierKey key, VerifierKeyAt(size));
  if (!(signer_->verifier() == key)) {
    return absl::FailedPreconditionError(
        absl::StrCat("signing key ", signer_->verifier().ToString(),
                     " is not the key in force at size ", size, " (", key.ToString(), ")"));
  }
  PEERGRID_ASSIGN_OR_RETURN(Hash root, tree_.Root(size));
  ledger::Checkpoint cp{origin_, size, root};
  PEERGRID_ASSIGN_OR_RETURN(std::string note, SignNote(CheckpointText(cp), *signer_));
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  PEERGRID_RETURN_IF_ERROR(
      storage::FromRocks(db_->Put(write_options, store::Key(store::kCheckpoint, size), note),
                         absl::StrCat("storing the checkpoint at size ", size)));
  latest_ = SignedCheckpoint{std::move(cp), std::move(note)};
  stat_checkpoints_.fetch_add(1, std::memory_order_relaxed);
  return *latest_;
}

absl::StatusOr<SignedCheckpoint> LedgerImpl::LatestCheckpoint() const {
  absl::MutexLock lock(&sign_mu_);
  if (!latest_.has_value()) return absl::NotFoundError("no checkpoint has been signed yet");
  return *latest_;
}

absl::StatusOr<SignedCheckpoint> LedgerImpl::CheckpointAt(uint64_t tree_size) const {
  std::string note;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), store::Key(store::kCheckpoint, tree_size), &note);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("no checkpoint was signed at size ", tree_size));
  }
  PEERGRID_RETURN_IF_ERROR(
      storage::FromRocks(s, absl::StrCat("reading the checkpoint at size ", tree_size)));
  return ParseStoredNote(tree_size, std::move(note));
}

absl::StatusOr<std::vector<SignedCheckpoint>> LedgerImpl::Checkpoints(uint64_t after_size,
                                                                      size_t limit) const {
  std::vector<SignedCheckpoint> out;
  if (after_size == UINT64_MAX) return out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(store::Key(store::kCheckpoint, after_size + 1)); it->Valid() && out.size() < limit;
       it->Next()) {
    uint64_t size = 0;
    if (!store::ParseKey(storage::View(it->key()), store::kCheckpoint, &size)) break;
    PEERGRID_ASSIGN_OR_RETURN(SignedCheckpoint cp, ParseStoredNote(size, it->value().ToString()));
    out.push_back(std::move(cp));
  }
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(
      it->status(), absl::StrCat("reading the checkpoints after size ", after_size)));
  return out;
}

absl::StatusOr<uint64_t> LedgerImpl::RotateKey(const Signer& new_key) {
  if (options_.read_only) return absl::FailedPreconditionError("ledger is open read-only");
  absl::MutexLock lock(&sign_mu_);
  if (!signer_.has_value()) return absl::FailedPreconditionError("ledger has no signing key");
  if (new_key.verifier() == signer_->verifier()) {
    return absl::InvalidArgumentError("new_key is the key already in force");
  }
  // The tree so far is signed by the old key before the rotation entry.
  PEERGRID_RETURN_IF_ERROR(CheckpointLocked().status());
  const std::string next = key_file_ + ".next";
  PEERGRID_RETURN_IF_ERROR(WritePrivateFile(next, new_key.Pkcs8Pem()));
  absl::Time now = options_.clock != nullptr ? options_.clock->Now() : absl::Now();
  std::vector<std::string> entries = {
      MakeKeyRotationEntry(*signer_, new_key.verifier(), absl::ToUnixMillis(now))};
  Writer w;
  w.entries = &entries;
  w.leaves.push_back(LeafHash(entries[0]));
  w.bytes = entries[0].size();
  w.rotation = &new_key.verifier();
  PEERGRID_ASSIGN_OR_RETURN(uint64_t index, Commit(&w));
  PEERGRID_RETURN_IF_ERROR(DurableRename(next, key_file_));
  signer_.emplace(new_key);
  PEERGRID_RETURN_IF_ERROR(CheckpointLocked().status());
  return index;
}

absl::Status LedgerImpl::VerifyAll() const {
  const uint64_t size = Size();
  // Every entry still hashes to the tree; rotations match the key history.
  std::map<uint64_t, VerifierKey> keys;
  {
    absl::MutexLock lock(&keys_mu_);
    keys = keys_;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  uint64_t index = 0;
  for (it->Seek(store::Key(store::kEntry, 0)); it->Valid() && index < size; it->Next(), ++index) {
    uint64_t got = 0;
    if (!store::ParseKey(storage::View(it->key()), store::kEntry, &got) || got != index) {
      return absl::DataLossError(absl::StrCat("entry ", index, " is missing"));
    }
    absl::string_view entry = storage::View(it->value());
    PEERGRID_ASSIGN_OR_RETURN(Hash leaf, tree_.Leaf(index));
    if (LeafHash(entry) != leaf) {
      return absl::DataLossError(
          absl::StrCat("entry ", index, " changed since the log was opened"));
    }
    absl::StatusOr<std::optional<KeyRotation>> rotation = ParseKeyRotation(entry);
    bool recorded = keys.count(index + 1) > 0;
    if (!rotation.ok()) {
      return absl::DataLossError(absl::StrCat("entry ", index, ": ", rotation.status().message()));
    }
    if (rotation->has_value() != recorded) {
      return absl::DataLossError(absl::StrCat("entry ", index, (recorded ? " is not" : " is"),
                                              " a key rotation, unlike the key history"));
    }
  }
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(it->status(), absl::StrCat("reading entry ", index)));
  if (index < size) return absl::DataLossError(absl::StrCat("entry ", index, " is missing"));
  PEERGRID_RETURN_IF_ERROR(CheckKeyHistoryEntries());
  // Every checkpoint verifies with the key in force and matches the tree.
  for (it->Seek(store::Key(store::kCheckpoint, 0)); it->Valid(); it->Next()) {
    uint64_t at = 0;
    if (!store::ParseKey(storage::View(it->key()), store::kCheckpoint, &at)) break;
    PEERGRID_ASSIGN_OR_RETURN(SignedCheckpoint cp,
                              ParseStoredCheckpoint(at, it->value().ToString()));
    PEERGRID_RETURN_IF_ERROR(CheckAgainstTree(cp));
  }
  return storage::FromRocks(it->status(), "reading checkpoints");
}

}  // namespace peergrid::ledger
