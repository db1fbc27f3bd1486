#include "peergrid/server/operator_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/text.h"
#include "peergrid/convert/hub_convert.h"
#include "peergrid/rpc/grpc_status.h"
#include "rpc_timer.h"

namespace peergrid::server {
namespace {

// ListAlarmHistory's limit: its default and its largest value.
constexpr int32_t kDefaultAlarmHistory = 100;
constexpr int32_t kMaxAlarmHistory = 10'000;

void AddAlarms(const std::vector<hub::Alarm>& alarms, const std::string& bank_id,
               google::protobuf::RepeatedPtrField<v1::Alarm>* out) {
  for (const hub::Alarm& a : alarms) {
    if (bank_id.empty() || a.bank_id == bank_id) convert::ToProto(a, out->Add());
  }
}

}  // namespace

OperatorServiceImpl::OperatorServiceImpl(telemetry::TelemetryStore* store,
                                         const exchange::HubDirectory* directory,
                                         const Clock* clock, const Authorizer* authorizer,
                                         runtime::StreamLimiter* streams)
    : store_(store),
      directory_(directory),
      clock_(clock),
      authorizer_(authorizer),
      streams_(streams) {}

void OperatorServiceImpl::Tick() {
  const int64_t now_ms = absl::ToUnixMillis(clock_->Now());
  for (const v1::Hub& hub : directory_->ListHubs()) {
    store_->monitor().WatchHub(hub.hub_id(), hub.reporting_period_s(), now_ms);
  }
  store_->monitor().CheckStaleness(now_ms);
}

v1::HubSummary OperatorServiceImpl::Summarize(const v1::Hub& hub, int64_t now_ms) const {
  v1::HubSummary s;
  *s.mutable_hub() = hub;
  s.set_stale(store_->IsStale(hub.hub_id(), hub.reporting_period_s(), now_ms));
  s.set_last_seq(store_->LastSeq(hub.hub_id()));
  absl::StatusOr<telemetry::HubSnapshot> latest = store_->Latest(hub.hub_id());
  if (latest.ok()) {
    s.set_last_report_unix_ms(latest->received_at_unix_ms);
    s.set_meter_count(latest->report.meters_size());
    s.set_bank_count(latest->report.banks_size());
  }
  s.set_active_alarm_count(
      static_cast<int32_t>(store_->monitor().ActiveAlarms(hub.hub_id()).size()));
  return s;
}

grpc::Status OperatorServiceImpl::ListHubs(grpc::ServerContext* context,
                                           const v1::ListHubsRequest* request,
                                           v1::ListHubsResponse* response) {
  rpc::PeerIdentity caller;
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::OperatorService::service_full_name(), "ListHubs"), *request,
          &caller);
      !s.ok()) {
    return s;
  }
  Tick();
  const int64_t now_ms = absl::ToUnixMillis(clock_->Now());
  for (const v1::Hub& hub : directory_->ListHubs()) {
    // An operator sees its own hub only.
    if (caller.role == rpc::Role::kOperator && hub.hub_id() != caller.id) continue;
    *response->add_hubs() = Summarize(hub, now_ms);
  }
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::GetHub(grpc::ServerContext* context,
                                         const v1::GetHubRequest* request,
                                         v1::HubStatus* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::OperatorService::service_full_name(), "GetHub"), *request);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateId("hub_id", request->hub_id()); !s.ok())
    return rpc::ToGrpcStatus(s);
  absl::StatusOr<v1::Hub> hub = directory_->FindHub(request->hub_id());
  if (!hub.ok()) return rpc::ToGrpcStatus(hub.status());
  Tick();
  const int64_t now_ms = absl::ToUnixMillis(clock_->Now());
  *response->mutable_summary() = Summarize(*hub, now_ms);
  absl::StatusOr<telemetry::HubSnapshot> latest = store_->Latest(request->hub_id());
  if (latest.ok()) {
    *response->mutable_grid() = latest->report.grid();
    *response->mutable_meters() = latest->report.meters();
    *response->mutable_banks() = latest->report.banks();
    response->set_measured_at_unix_ms(latest->report.measured_at_unix_ms());
  }
  AddAlarms(store_->monitor().ActiveAlarms(request->hub_id()), "",
            response->mutable_active_alarms());
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::ListBatteries(grpc::ServerContext* context,
                                                const v1::ListBatteriesRequest* request,
                                                v1::ListBatteriesResponse* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::OperatorService::service_full_name(), "ListBatteries"), *request);
      !s.ok()) {
    return s;
  }
  if (!request->hub_id().empty()) {
    absl::StatusOr<v1::Hub> hub = directory_->FindHub(request->hub_id());
    if (!hub.ok()) return rpc::ToGrpcStatus(hub.status());
  }
  Tick();
  const int64_t now_ms = absl::ToUnixMillis(clock_->Now());
  for (const v1::Hub& hub : directory_->ListHubs()) {
    if (!request->hub_id().empty() && hub.hub_id() != request->hub_id()) continue;
    absl::StatusOr<telemetry::HubSnapshot> latest = store_->Latest(hub.hub_id());
    if (!latest.ok()) continue;
    const bool stale = store_->IsStale(hub.hub_id(), hub.reporting_period_s(), now_ms);
    const std::vector<hub::Alarm> alarms = store_->monitor().ActiveAlarms(hub.hub_id());
    for (const v1::BatteryBankReading& bank : latest->report.banks()) {
      v1::BatteryStatus* b = response->add_batteries();
      b->set_hub_id(hub.hub_id());
      *b->mutable_bank() = bank;
      b->set_measured_at_unix_ms(latest->report.measured_at_unix_ms());
      AddAlarms(alarms, bank.bank_id(), b->mutable_active_alarms());
      b->set_stale(stale);
    }
  }
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::GetBatteryHistory(grpc::ServerContext* context,
                                                    const v1::GetBatteryHistoryRequest* request,
                                                    v1::GetBatteryHistoryResponse* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::OperatorService::service_full_name(), "GetBatteryHistory"),
          *request);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateId("hub_id", request->hub_id()); !s.ok())
    return rpc::ToGrpcStatus(s);
  if (absl::Status s = ValidateId("bank_id", request->bank_id()); !s.ok())
    return rpc::ToGrpcStatus(s);
  if (request->from_unix_ms() < 0 || request->to_unix_ms() < request->from_unix_ms()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("time range [", request->from_unix_ms(), ", ",
                                     request->to_unix_ms(), "] is empty or negative"));
  }
  absl::StatusOr<v1::Hub> hub = directory_->FindHub(request->hub_id());
  if (!hub.ok()) return rpc::ToGrpcStatus(hub.status());
  absl::StatusOr<std::vector<v1::BatteryHistoryPoint>> history = store_->History(
      request->hub_id(), request->bank_id(), request->from_unix_ms(), request->to_unix_ms());
  if (!history.ok()) return rpc::ToGrpcStatus(history.status());
  std::vector<v1::BatteryHistoryPoint>& points = *history;
  if (points.empty() && request->from_unix_ms() == 0 && request->to_unix_ms() == 0) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("bank_id ", QuoteInput(request->bank_id()), " of hub ",
                                     QuoteInput(request->hub_id()), " has no history"));
  }
  response->set_hub_id(request->hub_id());
  response->set_bank_id(request->bank_id());
  response->set_resolution_s(store_->options().history_resolution_s);
  for (v1::BatteryHistoryPoint& p : points) *response->add_points() = std::move(p);
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::WatchAlarms(grpc::ServerContext* context,
                                              const v1::WatchAlarmsRequest* request,
                                              grpc::ServerWriter<v1::AlarmEvent>* writer) {
  rpc::PeerIdentity caller;
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::OperatorService::service_full_name(), "WatchAlarms"), *request,
          &caller);
      !s.ok()) {
    return s;
  }
  if (!request->hub_id().empty()) {
    absl::StatusOr<v1::Hub> hub = directory_->FindHub(request->hub_id());
    if (!hub.ok()) return rpc::ToGrpcStatus(hub.status());
  }
  // Held until the handler returns: the stream ended, was cancelled or broke.
  absl::StatusOr<runtime::StreamSlot> slot = TakeStreamSlot(
      streams_, authorizer_->LimitKey(caller, request->hub_id().empty()
                                                  ? PeerKey(*context)
                                                  : absl::StrCat("operator/", request->hub_id())));
  if (!slot.ok()) return rpc::ToGrpcStatus(slot.status());
  // Tell the client the stream is live before the first event.
  writer->SendInitialMetadata();
  runtime::Broadcaster<v1::AlarmEvent>& events = store_->monitor().events();
  uint64_t cursor = events.Cursor();
  Tick();
  if (request->include_active()) {
    const int64_t now_ms = absl::ToUnixMillis(clock_->Now());
    for (const hub::Alarm& a : store_->monitor().ActiveAlarms(request->hub_id())) {
      v1::AlarmEvent e;
      convert::ToProto(a, e.mutable_alarm());
      e.set_transition(v1::ACTIVE);
      e.set_at_unix_ms(now_ms);
      if (!writer->Write(e)) return grpc::Status::OK;
    }
  }
  std::vector<v1::AlarmEvent> batch;
  while (!context->IsCancelled()) {
    batch.clear();
    if (!events.WaitAfter(&cursor, absl::Now() + absl::Milliseconds(200), &batch)) break;
    for (const v1::AlarmEvent& e : batch) {
      if (!request->hub_id().empty() && e.alarm().hub_id() != request->hub_id()) continue;
      if (!writer->Write(e)) return grpc::Status::OK;
    }
    Tick();
  }
  return grpc::Status::OK;
}

