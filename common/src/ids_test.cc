#include "peergrid/common/ids.h"

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

TEST(IdsTest, ValidIds) {
  EXPECT_THAT(ValidateId("participant_id", "jeju-1:h042"), IsOk());
  EXPECT_THAT(ValidateId("hub_id", "Hub_1.a"), IsOk());
}

TEST(IdsTest, InvalidIdsNameTheField) {
  EXPECT_THAT(ValidateId("participant_id", ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("participant_id is empty")));
  EXPECT_THAT(ValidateId("hub_id", "a b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hub_id \"a b\"")));
  EXPECT_THAT(
      ValidateId("order_id", std::string(129, 'x')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is longer than 128 bytes (129)")));
}

TEST(IdsTest, StrongTypesCompareAndHash) {
  ParticipantId a("a"), b("b");
  EXPECT_LT(a, b);
  EXPECT_EQ(a, ParticipantId("a"));
  absl::flat_hash_set<ParticipantId> set = {a, b, ParticipantId("a")};
  EXPECT_EQ(set.size(), 2u);
}

}  // namespace
}  // namespace peergrid
