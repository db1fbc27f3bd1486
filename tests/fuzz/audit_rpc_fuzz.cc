// Fuzz target: every unary AuditService and OperatorService request, through
// the service handlers themselves (their range checks are the validation), on
// a real zone (fuzz_zone.h). Input: one selector byte, then the request proto.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_zone.h"
#include "grpcpp/server_context.h"
#include "peergrid/v1/audit.pb.h"
#include "peergrid/v1/operator.pb.h"

namespace peergrid::fuzz {
namespace {

enum Method {
  kGetCheckpoint,
  kGetEntries,
  kGetInclusionProof,
  kGetConsistencyProof,
  kGetReceipt,
  kGetVerifierKey,
  kListHubs,
  kGetHub,
  kListBatteries,
  kGetBatteryHistory,
  kMethods
};

// Parses `bytes` as Request and calls `handler(context, &request, &response)`.
template <typename Request, typename Response, typename Service, typename Handler>
void Call(std::string_view bytes, Service* service, Handler handler) {
  Request request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  Response response;
  grpc::ServerContext context;
  (void)(service->*handler)(&context, &request, &response);
}

void Run(int method, std::string_view b) {
  server::AuditServiceImpl* audit = &Zone().audit();
  server::OperatorServiceImpl* op = &Zone().operator_service();
  using server::AuditServiceImpl;
  using server::OperatorServiceImpl;
  switch (method) {
    case kGetCheckpoint:
      Call<v1::GetCheckpointRequest, v1::Checkpoint>(b, audit, &AuditServiceImpl::GetCheckpoint);
      break;
    case kGetEntries:
      Call<v1::GetEntriesRequest, v1::GetEntriesResponse>(b, audit, &AuditServiceImpl::GetEntries);
      break;
    case kGetInclusionProof:
      Call<v1::GetInclusionProofRequest, v1::InclusionProof>(b, audit,
                                                             &AuditServiceImpl::GetInclusionProof);
      break;
    case kGetConsistencyProof:
      Call<v1::GetConsistencyProofRequest, v1::ConsistencyProof>(
          b, audit, &AuditServiceImpl::GetConsistencyProof);
      break;
    case kGetReceipt:
      Call<v1::GetReceiptRequest, v1::Receipt>(b, audit, &AuditServiceImpl::GetReceipt);
      break;
    case kGetVerifierKey:
      Call<v1::GetVerifierKeyRequest, v1::VerifierKey>(b, audit, &AuditServiceImpl::GetVerifierKey);
      break;
    case kListHubs:
      Call<v1::ListHubsRequest, v1::ListHubsResponse>(b, op, &OperatorServiceImpl::ListHubs);
      break;
    case kGetHub:
      Call<v1::GetHubRequest, v1::HubStatus>(b, op, &OperatorServiceImpl::GetHub);
      break;
    case kListBatteries:
      Call<v1::ListBatteriesRequest, v1::ListBatteriesResponse>(
          b, op, &OperatorServiceImpl::ListBatteries);
      break;
    case kGetBatteryHistory:
      Call<v1::GetBatteryHistoryRequest, v1::GetBatteryHistoryResponse>(
          b, op, &OperatorServiceImpl::GetBatteryHistory);
      break;
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
