// The exchange's gRPC services: thin adapters from peergrid.v1 to Exchange and
// Ledger (STYLE.md: the logic lives elsewhere). Each handler first asks the
// Authorizer (one call, the first thing it does), converts absl::Status to
// grpc::Status once, at this edge, and records its latency.
// Thread-safety: thread-safe (gRPC calls them from many threads).
#ifndef PEERGRID_SERVER_EXCHANGE_SERVICES_H_
#define PEERGRID_SERVER_EXCHANGE_SERVICES_H_

#include <functional>
#include <string>

#include "peergrid/exchange/exchange.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/runtime/broadcaster.h"
#include "peergrid/runtime/limiter.h"
#include "peergrid/server/authorizer.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/audit.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"

namespace peergrid::server {

// Called with (method name, seconds) after every RPC, for metrics.
using LatencyObserver = std::function<void(const std::string& method, double seconds)>;

// The per-identity limits (DESIGN.md §9) MarketServiceImpl enforces before
// anything else, counted under Authorizer::LimitKey; a null limiter is no
// limit. Borrowed: they outlive the service.
struct MarketLimits {
  runtime::OrderRateLimiter* orders = nullptr;  // SubmitOrder and CancelOrder
  // WatchTrades; the daemon's one limiter counts every long-lived stream of
  // an identity (WatchTrades, WatchCheckpoints, WatchAlarms, HubService.Report).
  runtime::StreamLimiter* streams = nullptr;
};

// SubmitOrder uses gRPC's callback API: no server thread waits while an order
// becomes durable (the exchange's intake thread finishes the call), so 64 or
// 6,400 orders in flight cost no more threads than one. The other methods are
// synchronous.
class MarketServiceImpl final
    : public v1::MarketService::WithCallbackMethod_SubmitOrder<v1::MarketService::Service> {
 public:
  // Borrows everything; each handler first asks `authorizer`.
  MarketServiceImpl(exchange::Exchange* exchange, runtime::Broadcaster<v1::TradeEvent>* trades,
                    const Authorizer* authorizer, LatencyObserver observe,
                    MarketLimits limits = {});

  grpc::ServerUnaryReactor* SubmitOrder(grpc::CallbackServerContext* context,
                                        const v1::SubmitOrderRequest* request,
                                        v1::SubmitOrderResponse* response) override;
  grpc::Status CancelOrder(grpc::ServerContext* context, const v1::CancelOrderRequest* request,
                           v1::CancelOrderResponse* response) override;
  grpc::Status GetOrder(grpc::ServerContext* context, const v1::GetOrderRequest* request,
                        v1::OrderState* response) override;
  grpc::Status ListOrders(grpc::ServerContext* context, const v1::ListOrdersRequest* request,
                          v1::ListOrdersResponse* response) override;
  grpc::Status GetIntervalResult(grpc::ServerContext* context,
                                 const v1::GetIntervalResultRequest* request,
                                 v1::IntervalResult* response) override;
  grpc::Status WatchTrades(grpc::ServerContext* context, const v1::WatchTradesRequest* request,
                           grpc::ServerWriter<v1::TradeEvent>* writer) override;
  grpc::Status GetBill(grpc::ServerContext* context, const v1::GetBillRequest* request,
                       v1::GetBillResponse* response) override;

 private:
  exchange::Exchange* const exchange_;
  runtime::Broadcaster<v1::TradeEvent>* const trades_;
  const Authorizer* const authorizer_;
  const LatencyObserver observe_;
  const MarketLimits limits_;
};

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  AdminServiceImpl(exchange::Exchange* exchange, const Authorizer* authorizer,
                   LatencyObserver observe);

  grpc::Status RegisterHub(grpc::ServerContext* context, const v1::RegisterHubRequest* request,
                           v1::RegisterResponse* response) override;
  grpc::Status RegisterParticipant(grpc::ServerContext* context,
                                   const v1::RegisterParticipantRequest* request,
                                   v1::RegisterResponse* response) override;
  grpc::Status SetTariff(grpc::ServerContext* context, const v1::SetTariffRequest* request,
                         v1::RegisterResponse* response) override;
  grpc::Status GetZone(grpc::ServerContext* context, const v1::GetZoneRequest* request,
                       v1::Zone* response) override;

 private:
  exchange::Exchange* const exchange_;
  const Authorizer* const authorizer_;
  const LatencyObserver observe_;
};

class AuditServiceImpl final : public v1::AuditService::Service {
 public:
  // `streams` (borrowed, may be null: no limit) bounds each identity's
  // WatchCheckpoints streams (Authorizer::LimitKey; with --insecure, the
  // caller's address).
  AuditServiceImpl(ledger::Ledger* ledger, exchange::Exchange* exchange,
                   runtime::Broadcaster<v1::Checkpoint>* checkpoints, std::string origin,
                   const Authorizer* authorizer, LatencyObserver observe,
                   runtime::StreamLimiter* streams = nullptr);

  grpc::Status GetCheckpoint(grpc::ServerContext* context, const v1::GetCheckpointRequest* request,
                             v1::Checkpoint* response) override;
  grpc::Status WatchCheckpoints(grpc::ServerContext* context,
                                const v1::WatchCheckpointsRequest* request,
                                grpc::ServerWriter<v1::Checkpoint>* writer) override;
  grpc::Status GetEntries(grpc::ServerContext* context, const v1::GetEntriesRequest* request,
                          v1::GetEntriesResponse* response) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* context,
                                 const v1::GetInclusionProofRequest* request,
                                 v1::InclusionProof* response) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* context,
                                   const v1::GetConsistencyProofRequest* request,
                                   v1::ConsistencyProof* response) override;
  grpc::Status GetReceipt(grpc::ServerContext* context, const v1::GetReceiptRequest* request,
                          v1::Receipt* response) override;
  grpc::Status GetVerifierKey(grpc::ServerContext* context,
                              const v1::GetVerifierKeyRequest* request,
                              v1::VerifierKey* response) override;

 private:
  absl::StatusOr<v1::InclusionProof> Inclusion(uint64_t index, uint64_t tree_size) const;

  ledger::Ledger* const ledger_;
  exchange::Exchange* const exchange_;
  runtime::Broadcaster<v1::Checkpoint>* const checkpoints_;
  const std::string origin_;
  const Authorizer* const authorizer_;
  const LatencyObserver observe_;
  runtime::StreamLimiter* const streams_;
};

// Returns the proto form of a signed checkpoint.
v1::Checkpoint CheckpointToProto(const ledger::SignedCheckpoint& checkpoint);

}  // namespace peergrid::server

#endif  // PEERGRID_SERVER_EXCHANGE_SERVICES_H_
