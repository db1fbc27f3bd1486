// The exchange's HubService (hub.proto): each hub streams reports and gets
// acknowledgements of the seq of its latest report stored durably.
//
// Every report is authorized (authorizer.h: hub/<id> reports for hub <id>
// only, and only meters registered on it); a refused one is rejected with
// PERMISSION_DENIED and stored nowhere.
// Per stream: the first report names the hub; it must be registered in the
// HubDirectory, else the stream fails with PERMISSION_DENIED. A later report
// naming another hub is rejected (PERMISSION_DENIED) without touching that
// hub's seqs. Everything queued on a stream is stored in one synced RocksDB
// write (TelemetryStore::Ingest) and then acknowledged, so an ack is always
// durable and batching grows with load. Rejected reports (see TelemetryStore)
// get an ack whose `rejection` carries the gRPC code and a message naming the
// field; additionally a report whose zone_id is not the hub's zone is
// INVALID_ARGUMENT and a meter of a participant registered on another hub is
// PERMISSION_DENIED. The stream goes on after a rejection. A storage failure
// cancels the stream (the hub reconnects and resends).
//
// Resources (DESIGN.md §9): streams run on gRPC's callback API, so a stream
// costs no thread; `ingest_threads` workers store the batches of every
// stream. A stream holds at most `max_queued_reports` reports read but not
// yet stored, and the next batch is taken only once the previous batch's acks
// are written: a hub that sends without reading its acks is throttled by not
// reading (its writes block under HTTP/2 flow control), never by buffering.
//
// Thread-safety: thread-safe.
#ifndef PEERGRID_SERVER_HUB_SERVICE_H_
#define PEERGRID_SERVER_HUB_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "peergrid/common/clock.h"
#include "peergrid/exchange/hub_directory.h"
#include "peergrid/runtime/drain_queue.h"
#include "peergrid/runtime/limiter.h"
#include "peergrid/server/authorizer.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/v1/hub.grpc.pb.h"

namespace peergrid::server {

struct HubServiceOptions {
  // Reports read from one stream but not yet stored (peergrid-exchange
  // --hub_stream_max_queued). 64 reports of the 4 MiB message limit bound a
  // stream's memory at 256 MiB; a typical 2.4 kB report, 150 kB.
  size_t max_queued_reports = 64;
  // Workers that store batches, shared by all streams (concurrent streams of
  // different hubs share RocksDB's group commit).
  int ingest_threads = 4;
  // Bounds each identity's open Report streams (borrowed, must outlive the
  // service; null: no limit). The key is Authorizer::LimitKey: the caller's
  // certificate identity, taken when the stream opens ("unauthenticated" for
  // a certificate that names none), or with --insecure "hub/<hub_id>" of the
  // stream's first report. A stream over the limit fails with
  // RESOURCE_EXHAUSTED; its slot is released when the stream is done (ended,
  // cancelled or broken).
  runtime::StreamLimiter* streams = nullptr;
};

class HubServiceImpl final : public v1::HubService::CallbackService {
 public:
  // Borrows store, directory, clock and authorizer; they must outlive the service. The
  // service must outlive the server it is registered with (destroy or shut
  // down the server first).
  HubServiceImpl(telemetry::TelemetryStore* store, const exchange::HubDirectory* directory,
                 const Clock* clock, const Authorizer* authorizer, HubServiceOptions options = {});
  ~HubServiceImpl() override;

  grpc::ServerBidiReactor<v1::HubReport, v1::ReportAck>* Report(
      grpc::CallbackServerContext* context) override;

  // Returns the reports read from all streams and not yet stored, and the
  // most ever queued on one stream (tests, metrics).
  int64_t queued_reports() const { return queued_.load(); }
  int64_t max_queued_on_a_stream() const { return max_queued_.load(); }

 private:
  class Stream;
  friend class Stream;

  telemetry::TelemetryStore* const store_;
  const exchange::HubDirectory* const directory_;
  const Clock* const clock_;
  const Authorizer* const authorizer_;
  const HubServiceOptions options_;
  std::atomic<int64_t> queued_{0};
  std::atomic<int64_t> max_queued_{0};
  runtime::DrainQueue<Stream*> work_;  // streams with reports to store
  std::vector<std::thread> workers_;
};

}  // namespace peergrid::server

#endif  // PEERGRID_SERVER_HUB_SERVICE_H_
