#include "peergrid/ledger/verify.h"

#include "absl/strings/str_cat.h"

namespace peergrid::ledger {
namespace {

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

absl::Status VerifyInclusion(const Hash& leaf_hash, uint64_t index, uint64_t tree_size,
                             absl::Span<const Hash> proof, const Hash& root) {
  if (index >= tree_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("inclusion proof: index ", index, " is not below tree size ", tree_size));
  }
  // RFC 9162 §2.1.3.2.
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) {
      return absl::InvalidArgumentError(absl::StrCat("inclusion proof for index ", index,
                                                     " in tree size ", tree_size,
                                                     " has too many hashes (", proof.size(), ")"));
    }
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::InvalidArgumentError(absl::StrCat("inclusion proof for index ", index,
                                                   " in tree size ", tree_size,
                                                   " has too few hashes (", proof.size(), ")"));
  }
  if (r != root) {
    return absl::DataLossError(absl::StrCat("inclusion proof for index ", index, " in tree size ",
                                            tree_size, " leads to root ", HashToBase64(r), ", not ",
                                            HashToBase64(root)));
  }
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                               absl::Span<const Hash> proof) {
  if (size1 > size2) {
    return absl::InvalidArgumentError(
        absl::StrCat("consistency proof: size1 ", size1, " is greater than size2 ", size2));
  }
  if (size1 == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("consistency proof: size1 is 0 (size2 ", size2, "): proves nothing"));
  }
  if (size1 == size2) {
    if (!proof.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("consistency proof between equal sizes ",
                                                     size1, " must be empty, has ", proof.size()));
    }
    if (root1 != root2) {
      return absl::DataLossError(absl::StrCat("trees of equal size ", size1,
                                              " have different roots ", HashToBase64(root1),
                                              " and ", HashToBase64(root2)));
    }
    return absl::OkStatus();
  }
  if (proof.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("consistency proof from size ", size1, " to ", size2, " is empty"));
  }
  // RFC 9162 §2.1.4.2. When size1 is a power of two, root1 is the first
  // element of the path and is not sent.
  size_t next = 0;
  Hash first = proof[0];
  if (IsPowerOfTwo(size1)) {
    first = root1;
  } else {
    next = 1;
  }
  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = first;
  Hash sr = first;
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) {
      return absl::InvalidArgumentError(absl::StrCat("consistency proof from size ", size1, " to ",
                                                     size2, " has too many hashes (", proof.size(),
                                                     ")"));
    }
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::InvalidArgumentError(absl::StrCat("consistency proof from size ", size1, " to ",
                                                   size2, " has too few hashes (", proof.size(),
                                                   ")"));
  }
  if (fr != root1) {
    return absl::DataLossError(absl::StrCat("consistency proof from size ", size1, " to ", size2,
                                            " does not match root1 ", HashToBase64(root1)));
  }
  if (sr != root2) {
    return absl::DataLossError(absl::StrCat("consistency proof from size ", size1, " to ", size2,
                                            " does not match root2 ", HashToBase64(root2)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Hash> RootFromLeaves(absl::Span<const Hash> leaf_hashes) {
  RootBuilder builder;
  for (const Hash& leaf : leaf_hashes) builder.Append(leaf);
  return builder.Root();
}

void RootBuilder::Append(const Hash& leaf_hash) {
  // Merge equal-sized peaks: one merge per trailing one bit of the old size.
  Hash node = leaf_hash;
  for (uint64_t s = size_; (s & 1) == 1; s >>= 1) {
    node = NodeHash(peaks_.back(), node);
    peaks_.pop_back();
  }
  peaks_.push_back(node);
  ++size_;
}

Hash RootBuilder::Root() const {
  if (peaks_.empty()) return EmptyRoot();
  Hash root = peaks_.back();
  for (size_t i = peaks_.size() - 1; i-- > 0;) root = NodeHash(peaks_[i], root);
  return root;
}

}  // namespace peergrid::ledger
