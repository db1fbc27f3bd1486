#include "check_client.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"
#include "peergrid/rpc/grpc_status.h"

namespace peergrid::audit::internal {
namespace {

constexpr absl::Duration kRpcDeadline = absl::Seconds(30);

absl::Status Failed(absl::string_view what, const grpc::Status& status) {
  absl::Status s = rpc::FromGrpcStatus(status);
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

}  // namespace

absl::StatusOr<v1::Checkpoint> FetchCheckpoint(v1::AuditService::StubInterface* stub,
                                               uint64_t tree_size) {
  v1::GetCheckpointRequest request;
  request.set_tree_size(tree_size);
  v1::Checkpoint checkpoint;
  auto context = rpc::ContextWithDeadline(kRpcDeadline);
  grpc::Status status = stub->GetCheckpoint(context.get(), request, &checkpoint);
  if (!status.ok()) return Failed(absl::StrCat("GetCheckpoint(", tree_size, ")"), status);
  return checkpoint;
}

absl::StatusOr<std::vector<v1::Checkpoint>> FetchCheckpointHistory(
    v1::AuditService::StubInterface* stub, uint64_t up_to, absl::Duration wait) {
  std::vector<v1::Checkpoint> out;
  if (up_to == 0) return out;
  absl::StatusOr<v1::Checkpoint> first = FetchCheckpoint(stub, 1);
  if (first.ok()) {
    out.push_back(*std::move(first));
  } else if (!absl::IsNotFound(first.status())) {
    return first.status();
  }
  if (up_to == 1) return out;
  v1::WatchCheckpointsRequest request;
  request.set_after_tree_size(1);
  auto context = rpc::ContextWithDeadline(absl::Trunc(wait, absl::Seconds(1)));
  std::unique_ptr<grpc::ClientReaderInterface<v1::Checkpoint>> reader =
      stub->WatchCheckpoints(context.get(), request);
  v1::Checkpoint checkpoint;
  bool reached = false;
  while (!reached && reader->Read(&checkpoint)) {
    if (checkpoint.tree_size() > up_to) break;
    reached = checkpoint.tree_size() == up_to;
    out.push_back(checkpoint);
  }
  context->TryCancel();
  grpc::Status status = reader->Finish();
  if (!reached && !status.ok() && status.error_code() != grpc::StatusCode::CANCELLED &&
      status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
    return Failed("WatchCheckpoints", status);
  }
  std::stable_sort(out.begin(), out.end(), [](const v1::Checkpoint& a, const v1::Checkpoint& b) {
    return a.tree_size() < b.tree_size();
  });
  return out;
}

absl::Status FetchEntries(v1::AuditService::StubInterface* stub, uint64_t start, uint64_t end,
                          std::vector<std::string>* out) {
  v1::GetEntriesRequest request;
  request.set_start(start);
  request.set_end(end);
  v1::GetEntriesResponse response;
  auto context = rpc::ContextWithDeadline(kRpcDeadline);
  const std::string what = absl::StrCat("GetEntries [", start, ", ", end, ")");
  grpc::Status status = stub->GetEntries(context.get(), request, &response);
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && end - start > 1) {
    return FetchEntries(stub, start, start + (end - start) / 2, out);  // a page over the size limit
  }
  if (!status.ok()) return Failed(what, status);
  if (response.start() != start || response.entries_size() == 0 ||
      static_cast<uint64_t>(response.entries_size()) > end - start) {
    return absl::DataLossError(absl::StrCat(what, ": the server returned ", response.entries_size(),
                                            " entries from ", response.start()));
  }
  for (std::string& entry : *response.mutable_entries()) out->push_back(std::move(entry));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ledger::Hash>> FetchConsistencyProof(
    v1::AuditService::StubInterface* stub, uint64_t from_size, uint64_t to_size) {
  v1::GetConsistencyProofRequest request;
  request.set_from_size(from_size);
  request.set_to_size(to_size);
  v1::ConsistencyProof response;
  auto context = rpc::ContextWithDeadline(kRpcDeadline);
  const std::string what = absl::StrCat("GetConsistencyProof(", from_size, ", ", to_size, ")");
  grpc::Status status = stub->GetConsistencyProof(context.get(), request, &response);
  if (!status.ok()) return Failed(what, status);
  std::vector<ledger::Hash> proof;
  for (const std::string& h : response.proof()) {
    absl::StatusOr<ledger::Hash> hash = ledger::HashFromBytes(h, "proof");
    if (!hash.ok()) return absl::DataLossError(absl::StrCat(what, ": ", hash.status().message()));
    proof.push_back(*hash);
  }
  return proof;
}

}  // namespace peergrid::audit::internal
