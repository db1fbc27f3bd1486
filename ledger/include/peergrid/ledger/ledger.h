// The zone's append-only, signed, verifiable log (DESIGN.md §7,
// docs/LEDGER.md): entries in RocksDB, an RFC 9162 Merkle tree kept in
// memory, C2SP checkpoints signed with Ed25519 on demand.
//
//   auto ledger = Ledger::Open("/var/lib/peergrid/ledger", {.origin = "peergrid/jeju-1"});
//   uint64_t index = (*ledger)->Append(entry_bytes).value();   // durable when it returns
//   SignedCheckpoint cp = (*ledger)->Checkpoint().value();      // after clearing/settlement
//   InclusionProof proof = (*ledger)->ProveInclusion(index, cp.checkpoint.tree_size).value();
//
// Durability: an append returns only after its entries, their Merkle nodes
// and the new tree size are in one RocksDB write batch written with sync.
// Concurrent appenders share syncs (group commit: the first waiting caller
// writes everyone's entries queued behind it in one batch).
// Safety: Open re-hashes every entry, compares with the stored nodes and the
// last signed checkpoint, and refuses with DataLoss naming the first bad
// index. A checkpoint is never signed unless the tree extends the previous
// one.
//
// Thread-safety: every method is thread-safe.
// Errors: InvalidArgument (bad option, naming it), OutOfRange (an index or
// size beyond the log), NotFound
// (no such checkpoint), FailedPrecondition (read-only, key file mismatch),
// DataLoss (corruption, naming the index), Unavailable (I/O; after a failed
// write the ledger refuses further appends until reopened).
#ifndef PEERGRID_LEDGER_LEDGER_H_
#define PEERGRID_LEDGER_LEDGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "peergrid/common/clock.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/hash.h"
#include "peergrid/ledger/note.h"

namespace peergrid::ledger {

struct LedgerOptions {
  // The log's name in checkpoints, e.g. "peergrid/jeju-1". Required to
  // create a log; when opening an existing log it must match (or be empty).
  std::string origin;
  // The checkpoint key's name; default: the origin.
  std::string key_name;
  // PKCS#8 PEM Ed25519 private key; default <dir>/log-key.pem. Generated
  // (mode 0600) when the log is created and the file does not exist.
  std::string key_file;
  // Open without writing (another process may be writing the log): appends,
  // Checkpoint() of a grown tree and RotateKey fail with FailedPrecondition.
  // No key file is needed.
  bool read_only = false;
  // Time for the entries the ledger writes itself (KeyRotated); not owned,
  // must outlive the ledger. nullptr: the real clock.
  const Clock* clock = nullptr;
  // Group commit: at most this many entries / bytes in one write batch.
  size_t max_batch_entries = 8192;
  size_t max_batch_bytes = size_t{32} << 20;
  // The largest entry Append/AppendBatch accept, at most kMaxEntryBytes (the
  // export's bound; also the default). A larger one is InvalidArgument naming
  // its size and the limit, and nothing of that call is written.
  size_t max_entry_bytes = kMaxEntryBytes;
  // Called by the group-commit leader before it writes a batch; `queued` is
  // the number of entries in the batch. For tests (e.g. to hold a batch while
  // more appenders queue); must not call back into the ledger.
  std::function<void(size_t queued)> before_commit_for_testing;
};

struct InclusionProof {
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  std::vector<Hash> path;
};

struct ConsistencyProof {
  uint64_t size1 = 0;
  uint64_t size2 = 0;
  std::vector<Hash> path;
};

struct SignedCheckpoint {
  Checkpoint checkpoint;
  std::string note;  // the C2SP signed note
};

// Counters for tests, benchmarks and metrics.
struct LedgerStats {
  uint64_t entries_appended = 0;  // since Open
  uint64_t write_batches = 0;     // synced batches written since Open
  uint64_t checkpoints_signed = 0;
  uint64_t queued_appends = 0;  // callers waiting for the batch being written
};

class Ledger {
 public:
  // Opens (or creates) the log in `dir` and verifies it (see Safety above).
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& dir,
                                                      const LedgerOptions& options);
  virtual ~Ledger() = default;

