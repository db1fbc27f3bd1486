#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/hash.h"
#include "peergrid/rpc/grpc_status.h"
#include "peergrid/server/exchange_services.h"
#include "rpc_timer.h"

namespace peergrid::server {
namespace {

constexpr uint64_t kMaxEntriesPerCall = 1000;

}  // namespace

v1::Checkpoint CheckpointToProto(const ledger::SignedCheckpoint& checkpoint) {
  v1::Checkpoint out;
  out.set_note(checkpoint.note);
  out.set_origin(checkpoint.checkpoint.origin);
  out.set_tree_size(checkpoint.checkpoint.tree_size);
  out.set_root_hash(ledger::HashBytes(checkpoint.checkpoint.root));
  return out;
}

AuditServiceImpl::AuditServiceImpl(ledger::Ledger* ledger, exchange::Exchange* exchange,
                                   runtime::Broadcaster<v1::Checkpoint>* checkpoints,
                                   std::string origin, const Authorizer* authorizer,
                                   LatencyObserver observe, runtime::StreamLimiter* streams)
    : ledger_(ledger),
      exchange_(exchange),
      checkpoints_(checkpoints),
      origin_(std::move(origin)),
      authorizer_(authorizer),
      observe_(std::move(observe)),
      streams_(streams) {}

grpc::Status AuditServiceImpl::GetCheckpoint(grpc::ServerContext* context,
                                             const v1::GetCheckpointRequest* request,
                                             v1::Checkpoint* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AuditService::service_full_name(), "GetCheckpoint"), *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "GetCheckpoint");
  absl::StatusOr<ledger::SignedCheckpoint> checkpoint =
      request->tree_size() == 0 ? ledger_->LatestCheckpoint()
                                : ledger_->CheckpointAt(request->tree_size());
  if (!checkpoint.ok()) return rpc::ToGrpcStatus(checkpoint.status());
  *response = CheckpointToProto(*checkpoint);
  return grpc::Status::OK;
}

grpc::Status AuditServiceImpl::WatchCheckpoints(grpc::ServerContext* context,
                                                const v1::WatchCheckpointsRequest* request,
                                                grpc::ServerWriter<v1::Checkpoint>* writer) {
  rpc::PeerIdentity caller;
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AuditService::service_full_name(), "WatchCheckpoints"), *request,
          &caller);
      !s.ok()) {
    return s;
  }
  // Held until the handler returns: the stream ended, was cancelled or broke.
  absl::StatusOr<runtime::StreamSlot> slot =
      TakeStreamSlot(streams_, authorizer_->LimitKey(caller, PeerKey(*context)));
  if (!slot.ok()) return rpc::ToGrpcStatus(slot.status());
  // Tell the client the stream is live before the first event.
  writer->SendInitialMetadata();
  uint64_t cursor = checkpoints_->Cursor();
  uint64_t sent_size = request->after_tree_size();
  if (sent_size == 0) {
    absl::StatusOr<ledger::SignedCheckpoint> latest = ledger_->LatestCheckpoint();
    if (latest.ok()) {
      if (!writer->Write(CheckpointToProto(*latest))) return grpc::Status::OK;
      sent_size = latest->checkpoint.tree_size;
    }
  } else {
    absl::StatusOr<std::vector<ledger::SignedCheckpoint>> history = ledger_->Checkpoints(sent_size);
    if (!history.ok()) return rpc::ToGrpcStatus(history.status());
    for (const ledger::SignedCheckpoint& c : *history) {
      if (!writer->Write(CheckpointToProto(c))) return grpc::Status::OK;
      sent_size = std::max(sent_size, c.checkpoint.tree_size);
    }
  }
  while (!context->IsCancelled()) {
    std::vector<v1::Checkpoint> fresh;
    if (!checkpoints_->WaitAfter(&cursor, absl::Now() + absl::Milliseconds(250), &fresh)) break;
    for (const v1::Checkpoint& c : fresh) {
      if (c.tree_size() <= sent_size) continue;
      if (!writer->Write(c)) return grpc::Status::OK;
      sent_size = c.tree_size();
    }
  }
  return grpc::Status::OK;
}

grpc::Status AuditServiceImpl::GetEntries(grpc::ServerContext* context,
                                          const v1::GetEntriesRequest* request,
                                          v1::GetEntriesResponse* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AuditService::service_full_name(), "GetEntries"), *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "GetEntries");
  const uint64_t size = ledger_->Size();
  if (request->start() >= size) {
    return rpc::ToGrpcStatus(absl::OutOfRangeError(
        absl::StrCat("start ", request->start(), " is not below the tree size ", size)));
  }
  if (request->end() <= request->start()) {
    return rpc::ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("end ", request->end(), " must exceed start ", request->start())));
  }
  const uint64_t end = std::min({request->end(), size, request->start() + kMaxEntriesPerCall});
  absl::StatusOr<std::vector<std::string>> entries = ledger_->GetEntries(request->start(), end);
  if (!entries.ok()) return rpc::ToGrpcStatus(entries.status());
  response->set_start(request->start());
  for (std::string& entry : *entries) response->add_entries(std::move(entry));
  return grpc::Status::OK;
}

