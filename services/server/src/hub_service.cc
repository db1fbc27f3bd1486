#include "peergrid/server/hub_service.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "peergrid/common/limits.h"
#include "peergrid/common/status.h"
#include "peergrid/common/text.h"
#include "peergrid/rpc/grpc_status.h"

namespace peergrid::server {
namespace {

const std::string& ReportMethod() {
  static const std::string* const name =
      new std::string(MethodName(v1::HubService::service_full_name(), "Report"));
  return *name;
}

}  // namespace

// One HubService.Report stream. gRPC calls the On* reactions; a worker of the
// service calls ProcessBatch when the stream has reports to store. Step()
// decides, under mu_, what may happen next (read, write, store, finish) and
// does it after unlocking; it is the last thing every caller does, because
// Finish may lead to OnDone, which deletes the stream.
class HubServiceImpl::Stream final : public grpc::ServerBidiReactor<v1::HubReport, v1::ReportAck> {
 public:
  Stream(HubServiceImpl* service, grpc::CallbackServerContext* context)
      : service_(service), caller_(service->authorizer_->Caller(*context)) {
    // With certificates the caller is known now: its slot is taken before
    // anything is read (with --insecure, by the first report's hub).
    if (!service_->authorizer_->insecure()) {
      if (absl::Status slot = TakeSlot(caller_.ok() ? caller_->ToString() : "unauthenticated");
          !slot.ok()) {
        absl::MutexLock lock(&mu_);
        failed_ = rpc::ToGrpcStatus(slot);
      }
    }
    Step();
  }

