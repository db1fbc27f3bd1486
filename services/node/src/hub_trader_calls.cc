// HubTrader's calls to the exchange: the zone's tariff and timing, and
// concurrent submissions and cancels (signed with the hub's key when it has
// one). The decisions about what to call are in hub_trader.cc.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/node/hub_trader.h"
#include "peergrid/rpc/grpc_status.h"
#include "peergrid/v1/admin.grpc.pb.h"

namespace peergrid::node {
namespace {

std::string KeyId(const ledger::Signer& signer) {
  return absl::StrCat(absl::Hex(signer.verifier().key_id(), absl::kZeroPad8));
}

}  // namespace

bool HubTrader::RefreshZone() {
  auto admin = v1::AdminService::NewStub(channel_);
  v1::Zone zone;
  grpc::Status status =
      admin->GetZone(rpc::ContextWithDeadline(absl::Seconds(5)).get(), v1::GetZoneRequest(), &zone);
  if (!status.ok() || zone.tariff().retail_price_mcu_per_kwh() <= 0) return false;
  hub::MarketView view;
  view.tariff = matching::Tariff{PriceMcuPerKwh(zone.tariff().feed_in_price_mcu_per_kwh()),
                                 PriceMcuPerKwh(zone.tariff().retail_price_mcu_per_kwh())};
  view.timing.interval_s = zone.interval_s();
  view.timing.gate_lead_s = zone.gate_lead_s();
  view.timing.horizon_s = zone.horizon_s();
  view.timing.settlement_grace_s = zone.settlement_grace_s();
  market_view_ = view;
  return true;
}

std::vector<grpc::Status> HubTrader::Submit(const std::vector<matching::Order>& orders) {
  std::vector<grpc::Status> statuses(orders.size());
  if (orders.empty()) return statuses;
  struct Call {
    grpc::ClientContext context;
    v1::SubmitOrderRequest request;
    v1::SubmitOrderResponse response;
  };
  std::vector<std::unique_ptr<Call>> calls;
  absl::BlockingCounter done(static_cast<int>(orders.size()));
  for (size_t i = 0; i < orders.size(); ++i) {
    auto call = std::make_unique<Call>();
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    *call->request.mutable_order() = convert::ToProto(orders[i]);
    if (signer_) {
      call->request.set_signature(signer_->Sign(convert::OrderSigningText(call->request.order())));
      call->request.set_key_id(KeyId(*signer_));
    }
    Call* raw = call.get();
    calls.push_back(std::move(call));
    grpc::Status* out = &statuses[i];
    market_->async()->SubmitOrder(&raw->context, &raw->request, &raw->response,
                                  [out, &done](grpc::Status status) {
                                    *out = std::move(status);
                                    done.DecrementCount();
                                  });
  }
  done.Wait();
  return statuses;
}

std::vector<grpc::Status> HubTrader::Cancel(const std::vector<matching::Order>& orders) {
  std::vector<grpc::Status> statuses(orders.size());
  if (orders.empty()) return statuses;
  struct Call {
    grpc::ClientContext context;
    v1::CancelOrderRequest request;
    v1::CancelOrderResponse response;
  };
  std::vector<std::unique_ptr<Call>> calls;
  absl::BlockingCounter done(static_cast<int>(orders.size()));
  for (size_t i = 0; i < orders.size(); ++i) {
    auto call = std::make_unique<Call>();
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    call->request.set_order_id(orders[i].order_id.value());
    call->request.set_participant_id(orders[i].participant_id.value());
    if (signer_) {
      call->request.set_signature(signer_->Sign(
          convert::CancelSigningText(call->request.order_id(), call->request.participant_id())));
      call->request.set_key_id(KeyId(*signer_));
    }
    Call* raw = call.get();
    calls.push_back(std::move(call));
    grpc::Status* out = &statuses[i];
    market_->async()->CancelOrder(&raw->context, &raw->request, &raw->response,
                                  [out, &done](grpc::Status status) {
                                    *out = std::move(status);
                                    done.DecrementCount();
                                  });
  }
  done.Wait();
  return statuses;
}

}  // namespace peergrid::node
