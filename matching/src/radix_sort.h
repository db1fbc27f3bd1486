// Private: a stable least-significant-digit radix sort on 64-bit keys, used by
// the auction so that sorting costs a few linear passes instead of n log n
// comparisons. Digits on which every key agrees are skipped, so keys that use
// few bits (prices, dense ranks, 32-bit hash prefixes) sort in few passes.
// Large inputs use 11-bit digits (fewer passes; 2048 counters stay in L1/L2),
// small ones 8-bit digits (cheaper histograms).
// Thread-safety: pure; thread-compatible on its arguments.
#ifndef PEERGRID_MATCHING_SRC_RADIX_SORT_H_
#define PEERGRID_MATCHING_SRC_RADIX_SORT_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"

namespace peergrid::matching::internal {

// Sorts `data` by key(element) ascending, stably, with `kDigitBits`-bit
// digits over the low `key_bits` bits of the key. Returns the span (over
// `data` or `scratch`, which has at least data.size() elements) holding the
// result. Prefer RadixSort below.
template <int kDigitBits, typename T, typename KeyFn>
absl::Span<T> RadixSortWithDigits(absl::Span<T> data, absl::Span<T> scratch, KeyFn key,
                                  int key_bits) {
  constexpr size_t kBuckets = size_t{1} << kDigitBits;
  constexpr uint64_t kMask = kBuckets - 1;
  const size_t n = data.size();
  if (n < 2) return data;
  const int num_digits = (key_bits + kDigitBits - 1) / kDigitBits;
  const uint64_t key_mask = key_bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << key_bits) - 1;
  std::vector<uint32_t> counts(static_cast<size_t>(num_digits) * kBuckets);
  for (const T& element : data) {
    const uint64_t k = key(element) & key_mask;
    for (int d = 0; d < num_digits; ++d) ++counts[d * kBuckets + ((k >> (d * kDigitBits)) & kMask)];
  }
  const uint64_t first = key(data[0]) & key_mask;
  absl::Span<T> from = data;
  absl::Span<T> to = scratch.subspan(0, n);
  for (int d = 0; d < num_digits; ++d) {
    const int shift = d * kDigitBits;
    uint32_t* bucket = &counts[d * kBuckets];
    if (bucket[(first >> shift) & kMask] == n) continue;  // Every key has this digit.
    uint32_t offset = 0;
    for (size_t b = 0; b < kBuckets; ++b) {
      const uint32_t count = bucket[b];
      bucket[b] = offset;
      offset += count;
    }
    for (const T& element : from) {
      to[bucket[((key(element) & key_mask) >> shift) & kMask]++] = element;
    }
    std::swap(from, to);
  }
  return from;
}

// Sorts `data` ascending by the low `key_bits` bits of key(element) (a
// uint64_t), stably; data.size() must be < 2^32. `scratch` must be at least
// as large as `data`; both are clobbered. Returns the span (over `data` or
// over `scratch`) that holds the sorted elements.
template <typename T, typename KeyFn>
absl::Span<T> RadixSort(absl::Span<T> data, absl::Span<T> scratch, KeyFn key, int key_bits = 64) {
  if (data.size() < (size_t{1} << 16)) {
    return RadixSortWithDigits<8>(data, scratch, key, key_bits);
  }
  return RadixSortWithDigits<11>(data, scratch, key, key_bits);
}

}  // namespace peergrid::matching::internal

#endif  // PEERGRID_MATCHING_SRC_RADIX_SORT_H_
