#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/rpc/grpc_status.h"
#include "peergrid/server/exchange_services.h"
#include "rpc_timer.h"

namespace peergrid::server {

namespace {

// The key of `participant_id`'s limits under --insecure (Authorizer::LimitKey).
std::string ParticipantKey(const std::string& participant_id) {
  return absl::StrCat("participant/", participant_id);
}

}  // namespace

MarketServiceImpl::MarketServiceImpl(exchange::Exchange* exchange,
                                     runtime::Broadcaster<v1::TradeEvent>* trades,
                                     const Authorizer* authorizer, LatencyObserver observe,
                                     MarketLimits limits)
    : exchange_(exchange),
      trades_(trades),
      authorizer_(authorizer),
      observe_(std::move(observe)),
      limits_(limits) {}

grpc::ServerUnaryReactor* MarketServiceImpl::SubmitOrder(grpc::CallbackServerContext* context,
                                                         const v1::SubmitOrderRequest* request,
                                                         v1::SubmitOrderResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  rpc::PeerIdentity caller;
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::MarketService::service_full_name(), "SubmitOrder"), *request,
          &caller);
      !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  // Request and response live until Finish; the timer until the answer.
  auto timer = std::make_shared<RpcTimer>(observe_, "SubmitOrder");
  if (limits_.orders != nullptr) {
    absl::Status allowed = limits_.orders->Acquire(
        authorizer_->LimitKey(caller, ParticipantKey(request->order().participant_id())));
    if (!allowed.ok()) {
      reactor->Finish(rpc::ToGrpcStatus(allowed));
      return reactor;
    }
  }
  exchange_->SubmitOrderAsync(
      *request, [reactor, response, timer](absl::StatusOr<v1::SubmitOrderResponse> result) {
        reactor->Finish(Respond(std::move(result), response));
      });
  return reactor;
}

grpc::Status MarketServiceImpl::CancelOrder(grpc::ServerContext* context,
                                            const v1::CancelOrderRequest* request,
                                            v1::CancelOrderResponse* response) {
  rpc::PeerIdentity caller;
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::MarketService::service_full_name(), "CancelOrder"), *request,
          &caller);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "CancelOrder");
  if (limits_.orders != nullptr) {
    absl::Status allowed = limits_.orders->Acquire(
        authorizer_->LimitKey(caller, ParticipantKey(request->participant_id())));
    if (!allowed.ok()) return rpc::ToGrpcStatus(allowed);
  }
  return Respond(exchange_->CancelOrder(*request), response);
}

grpc::Status MarketServiceImpl::GetOrder(grpc::ServerContext* context,
                                         const v1::GetOrderRequest* request,
                                         v1::OrderState* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::MarketService::service_full_name(), "GetOrder"), *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "GetOrder");
  return Respond(exchange_->GetOrder(request->order_id()), response);
}

grpc::Status MarketServiceImpl::ListOrders(grpc::ServerContext* context,
                                           const v1::ListOrdersRequest* request,
                                           v1::ListOrdersResponse* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::MarketService::service_full_name(), "ListOrders"), *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "ListOrders");
  return Respond(exchange_->ListOrders(*request), response);
}

grpc::Status MarketServiceImpl::GetIntervalResult(grpc::ServerContext* context,
                                                  const v1::GetIntervalResultRequest* request,
                                                  v1::IntervalResult* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::MarketService::service_full_name(), "GetIntervalResult"),
          *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "GetIntervalResult");
  return Respond(exchange_->GetIntervalResult(request->interval_start()), response);
}

grpc::Status MarketServiceImpl::GetBill(grpc::ServerContext* context,
                                        const v1::GetBillRequest* request,
                                        v1::GetBillResponse* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::MarketService::service_full_name(), "GetBill"), *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "GetBill");
  return Respond(exchange_->GetBill(*request), response);
}