absl::StatusOr<v1::InclusionProof> AuditServiceImpl::Inclusion(uint64_t index,
                                                               uint64_t tree_size) const {
  if (tree_size == 0) {
    PEERGRID_ASSIGN_OR_RETURN(ledger::SignedCheckpoint latest, ledger_->LatestCheckpoint());
    tree_size = latest.checkpoint.tree_size;
  }
  PEERGRID_ASSIGN_OR_RETURN(ledger::InclusionProof proof,
                            ledger_->ProveInclusion(index, tree_size));
  PEERGRID_ASSIGN_OR_RETURN(std::string entry, ledger_->GetEntry(index));
  PEERGRID_ASSIGN_OR_RETURN(ledger::Hash root, ledger_->RootAt(tree_size));
  v1::InclusionProof out;
  out.set_leaf_index(index);
  out.set_tree_size(tree_size);
  out.set_leaf_hash(ledger::HashBytes(ledger::LeafHash(entry)));
  for (const ledger::Hash& h : proof.path) out.add_proof(ledger::HashBytes(h));
  out.set_root_hash(ledger::HashBytes(root));
  return out;
}

grpc::Status AuditServiceImpl::GetInclusionProof(grpc::ServerContext* context,
                                                 const v1::GetInclusionProofRequest* request,
                                                 v1::InclusionProof* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AuditService::service_full_name(), "GetInclusionProof"),
          *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "GetInclusionProof");
  uint64_t index = 0;
  switch (request->target_case()) {
    case v1::GetInclusionProofRequest::kIndex:
      index = request->index();
      break;
    case v1::GetInclusionProofRequest::kOrderId: {
      absl::StatusOr<uint64_t> found = exchange_->OrderIndex(request->order_id());
      if (!found.ok()) return rpc::ToGrpcStatus(found.status());
      index = *found;
      break;
    }
    case v1::GetInclusionProofRequest::TARGET_NOT_SET:
      return rpc::ToGrpcStatus(absl::InvalidArgumentError("target: set index or order_id"));
  }
  return Respond(Inclusion(index, request->tree_size()), response);
}

grpc::Status AuditServiceImpl::GetConsistencyProof(grpc::ServerContext* context,
                                                   const v1::GetConsistencyProofRequest* request,
                                                   v1::ConsistencyProof* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AuditService::service_full_name(), "GetConsistencyProof"),
          *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "GetConsistencyProof");
  absl::StatusOr<ledger::ConsistencyProof> proof =
      ledger_->ProveConsistency(request->from_size(), request->to_size());
  if (!proof.ok()) return rpc::ToGrpcStatus(proof.status());
  absl::StatusOr<ledger::Hash> from_root = ledger_->RootAt(request->from_size());
  absl::StatusOr<ledger::Hash> to_root = ledger_->RootAt(request->to_size());
  if (!from_root.ok()) return rpc::ToGrpcStatus(from_root.status());
  if (!to_root.ok()) return rpc::ToGrpcStatus(to_root.status());
  response->set_from_size(request->from_size());
  response->set_to_size(request->to_size());
  for (const ledger::Hash& h : proof->path) response->add_proof(ledger::HashBytes(h));
  response->set_from_root_hash(ledger::HashBytes(*from_root));
  response->set_to_root_hash(ledger::HashBytes(*to_root));
  return grpc::Status::OK;
}

grpc::Status AuditServiceImpl::GetReceipt(grpc::ServerContext* context,
                                          const v1::GetReceiptRequest* request,
                                          v1::Receipt* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AuditService::service_full_name(), "GetReceipt"), *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "GetReceipt");
  absl::StatusOr<uint64_t> index = exchange_->OrderIndex(request->order_id());
  if (!index.ok()) return rpc::ToGrpcStatus(index.status());
  // Make sure a checkpoint covers the order before proving against it.
  absl::StatusOr<ledger::SignedCheckpoint> checkpoint = ledger_->LatestCheckpoint();
  if (!checkpoint.ok() || checkpoint->checkpoint.tree_size <= *index) {
    absl::Status signed_now = exchange_->SignCheckpoint();
    if (!signed_now.ok()) return rpc::ToGrpcStatus(signed_now);
    checkpoint = ledger_->LatestCheckpoint();
    if (!checkpoint.ok()) return rpc::ToGrpcStatus(checkpoint.status());
  }
  absl::StatusOr<v1::InclusionProof> proof = Inclusion(*index, checkpoint->checkpoint.tree_size);
  if (!proof.ok()) return rpc::ToGrpcStatus(proof.status());
  absl::StatusOr<std::string> entry = ledger_->GetEntry(*index);
  if (!entry.ok()) return rpc::ToGrpcStatus(entry.status());
  response->set_index(*index);
  response->set_entry(*std::move(entry));
  *response->mutable_inclusion() = *std::move(proof);
  *response->mutable_checkpoint() = CheckpointToProto(*checkpoint);
  response->set_verifier_key(ledger_->verifier_key().ToString());
  return grpc::Status::OK;
}

grpc::Status AuditServiceImpl::GetVerifierKey(grpc::ServerContext* context,
                                              const v1::GetVerifierKeyRequest* request,
                                              v1::VerifierKey* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::AuditService::service_full_name(), "GetVerifierKey"), *request);
      !s.ok()) {
    return s;
  }
  RpcTimer timer(observe_, "GetVerifierKey");
  response->set_c2sp_key(ledger_->verifier_key().ToString());
  response->set_public_key_pem(ledger_->verifier_key().PublicKeyPem());
  response->set_origin(origin_);
  return grpc::Status::OK;
}

}  // namespace peergrid::server
