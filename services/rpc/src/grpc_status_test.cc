#include "peergrid/rpc/grpc_status.h"

#include <string>

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

TEST(GrpcStatusTest, NoMessageLeavesLongerThanTheCap) {
  // Whatever a message quotes, what goes on the wire is bounded.
  const grpc::Status g = ToGrpcStatus(absl::InvalidArgumentError(std::string(4 << 20, 'x')));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(g.error_message().size(), 1024u);
  EXPECT_EQ(g.error_message().substr(0, 10), "xxxxxxxxxx");
}

}  // namespace
}  // namespace peergrid::rpc
