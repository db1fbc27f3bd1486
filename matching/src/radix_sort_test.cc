#include "radix_sort.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace peergrid::matching::internal {
namespace {

std::vector<uint64_t> Sorted(std::vector<uint64_t> keys, int key_bits = 64) {
  std::vector<uint64_t> scratch(keys.size());
  absl::Span<uint64_t> out = RadixSort(
      absl::MakeSpan(keys), absl::MakeSpan(scratch), [](uint64_t k) { return k; }, key_bits);
  return std::vector<uint64_t>(out.begin(), out.end());
}

TEST(RadixSortTest, MatchesStdSortOnRandomKeys) {
  const uint64_t seed = 20240601;
  std::mt19937_64 rng(seed);
  for (size_t n : {0, 1, 2, 3, 255, 256, 1000, 70'000}) {
    for (uint64_t mask : {~uint64_t{0}, uint64_t{0xff}, uint64_t{0xffff00000000}}) {
      std::vector<uint64_t> keys(n);
      for (uint64_t& k : keys) k = rng() & mask;
      std::vector<uint64_t> expected = keys;
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(Sorted(keys), expected) << "seed " << seed << " n " << n << " mask " << mask;
    }
  }
}

TEST(RadixSortTest, AllEqualKeysSkipEveryPass) {
  std::vector<uint64_t> keys(100, 0x1234567890abcdefULL);
  std::vector<uint64_t> scratch(keys.size());
  absl::Span<uint64_t> out =
      RadixSort(absl::MakeSpan(keys), absl::MakeSpan(scratch), [](uint64_t k) { return k; });
  EXPECT_EQ(out.data(), keys.data());
}

TEST(RadixSortTest, IsStableAndHonoursKeyBits) {
  struct Item {
    uint64_t key;
    int original;
  };
  // Below and above the switch from 8-bit to 11-bit digits; 32 and 20 key
  // bits are not multiples of either digit width.
  for (int n : {5000, 70'000}) {
    for (int key_bits : {32, 20}) {
      std::mt19937_64 rng(7);
      std::vector<Item> items(n);
      for (int i = 0; i < n; ++i) items[i] = {rng() % 5000 | (rng() << 20), i};
      const uint64_t mask = (uint64_t{1} << key_bits) - 1;
      std::vector<Item> expected = items;
      // Only the low key_bits count: higher bits must not influence the order.
      std::stable_sort(expected.begin(), expected.end(), [&](const Item& a, const Item& b) {
        return (a.key & mask) < (b.key & mask);
      });
      std::vector<Item> scratch(items.size());
      absl::Span<Item> out = RadixSort(
          absl::MakeSpan(items), absl::MakeSpan(scratch), [](const Item& it) { return it.key; },
          key_bits);
      ASSERT_EQ(out.size(), expected.size());
      for (size_t i = 0; i < out.size(); ++i) {
        ASSERT_EQ(out[i].original, expected[i].original)
            << "n " << n << " key_bits " << key_bits << " at " << i;
      }
    }
  }
}

}  // namespace
}  // namespace peergrid::matching::internal
