#include "peergrid/ledger/hash.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/ledger/verify.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::ledger {
namespace {

using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

// The RFC 6962 test leaves (hex), as listed in ../shared/vectors/README.md.
std::vector<std::string> Rfc6962Leaves() {
  std::vector<std::string> leaves;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    leaves.push_back(absl::HexStringToBytes(hex));
  }
  return leaves;
}

// MTH from RFC 9162 §2.1.1, written out recursively as the reference.
Hash NaiveRoot(const std::vector<Hash>& leaves, size_t begin, size_t end) {
  if (end == begin) return Sha256("");
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return NodeHash(NaiveRoot(leaves, begin, begin + k), NaiveRoot(leaves, begin + k, end));
}

std::vector<Hash> LeafHashes(const std::vector<std::string>& leaves, size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) out.push_back(LeafHash(leaves[i]));
  return out;
}

TEST(HashTest, KnownAnswers) {
  EXPECT_EQ(HashToHex(EmptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HashToHex(LeafHash("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  std::vector<std::string> leaves = Rfc6962Leaves();
  ASSERT_OK_AND_ASSIGN(Hash root3, RootFromLeaves(LeafHashes(leaves, 3)));
  EXPECT_EQ(HashToHex(root3), "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77");
  ASSERT_OK_AND_ASSIGN(Hash root8, RootFromLeaves(LeafHashes(leaves, 8)));
  EXPECT_EQ(HashToHex(root8), "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  ASSERT_OK_AND_ASSIGN(Hash root0, RootFromLeaves({}));
  EXPECT_EQ(root0, EmptyRoot());
}

TEST(HashTest, NodeHashIsDomainSeparated) {
  Hash a = LeafHash("a");
  Hash b = LeafHash("b");
  EXPECT_NE(NodeHash(a, b), NodeHash(b, a));
  std::string concat = absl::StrCat(HashBytes(a), HashBytes(b));
  EXPECT_NE(NodeHash(a, b), LeafHash(concat));
  EXPECT_EQ(NodeHash(a, b), Sha256(absl::StrCat("\x01", concat)));
}

TEST(HashTest, Base64RoundTripAndErrors) {
  Hash h = LeafHash("x");
  ASSERT_OK_AND_ASSIGN(Hash back, HashFromBase64(HashToBase64(h)));
  EXPECT_EQ(back, h);
  EXPECT_THAT(HashFromBase64("ZG9uJ3QgY2FyZSAy"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("12 bytes, want 32")));
  EXPECT_THAT(HashFromBase64("not base64!"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid base64")));
  EXPECT_THAT(HashFromBytes("short", "root"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("root has 5 bytes")));
}

TEST(HashTest, RootBuilderMatchesBatchRoot) {
  RootBuilder builder;
  std::vector<Hash> leaves;
  for (int i = 0; i < 70; ++i) {
    leaves.push_back(LeafHash(std::to_string(i)));
    builder.Append(leaves.back());
    Hash want = NaiveRoot(leaves, 0, leaves.size());
    EXPECT_EQ(builder.Root(), want) << "size " << leaves.size();
    ASSERT_OK_AND_ASSIGN(Hash batch, RootFromLeaves(leaves));
    EXPECT_EQ(batch, want) << "size " << leaves.size();
    EXPECT_EQ(builder.size(), leaves.size());
  }
}

}  // namespace
}  // namespace peergrid::ledger
