#include "peergrid/server/hub_service.h"

#include <deque>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "peergrid/rpc/grpc_status.h"

namespace peergrid::server {
namespace {

constexpr size_t kMaxQueued = 1024;  // reports read ahead of storage (backpressure)
constexpr size_t kMaxBatch = 512;    // reports per synced write

// Reports read from the stream by the reader thread, waiting to be stored.
class ReportQueue {
 public:
  // Blocks while full; returns false once closed.
  bool Push(std::unique_ptr<v1::HubReport> r) {
    absl::MutexLock lock(&mu_);
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return closed_ || queue_.size() < kMaxQueued;
    };
    mu_.Await(absl::Condition(&room));
    if (closed_) return false;
    queue_.push_back(std::move(r));
    return true;
  }
  // Marks the end of input (the reader saw EOF or an error).
  void Finish() {
    absl::MutexLock lock(&mu_);
    finished_ = true;
  }
  // Returns a message object for the reader to fill: a recycled one when
  // available (its sub-messages' memory is reused) or a new one.
  std::unique_ptr<v1::HubReport> Take() {
    absl::MutexLock lock(&mu_);
    if (free_.empty()) return std::make_unique<v1::HubReport>();
    std::unique_ptr<v1::HubReport> r = std::move(free_.back());
    free_.pop_back();
    return r;
  }
  // Recycles processed messages.
  void Recycle(std::vector<std::unique_ptr<v1::HubReport>>* done) {
    absl::MutexLock lock(&mu_);
    for (auto& r : *done) {
      if (free_.size() >= kMaxQueued) break;
      r->Clear();
      free_.push_back(std::move(r));
    }
    done->clear();
  }
  // Stops the reader for good.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  // Waits for reports or the end; returns false when finished and drained.
  bool PopAll(std::vector<std::unique_ptr<v1::HubReport>>* out) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return finished_ || !queue_.empty(); };
    mu_.Await(absl::Condition(&ready));
    while (!queue_.empty() && out->size() < kMaxBatch) {
      out->push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    return !out->empty() || !finished_;
  }

 private:
  absl::Mutex mu_;
  std::deque<std::unique_ptr<v1::HubReport>> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<v1::HubReport>> free_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

HubServiceImpl::HubServiceImpl(telemetry::TelemetryStore* store,
                               const exchange::HubDirectory* directory, const Clock* clock,
                               const Authorizer* authorizer)
    : store_(store), directory_(directory), clock_(clock), authorizer_(authorizer) {}

grpc::Status HubServiceImpl::Report(
    grpc::ServerContext* context, grpc::ServerReaderWriter<v1::ReportAck, v1::HubReport>* stream) {
  // The first report names the hub: authorize it before anything else.
  auto first = std::make_unique<v1::HubReport>();
  if (!stream->Read(first.get())) return grpc::Status::OK;
  absl::StatusOr<v1::Hub> found = directory_->FindHub(first->hub_id());
  if (!found.ok()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("hub_id \"", first->hub_id(), "\" is not registered"));
  }
  const v1::Hub hub = *std::move(found);
  const std::string& hub_id = hub.hub_id();
  store_->monitor().WatchHub(hub_id, hub.reporting_period_s(), absl::ToUnixMillis(clock_->Now()));

  ReportQueue queue;
  (void)queue.Push(std::move(first));
  std::thread reader([&] {
    for (;;) {
      std::unique_ptr<v1::HubReport> r = queue.Take();
      if (!stream->Read(r.get())) break;
      if (!queue.Push(std::move(r))) break;
    }
    queue.Finish();
  });
  auto finish = [&](grpc::Status status) {
    queue.Close();
    if (!status.ok()) context->TryCancel();  // unblocks the reader's Read
    reader.join();
    return status;
  };

