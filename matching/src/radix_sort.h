// Private: a stable least-significant-digit radix sort on 64-bit keys, used by
// the auction so that sorting a side costs a few linear passes instead of
// n log n comparisons. Digits (bytes) on which every key agrees are skipped,
// so keys that use few bits (prices, dense sequence numbers) sort in few
// passes. Thread-safety: pure; thread-compatible on its arguments.
#ifndef PEERGRID_MATCHING_SRC_RADIX_SORT_H_
#define PEERGRID_MATCHING_SRC_RADIX_SORT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/types/span.h"

namespace peergrid::matching::internal {

// Sorts `data` ascending by the low `num_bytes` bytes of key(element) (a
// uint64_t), stably. `scratch` must be as large as `data`; both are
// clobbered. Returns the span (over `data` or over `scratch`) that holds the
// sorted elements.
template <typename T, typename KeyFn>
absl::Span<T> RadixSort(absl::Span<T> data, absl::Span<T> scratch, KeyFn key, int num_bytes = 8) {
  const size_t n = data.size();
  if (n < 2) return data;
  std::array<std::array<size_t, 256>, 8> counts{};
  for (const T& element : data) {
    uint64_t k = key(element);
    for (int d = 0; d < num_bytes; ++d) ++counts[d][(k >> (8 * d)) & 0xff];
  }
  const uint64_t first = key(data[0]);
  absl::Span<T> from = data;
  absl::Span<T> to = scratch.subspan(0, n);
  for (int d = 0; d < num_bytes; ++d) {
    std::array<size_t, 256>& bucket = counts[d];
    if (bucket[(first >> (8 * d)) & 0xff] == n) continue;  // Every key has this digit.
    size_t offset = 0;
    for (size_t& c : bucket) {
      size_t count = c;
      c = offset;
      offset += count;
    }
    const int shift = 8 * d;
    for (const T& element : from) to[bucket[(key(element) >> shift) & 0xff]++] = element;
    std::swap(from, to);
  }
  return from;
}

}  // namespace peergrid::matching::internal

#endif  // PEERGRID_MATCHING_SRC_RADIX_SORT_H_
