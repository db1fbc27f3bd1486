// Converts statuses at the gRPC edge. absl::StatusCode and grpc::StatusCode
// are numerically identical (both follow google.rpc.Code), so the conversion
// keeps the code and the message. Thread-safe (pure functions).
#ifndef PEERGRID_SERVICES_GRPC_STATUS_H_
#define PEERGRID_SERVICES_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace peergrid::services {

// Returns the gRPC status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);
// Returns the absl status with the same code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace peergrid::services

#endif  // PEERGRID_SERVICES_GRPC_STATUS_H_