  // Meters already checked on this stream: registered on this hub, or not
  // registered at all. Checked again after any registration.
  absl::flat_hash_set<std::string> checked_meters;
  uint64_t checked_generation = directory_->Generation();
  std::vector<std::unique_ptr<v1::HubReport>> batch;
  std::vector<const v1::HubReport*> ptrs;
  std::vector<absl::Status> prechecks;
  std::vector<v1::ReportAck> foreign;  // rejections of reports naming another hub
  while (queue.PopAll(&batch)) {
    if (batch.empty()) continue;
    const int64_t now_ms = absl::ToUnixMillis(clock_->Now());
    ptrs.clear();
    prechecks.clear();
    foreign.clear();
    for (const auto& r : batch) {
      if (r->hub_id() != hub_id) {
        v1::ReportAck ack;
        ack.mutable_rejection()->set_seq(r->seq());
        ack.mutable_rejection()->set_code(grpc::StatusCode::PERMISSION_DENIED);
        ack.mutable_rejection()->set_message(absl::StrCat("this stream reports for hub_id \"",
                                                          hub_id, "\", not \"", r->hub_id(), "\""));
        foreign.push_back(std::move(ack));
        continue;
      }
      absl::Status check = authorizer_->Check(
          *context, MethodName(v1::HubService::service_full_name(), "Report"), *r).status();
      if (check.ok() && r->zone_id() != hub.zone_id()) {
        check =
            absl::InvalidArgumentError(absl::StrCat("zone_id \"", r->zone_id(), "\" is not hub ",
                                                    hub_id, "'s zone \"", hub.zone_id(), "\""));
      }
      if (const uint64_t generation = directory_->Generation(); generation != checked_generation) {
        checked_meters.clear();
        checked_generation = generation;
      }
      for (const v1::MeterReading& m : r->meters()) {
        if (!check.ok() || checked_meters.contains(m.participant_id())) continue;
        absl::StatusOr<v1::Participant> p = directory_->FindParticipant(m.participant_id());
        if (p.ok() && p->hub_id() != hub_id) {
          check = absl::PermissionDeniedError(
              absl::StrCat("meter participant_id \"", m.participant_id(),
                           "\" is registered on hub \"", p->hub_id(), "\", not \"", hub_id, "\""));
        } else {
          checked_meters.insert(m.participant_id());
        }
      }
      ptrs.push_back(r.get());
      prechecks.push_back(std::move(check));
    }
    absl::StatusOr<std::vector<telemetry::IngestResult>> results =
        store_->Ingest(hub_id, ptrs, now_ms, prechecks);
    if (!results.ok()) return finish(rpc::ToGrpcStatus(results.status()));
    const uint64_t last_seq = store_->LastSeq(hub_id);
    for (v1::ReportAck& ack : foreign) {
      ack.set_acked_seq(last_seq);
      ack.set_server_time_unix_ms(now_ms);
      if (!stream->Write(ack)) return finish(grpc::Status::OK);
    }
    // One ack per rejection (carrying it), then one for everything processed.
    uint64_t acked = 0;
    for (const telemetry::IngestResult& res : *results) {
      acked = std::max(acked, res.seq);
      if (res.outcome != telemetry::IngestResult::Outcome::kRejected) continue;
      v1::ReportAck ack;
      ack.set_acked_seq(std::min(acked, last_seq));
      ack.mutable_rejection()->set_seq(res.seq);
      ack.mutable_rejection()->set_code(static_cast<int32_t>(res.rejection.code()));
      ack.mutable_rejection()->set_message(std::string(res.rejection.message()));
      ack.set_server_time_unix_ms(now_ms);
      if (!stream->Write(ack)) return finish(grpc::Status::OK);
    }
    v1::ReportAck ack;
    ack.set_acked_seq(last_seq);
    ack.set_server_time_unix_ms(now_ms);
    if (!stream->Write(ack)) return finish(grpc::Status::OK);
    queue.Recycle(&batch);
  }
  return finish(grpc::Status::OK);
}

}  // namespace peergrid::server
