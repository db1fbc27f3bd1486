// The key and value codecs: round trips, bytewise order of encoded keys equal
// to numeric order (RocksDB's own comparator), and DataLoss for input of the
// wrong shape.
#include "peergrid/storage/key_codec.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"
#include "rocksdb/comparator.h"
#include "rocksdb/slice.h"

namespace peergrid::storage {
namespace {

using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

// Returns the sign of RocksDB's bytewise comparison of a and b.
int Compare(const std::string& a, const std::string& b) {
  const int c = rocksdb::BytewiseComparator()->Compare(rocksdb::Slice(a), rocksdb::Slice(b));
  return (c > 0) - (c < 0);
}

template <typename T>
int Sign(T a, T b) {
  return (a > b) - (a < b);
}

const std::vector<uint64_t>& EdgeU64() {
  static const std::vector<uint64_t> v = {0,          1,
                                          255,        256,
                                          65'535,     65'536,
                                          1ULL << 32, (1ULL << 63) - 1,
                                          1ULL << 63, UINT64_MAX - 1,
                                          UINT64_MAX};
  return v;
}

const std::vector<int64_t>& EdgeI64() {
  static const std::vector<int64_t> v = {std::numeric_limits<int64_t>::min(),
                                         std::numeric_limits<int64_t>::min() + 1,
                                         -1'782'000'000'000,
                                         -256,
                                         -1,
                                         0,
                                         1,
                                         255,
                                         256,
                                         1'782'000'000'000,
                                         std::numeric_limits<int64_t>::max()};
  return v;
}

TEST(KeyCodecTest, BigEndianRoundTripsAndIsMostSignificantFirst) {
  EXPECT_EQ(BigEndian64(0x0102030405060708ULL), std::string("\x01\x02\x03\x04\x05\x06\x07\x08"));
  for (uint64_t v : EdgeU64()) {
    std::string bytes = "x";
    PutBigEndian64(&bytes, v);
    ASSERT_EQ(bytes.size(), 9u);
    EXPECT_EQ(bytes.substr(1), BigEndian64(v));
    ASSERT_OK_AND_ASSIGN(uint64_t back, DecodeBigEndian64(BigEndian64(v)));
    EXPECT_EQ(back, v);
  }
}

TEST(KeyCodecTest, FixedIsLeastSignificantFirstAndRoundTrips) {
  EXPECT_EQ(Fixed64(0x0102030405060708ULL), std::string("\x08\x07\x06\x05\x04\x03\x02\x01"));
  for (uint64_t v : EdgeU64()) {
    std::string bytes;
    PutFixed64(&bytes, v);
    EXPECT_EQ(bytes, Fixed64(v));
    ASSERT_OK_AND_ASSIGN(uint64_t back, DecodeFixed64(bytes));
    EXPECT_EQ(back, v);
  }
}

TEST(KeyCodecTest, OrderedInt64RoundTripsIncludingNegatives) {
  for (int64_t v : EdgeI64()) {
    std::string bytes;
    PutOrderedInt64(&bytes, v);
    ASSERT_EQ(bytes.size(), 8u);
    ASSERT_OK_AND_ASSIGN(int64_t back, DecodeOrderedInt64(bytes));
    EXPECT_EQ(back, v);
  }
}

TEST(KeyCodecTest, KeyU64RoundTripsUnderItsPrefix) {
  for (uint64_t v : EdgeU64()) {
    const std::string key = KeyU64("r/hub-1/", v);
    EXPECT_EQ(key, absl::StrCat("r/hub-1/", BigEndian64(v)));
    ASSERT_OK_AND_ASSIGN(uint64_t back, ParseKeyU64(key, "r/hub-1/"));
    EXPECT_EQ(back, v);
  }
}

TEST(KeyCodecTest, EncodedKeysSortAsTheNumbers) {
  const uint64_t seed = 20260621;
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> u = EdgeU64();
  std::vector<int64_t> s = EdgeI64();
  for (int i = 0; i < 200; ++i) {
    const uint64_t r = rng();
    u.push_back(r >> (r % 64));  // all magnitudes
    s.push_back(static_cast<int64_t>(rng()) >> (r % 64));
  }
  for (uint64_t a : u) {
    for (uint64_t b : u) {
      ASSERT_EQ(Compare(BigEndian64(a), BigEndian64(b)), Sign(a, b)) << a << " vs " << b;
      ASSERT_EQ(Compare(KeyU64("q/", a), KeyU64("q/", b)), Sign(a, b)) << a << " vs " << b;
    }
  }
  for (int64_t a : s) {
    for (int64_t b : s) {
      std::string ea;
      std::string eb;
      PutOrderedInt64(&ea, a);
      PutOrderedInt64(&eb, b);
      ASSERT_EQ(Compare(ea, eb), Sign(a, b)) << a << " vs " << b;
    }
  }
}

TEST(KeyCodecTest, WrongLengthIsDataLossNamingTheLength) {
  for (const std::string& bad : {std::string(), std::string(7, '\x01'), std::string(9, '\x01')}) {
    const std::string size = absl::StrCat(" is ", bad.size(), " bytes");
    EXPECT_THAT(DecodeBigEndian64(bad), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(size)));
    EXPECT_THAT(DecodeFixed64(bad), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(size)));
    EXPECT_THAT(DecodeOrderedInt64(bad), StatusIs(absl::StatusCode::kDataLoss, HasSubstr(size)));
  }
  EXPECT_THAT(ParseKeyU64(std::string("q/\x01\x02", 4), "q/"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("key of 4 bytes")));
  EXPECT_THAT(ParseKeyU64(KeyU64("q/", 7) + "x", "q/"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("key of 11 bytes")));
  EXPECT_THAT(ParseKeyU64(KeyU64("q/", 7), "m/"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("\"m/\"")));
}

}  // namespace
}  // namespace peergrid::storage
