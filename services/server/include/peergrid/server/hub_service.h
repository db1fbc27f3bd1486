// The exchange's HubService (hub.proto): each hub streams reports and gets
// acknowledgements of the highest seq stored durably (or rejected).
//
// Every report is authorized (authorizer.h: hub/<id> reports for hub <id>
// only, and only meters registered on it); a refused one is rejected with
// PERMISSION_DENIED and stored nowhere.
// Per stream: the first report names the hub; it must be registered in the
// HubDirectory, else the stream fails with PERMISSION_DENIED. A later report
// naming another hub is rejected (PERMISSION_DENIED) without touching that
// hub's seqs. A reader thread
// queues incoming reports; the handler stores everything queued in one synced
// RocksDB write (TelemetryStore::Ingest) and then acknowledges, so an ack is
// always durable and batching grows with load. Rejected reports (see
// TelemetryStore) get an ack whose `rejection` carries the gRPC code and a
// message naming the field; additionally a report whose zone_id is not the
// hub's zone is INVALID_ARGUMENT and a meter of a participant registered on
// another hub is PERMISSION_DENIED. The stream goes on after a rejection. A
// storage failure cancels the stream (the hub reconnects and resends).
//
// Thread-safety: thread-safe (one handler per stream).
#ifndef PEERGRID_SERVER_HUB_SERVICE_H_
#define PEERGRID_SERVER_HUB_SERVICE_H_

#include "grpcpp/grpcpp.h"
#include "peergrid/common/clock.h"
#include "peergrid/exchange/hub_directory.h"
#include "peergrid/server/authorizer.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/v1/hub.grpc.pb.h"

namespace peergrid::server {

class HubServiceImpl final : public v1::HubService::Service {
 public:
  // Borrows all four; they must outlive the service.
  HubServiceImpl(telemetry::TelemetryStore* store, const exchange::HubDirectory* directory,
                 const Clock* clock, const Authorizer* authorizer);

  grpc::Status Report(grpc::ServerContext* context,
                      grpc::ServerReaderWriter<v1::ReportAck, v1::HubReport>* stream) override;

 private:
  telemetry::TelemetryStore* const store_;
  const exchange::HubDirectory* const directory_;
  const Clock* const clock_;
  const Authorizer* const authorizer_;
};

}  // namespace peergrid::server

#endif  // PEERGRID_SERVER_HUB_SERVICE_H_
