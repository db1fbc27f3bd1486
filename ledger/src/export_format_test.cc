// The entries-file record: AppendEntryRecord and ReadEntryRecord round-trip
// any entry, a clean end is not an error, and every kind of damage is
// DataLoss saying what is wrong.
#include "peergrid/ledger/export_format.h"

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::ledger {
namespace {

using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

// An in-memory FILE* over `bytes` (which must outlive it).
std::unique_ptr<std::FILE, int (*)(std::FILE*)> Open(std::string& bytes) {
  // fmemopen of a zero-length buffer is unspecified: give it one unread byte.
  std::FILE* f =
      bytes.empty() ? std::fopen("/dev/null", "rb") : fmemopen(bytes.data(), bytes.size(), "rb");
  return {f, &std::fclose};
}

// Reads every record; the status of the read that ended it.
absl::Status ReadAll(std::string bytes, std::vector<std::string>* out) {
  auto f = Open(bytes);
  std::string entry;
  for (;;) {
    absl::StatusOr<bool> more = ReadEntryRecord(f.get(), &entry);
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
    out->push_back(entry);
  }
}

TEST(EntryRecordTest, RoundTripsEntriesOfEveryShape) {
  const uint64_t seed = 20260621;
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937_64 rng(seed);
  std::vector<std::string> entries = {"", std::string(1, '\0'), "entry-0",
                                      std::string(70'000, '\xff')};
  for (int i = 0; i < 100; ++i) {
    std::string e(rng() % 600, '\0');
    for (char& c : e) c = static_cast<char>(rng());
    entries.push_back(std::move(e));
  }
  std::string bytes;
  for (const std::string& e : entries) AppendEntryRecord(e, &bytes);
  std::vector<std::string> back;
  ASSERT_OK(ReadAll(bytes, &back));
  EXPECT_EQ(back, entries);
}

TEST(EntryRecordTest, TheLengthIsFourBytesBigEndian) {
  std::string bytes;
  AppendEntryRecord(std::string(258, 'x'), &bytes);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x00\x00\x01\x02", 4));
  EXPECT_EQ(bytes.size(), 4u + 258u);
}

TEST(EntryRecordTest, AnEmptyFileIsACleanEnd) {
  std::vector<std::string> back;
  ASSERT_OK(ReadAll("", &back));
  EXPECT_TRUE(back.empty());
}

TEST(EntryRecordTest, DamageIsDataLossSayingWhat) {
  std::string one;
  AppendEntryRecord("entry-1", &one);
  std::vector<std::string> back;
  EXPECT_THAT(ReadAll(one + std::string("\x00\x00", 2), &back),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("is truncated inside its length prefix (has 2 of 4 bytes)")));
  EXPECT_EQ(back, std::vector<std::string>{"entry-1"});  // the intact record came first
  back.clear();
  EXPECT_THAT(ReadAll(one.substr(0, one.size() - 3), &back),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("is truncated (has 4 of 7 bytes)")));
  EXPECT_TRUE(back.empty());
  EXPECT_THAT(ReadAll(std::string("\xff\xff\xff\xff", 4) + "x", &back),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr(absl::StrCat("claims 4294967295 bytes, over the limit of ",
                                              kMaxEntryBytes))));
}

}  // namespace
}  // namespace peergrid::ledger