grpc::Status OperatorServiceImpl::ListAlarmHistory(grpc::ServerContext* context,
                                                   const v1::ListAlarmHistoryRequest* request,
                                                   v1::ListAlarmHistoryResponse* response) {
  if (grpc::Status s = authorizer_->Admit(
          context, MethodName(v1::OperatorService::service_full_name(), "ListAlarmHistory"),
          *request);
      !s.ok()) {
    return s;
  }
  if (request->limit() < 0 || request->limit() > kMaxAlarmHistory) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("limit ", request->limit(), " is outside [0, ", kMaxAlarmHistory, "]"));
  }
  if (!request->hub_id().empty()) {
    absl::StatusOr<v1::Hub> hub = directory_->FindHub(request->hub_id());
    if (!hub.ok()) return rpc::ToGrpcStatus(hub.status());
  }
  Tick();  // a hub gone silent shows in its history as soon as anyone looks
  absl::StatusOr<std::vector<v1::AlarmHistoryEntry>> history = store_->AlarmHistory(
      request->hub_id(), request->limit() == 0 ? kDefaultAlarmHistory : request->limit());
  if (!history.ok()) return rpc::ToGrpcStatus(history.status());
  for (v1::AlarmHistoryEntry& e : *history) *response->add_entries() = std::move(e);
  response->set_retained_per_hub(store_->alarm_history_per_hub());
  return grpc::Status::OK;
}

}  // namespace peergrid::server
