// Private: linear-time duplicate detection over a book's strings, for the
// auction's malformed-book checks. Hashing each string once and radix-sorting
// the 64-bit hashes is several times faster than a hash set at 10^6 orders;
// equal hashes are only candidates, confirmed by comparing the strings, so a
// hash collision never produces a false error. Results name the first
// offending position in input order, independent of the hash.
// Thread-safety: pure; thread-compatible on its arguments.
#ifndef PEERGRID_MATCHING_SRC_BOOK_CHECKS_H_
#define PEERGRID_MATCHING_SRC_BOOK_CHECKS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "radix_sort.h"

namespace peergrid::matching::internal {

// Returns a 64-bit hash of `s` that is the same in every process (absl::Hash
// is seeded per process, which would make error choice vary between runs).
inline uint64_t StableHash(absl::string_view s) {
  auto load = [](const char* p, size_t bytes) {
    uint64_t w = 0;
    std::memcpy(&w, p, bytes);
    return w;
  };
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (s.size() * 0xff51afd7ed558ccdULL);
  const char* p = s.data();
  size_t len = s.size();
  while (len >= 8) {
    h = (h ^ load(p, 8)) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
    p += 8;
    len -= 8;
  }
  if (len > 0) {
    // The last 1–7 bytes, read with fixed-size loads (overlapping when 4–7).
    uint64_t w;
    if (len >= 4) {
      w = load(p, 4) | (load(p + len - 4, 4) << 32);
    } else {
      w = static_cast<uint8_t>(p[0]) | (uint64_t{static_cast<uint8_t>(p[len / 2])} << 8) |
          (uint64_t{static_cast<uint8_t>(p[len - 1])} << 16);
    }
    h = (h ^ w) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// The default hasher of the Find* functions (tests inject colliding ones).
struct StableHasher {
  uint64_t operator()(absl::string_view s) const { return StableHash(s); }
};

// Two positions in input order, earlier < later.
struct PositionPair {
  size_t earlier;
  size_t later;
};

// Returns the candidate keys: values v such that two sorted keys agree on
// v = key >> drop_bits and `conflict(first, last)` holds for the smallest and
// largest key of that group. `sorted` holds the keys sorted by their low 32
// bits; it is reordered.
template <typename Conflict>
std::vector<uint64_t> CandidateGroups(absl::Span<uint64_t> sorted, int drop_bits,
                                      Conflict conflict) {
  std::vector<uint64_t> candidates;
  const uint64_t low_mask = 0xffffffffULL >> drop_bits;
  size_t i = 0;
  while (i < sorted.size()) {
    size_t j = i + 1;
    const uint64_t low = (sorted[i] >> drop_bits) & low_mask;
    bool uniform = true;
    while (j < sorted.size() && ((sorted[j] >> drop_bits) & low_mask) == low) {
      uniform &= sorted[j] == sorted[i];
      ++j;
    }
    if (j - i >= 2 && !(uniform && !conflict(sorted[i], sorted[i]))) {
      std::sort(sorted.begin() + i, sorted.begin() + j);
      size_t k = i;
      while (k < j) {
        size_t m = k + 1;
        while (m < j && (sorted[m] >> drop_bits) == (sorted[k] >> drop_bits)) ++m;
        if (m - k >= 2 && conflict(sorted[k], sorted[m - 1])) {
          candidates.push_back(sorted[k] >> drop_bits);
        }
        k = m;
      }
    }
    i = j;
  }
  std::sort(candidates.begin(), candidates.end());
  return candidates;
}

// Returns the first position whose string (str(i)) equals an earlier
// position's, with that earlier position; nullopt when all n are distinct.
// On entry work[i] = hash(str(i)) (the caller fills it in a pass it makes
// anyway); `work` and `scratch` hold at least n elements and are clobbered.
template <typename StrFn, typename HashFn = StableHasher>
std::optional<PositionPair> FindDuplicateString(size_t n, StrFn str, absl::Span<uint64_t> work,
                                                absl::Span<uint64_t> scratch, HashFn hash = {}) {
  absl::Span<uint64_t> sorted = RadixSort(
      work.subspan(0, n), scratch.subspan(0, n), [](uint64_t k) { return k; }, /*key_bits=*/32);
  std::vector<uint64_t> candidates =
      CandidateGroups(sorted, 0, [](uint64_t, uint64_t) { return true; });
  if (candidates.empty()) return std::nullopt;
  std::map<absl::string_view, size_t> seen;
  for (size_t i = 0; i < n; ++i) {
    if (!std::binary_search(candidates.begin(), candidates.end(), hash(str(i)))) continue;
    auto [it, inserted] = seen.emplace(str(i), i);
    if (!inserted) return PositionPair{it->second, i};
  }
  return std::nullopt;
}

// Returns the key FindConflictingFlag expects for a string hash and a flag.
inline uint64_t FlaggedKey(uint64_t hash, bool flag) {
  return (hash & ~uint64_t{1}) | (flag ? 1 : 0);
}

// Returns the first position whose string equals an earlier position's while
// flag(i) differs from it (a participant on both sides), with the earliest
// position of that string; nullopt when every string has one flag.
// On entry work[i] = FlaggedKey(hash(str(i)), flag(i)); `work` and `scratch`
// hold at least n elements and are clobbered.
template <typename StrFn, typename FlagFn, typename HashFn = StableHasher>
std::optional<PositionPair> FindConflictingFlag(size_t n, StrFn str, FlagFn flag,
                                                absl::Span<uint64_t> work,
                                                absl::Span<uint64_t> scratch, HashFn hash = {}) {
  absl::Span<uint64_t> sorted = RadixSort(
      work.subspan(0, n), scratch.subspan(0, n), [](uint64_t k) { return k; }, /*key_bits=*/32);
  // Sorted ascending, a group whose smallest key has flag 0 and largest flag 1
  // holds both flags.
  std::vector<uint64_t> candidates = CandidateGroups(
      sorted, 1, [](uint64_t lo, uint64_t hi) { return (lo & 1) == 0 && (hi & 1) == 1; });
  if (candidates.empty()) return std::nullopt;
  std::map<absl::string_view, size_t> first_seen;
  for (size_t i = 0; i < n; ++i) {
    if (!std::binary_search(candidates.begin(), candidates.end(), hash(str(i)) >> 1)) {
      continue;
    }
    auto [it, inserted] = first_seen.emplace(str(i), i);
    if (!inserted && flag(it->second) != flag(i)) return PositionPair{it->second, i};
  }
  return std::nullopt;
}

}  // namespace peergrid::matching::internal

#endif  // PEERGRID_MATCHING_SRC_BOOK_CHECKS_H_
