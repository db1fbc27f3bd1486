// FromRocks: every RocksDB code maps to the canonical absl code of
// rocks_status.h, and the message says what was being done.
#include "peergrid/storage/rocks_status.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::storage {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(RocksStatusTest, OkIsOk) {
  EXPECT_THAT(FromRocks(rocksdb::Status::OK(), "anything"), IsOk());
  EXPECT_EQ(RocksCode(rocksdb::Status::OK()), absl::StatusCode::kOk);
}

TEST(RocksStatusTest, EachCodeMapsToItsCanonicalCode) {
  const std::vector<std::pair<rocksdb::Status, absl::StatusCode>> cases = {
      {rocksdb::Status::NotFound("k"), absl::StatusCode::kNotFound},
      {rocksdb::Status::Corruption("bad block"), absl::StatusCode::kDataLoss},
      {rocksdb::Status::IOError("disk"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::NoSpace("full"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::PathNotFound("gone"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::Busy("lock"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::TimedOut("slow"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::TryAgain("later"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::ShutdownInProgress("closing"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::InvalidArgument("does not exist"), absl::StatusCode::kFailedPrecondition},
      {rocksdb::Status::NotSupported("no"), absl::StatusCode::kUnimplemented},
      {rocksdb::Status::Aborted("stop"), absl::StatusCode::kAborted},
      {rocksdb::Status::Incomplete("partial"), absl::StatusCode::kInternal},
      {rocksdb::Status::MergeInProgress("merge"), absl::StatusCode::kInternal},
  };
  for (const auto& [rocks, code] : cases) {
    EXPECT_EQ(RocksCode(rocks), code) << rocks.ToString();
    EXPECT_THAT(FromRocks(rocks, "doing it"), StatusIs(code, HasSubstr("doing it")))
        << rocks.ToString();
  }
}

TEST(RocksStatusTest, MessageNamesWhatWasDoneAndWhatRocksdbSaid) {
  EXPECT_THAT(FromRocks(rocksdb::Status::Corruption("block checksum mismatch"), "reading entry 7"),
              StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr("reading entry 7: rocksdb: "),
                                                          HasSubstr("block checksum mismatch"))));
}

TEST(RocksStatusTest, ViewSeesTheSliceBytes) {
  const std::string bytes("a\0b", 3);
  EXPECT_EQ(View(rocksdb::Slice(bytes)), absl::string_view(bytes));
}

}  // namespace
}  // namespace peergrid::storage
