// The exchange's OperatorService (operator.proto): hubs with their freshness,
// their latest meters, banks and grid, battery history and alarm streams, all
// read from the TelemetryStore and its HubMonitor. Every call first syncs the
// monitor with the HubDirectory (reporting periods) and raises HUB_STALE for
// silent hubs, so staleness shows up as soon as anyone looks; WatchAlarms
// re-checks about every 200 ms (real time) while it streams. ListAlarmHistory
// reads the transitions the telemetry store keeps (AlarmLog).
//
// Every call is authorized first (authorizer.h); ListHubs shows an operator
// only its own hub.
// Errors: NOT_FOUND for an unregistered hub or an unknown bank;
// INVALID_ARGUMENT for a bad id, time range or history limit;
// RESOURCE_EXHAUSTED for a WatchAlarms stream over the caller's stream limit.
// Thread-safety: thread-safe.
#ifndef PEERGRID_SERVER_OPERATOR_SERVICE_H_
#define PEERGRID_SERVER_OPERATOR_SERVICE_H_

#include "grpcpp/grpcpp.h"
#include "peergrid/common/clock.h"
#include "peergrid/exchange/hub_directory.h"
#include "peergrid/runtime/limiter.h"
#include "peergrid/server/authorizer.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/v1/operator.grpc.pb.h"

namespace peergrid::server {

class OperatorServiceImpl final : public v1::OperatorService::Service {
 public:
  // Borrows all of them; they must outlive the service. `streams` (may be
  // null: no limit) bounds each identity's WatchAlarms streams
  // (Authorizer::LimitKey; with --insecure, "operator/<hub_id>", or the
  // caller's address for every hub).
  OperatorServiceImpl(telemetry::TelemetryStore* store, const exchange::HubDirectory* directory,
                      const Clock* clock, const Authorizer* authorizer,
                      runtime::StreamLimiter* streams = nullptr);

  grpc::Status ListHubs(grpc::ServerContext* context, const v1::ListHubsRequest* request,
                        v1::ListHubsResponse* response) override;
  grpc::Status GetHub(grpc::ServerContext* context, const v1::GetHubRequest* request,
                      v1::HubStatus* response) override;
  grpc::Status ListBatteries(grpc::ServerContext* context, const v1::ListBatteriesRequest* request,
                             v1::ListBatteriesResponse* response) override;
  grpc::Status GetBatteryHistory(grpc::ServerContext* context,
                                 const v1::GetBatteryHistoryRequest* request,
                                 v1::GetBatteryHistoryResponse* response) override;
  grpc::Status WatchAlarms(grpc::ServerContext* context, const v1::WatchAlarmsRequest* request,
                           grpc::ServerWriter<v1::AlarmEvent>* writer) override;
  grpc::Status ListAlarmHistory(grpc::ServerContext* context,
                                const v1::ListAlarmHistoryRequest* request,
                                v1::ListAlarmHistoryResponse* response) override;

  // Syncs the monitor with the directory and raises HUB_STALE where due.
  void Tick();

 private:
  v1::HubSummary Summarize(const v1::Hub& hub, int64_t now_ms) const;

  telemetry::TelemetryStore* const store_;
  const exchange::HubDirectory* const directory_;
  const Clock* const clock_;
  const Authorizer* const authorizer_;
  runtime::StreamLimiter* const streams_;
};

}  // namespace peergrid::server

#endif  // PEERGRID_SERVER_OPERATOR_SERVICE_H_
