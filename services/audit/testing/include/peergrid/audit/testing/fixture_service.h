// Test fixture (header-only; not part of the library): a minimal AuditService
// over a real ledger::Ledger, served by a real gRPC server on 127.0.0.1:0, for
// the audit, follower and receipt tests. Unlike the exchange's service it
// can misbehave on purpose: switch to another (forked) ledger, announce extra
// checkpoints, or serve a tampered entry.
//
// Thread-safety: thread-safe.
#ifndef PEERGRID_AUDIT_TESTING_FIXTURE_SERVICE_H_
#define PEERGRID_AUDIT_TESTING_FIXTURE_SERVICE_H_

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/rpc/grpc_status.h"
#include "peergrid/server/exchange_services.h"
#include "peergrid/v1/audit.grpc.pb.h"
#include "peergrid/v1/ledger.pb.h"

namespace peergrid::audit::testing {

class FixtureAuditService final : public v1::AuditService::Service {
 public:
  explicit FixtureAuditService(ledger::Ledger* ledger) : ledger_(ledger) {}

  // Serves `ledger` from now on (a fork, when it shares a prefix).
  void SetLedger(ledger::Ledger* ledger) {
    absl::MutexLock lock(&mu_);
    ledger_ = ledger;
  }
  // Announces a checkpoint to watchers (and adds it to the history).
  void Announce(const v1::Checkpoint& checkpoint) {
    absl::MutexLock lock(&mu_);
    extra_.push_back(checkpoint);
    ++version_;
  }
  // Serves entry `index` with one bit flipped (a lying server).
  void TamperEntry(uint64_t index) {
    absl::MutexLock lock(&mu_);
    tampered_ = index;
  }

  grpc::Status GetCheckpoint(grpc::ServerContext*, const v1::GetCheckpointRequest* request,
                             v1::Checkpoint* response) override {
    ledger::Ledger* log = Current();
    absl::StatusOr<ledger::SignedCheckpoint> c = request->tree_size() == 0
                                                     ? log->LatestCheckpoint()
                                                     : log->CheckpointAt(request->tree_size());
    if (!c.ok()) return rpc::ToGrpcStatus(c.status());
    *response = server::CheckpointToProto(*c);
    return grpc::Status::OK;
  }

  grpc::Status WatchCheckpoints(grpc::ServerContext* context,
                                const v1::WatchCheckpointsRequest* request,
                                grpc::ServerWriter<v1::Checkpoint>* writer) override {
    uint64_t sent = request->after_tree_size();
    size_t extra_sent = 0;
    while (!context->IsCancelled()) {
      std::vector<v1::Checkpoint> out;
      absl::StatusOr<std::vector<ledger::SignedCheckpoint>> history = Current()->Checkpoints(sent);
      if (!history.ok()) return rpc::ToGrpcStatus(history.status());
      for (const ledger::SignedCheckpoint& c : *history) {
        out.push_back(server::CheckpointToProto(c));
      }
      {
        absl::MutexLock lock(&mu_);
        for (; extra_sent < extra_.size(); ++extra_sent) {
          if (extra_[extra_sent].tree_size() > request->after_tree_size()) {
            out.push_back(extra_[extra_sent]);
          }
        }
      }
      std::stable_sort(out.begin(), out.end(),
                       [](const auto& a, const auto& b) { return a.tree_size() < b.tree_size(); });
      for (const v1::Checkpoint& c : out) {
        if (!writer->Write(c)) return grpc::Status::OK;
        sent = std::max(sent, c.tree_size());
      }
      // Wake on an announcement, or poll the ledger for new checkpoints.
      absl::MutexLock lock(&mu_);
      const uint64_t seen = version_;
      auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return version_ != seen; };
      mu_.AwaitWithTimeout(absl::Condition(&changed), absl::Milliseconds(20));
    }
    return grpc::Status::OK;
  }

  grpc::Status GetEntries(grpc::ServerContext*, const v1::GetEntriesRequest* request,
                          v1::GetEntriesResponse* response) override {
    ledger::Ledger* log = Current();
    const uint64_t end = std::min({request->end(), log->Size(), request->start() + 1000});
    if (request->start() >= end) return grpc::Status(grpc::StatusCode::OUT_OF_RANGE, "start");
    absl::StatusOr<std::vector<std::string>> entries = log->GetEntries(request->start(), end);
    if (!entries.ok()) return rpc::ToGrpcStatus(entries.status());
    std::optional<uint64_t> tampered;
    {
      absl::MutexLock lock(&mu_);
      tampered = tampered_;
    }
    response->set_start(request->start());
    for (uint64_t i = 0; i < entries->size(); ++i) {
      std::string& e = (*entries)[i];
      if (tampered && *tampered == request->start() + i) e[e.size() / 2] ^= 0x01;
      response->add_entries(std::move(e));
    }
    return grpc::Status::OK;
  }

