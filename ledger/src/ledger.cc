// LedgerImpl: appends with group commit, reads and proofs.
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger_impl.h"
#include "ledger_store.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/storage/key_codec.h"
#include "peergrid/storage/rocks_status.h"
#include "rocksdb/write_batch.h"

namespace peergrid::ledger {

LedgerImpl::~LedgerImpl() {
  if (db_ != nullptr) {
    // Best effort: every acknowledged write is already synced.
    db_->Close().PermitUncheckedError();
  }
}

absl::StatusOr<uint64_t> LedgerImpl::Append(std::string entry) {
  std::vector<std::string> entries;
  entries.push_back(std::move(entry));
  return AppendBatch(std::move(entries));
}

absl::StatusOr<uint64_t> LedgerImpl::AppendBatch(std::vector<std::string> entries) {
  if (options_.read_only) return absl::FailedPreconditionError("ledger is open read-only");
  if (entries.empty()) return absl::InvalidArgumentError("entries is empty");
  Writer w;
  w.entries = &entries;
  w.leaves.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].size() > options_.max_entry_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("entries[", i, "] has ", entries[i].size(),
                                                     " bytes, over the ", options_.max_entry_bytes,
                                                     "-byte entry limit"));
    }
    // Hash here, in the caller's thread: the leader then only hashes nodes.
    w.leaves.push_back(LeafHash(entries[i]));
    w.bytes += entries[i].size();
  }
  return Commit(&w);
}

absl::StatusOr<uint64_t> LedgerImpl::Commit(Writer* w) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(w);
  while (!w->done && queue_.front() != w) w->cv.Wait(&mu_);
  if (w->done) {
    if (!w->status.ok()) return w->status;
    return w->first_index;
  }
  // This writer leads: it takes every queued writer that fits in one batch.
  std::vector<Writer*> group;
  size_t entries = 0;
  size_t bytes = 0;
  for (Writer* q : queue_) {
    if (!group.empty() && (entries + q->entries->size() > options_.max_batch_entries ||
                           bytes + q->bytes > options_.max_batch_bytes)) {
      break;
    }
    group.push_back(q);
    entries += q->entries->size();
    bytes += q->bytes;
  }
  absl::Status status = failed_;
  writing_ = group.size();
  if (status.ok()) {
    mu_.Unlock();  // others queue up behind the batch being written
    status = WriteGroup(group, entries);
    mu_.Lock();
    if (!status.ok()) failed_ = status;
  }
  for (Writer* q : group) {
    queue_.pop_front();
    q->status = status;
    q->done = true;
    if (q != w) q->cv.Signal();
  }
  writing_ = 0;
  if (!queue_.empty()) queue_.front()->cv.Signal();
  if (!status.ok()) return status;
  return w->first_index;
}

absl::Status LedgerImpl::WriteGroup(const std::vector<Writer*>& group, size_t entries) {
  if (options_.before_commit_for_testing) options_.before_commit_for_testing(entries);
  const uint64_t first = committed_.load(std::memory_order_relaxed);
  std::string nodes;
  nodes.reserve(entries * 64 + 64);
  rocksdb::WriteBatch batch;
  uint64_t index = first;
  for (Writer* q : group) {
    tree_.Append(q->leaves, &nodes);
    q->first_index = index;
    for (const std::string& entry : *q->entries)
      batch.Put(store::Key(store::kEntry, index++), entry);
    if (q->rotation != nullptr) {
      batch.Put(store::Key(store::kKeyHistory, q->first_index + 1), q->rotation->ToString());
    }
  }
  batch.Put(store::Key(store::kNodes, first), nodes);
  batch.Put(store::kSizeKey, storage::BigEndian64(index));
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  absl::Status status =
      storage::FromRocks(db_->Write(write_options, &batch),
                         absl::StrCat("writing entries [", first, ", ", index, ")"));
  if (!status.ok()) {
    tree_.Truncate(first);
    return absl::UnavailableError(
        absl::StrCat(status.message(), "; ledger refuses appends until reopened"));
  }
  for (Writer* q : group) {
    if (q->rotation != nullptr) {
      absl::MutexLock keys_lock(&keys_mu_);
      keys_.emplace(q->first_index + 1, *q->rotation);
    }
  }
  committed_.store(index, std::memory_order_release);
  stat_entries_.fetch_add(entries, std::memory_order_relaxed);
  stat_batches_.fetch_add(1, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::StatusOr<std::string> LedgerImpl::GetEntry(uint64_t index) const {
  uint64_t size = Size();
  if (index >= size) {
    return absl::OutOfRangeError(
        absl::StrCat("index ", index, " is not below the log size ", size));
  }
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), store::Key(store::kEntry, index), &value);
  if (s.IsNotFound()) return absl::DataLossError(absl::StrCat("entry ", index, " is missing"));
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(s, absl::StrCat("reading entry ", index)));
  return value;
}

