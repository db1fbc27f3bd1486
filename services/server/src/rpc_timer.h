// Helpers shared by the gRPC service adapters: a scoped latency timer and the
// one conversion from absl::StatusOr to a gRPC response.
#ifndef PEERGRID_SERVER_RPC_TIMER_H_
#define PEERGRID_SERVER_RPC_TIMER_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "grpcpp/support/status.h"
#include "peergrid/rpc/grpc_status.h"
#include "peergrid/server/exchange_services.h"

namespace peergrid::server {

// Reports the RPC's wall time to the observer when it goes out of scope.
class RpcTimer {
 public:
  RpcTimer(const LatencyObserver& observe, const char* method)
      : observe_(observe), method_(method), start_(absl::Now()) {}
  ~RpcTimer() {
    if (observe_) observe_(method_, absl::ToDoubleSeconds(absl::Now() - start_));
  }
  RpcTimer(const RpcTimer&) = delete;
  RpcTimer& operator=(const RpcTimer&) = delete;

 private:
  const LatencyObserver& observe_;
  const char* method_;
  const absl::Time start_;
};

// Moves the value into *response on success; returns the status for gRPC.
template <typename T>
grpc::Status Respond(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return rpc::ToGrpcStatus(result.status());
  *response = std::move(result).value();
  return grpc::Status::OK;
}

}  // namespace peergrid::server

#endif  // PEERGRID_SERVER_RPC_TIMER_H_
