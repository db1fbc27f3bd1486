#include "peergrid/rpc/grpc_status.h"

#include "gtest/gtest.h"

namespace peergrid::rpc {
namespace {

TEST(GrpcStatusTest, CodesAndMessagesSurviveBothWays) {
  const absl::StatusCode codes[] = {
      absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
      absl::StatusCode::kAlreadyExists,   absl::StatusCode::kFailedPrecondition,
      absl::StatusCode::kUnavailable,     absl::StatusCode::kDataLoss,
      absl::StatusCode::kPermissionDenied};
  for (absl::StatusCode code : codes) {
    absl::Status in(code, "quantity_wh is 0");
    grpc::Status g = ToGrpcStatus(in);
    EXPECT_EQ(static_cast<int>(g.error_code()), static_cast<int>(code));
    EXPECT_EQ(g.error_message(), "quantity_wh is 0");
    EXPECT_EQ(FromGrpcStatus(g), in);
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
  EXPECT_EQ(grpc::StatusCode::INVALID_ARGUMENT,
            ToGrpcStatus(absl::InvalidArgumentError("x")).error_code());
}

}  // namespace
}  // namespace peergrid::rpc
