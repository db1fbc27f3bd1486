// Offline verification of an RFC 9162 Merkle log: inclusion and consistency
// proofs (RFC 9162 §2.1.3.2 and §2.1.4.2) and roots rebuilt from leaf hashes.
// Usable without the database (target peergrid::tlog: OpenSSL only).
//
// Thread-safety: the free functions are thread-safe; RootBuilder is
// thread-compatible (one writer, no concurrent use).
// Errors: InvalidArgument for malformed input (index out of range, wrong
// path length, size1 == 0 or size1 > size2); DataLoss for a well-formed proof
// that does not lead to the given root (a log that lies or was tampered with).
// Messages name the index and sizes involved.
#ifndef PEERGRID_LEDGER_VERIFY_H_
#define PEERGRID_LEDGER_VERIFY_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "peergrid/ledger/hash.h"

namespace peergrid::ledger {

// Checks that `proof` proves the leaf with hash `leaf_hash` at `index` is in
// the tree of `tree_size` leaves whose root is `root`.
absl::Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t tree_size,
                             absl::Span<const Hash> proof, const Hash& root);

// Checks that the tree of size2 (root2) extends the tree of size1 (root1).
// Rejects size1 == 0 (a proof from the empty tree proves nothing) and
// size1 > size2; for size1 == size2 the proof must be empty and the roots equal.
absl::Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                               absl::Span<const Hash> proof);

// Returns the root of the tree whose leaves have these hashes (EmptyRoot()
// for none). Never fails today; StatusOr leaves room for limits.
absl::StatusOr<Hash> RootFromLeaves(absl::Span<const Hash> leaf_hashes);

// Builds a root incrementally from leaf hashes in O(log n) memory (the
// "compact range" of Trillian/Tessera): the right edge of the tree.
class RootBuilder {
 public:
  // Appends the next leaf hash.
  void Append(const Hash& leaf_hash);
  // Returns the number of leaves appended.
  uint64_t size() const { return size_; }
  // Returns the root of the leaves appended so far (EmptyRoot() for none).
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  // Hashes of the perfect subtrees of the right edge, largest first; the
  // i-th corresponds to the i-th set bit of size_ from the top.
  std::vector<Hash> peaks_;
};

}  // namespace peergrid::ledger

#endif  // PEERGRID_LEDGER_VERIFY_H_