  grpc::Status GetInclusionProof(grpc::ServerContext*, const v1::GetInclusionProofRequest* request,
                                 v1::InclusionProof* response) override {
    absl::StatusOr<v1::InclusionProof> proof = Inclusion(request->index(), request->tree_size());
    if (!proof.ok()) return rpc::ToGrpcStatus(proof.status());
    *response = *proof;
    return grpc::Status::OK;
  }

  grpc::Status GetConsistencyProof(grpc::ServerContext*,
                                   const v1::GetConsistencyProofRequest* request,
                                   v1::ConsistencyProof* response) override {
    ledger::Ledger* log = Current();
    absl::StatusOr<ledger::ConsistencyProof> proof =
        log->ProveConsistency(request->from_size(), request->to_size());
    if (!proof.ok()) return rpc::ToGrpcStatus(proof.status());
    response->set_from_size(request->from_size());
    response->set_to_size(request->to_size());
    for (const ledger::Hash& h : proof->path) response->add_proof(ledger::HashBytes(h));
    response->set_from_root_hash(ledger::HashBytes(log->RootAt(request->from_size()).value()));
    response->set_to_root_hash(ledger::HashBytes(log->RootAt(request->to_size()).value()));
    return grpc::Status::OK;
  }

  grpc::Status GetReceipt(grpc::ServerContext*, const v1::GetReceiptRequest* request,
                          v1::Receipt* response) override {
    ledger::Ledger* log = Current();
    absl::StatusOr<ledger::SignedCheckpoint> cp = log->LatestCheckpoint();
    if (!cp.ok()) return rpc::ToGrpcStatus(cp.status());
    for (uint64_t i = 0; i < cp->checkpoint.tree_size; ++i) {
      std::string entry = log->GetEntry(i).value();
      v1::LedgerEntry parsed;
      if (!parsed.ParseFromString(entry) || !parsed.has_order_accepted() ||
          parsed.order_accepted().order().order_id() != request->order_id()) {
        continue;
      }
      absl::StatusOr<v1::InclusionProof> proof = Inclusion(i, cp->checkpoint.tree_size);
      if (!proof.ok()) return rpc::ToGrpcStatus(proof.status());
      response->set_index(i);
      response->set_entry(entry);
      *response->mutable_inclusion() = *proof;
      *response->mutable_checkpoint() = server::CheckpointToProto(*cp);
      response->set_verifier_key(log->verifier_key().ToString());
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("order_id \"", request->order_id(), "\" not found"));
  }

  grpc::Status GetVerifierKey(grpc::ServerContext*, const v1::GetVerifierKeyRequest*,
                              v1::VerifierKey* response) override {
    ledger::Ledger* log = Current();
    response->set_c2sp_key(log->verifier_key().ToString());
    response->set_public_key_pem(log->verifier_key().PublicKeyPem());
    response->set_origin(log->origin());
    return grpc::Status::OK;
  }

 private:
  ledger::Ledger* Current() {
    absl::MutexLock lock(&mu_);
    return ledger_;
  }

  absl::StatusOr<v1::InclusionProof> Inclusion(uint64_t index, uint64_t tree_size) {
    ledger::Ledger* log = Current();
    if (tree_size == 0) tree_size = log->Size();
    absl::StatusOr<ledger::InclusionProof> proof = log->ProveInclusion(index, tree_size);
    if (!proof.ok()) return proof.status();
    v1::InclusionProof out;
    out.set_leaf_index(index);
    out.set_tree_size(tree_size);
    out.set_leaf_hash(ledger::HashBytes(log->LeafHashAt(index).value()));
    for (const ledger::Hash& h : proof->path) out.add_proof(ledger::HashBytes(h));
    out.set_root_hash(ledger::HashBytes(log->RootAt(tree_size).value()));
    return out;
  }

  absl::Mutex mu_;
  ledger::Ledger* ledger_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Checkpoint> extra_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> tampered_ ABSL_GUARDED_BY(mu_);
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

// A real gRPC server on 127.0.0.1:0 serving one service.
class LoopbackServer {
 public:
  explicit LoopbackServer(grpc::Service* service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service);
    server_ = builder.BuildAndStart();
  }
  ~LoopbackServer() { server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1))); }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  std::unique_ptr<v1::AuditService::Stub> Stub() const {
    return v1::AuditService::NewStub(
        grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace peergrid::audit::testing

#endif  // PEERGRID_AUDIT_TESTING_FIXTURE_SERVICE_H_
