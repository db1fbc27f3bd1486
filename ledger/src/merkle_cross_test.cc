// Cross-checks the in-memory tree (and the ledger on top of it) against a
// naive recursive RFC 9162 §2.1 implementation for every size 0..1000: roots,
// every inclusion proof and every consistency proof, each also verified.
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "gtest/gtest.h"
#include "merkle_tree.h"
#include "peergrid/ledger/hash.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/verify.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::ledger {
namespace {

constexpr uint64_t kMaxSize = 1000;

uint64_t Seed() {
  const char* env = std::getenv("PEERGRID_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 20260621;
}

std::vector<std::string> RandomEntries(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> entries(n);
  for (std::string& e : entries) {
    e.resize(rng() % 80);  // includes empty entries
    for (char& c : e) c = static_cast<char>(rng());
  }
  return entries;
}

// RFC 9162 §2.1 written out as defined: MTH, PATH and PROOF/SUBPROOF over the
// entries D[begin:end), with MTH memoized so all sizes stay fast.
class NaiveTree {
 public:
  explicit NaiveTree(const std::vector<std::string>& entries) : entries_(entries) {}

  Hash Mth(uint64_t begin, uint64_t end) {
    if (end == begin) return Sha256("");
    auto it = memo_.find({begin, end});
    if (it != memo_.end()) return it->second;
    Hash h;
    if (end - begin == 1) {
      h = Sha256(std::string(1, '\0') + entries_[begin]);
    } else {
      uint64_t k = Split(end - begin);
      Hash l = Mth(begin, begin + k);
      Hash r = Mth(begin + k, end);
      h = Sha256(std::string(1, '\1') + HashBytes(l) + HashBytes(r));
    }
    memo_[{begin, end}] = h;
    return h;
  }

  std::vector<Hash> Path(uint64_t m, uint64_t begin, uint64_t end) {
    uint64_t n = end - begin;
    if (n == 1) return {};
    uint64_t k = Split(n);
    std::vector<Hash> out;
    if (m < k) {
      out = Path(m, begin, begin + k);
      out.push_back(Mth(begin + k, end));
    } else {
      out = Path(m - k, begin + k, end);
      out.push_back(Mth(begin, begin + k));
    }
    return out;
  }

  std::vector<Hash> Subproof(uint64_t m, uint64_t begin, uint64_t end, bool b) {
    uint64_t n = end - begin;
    if (m == n) {
      if (b) return {};
      return {Mth(begin, end)};
    }
    uint64_t k = Split(n);
    std::vector<Hash> out;
    if (m <= k) {
      out = Subproof(m, begin, begin + k, b);
      out.push_back(Mth(begin + k, end));
    } else {
      out = Subproof(m - k, begin + k, end, false);
      out.push_back(Mth(begin, begin + k));
    }
    return out;
  }

 private:
  // The largest power of two smaller than n.
  static uint64_t Split(uint64_t n) {
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }

  const std::vector<std::string>& entries_;
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, Hash> memo_;
};

class MerkleCrossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = Seed();
    std::cout << "seed " << seed_ << " (set PEERGRID_SEED to reproduce)\n";
    entries_ = RandomEntries(seed_, kMaxSize);
    std::vector<Hash> leaves;
    for (const std::string& e : entries_) leaves.push_back(LeafHash(e));
    // Append in uneven chunks, as group commits would.
    std::mt19937_64 rng(seed_ + 1);
    for (size_t i = 0; i < leaves.size();) {
      size_t n = std::min<size_t>(1 + rng() % 37, leaves.size() - i);
      tree_.Append(absl::MakeConstSpan(leaves).subspan(i, n), nullptr);
      i += n;
    }
  }

  uint64_t seed_ = 0;
  std::vector<std::string> entries_;
  MerkleTree tree_;
};

TEST_F(MerkleCrossTest, RootsAndInclusionProofs) {
  NaiveTree naive(entries_);
  for (uint64_t n = 0; n <= kMaxSize; ++n) {
    ASSERT_OK_AND_ASSIGN(Hash root, tree_.Root(n));
    ASSERT_EQ(root, naive.Mth(0, n)) << "size " << n << " seed " << seed_;
    for (uint64_t m = 0; m < n; ++m) {
      ASSERT_OK_AND_ASSIGN(std::vector<Hash> path, tree_.InclusionPath(m, n));
      ASSERT_EQ(path, naive.Path(m, 0, n)) << "index " << m << " size " << n;
      ASSERT_OK(VerifyInclusion(naive.Mth(m, m + 1), m, n, path, root))
          << "index " << m << " size " << n;
    }
  }
}

