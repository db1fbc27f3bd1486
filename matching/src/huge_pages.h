// Private: a hint that a large, not yet touched buffer should be backed by
// transparent huge pages.
//
// Clearing 10^6 orders writes ~120 MB of fresh memory (the sort arrays and
// the fills). With 4 KiB pages that is ~30,000 page faults, a third of the
// clearing time; with 2 MiB pages it is ~60. The kernel only grants huge
// pages to regions that ask (THP "madvise" mode, Debian's default), so large
// buffers ask before their first write. A hint only: results never depend
// on it, and elsewhere than Linux it does nothing.
#ifndef PEERGRID_MATCHING_SRC_HUGE_PAGES_H_
#define PEERGRID_MATCHING_SRC_HUGE_PAGES_H_

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace peergrid::matching::internal {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// Asks for huge pages over the whole 2 MiB pages inside [data, data + bytes).
inline void AdviseHugePages(void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes < 2 * kHugePageBytes) return;
  const auto begin = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  const uintptr_t last = (begin + bytes) & ~(kHugePageBytes - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace peergrid::matching::internal

#endif  // PEERGRID_MATCHING_SRC_HUGE_PAGES_H_
