// Fuzz target: every MarketService and AdminService request, as the server
// runs it (the services are thin adapters over these Exchange calls), on a
// real zone (fuzz_zone.h). Input: one selector byte, then the request proto.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_zone.h"
#include "peergrid/v1/admin.pb.h"
#include "peergrid/v1/market.pb.h"

namespace peergrid::fuzz {
namespace {

enum Method {
  kSubmitOrder,
  kCancelOrder,
  kGetOrder,
  kListOrders,
  kGetIntervalResult,
  kGetBill,
  kWatchTrades,
  kRegisterHub,
  kRegisterParticipant,
  kSetTariff,
  kMethods
};

template <typename Request>
bool Parse(std::string_view bytes, Request* request) {
  return request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

void Run(int method, std::string_view bytes) {
  exchange::Exchange& ex = Zone().exchange();
  switch (method) {
    case kSubmitOrder: {
      v1::SubmitOrderRequest r;
      if (Parse(bytes, &r)) (void)ex.SubmitOrder(r);
      break;
    }
    case kCancelOrder: {
      v1::CancelOrderRequest r;
      if (Parse(bytes, &r)) (void)ex.CancelOrder(r);
      break;
    }
    case kGetOrder: {
      v1::GetOrderRequest r;
      if (Parse(bytes, &r)) (void)ex.GetOrder(r.order_id());
      break;
    }
    case kListOrders: {
      v1::ListOrdersRequest r;
      if (Parse(bytes, &r)) (void)ex.ListOrders(r);
      break;
    }
    case kGetIntervalResult: {
      v1::GetIntervalResultRequest r;
      if (Parse(bytes, &r)) (void)ex.GetIntervalResult(r.interval_start());
      break;
    }
    case kGetBill: {
      v1::GetBillRequest r;
      if (Parse(bytes, &r)) (void)ex.GetBill(r);
      break;
    }
    case kWatchTrades: {
      // The stream's replay; the live part only forwards broadcast events.
      v1::WatchTradesRequest r;
      if (Parse(bytes, &r)) (void)ex.ClearedSince(r.from_interval_start(), r.participant_id());
      break;
    }
    case kRegisterHub: {
      v1::RegisterHubRequest r;
      if (Parse(bytes, &r)) (void)ex.RegisterHub(r.hub());
      break;
    }
    case kRegisterParticipant: {
      v1::RegisterParticipantRequest r;
      if (Parse(bytes, &r)) (void)ex.RegisterParticipant(r.participant());
      break;
    }
    case kSetTariff: {
      v1::SetTariffRequest r;
      if (Parse(bytes, &r)) (void)ex.SetTariff(r.tariff());
      break;
    }
    default:
      break;
  }
}

}  // namespace
}  // namespace peergrid::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int method = 0;
  std::string_view request;
  if (!peergrid::fuzz::SplitMethod(data, size, peergrid::fuzz::kMethods, &method, &request)) {
    return 0;
  }
  peergrid::fuzz::Run(method, request);
  return 0;
}
