// LedgerImpl: the RocksDB-backed Ledger. ledger.cc holds appends (group
// commit), reads and proofs; ledger_open.cc opening, keys and verification;
// ledger_sign.cc checkpoints, key rotation and VerifyAll.
#ifndef PEERGRID_LEDGER_SRC_LEDGER_IMPL_H_
#define PEERGRID_LEDGER_SRC_LEDGER_IMPL_H_

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "merkle_tree.h"
#include "peergrid/ledger/ledger.h"
#include "rocksdb/db.h"

namespace peergrid::ledger {

class LedgerImpl final : public Ledger {
 public:
  LedgerImpl(std::string dir, LedgerOptions options)
      : dir_(std::move(dir)), options_(std::move(options)) {}
  ~LedgerImpl() override;

  // Opens the database, sets up the key and verifies the stored log.
  absl::Status Init();

  absl::StatusOr<uint64_t> Append(std::string entry) override;
  absl::StatusOr<uint64_t> AppendBatch(std::vector<std::string> entries) override;
  uint64_t Size() const override { return committed_.load(std::memory_order_acquire); }
  absl::StatusOr<std::string> GetEntry(uint64_t index) const override;
  absl::StatusOr<std::vector<std::string>> GetEntries(uint64_t start, uint64_t end) const override;
  absl::StatusOr<Hash> RootAt(uint64_t tree_size) const override;
  absl::StatusOr<Hash> LeafHashAt(uint64_t index) const override;
  absl::StatusOr<InclusionProof> ProveInclusion(uint64_t index, uint64_t tree_size) const override;
  absl::StatusOr<ConsistencyProof> ProveConsistency(uint64_t size1, uint64_t size2) const override;
  absl::StatusOr<SignedCheckpoint> Checkpoint() override;
  absl::StatusOr<SignedCheckpoint> LatestCheckpoint() const override;
  absl::StatusOr<SignedCheckpoint> CheckpointAt(uint64_t tree_size) const override;
  absl::StatusOr<std::vector<SignedCheckpoint>> Checkpoints(uint64_t after_size,
                                                            size_t limit) const override;
  const std::string& origin() const override { return origin_; }
  const VerifierKey& verifier_key() const override;
  absl::StatusOr<VerifierKey> VerifierKeyAt(uint64_t tree_size) const override;
  absl::StatusOr<uint64_t> RotateKey(const Signer& new_key) override;
  absl::Status VerifyAll() const override;
  LedgerStats stats() const override;

 private:
  // One caller's appends waiting in the group-commit queue.
  struct Writer {
    const std::vector<std::string>* entries = nullptr;
    std::vector<Hash> leaves;
    size_t bytes = 0;
    // For a KeyRotated entry: the C2SP key it introduces (recorded in the
    // key history in the same write batch).
    const VerifierKey* rotation = nullptr;
    absl::Status status;
    uint64_t first_index = 0;
    bool done = false;
    absl::CondVar cv;
  };

  // Queues `w` and returns once its entries are durable (or failed).
  absl::StatusOr<uint64_t> Commit(Writer* w);
  // Leader only: writes the group's entries, nodes and size in one synced batch.
  absl::Status WriteGroup(const std::vector<Writer*>& group, size_t entries);

  // ledger_open.cc
  absl::Status OpenDb();
  absl::Status LoadMeta();
  absl::Status SetUpKey();
  absl::Status RebuildTree();
  absl::Status CheckNodes();
  absl::Status CheckLatestCheckpoint();
  absl::Status CheckKeyHistoryEntries() const;

  // ledger_sign.cc
  absl::StatusOr<SignedCheckpoint> CheckpointLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sign_mu_);
  absl::StatusOr<SignedCheckpoint> ParseStoredCheckpoint(uint64_t tree_size,
                                                         const std::string& note) const;
  // DataLoss unless the tree has cp's size and root; names the range of
  // entries that changed (from the last checkpoint that still matches).
  absl::Status CheckAgainstTree(const SignedCheckpoint& cp) const;

  const std::string dir_;
  const LedgerOptions options_;
  std::string origin_;
  std::string key_file_;
  std::unique_ptr<rocksdb::DB> db_;
  MerkleTree tree_;
  std::atomic<uint64_t> committed_{0};
  std::atomic<uint64_t> stat_entries_{0};
  std::atomic<uint64_t> stat_batches_{0};
  std::atomic<uint64_t> stat_checkpoints_{0};

  // Group commit.
  mutable absl::Mutex mu_;
  std::deque<Writer*> queue_ ABSL_GUARDED_BY(mu_);
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
  size_t writing_ ABSL_GUARDED_BY(mu_) = 0;  // writers in the batch being written

  // Keys in force, by the first checkpoint size they sign (map nodes are
  // stable: verifier_key() hands out references).
  mutable absl::Mutex keys_mu_;
  std::map<uint64_t, VerifierKey> keys_ ABSL_GUARDED_BY(keys_mu_);

  // Signing: one checkpoint or rotation at a time. Lock order: sign_mu_
  // before keys_mu_; mu_ is never held while taking another.
  mutable absl::Mutex sign_mu_;
  std::optional<Signer> signer_ ABSL_GUARDED_BY(sign_mu_);
  std::optional<SignedCheckpoint> latest_ ABSL_GUARDED_BY(sign_mu_);
};

}  // namespace peergrid::ledger

#endif  // PEERGRID_LEDGER_SRC_LEDGER_IMPL_H_
