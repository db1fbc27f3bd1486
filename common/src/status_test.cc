#include "peergrid/common/status.h"

#include <memory>

#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

absl::Status FailIf(bool fail) {
  return fail ? absl::InvalidArgumentError("quantity_wh is 0") : absl::OkStatus();
}
absl::StatusOr<std::unique_ptr<int>> MakeInt(bool fail) {
  if (fail) return absl::NotFoundError("no int");
  return std::make_unique<int>(42);
}

absl::Status UseReturnIfError(bool fail, int* reached) {
  PEERGRID_RETURN_IF_ERROR(FailIf(fail));
  *reached = 1;
  return absl::OkStatus();
}

absl::StatusOr<int> UseAssignOrReturn(bool fail) {
  PEERGRID_ASSIGN_OR_RETURN(std::unique_ptr<int> p, MakeInt(fail));  // move-only
  PEERGRID_ASSIGN_OR_RETURN(auto q, MakeInt(false));                 // twice on two lines
  return *p + *q;
}

TEST(StatusMacrosTest, ReturnIfError) {
  int reached = 0;
  EXPECT_THAT(UseReturnIfError(true, &reached),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quantity_wh")));
  EXPECT_EQ(reached, 0);
  EXPECT_THAT(UseReturnIfError(false, &reached), IsOk());
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacrosTest, AssignOrReturn) {
  EXPECT_THAT(UseAssignOrReturn(true), StatusIs(absl::StatusCode::kNotFound, HasSubstr("no int")));
  ASSERT_OK_AND_ASSIGN(int v, UseAssignOrReturn(false));
  EXPECT_EQ(v, 84);
}

TEST(StatusMatchersTest, MatchersCanFail) {
  EXPECT_FALSE(::testing::Matches(IsOk())(absl::InternalError("x")));
  EXPECT_FALSE(::testing::Matches(StatusIs(absl::StatusCode::kInternal, HasSubstr("y")))(
      absl::InternalError("x")));
  EXPECT_FALSE(::testing::Matches(StatusIs(absl::StatusCode::kNotFound, HasSubstr("x")))(
      absl::InternalError("x")));
}

}  // namespace
}  // namespace peergrid
