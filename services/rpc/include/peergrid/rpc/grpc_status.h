// Helpers at the gRPC edge. Statuses: absl::StatusCode and grpc::StatusCode
// are numerically identical (both follow google.rpc.Code), so the conversion
// keeps the code and the message. Client calls: one way to bound them.
// Thread-safe (pure functions).
#ifndef PEERGRID_RPC_GRPC_STATUS_H_
#define PEERGRID_RPC_GRPC_STATUS_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace peergrid::rpc {

// Returns the gRPC status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);
// Returns the absl status with the same code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

// Returns a context for one client call that must finish within `timeout`.
std::unique_ptr<grpc::ClientContext> ContextWithDeadline(absl::Duration timeout);

}  // namespace peergrid::rpc

#endif  // PEERGRID_RPC_GRPC_STATUS_H_
