// The ledger's in-memory RFC 9162 Merkle tree: every perfect-subtree hash,
// level by level (about 2n hashes for n leaves: 64 MB at 1M entries), so
// roots at any size and proofs are pure in-memory work, O(log n).
//
// Level k holds the hashes of the perfect subtrees of 2^k leaves, left to
// right; appending leaf i adds it at level 0 and one parent per trailing one
// bit of i (the subtrees it completes).
//
// Thread-safety: thread-safe. Appends and truncation take the writer lock,
// reads the reader lock. The ledger appends from one thread at a time (the
// group-commit leader) and only ever reads sizes it has published.
// Errors: OutOfRange for sizes/indexes beyond the tree; InvalidArgument for
// a consistency proof with size1 == 0 or size1 > size2.
#ifndef PEERGRID_LEDGER_SRC_MERKLE_TREE_H_
#define PEERGRID_LEDGER_SRC_MERKLE_TREE_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "peergrid/ledger/hash.h"

namespace peergrid::ledger {

class MerkleTree {
 public:
  // Appends leaves; when `packed` is non-null appends to it, for each new
  // leaf, its hash and then the hashes of the subtrees it completes (the
  // "nodes" record stored beside the entries).
  void Append(absl::Span<const Hash> leaves, std::string* packed);
  // Drops leaves (and their nodes) beyond `size`; for rolling back a failed
  // write.
  void Truncate(uint64_t size);
  uint64_t size() const;

  // Returns the root of the first `tree_size` leaves.
  absl::StatusOr<Hash> Root(uint64_t tree_size) const;
  // Returns the leaf hash at `index`.
  absl::StatusOr<Hash> Leaf(uint64_t index) const;
  // Returns the RFC 9162 §2.1.3.1 audit path of `index` in the tree of
  // `tree_size` leaves.
  absl::StatusOr<std::vector<Hash>> InclusionPath(uint64_t index, uint64_t tree_size) const;
  // Returns the RFC 9162 §2.1.4.1 consistency proof between two sizes
  // (0 < size1 <= size2; empty when equal).
  absl::StatusOr<std::vector<Hash>> ConsistencyPath(uint64_t size1, uint64_t size2) const;
  // Checks a stored nodes record for leaves [first, first + n) against the
  // tree: returns the index of the first leaf whose nodes differ, or, when
  // all match, the index after the record's last leaf; `packed_ok` is false
  // when the record's length does not fit whole leaves of the tree.
  uint64_t FirstMismatch(uint64_t first, absl::string_view packed, bool* packed_ok) const;

  // Returns the number of node hashes appending leaf `index` stores.
  static int NodesForLeaf(uint64_t index);

 private:
  // Hash of leaves [begin, end), begin aligned as in RFC 9162's recursion.
  Hash SubtreeLocked(uint64_t begin, uint64_t end) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void PathLocked(uint64_t index, uint64_t begin, uint64_t end, std::vector<Hash>* out) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void SubproofLocked(uint64_t m, uint64_t begin, uint64_t end, bool whole,
                      std::vector<Hash>* out) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<std::deque<Hash>> levels_ ABSL_GUARDED_BY(mu_);
};

}  // namespace peergrid::ledger

#endif  // PEERGRID_LEDGER_SRC_MERKLE_TREE_H_