  // Appends one entry (serialized LedgerEntry bytes, at most
  // options.max_entry_bytes); returns
  // its index once durable.
  virtual absl::StatusOr<uint64_t> Append(std::string entry) = 0;
  // Appends entries at contiguous indexes; returns the first once durable.
  virtual absl::StatusOr<uint64_t> AppendBatch(std::vector<std::string> entries) = 0;
  // Returns the number of durable entries.
  virtual uint64_t Size() const = 0;

  // Returns the entry at `index` (OutOfRange when index >= Size()).
  virtual absl::StatusOr<std::string> GetEntry(uint64_t index) const = 0;
  // Returns entries [start, end); OutOfRange unless start <= end <= Size().
  virtual absl::StatusOr<std::vector<std::string>> GetEntries(uint64_t start,
                                                              uint64_t end) const = 0;
  // Returns the root of the first `tree_size` entries.
  virtual absl::StatusOr<Hash> RootAt(uint64_t tree_size) const = 0;
  // Returns the leaf hash of entry `index`.
  virtual absl::StatusOr<Hash> LeafHashAt(uint64_t index) const = 0;
  virtual absl::StatusOr<InclusionProof> ProveInclusion(uint64_t index,
                                                        uint64_t tree_size) const = 0;
  // 0 < size1 <= size2 <= Size().
  virtual absl::StatusOr<ConsistencyProof> ProveConsistency(uint64_t size1,
                                                            uint64_t size2) const = 0;

  // Signs and stores a checkpoint of the current size if the tree grew since
  // the latest one (or none exists); otherwise returns the latest.
  virtual absl::StatusOr<SignedCheckpoint> Checkpoint() = 0;
  // Returns the latest signed checkpoint; NotFound when none yet.
  virtual absl::StatusOr<SignedCheckpoint> LatestCheckpoint() const = 0;
  // Returns the checkpoint signed at exactly `tree_size`; NotFound otherwise,
  // DataLoss when the stored note does not parse.
  virtual absl::StatusOr<SignedCheckpoint> CheckpointAt(uint64_t tree_size) const = 0;
  // Returns up to `limit` checkpoints with tree_size > after_size, in order;
  // DataLoss, naming the size, when a stored note does not parse (a listing
  // never skips one).
  virtual absl::StatusOr<std::vector<SignedCheckpoint>> Checkpoints(
      uint64_t after_size, size_t limit = SIZE_MAX) const = 0;

  // The origin of the log's checkpoints.
  virtual const std::string& origin() const = 0;
  // The key that signs checkpoints of the current size.
  virtual const VerifierKey& verifier_key() const = 0;
  // The key in force for a checkpoint of `tree_size` (see export_format.h).
  virtual absl::StatusOr<VerifierKey> VerifierKeyAt(uint64_t tree_size) const = 0;

  // Rotates the checkpoint key: signs a checkpoint with the old key, appends
  // a KeyRotated entry signed by it, stores `new_key` as the key file and
  // signs a checkpoint with it. Returns the KeyRotated entry's index.
  virtual absl::StatusOr<uint64_t> RotateKey(const Signer& new_key) = 0;

  // Verifies everything stored beyond what Open checks: every checkpoint's
  // signature and root, and every KeyRotated entry. Reads the whole log.
  virtual absl::Status VerifyAll() const = 0;

  virtual LedgerStats stats() const = 0;
};

// Writes the export (export_format.h) of the latest checkpoint into
// `out_dir` (created if missing). FailedPrecondition when nothing is signed.
absl::Status ExportLedger(const Ledger& ledger, const std::string& out_dir);

}  // namespace peergrid::ledger

#endif  // PEERGRID_LEDGER_LEDGER_H_