grpc::Status MarketServiceImpl::WatchTrades(grpc::ServerContext* context,
                                            const v1::WatchTradesRequest* request,
                                            grpc::ServerWriter<v1::TradeEvent>* writer) {
  rpc::PeerIdentity caller;
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::MarketService::service_full_name(), "WatchTrades"), *request,
          &caller);
      !s.ok()) {
    return s;
  }
  const std::string& who = request->participant_id();
  // Held until the handler returns: the stream ended, was cancelled or broke.
  absl::StatusOr<runtime::StreamSlot> slot =
      TakeStreamSlot(limits_.streams, authorizer_->LimitKey(caller, ParticipantKey(who)));
  if (!slot.ok()) return rpc::ToGrpcStatus(slot.status());
  // Tell the client the stream is live before the first event.
  writer->SendInitialMetadata();
  // Take the cursor before the replay so nothing cleared in between is lost;
  // an interval replayed and then seen live is skipped by its start.
  uint64_t cursor = trades_->Cursor();
  int64_t last_sent = -1;
  if (request->from_interval_start() != 0) {
    for (const v1::TradeEvent& event :
         exchange_->ClearedSince(request->from_interval_start(), who)) {
      if (!writer->Write(event)) return grpc::Status::OK;
      last_sent = event.interval_start();
    }
  }
  while (!context->IsCancelled()) {
    std::vector<v1::TradeEvent> events;
    if (!trades_->WaitAfter(&cursor, absl::Now() + absl::Milliseconds(250), &events)) break;
    for (v1::TradeEvent& event : events) {
      if (event.interval_start() <= last_sent) continue;
      if (!who.empty()) {
        v1::TradeEvent mine = event;
        mine.clear_fills();
        for (const v1::Fill& fill : event.fills()) {
          if (fill.buyer_id() == who || fill.seller_id() == who) *mine.add_fills() = fill;
        }
        event = std::move(mine);
      }
      if (!writer->Write(event)) return grpc::Status::OK;
      last_sent = event.interval_start();
    }
  }
  return grpc::Status::OK;
}

AdminServiceImpl::AdminServiceImpl(exchange::Exchange* exchange, const Authorizer* authorizer,
                                   LatencyObserver observe)
    : exchange_(exchange), authorizer_(authorizer), observe_(std::move(observe)) {}

grpc::Status AdminServiceImpl::RegisterHub(grpc::ServerContext* context,
                                           const v1::RegisterHubRequest* request,
                                           v1::RegisterResponse* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AdminService::service_full_name(), "RegisterHub"), *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "RegisterHub");
  absl::StatusOr<uint64_t> index = exchange_->RegisterHub(request->hub());
  if (index.ok()) response->set_ledger_index(*index);
  return rpc::ToGrpcStatus(index.status());
}

grpc::Status AdminServiceImpl::RegisterParticipant(grpc::ServerContext* context,
                                                   const v1::RegisterParticipantRequest* request,
                                                   v1::RegisterResponse* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AdminService::service_full_name(), "RegisterParticipant"),
          *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "RegisterParticipant");
  absl::StatusOr<uint64_t> index = exchange_->RegisterParticipant(request->participant());
  if (index.ok()) response->set_ledger_index(*index);
  return rpc::ToGrpcStatus(index.status());
}

grpc::Status AdminServiceImpl::SetTariff(grpc::ServerContext* context,
                                         const v1::SetTariffRequest* request,
                                         v1::RegisterResponse* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AdminService::service_full_name(), "SetTariff"), *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "SetTariff");
  absl::StatusOr<uint64_t> index = exchange_->SetTariff(request->tariff());
  if (index.ok()) response->set_ledger_index(*index);
  return rpc::ToGrpcStatus(index.status());
}

grpc::Status AdminServiceImpl::GetZone(grpc::ServerContext* context,
                                       const v1::GetZoneRequest* request, v1::Zone* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AdminService::service_full_name(), "GetZone"), *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "GetZone");
  *response = exchange_->GetZone();
  return grpc::Status::OK;
}

}  // namespace peergrid::server