TEST_F(MerkleCrossTest, ConsistencyProofs) {
  NaiveTree naive(entries_);
  for (uint64_t n = 1; n <= kMaxSize; ++n) {
    Hash root2 = naive.Mth(0, n);
    for (uint64_t m = 1; m <= n; ++m) {
      ASSERT_OK_AND_ASSIGN(std::vector<Hash> path, tree_.ConsistencyPath(m, n));
      std::vector<Hash> want = m == n ? std::vector<Hash>{} : naive.Subproof(m, 0, n, true);
      ASSERT_EQ(path, want) << "sizes " << m << " " << n;
      ASSERT_OK(VerifyConsistency(m, n, naive.Mth(0, m), root2, path)) << "sizes " << m << " " << n;
    }
  }
}

TEST_F(MerkleCrossTest, TamperedProofsAreRejected) {
  std::mt19937_64 rng(seed_ + 2);
  for (int trial = 0; trial < 2000; ++trial) {
    uint64_t n = 2 + rng() % (kMaxSize - 1);
    uint64_t m = rng() % n;
    ASSERT_OK_AND_ASSIGN(Hash root, tree_.Root(n));
    ASSERT_OK_AND_ASSIGN(std::vector<Hash> path, tree_.InclusionPath(m, n));
    ASSERT_OK_AND_ASSIGN(Hash leaf, tree_.Leaf(m));
    std::vector<Hash> bad = path;
    bad[rng() % bad.size()][rng() % 32] ^= static_cast<uint8_t>(1 + rng() % 255);
    EXPECT_FALSE(VerifyInclusion(leaf, m, n, bad, root).ok()) << m << " " << n;
    Hash wrong_leaf = leaf;
    wrong_leaf[rng() % 32] ^= 0x80;
    EXPECT_FALSE(VerifyInclusion(wrong_leaf, m, n, path, root).ok()) << m << " " << n;
    uint64_t m1 = 1 + rng() % (n - 1);
    ASSERT_OK_AND_ASSIGN(std::vector<Hash> cpath, tree_.ConsistencyPath(m1, n));
    ASSERT_OK_AND_ASSIGN(Hash root1, tree_.Root(m1));
    std::vector<Hash> cbad = cpath;
    cbad[rng() % cbad.size()][rng() % 32] ^= static_cast<uint8_t>(1 + rng() % 255);
    EXPECT_FALSE(VerifyConsistency(m1, n, root1, root, cbad).ok()) << m1 << " " << n;
  }
}

// The same cross-check through the whole ledger (RocksDB, group commit) on a
// smaller log, appended in uneven batches.
TEST(LedgerCrossTest, LedgerMatchesNaive) {
  std::vector<std::string> entries = RandomEntries(Seed() + 3, 150);
  LedgerOptions options;
  options.origin = "peergrid/cross";
  ASSERT_OK_AND_ASSIGN(auto ledger,
                       Ledger::Open(peergrid::testing::FreshTempDir("ledger_cross"), options));
  std::mt19937_64 rng(Seed() + 4);
  for (size_t i = 0; i < entries.size();) {
    size_t n = std::min<size_t>(1 + rng() % 9, entries.size() - i);
    std::vector<std::string> batch(entries.begin() + i, entries.begin() + i + n);
    ASSERT_OK_AND_ASSIGN(uint64_t first, ledger->AppendBatch(batch));
    ASSERT_EQ(first, i);
    i += n;
  }
  NaiveTree naive(entries);
  for (uint64_t n = 0; n <= entries.size(); ++n) {
    ASSERT_OK_AND_ASSIGN(Hash root, ledger->RootAt(n));
    ASSERT_EQ(root, naive.Mth(0, n)) << n;
    for (uint64_t m = 0; m < n; ++m) {
      ASSERT_OK_AND_ASSIGN(InclusionProof p, ledger->ProveInclusion(m, n));
      ASSERT_EQ(p.path, naive.Path(m, 0, n)) << m << " " << n;
      if (m > 0) {
        ASSERT_OK_AND_ASSIGN(ConsistencyProof c, ledger->ProveConsistency(m, n));
        ASSERT_EQ(c.path, m == n ? std::vector<Hash>{} : naive.Subproof(m, 0, n, true));
      }
    }
  }
}

}  // namespace
}  // namespace peergrid::ledger
