#include "book_checks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace peergrid::matching::internal {
namespace {

// Collides everything: every pair of strings is a hash candidate, so only the
// exact comparison decides.
struct ConstantHasher {
  uint64_t operator()(absl::string_view) const { return 42; }
};
// Collides strings of equal length.
struct LengthHasher {
  uint64_t operator()(absl::string_view s) const { return s.size() * 0x10001; }
};

template <typename Hasher = StableHasher>
std::optional<PositionPair> Duplicate(const std::vector<std::string>& s, Hasher hash = {}) {
  std::vector<uint64_t> work(s.size());
  std::vector<uint64_t> scratch(s.size());
  for (size_t i = 0; i < s.size(); ++i) work[i] = hash(s[i]);
  return FindDuplicateString(
      s.size(), [&](size_t i) -> absl::string_view { return s[i]; }, absl::MakeSpan(work),
      absl::MakeSpan(scratch), hash);
}

template <typename Hasher = StableHasher>
std::optional<PositionPair> Conflict(const std::vector<std::string>& s,
                                     const std::vector<bool>& flags, Hasher hash = {}) {
  std::vector<uint64_t> work(s.size());
  std::vector<uint64_t> scratch(s.size());
  for (size_t i = 0; i < s.size(); ++i) work[i] = FlaggedKey(hash(s[i]), flags[i]);
  return FindConflictingFlag(
      s.size(), [&](size_t i) -> absl::string_view { return s[i]; },
      [&](size_t i) { return flags[i]; }, absl::MakeSpan(work), absl::MakeSpan(scratch), hash);
}

TEST(StableHashTest, EqualStringsHashEqualAndNearbyOnesDiffer) {
  EXPECT_EQ(StableHash("house-17"), StableHash(std::string("house-") + "17"));
  EXPECT_NE(StableHash("house-17"), StableHash("house-71"));
  EXPECT_NE(StableHash(""), StableHash(std::string(1, '\0')));
  EXPECT_NE(StableHash("abcdefgh"), StableHash("abcdefgh1"));
}

TEST(FindDuplicateStringTest, FindsTheFirstRepeatInInputOrder) {
  EXPECT_FALSE(Duplicate({}).has_value());
  EXPECT_FALSE(Duplicate({"a", "b", "c"}).has_value());
  auto dup = Duplicate({"a", "b", "c", "d", "b", "a"});
  ASSERT_TRUE(dup.has_value());
  EXPECT_EQ(dup->earlier, 1u);
  EXPECT_EQ(dup->later, 4u);
}

TEST(FindDuplicateStringTest, CollisionsAreConfirmedByComparingStrings) {
  std::vector<std::string> distinct;
  for (int i = 0; i < 300; ++i) distinct.push_back("o-" + std::to_string(i));
  EXPECT_FALSE(Duplicate(distinct, ConstantHasher{}).has_value());
  EXPECT_FALSE(Duplicate(distinct, LengthHasher{}).has_value());
  distinct.push_back("o-123");
  for (auto dup : {Duplicate(distinct, ConstantHasher{}), Duplicate(distinct, LengthHasher{}),
                   Duplicate(distinct)}) {
    ASSERT_TRUE(dup.has_value());
    EXPECT_EQ(dup->earlier, 123u);
    EXPECT_EQ(dup->later, 300u);
  }
}

TEST(FindConflictingFlagTest, FindsAStringWithBothFlags) {
  EXPECT_FALSE(Conflict({"p1", "p2", "p1", "p2"}, {false, true, false, true}).has_value());
  auto both =
      Conflict({"p1", "p2", "p1", "p3", "p2", "p1"}, {false, true, false, true, true, true});
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(both->earlier, 0u);
  EXPECT_EQ(both->later, 5u);
}

TEST(FindConflictingFlagTest, CollisionsAreConfirmedByComparingStrings) {
  // Every participant collides with every other, on opposite sides: no conflict.
  std::vector<std::string> names;
  std::vector<bool> flags;
  for (int i = 0; i < 200; ++i) {
    names.push_back(absl::StrCat("p", i % 100));
    flags.push_back(i % 100 < 50);
  }
  EXPECT_FALSE(Conflict(names, flags, ConstantHasher{}).has_value());
  EXPECT_FALSE(Conflict(names, flags, LengthHasher{}).has_value());
  EXPECT_FALSE(Conflict(names, flags).has_value());
  names.push_back("p7");
  flags.push_back(false);  // p7 sold at 7 and 107; now it buys.
  for (auto both : {Conflict(names, flags, ConstantHasher{}),
                    Conflict(names, flags, LengthHasher{}), Conflict(names, flags)}) {
    ASSERT_TRUE(both.has_value());
    EXPECT_EQ(both->earlier, 7u);
    EXPECT_EQ(both->later, 200u);
  }
}

}  // namespace
}  // namespace peergrid::matching::internal
