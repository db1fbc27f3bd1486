// Telemetry ingest benchmark (issue 5 target): meter readings per second over
// loopback gRPC into durable storage (HubServiceImpl + TelemetryStore, every
// batch written to RocksDB with sync before its ack), beside a bare gRPC
// stream of the same messages (a server that only reads and acknowledges
// each message), in the same run. 100 readings per message by default.
//
//   build-hub/bench/ingest_bench --messages=20000 --readings=100 --hubs=1
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "peergrid/common/clock.h"
#include "peergrid/exchange/hub_directory.h"
#include "peergrid/server/hub_service.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/v1/hub.grpc.pb.h"

ABSL_FLAG(int, messages, 20000, "messages per hub stream");
ABSL_FLAG(int, readings, 100, "meter readings per message");
ABSL_FLAG(int, hubs, 1, "concurrent hub streams");
ABSL_FLAG(int, rounds, 3, "alternating rounds; the median of each is reported");
ABSL_FLAG(std::string, dir, "/tmp/peergrid-ingest-bench", "scratch directory (wiped)");

namespace peergrid {
namespace {

using exchange::InMemoryHubDirectory;
using server::HubServiceImpl;
using telemetry::TelemetryStore;

std::vector<v1::HubReport> MakeReports(const std::string& hub_id, int count, int readings) {
  std::vector<v1::HubReport> out(count);
  for (int i = 0; i < count; ++i) {
    v1::HubReport& r = out[i];
    r.set_hub_id(hub_id);
    r.set_zone_id("jeju-1");
    r.set_seq(static_cast<uint64_t>(i) + 1);
    r.set_measured_at_unix_ms(1782000000000 + int64_t{i} * 1000);
    for (int m = 0; m < readings; ++m) {
      v1::MeterReading* meter = r.add_meters();
      meter->set_participant_id(absl::StrCat(hub_id, "-h", m));
      meter->set_power_w(1000 + m);
      meter->set_import_wh(int64_t{i} * 3 + m);
      meter->set_export_wh(int64_t{i} * 2);
      meter->set_pv_wh(int64_t{i} * 5);
      meter->set_pv_power_w(2000);
      meter->set_load_power_w(1500);
    }
  }
  return out;
}

// Streams `reports` and waits for the ack of the last seq; returns seconds.
double Stream(v1::HubService::Stub* stub, const std::vector<v1::HubReport>& reports) {
  grpc::ClientContext ctx;
  auto stream = stub->Report(&ctx);
  const uint64_t last = reports.back().seq();
  const absl::Time start = absl::Now();
  std::thread writer([&] {
    for (const v1::HubReport& r : reports) {
      if (!stream->Write(r)) break;
    }
  });
  v1::ReportAck ack;
  while (stream->Read(&ack)) {
    if (ack.acked_seq() >= last) break;
  }
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  writer.join();
  stream->WritesDone();
  while (stream->Read(&ack)) {
  }
  (void)stream->Finish();
  return secs;
}

// The bare baseline: read each message, acknowledge it, store nothing.
class BareHubService final : public v1::HubService::Service {
  grpc::Status Report(grpc::ServerContext*,
                      grpc::ServerReaderWriter<v1::ReportAck, v1::HubReport>* stream) override {
    v1::HubReport r;
    v1::ReportAck ack;
    while (stream->Read(&r)) {
      ack.set_acked_seq(r.seq());
      if (!stream->Write(ack)) break;
    }
    return grpc::Status::OK;
  }
};

double Run(grpc::Service* service, const std::vector<std::vector<v1::HubReport>>& per_hub) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  const absl::Time start = absl::Now();
  std::vector<std::thread> clients;
  for (const auto& reports : per_hub) {
    clients.emplace_back([&, port] {
      grpc::ChannelArguments args;
      args.SetInt("grpc.use_local_subchannel_pool", 1);  // one connection per hub
      auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                               grpc::InsecureChannelCredentials(), args);
      auto stub = v1::HubService::NewStub(channel);
      Stream(stub.get(), reports);
    });
  }
  for (std::thread& t : clients) t.join();
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  server->Shutdown();
  return secs;
}

}  // namespace
}  // namespace peergrid

int main(int argc, char** argv) {
  using namespace peergrid;  // NOLINT: main only
  absl::ParseCommandLine(argc, argv);
  // As in peergrid-exchange (see its main): no Abseil deadlock graph.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const int messages = absl::GetFlag(FLAGS_messages);
  const int readings = absl::GetFlag(FLAGS_readings);
  const int hubs = absl::GetFlag(FLAGS_hubs);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  exchange::InMemoryHubDirectory directory;
  std::vector<std::vector<v1::HubReport>> per_hub;
  for (int h = 0; h < hubs; ++h) {
    v1::Hub hub;
    hub.set_hub_id(absl::StrCat("hub-", h));
    hub.set_zone_id("jeju-1");
    hub.set_reporting_period_s(1);
    (void)directory.AddHub(hub);
    for (int m = 0; m < readings; ++m) {  // the hub's households, registered as in a zone
      v1::Participant p;
      p.set_participant_id(absl::StrCat(hub.hub_id(), "-h", m));
      p.set_hub_id(hub.hub_id());
      (void)directory.AddParticipant(p);
    }
    per_hub.push_back(MakeReports(hub.hub_id(), messages, readings));
  }
  const double total = static_cast<double>(messages) * readings * hubs;
  const size_t bytes = per_hub[0][0].ByteSizeLong();

  BareHubService bare;
  RealClock clock;
  std::vector<double> bare_runs;
  std::vector<double> durable_runs;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    bare_runs.push_back(Run(&bare, per_hub));
    const std::string store_dir = absl::StrCat(dir, "/telemetry-", round);
    auto store = telemetry::TelemetryStore::Open(store_dir);
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
      return 1;
    }
    server::Authorizer admin_only(  // plaintext loopback: every caller is admin
        &directory, [](const std::string& id) -> absl::StatusOr<std::string> {
          return absl::NotFoundError(id);
        },
        /*insecure=*/true);
    server::HubServiceImpl durable(store->get(), &directory, &clock, &admin_only);
    durable_runs.push_back(Run(&durable, per_hub));
    for (int h = 0; h < hubs; ++h) {
      if ((*store)->LastSeq(absl::StrCat("hub-", h)) != static_cast<uint64_t>(messages)) {
        std::fprintf(stderr, "hub-%d: not every report was stored\n", h);
        return 1;
      }
    }
    store->reset();
    std::filesystem::remove_all(store_dir);
  }
  std::sort(bare_runs.begin(), bare_runs.end());
  std::sort(durable_runs.begin(), durable_runs.end());
  const double bare_s = bare_runs[bare_runs.size() / 2];
  const double durable_s = durable_runs[durable_runs.size() / 2];
  std::printf("ingest_bench: %d hub stream(s) x %d messages x %d readings (%zu bytes/message)\n",
              hubs, messages, readings, bytes);
  std::printf("  bare gRPC stream      %10.0f readings/s  (%.2f s)\n", total / bare_s, bare_s);
  std::printf("  durable (RocksDB sync) %9.0f readings/s  (%.2f s)\n", total / durable_s,
              durable_s);
  std::printf("  ratio durable/bare    %10.2f\n", bare_s / durable_s);
  return 0;
}