  void OnReadDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (ok) {
        pending_.push_back(std::move(incoming_));
        const int64_t queued = static_cast<int64_t>(pending_.size());
        service_->queued_.fetch_add(1);
        int64_t seen = service_->max_queued_.load();
        while (queued > seen && !service_->max_queued_.compare_exchange_weak(seen, queued)) {
        }
      } else {
        reads_done_ = true;  // the hub finished writing, or the stream broke
      }
    }
    Step();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      outgoing_.pop_front();
      if (!ok && !failed_) failed_ = grpc::Status(grpc::StatusCode::CANCELLED, "stream broken");
    }
    Step();
  }

  void OnDone() override { delete this; }

  // Stores the reports queued so far (the worker's side) and queues the acks.
  void ProcessBatch() {
    std::vector<std::unique_ptr<v1::HubReport>> batch;
    {
      absl::MutexLock lock(&mu_);
      while (!pending_.empty()) {
        batch.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
    }
    service_->queued_.fetch_sub(static_cast<int64_t>(batch.size()));
    std::vector<v1::ReportAck> acks;
    absl::Status status = Store(batch, &acks);
    {
      absl::MutexLock lock(&mu_);
      scheduled_ = false;
      for (v1::ReportAck& ack : acks) outgoing_.push_back(std::move(ack));
      if (!status.ok() && !failed_) failed_ = rpc::ToGrpcStatus(status);
    }
    Step();
  }

 private:
  ~Stream() override { service_->queued_.fetch_sub(static_cast<int64_t>(pending_.size())); }

  // Takes the stream's slot under `key` (HubServiceOptions::streams).
  absl::Status TakeSlot(absl::string_view key) {
    absl::StatusOr<runtime::StreamSlot> slot = service_->options_.streams == nullptr
                                                   ? runtime::StreamSlot()
                                                   : service_->options_.streams->Acquire(key);
    if (!slot.ok()) return slot.status();
    slot_ = *std::move(slot);
    return absl::OkStatus();
  }

  // Returns OK when the stream's first report names a registered hub (and,
  // with --insecure, the hub has a stream slot left), and remembers the hub.
  // Without a caller identity every report is rejected with the reason, in
  // its ack.
  absl::Status OpenStream(const v1::HubReport& first) {
    absl::StatusOr<v1::Hub> found = service_->directory_->FindHub(first.hub_id());
    if (!found.ok()) {
      return absl::PermissionDeniedError(
          absl::StrCat("hub_id ", QuoteInput(first.hub_id()), " is not registered"));
    }
    if (service_->authorizer_->insecure()) {
      PEERGRID_RETURN_IF_ERROR(TakeSlot(absl::StrCat("hub/", first.hub_id())));
    }
    hub_ = *std::move(found);
    service_->store_->monitor().WatchHub(hub_->hub_id(), hub_->reporting_period_s(),
                                         absl::ToUnixMillis(service_->clock_->Now()));
    checked_generation_ = service_->directory_->Generation();
    return absl::OkStatus();
  }

  // Checks and stores `batch` in one synced write and appends its acks: one
  // per rejection (carrying it), then one for everything processed. A
  // rejection's ack carries the seq stored before it: a rejected report never
  // moves the acknowledged seq. Returns a status that ends the stream.
  absl::Status Store(const std::vector<std::unique_ptr<v1::HubReport>>& batch,
                     std::vector<v1::ReportAck>* acks) {
    if (batch.empty()) return absl::OkStatus();
    if (!hub_) PEERGRID_RETURN_IF_ERROR(OpenStream(*batch.front()));
    const std::string& hub_id = hub_->hub_id();
    const int64_t now_ms = absl::ToUnixMillis(service_->clock_->Now());
    // Once per batch, so that Ingest sees the same registrations as the checks.
    if (const uint64_t generation = service_->directory_->Generation();
        generation != checked_generation_) {
      checked_meters_.clear();
      checked_generation_ = generation;
    }
    std::vector<const v1::HubReport*> ptrs;
    std::vector<absl::Status> prechecks;
    std::vector<v1::ReportAck> foreign;  // rejections of reports naming another hub
    for (const auto& r : batch) {
      if (r->hub_id() != hub_id) {
        v1::ReportAck ack;
        ack.mutable_rejection()->set_seq(r->seq());
        ack.mutable_rejection()->set_code(grpc::StatusCode::PERMISSION_DENIED);
        ack.mutable_rejection()->set_message(absl::StrCat(
            "this stream reports for hub_id \"", hub_id, "\", not ", QuoteInput(r->hub_id())));
        foreign.push_back(std::move(ack));
        continue;
      }
      ptrs.push_back(r.get());
      // Every report, not only the first: each names its own meters.
      absl::Status check = caller_.ok()
                               ? service_->authorizer_->CheckIdentity(*caller_, ReportMethod(), *r)
                               : caller_.status();
      prechecks.push_back(check.ok() ? Precheck(*r) : std::move(check));
    }
    const telemetry::TelemetryStore::MeterMaxPowerFn meter_max_power_w =
        [this](const std::string& participant_id) {
          auto it = checked_meters_.find(participant_id);
          return it == checked_meters_.end() ? limits::kMaxServiceConnectionW : it->second;
        };
    const uint64_t before_seq = service_->store_->LastSeq(hub_id);
    PEERGRID_ASSIGN_OR_RETURN(
        std::vector<telemetry::IngestResult> results,
        service_->store_->Ingest(hub_id, ptrs, now_ms, prechecks, meter_max_power_w));
    const uint64_t last_seq = service_->store_->LastSeq(hub_id);
    for (v1::ReportAck& ack : foreign) {
      ack.set_acked_seq(last_seq);
      ack.set_server_time_unix_ms(now_ms);
      acks->push_back(std::move(ack));
    }
    uint64_t acked = before_seq;
    for (const telemetry::IngestResult& res : results) {
      if (res.outcome == telemetry::IngestResult::Outcome::kStored) {
        acked = std::max(acked, res.seq);
        continue;
      }
      if (res.outcome != telemetry::IngestResult::Outcome::kRejected) continue;
      v1::ReportAck ack;
      ack.set_acked_seq(std::min(acked, last_seq));
      ack.mutable_rejection()->set_seq(res.seq);
      ack.mutable_rejection()->set_code(static_cast<int32_t>(res.rejection.code()));
      ack.mutable_rejection()->set_message(CapMessage(res.rejection.message()));
      ack.set_server_time_unix_ms(now_ms);
      acks->push_back(std::move(ack));
    }
    v1::ReportAck ack;
    ack.set_acked_seq(last_seq);
    ack.set_server_time_unix_ms(now_ms);
    acks->push_back(std::move(ack));
    return absl::OkStatus();
  }

  // Returns the stream's own checks of one report of its hub: its zone, and
  // that each meter is registered on this hub or not at all (remembering the
  // meter's max power, limits::MeterMaxPowerW of its registration).
  absl::Status Precheck(const v1::HubReport& r) {
    if (r.zone_id() != hub_->zone_id()) {
      return absl::InvalidArgumentError(absl::StrCat("zone_id ", QuoteInput(r.zone_id()),
                                                     " is not hub ", hub_->hub_id(), "'s zone \"",
                                                     hub_->zone_id(), "\""));
    }
    for (const v1::MeterReading& m : r.meters()) {
      if (checked_meters_.contains(m.participant_id())) continue;
      absl::StatusOr<v1::Participant> p = service_->directory_->FindParticipant(m.participant_id());
      if (p.ok() && p->hub_id() != hub_->hub_id()) {
        return absl::PermissionDeniedError(absl::StrCat(
            "meter participant_id ", QuoteInput(m.participant_id()), " is registered on hub \"",
            p->hub_id(), "\", not \"", hub_->hub_id(), "\""));
      }
      checked_meters_.emplace(
          m.participant_id(),
          p.ok() ? limits::MeterMaxPowerW(p->kind() == v1::SHARED_STORAGE, p->pv_nameplate_w(),
                                          p->storage_bank_ids_size())
                 : limits::kMaxServiceConnectionW);
    }
    return absl::OkStatus();
  }

  // Does what the stream's state allows next; see the class comment.
  void Step() {
    v1::HubReport* read = nullptr;
    const v1::ReportAck* write = nullptr;
    bool schedule = false;
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      if (failed_) {
        // Stop reading; finish once no write or batch is in flight.
        if (!writing_ && !scheduled_) finish = *failed_;
      } else {
        // Backpressure: read only while fewer than the bound are waiting.
        if (!reading_ && !reads_done_ && pending_.size() < service_->options_.max_queued_reports) {
          reading_ = true;
          incoming_ = std::make_unique<v1::HubReport>();
          read = incoming_.get();
        }
        // Take the next batch only once the previous batch's acks are written.
        if (!scheduled_ && !pending_.empty() && outgoing_.empty() && !writing_) {
          scheduled_ = schedule = true;
        }
        if (!writing_ && !outgoing_.empty()) {
          writing_ = true;
          write = &outgoing_.front();  // a deque's front stays put on push_back
        }
        if (reads_done_ && !reading_ && pending_.empty() && !scheduled_ && !writing_ &&
            outgoing_.empty()) {
          finish = grpc::Status::OK;
        }
      }
      if (finish) finished_ = true;
    }
    if (finish) {
      Finish(*finish);  // last: may delete this
      return;
    }
    if (read != nullptr) StartRead(read);
    if (write != nullptr) StartWrite(write);
    if (schedule) service_->work_.Push(this);
  }

  HubServiceImpl* const service_;
  absl::Mutex mu_;
  std::unique_ptr<v1::HubReport> incoming_ ABSL_GUARDED_BY(mu_);
  std::deque<std::unique_ptr<v1::HubReport>> pending_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::ReportAck> outgoing_ ABSL_GUARDED_BY(mu_);
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool scheduled_ ABSL_GUARDED_BY(mu_) = false;  // queued for or held by a worker
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> failed_ ABSL_GUARDED_BY(mu_);
  // Set when the stream opens; Unauthenticated when the certificate names nobody.
  const absl::StatusOr<rpc::PeerIdentity> caller_;
  // Touched only by the constructor and the worker holding the stream (scheduled_).
  runtime::StreamSlot slot_;  // released when the stream is done (deleted)
  std::optional<v1::Hub> hub_;
  absl::flat_hash_map<std::string, int64_t> checked_meters_;  // meter → max power, W
  uint64_t checked_generation_ = 0;
};

HubServiceImpl::HubServiceImpl(telemetry::TelemetryStore* store,
                               const exchange::HubDirectory* directory, const Clock* clock,
                               const Authorizer* authorizer, HubServiceOptions options)
    : store_(store),
      directory_(directory),
      clock_(clock),
      authorizer_(authorizer),
      options_{std::max<size_t>(1, options.max_queued_reports), options.ingest_threads,
               options.streams} {
  const int threads = std::max(1, options_.ingest_threads);
  for (int i = 0; i < threads; ++i) {
    workers_.emplace_back([this] {
      std::vector<Stream*> next;
      while (work_.PopBatch(1, &next)) next.front()->ProcessBatch();
    });
  }
}

HubServiceImpl::~HubServiceImpl() {
  work_.Close();
  for (std::thread& t : workers_) t.join();
}

grpc::ServerBidiReactor<v1::HubReport, v1::ReportAck>* HubServiceImpl::Report(
    grpc::CallbackServerContext* context) {
  return new Stream(this, context);
}

}  // namespace peergrid::server
