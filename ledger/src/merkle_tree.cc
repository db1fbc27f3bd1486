#include "merkle_tree.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace peergrid::ledger {
namespace {

// Largest power of two strictly below n (n >= 2).
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

}  // namespace

int MerkleTree::NodesForLeaf(uint64_t index) { return 1 + std::countr_one(index); }

void MerkleTree::Append(absl::Span<const Hash> leaves, std::string* packed) {
  absl::MutexLock lock(&mu_);
  if (levels_.empty()) levels_.emplace_back();
  for (const Hash& leaf : leaves) {
    uint64_t index = levels_[0].size();
    levels_[0].push_back(leaf);
    if (packed != nullptr) packed->append(reinterpret_cast<const char*>(leaf.data()), 32);
    Hash node = leaf;
    for (size_t level = 0; ((index >> level) & 1) == 1; ++level) {
      node = NodeHash(levels_[level][(index >> level) - 1], node);
      if (levels_.size() == level + 1) levels_.emplace_back();
      levels_[level + 1].push_back(node);
      if (packed != nullptr) packed->append(reinterpret_cast<const char*>(node.data()), 32);
    }
  }
}

void MerkleTree::Truncate(uint64_t size) {
  absl::MutexLock lock(&mu_);
  for (size_t level = 0; level < levels_.size(); ++level) {
    uint64_t keep = size >> level;
    if (levels_[level].size() > keep) levels_[level].resize(keep);
  }
}

uint64_t MerkleTree::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return levels_.empty() ? 0 : levels_[0].size();
}

Hash MerkleTree::SubtreeLocked(uint64_t begin, uint64_t end) const {
  uint64_t n = end - begin;
  if (std::has_single_bit(n) && (begin & (n - 1)) == 0) {
    int level = std::countr_zero(n);
    return levels_[level][begin >> level];
  }
  uint64_t k = SplitPoint(n);
  return NodeHash(SubtreeLocked(begin, begin + k), SubtreeLocked(begin + k, end));
}

absl::StatusOr<Hash> MerkleTree::Root(uint64_t tree_size) const {
  absl::ReaderMutexLock lock(&mu_);
  uint64_t have = levels_.empty() ? 0 : levels_[0].size();
  if (tree_size > have) {
    return absl::OutOfRangeError(
        absl::StrCat("tree size ", tree_size, " is beyond the log's size ", have));
  }
  if (tree_size == 0) return EmptyRoot();
  return SubtreeLocked(0, tree_size);
}

absl::StatusOr<Hash> MerkleTree::Leaf(uint64_t index) const {
  absl::ReaderMutexLock lock(&mu_);
  if (levels_.empty() || index >= levels_[0].size()) {
    return absl::OutOfRangeError(absl::StrCat("leaf index ", index, " is beyond the log"));
  }
  return levels_[0][index];
}

void MerkleTree::PathLocked(uint64_t index, uint64_t begin, uint64_t end,
                            std::vector<Hash>* out) const {
  // RFC 9162 §2.1.3.1: PATH(m, D[n]); siblings are emitted leaf first.
  uint64_t n = end - begin;
  if (n <= 1) return;
  uint64_t k = SplitPoint(n);
  if (index - begin < k) {
    PathLocked(index, begin, begin + k, out);
    out->push_back(SubtreeLocked(begin + k, end));
  } else {
    PathLocked(index, begin + k, end, out);
    out->push_back(SubtreeLocked(begin, begin + k));
  }
}

absl::StatusOr<std::vector<Hash>> MerkleTree::InclusionPath(uint64_t index,
                                                            uint64_t tree_size) const {
  absl::ReaderMutexLock lock(&mu_);
  uint64_t have = levels_.empty() ? 0 : levels_[0].size();
  if (tree_size > have) {
    return absl::OutOfRangeError(
        absl::StrCat("tree size ", tree_size, " is beyond the log's size ", have));
  }
  if (index >= tree_size) {
    return absl::OutOfRangeError(
        absl::StrCat("index ", index, " is not below tree size ", tree_size));
  }
  std::vector<Hash> path;
  path.reserve(64);
  PathLocked(index, 0, tree_size, &path);
  return path;
}

void MerkleTree::SubproofLocked(uint64_t m, uint64_t begin, uint64_t end, bool whole,
                                std::vector<Hash>* out) const {
  // RFC 9162 §2.1.4.1: SUBPROOF(m, D[n], b), m counted from `begin`.
  uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out->push_back(SubtreeLocked(begin, end));
    return;
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubproofLocked(m, begin, begin + k, whole, out);
    out->push_back(SubtreeLocked(begin + k, end));
  } else {
    SubproofLocked(m - k, begin + k, end, false, out);
    out->push_back(SubtreeLocked(begin, begin + k));
  }
}

absl::StatusOr<std::vector<Hash>> MerkleTree::ConsistencyPath(uint64_t size1,
                                                              uint64_t size2) const {
  absl::ReaderMutexLock lock(&mu_);
  uint64_t have = levels_.empty() ? 0 : levels_[0].size();
  if (size2 > have) {
    return absl::OutOfRangeError(absl::StrCat("size2 ", size2, " is beyond the log's size ", have));
  }
  if (size1 == 0 || size1 > size2) {
    return absl::InvalidArgumentError(
        absl::StrCat("consistency proof needs 0 < size1 <= size2, got ", size1, " and ", size2));
  }
  std::vector<Hash> path;
  if (size1 < size2) SubproofLocked(size1, 0, size2, true, &path);
  return path;
}

uint64_t MerkleTree::FirstMismatch(uint64_t first, absl::string_view packed,
                                   bool* packed_ok) const {
  absl::ReaderMutexLock lock(&mu_);
  uint64_t have = levels_.empty() ? 0 : levels_[0].size();
  size_t pos = 0;
  *packed_ok = true;
  uint64_t index = first;
  for (; pos < packed.size(); ++index) {
    int nodes = NodesForLeaf(index);
    if (index >= have || packed.size() - pos < size_t{32} * nodes) {
      *packed_ok = false;
      return index;
    }
    for (int level = 0; level < nodes; ++level, pos += 32) {
      const Hash& want = levels_[level][index >> level];
      if (std::memcmp(want.data(), packed.data() + pos, 32) != 0) return index;
    }
  }
  return index;
}

}  // namespace peergrid::ledger
