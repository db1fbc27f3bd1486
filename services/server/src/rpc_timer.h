// Helpers shared by the gRPC service adapters: a scoped latency timer, the
// one conversion from absl::StatusOr to a gRPC response, and a long-lived
// stream's slot under the per-identity stream limit.
#ifndef PEERGRID_SERVER_RPC_TIMER_H_
#define PEERGRID_SERVER_RPC_TIMER_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "grpcpp/support/status.h"
#include "peergrid/rpc/grpc_status.h"
#include "peergrid/runtime/limiter.h"
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

// Returns a slot for one more long-lived stream counted under `key`
// (Authorizer::LimitKey), released when the slot is destroyed; an empty slot
// when `limiter` is null (no limit). ResourceExhausted naming the key and
// the limit when the key has all its streams open.
inline absl::StatusOr<runtime::StreamSlot> TakeStreamSlot(runtime::StreamLimiter* limiter,
                                                          absl::string_view key) {
  if (limiter == nullptr) return runtime::StreamSlot();
  return limiter->Acquire(key);
}

}  // namespace peergrid::server

#endif  // PEERGRID_SERVER_RPC_TIMER_H_