absl::StatusOr<std::vector<std::string>> LedgerImpl::GetEntries(uint64_t start,
                                                                uint64_t end) const {
  uint64_t size = Size();
  if (start > end || end > size) {
    return absl::OutOfRangeError(
        absl::StrCat("entries [", start, ", ", end, ") are not within the log size ", size));
  }
  std::vector<std::string> out;
  out.reserve(end - start);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  uint64_t index = start;
  for (it->Seek(store::Key(store::kEntry, start)); index < end && it->Valid(); it->Next()) {
    uint64_t got = 0;
    if (!store::ParseKey(storage::View(it->key()), store::kEntry, &got) || got != index) break;
    out.emplace_back(it->value().data(), it->value().size());
    ++index;
  }
  PEERGRID_RETURN_IF_ERROR(
      storage::FromRocks(it->status(), absl::StrCat("reading entries from ", index)));
  if (index < end) return absl::DataLossError(absl::StrCat("entry ", index, " is missing"));
  return out;
}

absl::StatusOr<Hash> LedgerImpl::RootAt(uint64_t tree_size) const {
  uint64_t size = Size();
  if (tree_size > size) {
    return absl::OutOfRangeError(
        absl::StrCat("tree size ", tree_size, " is beyond the log size ", size));
  }
  return tree_.Root(tree_size);
}

absl::StatusOr<Hash> LedgerImpl::LeafHashAt(uint64_t index) const {
  uint64_t size = Size();
  if (index >= size) {
    return absl::OutOfRangeError(
        absl::StrCat("index ", index, " is not below the log size ", size));
  }
  return tree_.Leaf(index);
}

absl::StatusOr<InclusionProof> LedgerImpl::ProveInclusion(uint64_t index,
                                                          uint64_t tree_size) const {
  uint64_t size = Size();
  if (tree_size > size) {
    return absl::OutOfRangeError(
        absl::StrCat("tree size ", tree_size, " is beyond the log size ", size));
  }
  InclusionProof proof{index, tree_size, {}};
  PEERGRID_ASSIGN_OR_RETURN(proof.path, tree_.InclusionPath(index, tree_size));
  return proof;
}

absl::StatusOr<ConsistencyProof> LedgerImpl::ProveConsistency(uint64_t size1,
                                                              uint64_t size2) const {
  uint64_t size = Size();
  if (size2 > size) {
    return absl::OutOfRangeError(absl::StrCat("size2 ", size2, " is beyond the log size ", size));
  }
  ConsistencyProof proof{size1, size2, {}};
  PEERGRID_ASSIGN_OR_RETURN(proof.path, tree_.ConsistencyPath(size1, size2));
  return proof;
}

LedgerStats LedgerImpl::stats() const {
  LedgerStats stats{stat_entries_.load(), stat_batches_.load(), stat_checkpoints_.load(), 0};
  absl::MutexLock lock(&mu_);
  stats.queued_appends = queue_.size() - writing_;
  return stats;
}

}  // namespace peergrid::ledger
