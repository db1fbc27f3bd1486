#include "peergrid/server/hub_service.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/rpc/cert_issuer.h"
#include "peergrid/runtime/limiter.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/testing/tcp_proxy.h"

namespace peergrid::server {
namespace {

using ::peergrid::testing::IsOkAndHolds;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr int64_t kT0Ms = 1782000000000;
// Interval reads are of intervals that ended before kT0Ms (the exchange clock).
constexpr int64_t kReadBase = 1782000000 - 100 * 900;

v1::HubReport MakeReport(uint64_t seq, int64_t counter = 0) {
  v1::HubReport r;
  r.set_hub_id("hub-1");
  r.set_zone_id("zone-1");
  r.set_seq(seq);
  r.set_measured_at_unix_ms(kT0Ms + static_cast<int64_t>(seq) * 1000);
  v1::MeterReading* m = r.add_meters();
  m->set_participant_id("h1");
  m->set_import_wh(counter == 0 ? static_cast<int64_t>(seq) * 10 : counter);
  m->set_export_wh(5);
  if (seq % 4 == 0) {
    v1::IntervalRead* read = m->add_interval_reads();
    read->set_interval_start(kReadBase + static_cast<int64_t>(seq) * 900);
    read->set_import_wh(static_cast<int64_t>(seq));
    read->set_quality(v1::OK);
  }
  v1::BatteryBankReading* b = r.add_banks();
  b->set_bank_id("bank-1");
  b->set_soc_pct(60);
  b->set_soh_pct(95);
  b->set_chemistry(v1::NMC);
  b->set_charged_wh(static_cast<int64_t>(seq) * 3);
  r.mutable_grid()->set_import_wh(static_cast<int64_t>(seq));
  return r;
}

class HubServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("hub_service");
    v1::Hub hub;
    hub.set_hub_id("hub-1");
    hub.set_zone_id("zone-1");
    hub.set_reporting_period_s(5);
    ASSERT_OK(directory_.AddHub(hub));
    hub.set_hub_id("hub-2");
    ASSERT_OK(directory_.AddHub(hub));
    v1::Participant p;
    p.set_participant_id("h1");
    p.set_hub_id("hub-1");
    ASSERT_OK(directory_.AddParticipant(p));
    p.set_participant_id("other");
    p.set_hub_id("hub-2");
    ASSERT_OK(directory_.AddParticipant(p));
    StartServer();
  }
  void TearDown() override { StopServer(); }

  // `flow_window_bytes` > 0 shrinks HTTP/2 flow control on both sides (no
  // BDP probing, small windows and write buffers), so backpressure shows at
  // once instead of after megabytes.
  void StartServer(HubServiceOptions options = {}, bool sync = true, int flow_window_bytes = 0) {
    telemetry::TelemetryOptions store_options;
    store_options.sync = sync;
    ASSERT_OK_AND_ASSIGN(store_,
                         telemetry::TelemetryStore::Open(dir_ + "/telemetry", store_options));
    service_ =
        std::make_unique<HubServiceImpl>(store_.get(), &directory_, &clock_, &authorizer_, options);
    grpc::ServerBuilder builder;
    grpc::ChannelArguments client_args;
    if (flow_window_bytes > 0) {
      builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, flow_window_bytes);
      builder.AddChannelArgument(GRPC_ARG_HTTP2_WRITE_BUFFER_SIZE, flow_window_bytes);
      client_args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      client_args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, flow_window_bytes);
      client_args.SetInt(GRPC_ARG_HTTP2_WRITE_BUFFER_SIZE, flow_window_bytes);
    }
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    channel_ = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                         grpc::InsecureChannelCredentials(), client_args);
    stub_ = v1::HubService::NewStub(channel_);
  }
  void StopServer() {
    if (server_) server_->Shutdown();
    server_.reset();
    service_.reset();
    store_.reset();
  }

  // Sends `reports` on one stream and returns every ack until the server's
  // ack for the last seq (or the stream's end), plus the final status.
  std::vector<v1::ReportAck> Send(const std::vector<v1::HubReport>& reports, grpc::Status* status) {
    grpc::ClientContext ctx;
    auto stream = stub_->Report(&ctx);
    for (const v1::HubReport& r : reports) {
      if (!stream->Write(r)) break;
    }
    stream->WritesDone();
    std::vector<v1::ReportAck> acks;
    v1::ReportAck ack;
    while (stream->Read(&ack)) acks.push_back(ack);
    *status = stream->Finish();
    return acks;
  }

  std::string dir_;
  exchange::InMemoryHubDirectory directory_;
  // In-process tests of the stream run as admin (authorizer_test has the rules).
  Authorizer authorizer_{
      &directory_,
      [](const std::string& id) -> absl::StatusOr<std::string> { return absl::NotFoundError(id); },
      /*insecure=*/true};
  ManualClock clock_{absl::FromUnixMillis(kT0Ms)};
  std::unique_ptr<telemetry::TelemetryStore> store_;
  std::unique_ptr<HubServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::HubService::Stub> stub_;
};

TEST_F(HubServiceTest, StoresDurablyAcksAndDropsDuplicates) {
  std::vector<v1::HubReport> first;
  for (uint64_t s = 1; s <= 12; ++s) first.push_back(MakeReport(s));
  grpc::Status status;
  std::vector<v1::ReportAck> acks = Send(first, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(acks.empty());
  EXPECT_EQ(acks.back().acked_seq(), 12u);
  for (const v1::ReportAck& a : acks) EXPECT_FALSE(a.has_rejection());
  // A reconnecting hub resends 8..15: 8..12 are duplicates, 13..15 new.
  std::vector<v1::HubReport> resend;
  for (uint64_t s = 8; s <= 15; ++s) resend.push_back(MakeReport(s));
  acks = Send(resend, &status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(acks.back().acked_seq(), 15u);
  for (const v1::ReportAck& a : acks) EXPECT_FALSE(a.has_rejection());
  // Restart the exchange: everything acknowledged is still there.
  StopServer();
  StartServer();
  EXPECT_EQ(store_->LastSeq("hub-1"), 15u);
  ASSERT_OK_AND_ASSIGN(telemetry::HubSnapshot latest, store_->Latest("hub-1"));
  EXPECT_EQ(latest.report.seq(), 15u);
  EXPECT_EQ(latest.received_at_unix_ms, kT0Ms);
  ASSERT_OK_AND_ASSIGN(const auto reads, store_->IntervalReads(kReadBase + 12 * 900));
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads.at("h1").import_wh(), 12);
  EXPECT_THAT(store_->History("hub-1", "bank-1", 0, 0),
              IsOkAndHolds(SizeIs(1u)));  // 15 s in one 60 s bucket
}

TEST_F(HubServiceTest, RejectsEachMalformedKindWithItsCodeAndKeepsTheRest) {
  std::vector<v1::HubReport> reports;
  reports.push_back(MakeReport(1));
  reports.push_back(MakeReport(2));
  v1::HubReport bad_soc = MakeReport(3);
  bad_soc.mutable_banks(0)->set_soc_pct(100.5);
  reports.push_back(bad_soc);
  reports.push_back(MakeReport(4, /*counter=*/5));  // import_wh 20 → 5: decreasing
  v1::HubReport backwards = MakeReport(2);
  backwards.set_measured_at_unix_ms(kT0Ms + 99000);  // an old seq with new content
  reports.push_back(backwards);
  v1::HubReport wrong_zone = MakeReport(5);
  wrong_zone.set_zone_id("zone-9");
  reports.push_back(wrong_zone);
  v1::HubReport foreign = MakeReport(6);
  foreign.mutable_meters(0)->set_participant_id("other");
  reports.push_back(foreign);
  reports.push_back(MakeReport(7));
  grpc::Status status;
  const std::vector<v1::ReportAck> acks = Send(reports, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::map<uint64_t, v1::ReportRejection> rejected;
  for (const v1::ReportAck& a : acks) {
    if (a.has_rejection()) rejected[a.rejection().seq()] = a.rejection();
  }
  ASSERT_EQ(rejected.size(), 5u);
  // Report 2's duplicate-with-new-content shares seq 2 with a stored report.
  EXPECT_EQ(rejected[3].code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(rejected[3].message(), HasSubstr("soc_pct is 100.5"));
  EXPECT_EQ(rejected[4].code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(rejected[4].message(), HasSubstr("import_wh decreased"));
  EXPECT_EQ(rejected[2].code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(rejected[2].message(), HasSubstr("seq 2 goes backwards"));
  EXPECT_EQ(rejected[5].code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(rejected[5].message(), HasSubstr("zone_id \"zone-9\""));
  EXPECT_EQ(rejected[6].code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(rejected[6].message(), HasSubstr("\"other\" is registered on hub \"hub-2\""));
  // The good ones around them are stored; the rejected ones are processed.
  EXPECT_EQ(acks.back().acked_seq(), 7u);
  ASSERT_OK_AND_ASSIGN(telemetry::HubSnapshot latest, store_->Latest("hub-1"));
  EXPECT_EQ(latest.report.seq(), 7u);
  EXPECT_EQ(latest.report.meters(0).import_wh(), 70);
}

TEST_F(HubServiceTest, MeterRegisteredElsewhereMidStreamIsRejectedFromThen) {
  // An unregistered meter is accepted (and its check cached for the stream)
  // until a registration puts it on another hub.
  auto with_newcomer = [](uint64_t seq) {
    v1::HubReport r = MakeReport(seq);
    r.add_meters()->set_participant_id("newcomer");
    return r;
  };
  grpc::ClientContext context;
  auto stream = stub_->Report(&context);
  v1::ReportAck ack;
  ASSERT_TRUE(stream->Write(with_newcomer(1)));
  ASSERT_TRUE(stream->Read(&ack));
  EXPECT_FALSE(ack.has_rejection());
  EXPECT_EQ(ack.acked_seq(), 1u);
  v1::Participant p;
  p.set_participant_id("newcomer");
  p.set_hub_id("hub-2");
  ASSERT_OK(directory_.AddParticipant(p));
  ASSERT_TRUE(stream->Write(with_newcomer(2)));
  ASSERT_TRUE(stream->Read(&ack));
  ASSERT_TRUE(ack.has_rejection());
  EXPECT_EQ(ack.rejection().seq(), 2u);
  EXPECT_EQ(ack.rejection().code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(ack.rejection().message(), HasSubstr("\"newcomer\" is registered on hub \"hub-2\""));
  ASSERT_TRUE(stream->Write(MakeReport(3)));  // the stream goes on
  do {
    ASSERT_TRUE(stream->Read(&ack));
  } while (ack.acked_seq() < 3);
  EXPECT_FALSE(ack.has_rejection());
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(HubServiceTest, UnknownHubFailsTheStream) {
  v1::HubReport r = MakeReport(1);
  r.set_hub_id("hub-unknown");
  grpc::Status status;
  const std::vector<v1::ReportAck> acks = Send({r}, &status);
  EXPECT_TRUE(acks.empty());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("hub-unknown"));
  // A report for another hub on a hub's stream is rejected; the stream goes on.
  v1::HubReport second = MakeReport(9);
  second.set_hub_id("hub-2");
  const std::vector<v1::ReportAck> mixed = Send({MakeReport(1), second, MakeReport(2)}, &status);
  EXPECT_TRUE(status.ok());
  bool rejected = false;
  for (const v1::ReportAck& a : mixed) {
    if (!a.has_rejection()) continue;
    rejected = true;
    EXPECT_EQ(a.rejection().seq(), 9u);
    EXPECT_EQ(a.rejection().code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(a.rejection().message(), HasSubstr("this stream reports for hub_id \"hub-1\""));
  }
  EXPECT_TRUE(rejected);
  EXPECT_EQ(mixed.back().acked_seq(), 2u);
  EXPECT_EQ(store_->LastSeq("hub-2"), 0u);
}

// Issue 12: an interval read of 10^15 Wh or of quality 7 was acknowledged and
// stored, and broke that interval's settlement. Now each is rejected naming
// the field, never acknowledged, and the hub's next reports go on.
TEST_F(HubServiceTest, ImpossibleReadsAndUnknownEnumsAreRejectedNotAcknowledged) {
  v1::HubReport huge = MakeReport(4);
  huge.mutable_meters(0)->mutable_interval_reads(0)->set_import_wh(1'000'000'000'000'000);
  v1::HubReport unknown_quality = MakeReport(4);
  unknown_quality.mutable_meters(0)->mutable_interval_reads(0)->set_quality(
      static_cast<v1::ReadQuality>(7));
  v1::HubReport unknown_state = MakeReport(4);
  unknown_state.mutable_banks(0)->set_charge_state(static_cast<v1::ChargeState>(42));
  v1::HubReport max_seq = MakeReport(5);
  max_seq.set_seq(18446744073709551615u);
  grpc::Status status;
  const std::vector<v1::ReportAck> acks = Send(
      {MakeReport(1), MakeReport(2), MakeReport(3), huge, unknown_quality, unknown_state, max_seq},
      &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<v1::ReportRejection> rejected;
  for (const v1::ReportAck& a : acks) {
    if (a.has_rejection()) rejected.push_back(a.rejection());
    EXPECT_LE(a.acked_seq(), 3u);  // no rejected report is ever acknowledged
  }
  ASSERT_EQ(rejected.size(), 4u);
  for (const v1::ReportRejection& r : rejected) {
    EXPECT_EQ(r.code(), grpc::StatusCode::INVALID_ARGUMENT) << r.message();
  }
  EXPECT_THAT(rejected[0].message(), HasSubstr("interval_reads.import_wh is 1000000000000000"));
  EXPECT_THAT(rejected[1].message(), HasSubstr("interval_reads.quality is 7"));
  EXPECT_THAT(rejected[2].message(), HasSubstr("charge_state is 42"));
  EXPECT_THAT(rejected[3].message(), HasSubstr("seq 18446744073709551615 jumps"));
  EXPECT_EQ(acks.back().acked_seq(), 3u);
  EXPECT_EQ(store_->LastSeq("hub-1"), 3u);
  EXPECT_THAT(store_->IntervalReads(kReadBase + 4 * 900), IsOkAndHolds(SizeIs(0u)));
  // After a restart the hub's next reports are stored, not swallowed.
  StopServer();
  StartServer();
  const std::vector<v1::ReportAck> later = Send({MakeReport(4), MakeReport(5)}, &status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(later.back().acked_seq(), 5u);
  ASSERT_OK_AND_ASSIGN(const auto reads, store_->IntervalReads(kReadBase + 4 * 900));
  EXPECT_EQ(reads.at("h1").import_wh(), 4);
}

TEST_F(HubServiceTest, ReadsAreBoundedByTheRegisteredMetersMaxPower) {
  // A storage participant with two banks: 2 × 10 MW × 900 s = 5 MWh a read.
  v1::Participant storage;
  storage.set_participant_id("store-1");
  storage.set_hub_id("hub-1");
  storage.set_kind(v1::SHARED_STORAGE);
  storage.add_storage_bank_ids("bank-1");
  storage.add_storage_bank_ids("bank-2");
  ASSERT_OK(directory_.AddParticipant(storage));
  auto with_storage_read = [](uint64_t seq, int64_t export_wh) {
    v1::HubReport r = MakeReport(seq);
    v1::MeterReading* m = r.add_meters();
    m->set_participant_id("store-1");
    v1::IntervalRead* read = m->add_interval_reads();
    read->set_interval_start(kReadBase);
    read->set_export_wh(export_wh);
    read->set_quality(v1::OK);
    return r;
  };
  v1::HubReport household_too_much = MakeReport(3);
  household_too_much.mutable_meters(0)->add_interval_reads()->CopyFrom(
      with_storage_read(3, 62'501).meters(1).interval_reads(0));  // h1: 250 kW × 900 s = 62.5 kWh
  grpc::Status status;
  const std::vector<v1::ReportAck> acks =
      Send({with_storage_read(1, 5'000'000), with_storage_read(2, 5'000'001), household_too_much},
           &status);
  ASSERT_TRUE(status.ok());
  std::map<uint64_t, std::string> rejected;
  for (const v1::ReportAck& a : acks) {
    if (a.has_rejection()) rejected[a.rejection().seq()] = a.rejection().message();
  }
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_THAT(rejected[2], HasSubstr("meter \"store-1\": interval_reads.export_wh is 5000001: "
                                     "expected a value in [0, 5000000]"));
  EXPECT_THAT(rejected[3], HasSubstr("meter \"h1\": interval_reads.export_wh is 62501"));
  EXPECT_EQ(acks.back().acked_seq(), 1u);
}

TEST_F(HubServiceTest, MessagesQuoteAtMost128BytesOfTheInput) {
  v1::HubReport r = MakeReport(1);
  r.set_hub_id(std::string(1 << 20, 'h'));
  grpc::Status status;
  EXPECT_TRUE(Send({r}, &status).empty());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_LT(status.error_message().size(), 200u);
  EXPECT_THAT(status.error_message(), HasSubstr("(1048576 bytes)"));
  v1::HubReport zone = MakeReport(1);
  zone.set_zone_id(std::string(1 << 20, 'z'));
  const std::vector<v1::ReportAck> acks = Send({zone}, &status);
  ASSERT_TRUE(status.ok());
  ASSERT_FALSE(acks.empty());
  ASSERT_TRUE(acks[0].has_rejection());
  EXPECT_LT(acks[0].rejection().message().size(), 250u);
  EXPECT_THAT(acks[0].rejection().message(), HasSubstr("zone_id \"zzz"));
}

// Returns the number of threads of this process.
int ThreadCount() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    ++n;
  }
  return n;
}

// Issue 12: each Report stream held a server thread (and a reader thread).
// On the callback API an open stream holds none.
TEST_F(HubServiceTest, OpenStreamsCostNoThreads) {
  constexpr int kStreams = 48;
  // Warm up: one stream, so that gRPC's own pollers and executors exist.
  grpc::Status status;
  Send({MakeReport(1)}, &status);
  ASSERT_TRUE(status.ok());
  const int before = ThreadCount();
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReaderWriter<v1::HubReport, v1::ReportAck>>> streams;
  for (int i = 0; i < kStreams; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    streams.push_back(stub_->Report(contexts.back().get()));
    v1::ReportAck ack;
    ASSERT_TRUE(streams.back()->Write(MakeReport(1)));  // a duplicate: acknowledged
    ASSERT_TRUE(streams.back()->Read(&ack));
    EXPECT_EQ(ack.acked_seq(), 1u);
  }
  // Every stream is open and has been served.
  EXPECT_LT(ThreadCount() - before, kStreams / 4);
  for (auto& stream : streams) {
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }
}

// Issue 12: a hub that sends reports and never reads its acks made the
// exchange buffer without bound. Now the exchange stops reading its stream:
// at most max_queued_reports wait, and the hub's writes block.
TEST_F(HubServiceTest, AHubThatNeverReadsItsAcksIsThrottledNotBuffered) {
  StopServer();
  HubServiceOptions options;
  options.max_queued_reports = 4;
  StartServer(options, /*sync=*/false, /*flow_window_bytes=*/4096);
  constexpr int kAttempts = 50'000;
  auto big_report = [](uint64_t seq) {
    v1::HubReport r = MakeReport(seq);
    for (int i = 0; i < 40; ++i) {  // ≈ 1 kB
      v1::MeterReading* m = r.add_meters();
      m->set_participant_id(absl::StrCat("meter-", i));
      m->set_import_wh(static_cast<int64_t>(seq));
    }
    return r;
  };
  grpc::ClientContext context;
  auto stream = stub_->Report(&context);
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int seq = 1; seq <= kAttempts; ++seq) {
      if (!stream->Write(big_report(static_cast<uint64_t>(seq)))) break;
      written.store(seq);
    }
  });
  // Wait until the writes stop getting through (or all went through).
  int last = -1;
  for (int still = 0; still < 10 && written.load() < kAttempts;) {
    absl::SleepFor(absl::Milliseconds(100));
    const int now = written.load();
    still = now == last ? still + 1 : 0;
    last = now;
  }
  const int stalled_at = written.load();
  const uint64_t processed = store_->LastSeq("hub-1");
  RecordProperty("written", stalled_at);
  RecordProperty("processed", static_cast<int>(processed));
  EXPECT_LT(stalled_at, kAttempts) << "the hub's writes never blocked";
  EXPECT_LE(service_->max_queued_on_a_stream(), 4);
  EXPECT_LE(service_->queued_reports(), 4);
  // What the exchange holds unprocessed is the bound plus what sits in small
  // HTTP/2 windows — not the hub's whole backlog.
  EXPECT_LE(static_cast<uint64_t>(stalled_at), processed + 64)
      << "written " << stalled_at << ", processed " << processed;
  context.TryCancel();
  writer.join();
  stream->Finish();
}

// Returns whether `condition` holds within 10 s (it is polled).
bool Eventually(const std::function<bool()>& condition) {
  for (const absl::Time deadline = absl::Now() + absl::Seconds(10); absl::Now() < deadline;) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return condition();
}

// A report stream's client side.
struct ClientStream {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::HubReport, v1::ReportAck>> stream;
};

// Issue 12: any number of Report streams per identity. With certificates a
// stream counts under the caller's identity from the moment it opens (before
// any report); the slot comes back when the stream is cancelled or its
// connection drops.
TEST_F(HubServiceTest, WithCertificatesAHubsStreamsAreBoundedFromTheStart) {
  StopServer();
  ASSERT_OK_AND_ASSIGN(rpc::CertIssuer ca, rpc::CertIssuer::Create("hub service test CA"));
  auto issue = [&](std::vector<std::string> uris, bool server) {
    rpc::LeafSpec spec;
    spec.common_name = "hub-service-test";
    spec.uri_sans = std::move(uris);
    if (server) spec.ip_sans = {"127.0.0.1"};
    spec.server = server;
    absl::StatusOr<rpc::KeyAndCert> issued = ca.Issue(spec);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.value_or(rpc::KeyAndCert{});
  };
  const rpc::KeyAndCert server_pair = issue({}, true);
  const rpc::KeyAndCert hub_1 = issue({"spiffe://peergrid/hub/hub-1"}, false);
  const rpc::KeyAndCert nobody = issue({}, false);

  ASSERT_OK_AND_ASSIGN(store_, telemetry::TelemetryStore::Open(dir_ + "/telemetry"));
  Authorizer with_certificates{
      &directory_,
      [](const std::string& id) -> absl::StatusOr<std::string> { return absl::NotFoundError(id); },
      /*insecure=*/false};
  runtime::StreamLimiter limiter(2);
  HubServiceOptions options;
  options.streams = &limiter;
  HubServiceImpl service(store_.get(), &directory_, &clock_, &with_certificates, options);
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = ca.ca().cert_pem;
  tls.pem_key_cert_pairs.push_back({server_pair.key_pem, server_pair.cert_pem});
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(port, 0);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<::peergrid::testing::TcpProxy> proxy,
                       ::peergrid::testing::TcpProxy::Start(port));
  auto stub_for = [&](const rpc::KeyAndCert& who, int to_port) {
    grpc::SslCredentialsOptions credentials;
    credentials.pem_root_certs = ca.ca().cert_pem;
    credentials.pem_private_key = who.key_pem;
    credentials.pem_cert_chain = who.cert_pem;
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
    return v1::HubService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", to_port), grpc::SslCredentials(credentials), args));
  };
  auto direct = stub_for(hub_1, port);
  auto proxied = stub_for(hub_1, proxy->port());
  auto open = [](v1::HubService::Stub* stub, ClientStream* s) {
    s->stream = stub->Report(&s->context);
  };
  auto report = [](ClientStream* s, uint64_t seq) -> absl::StatusOr<v1::ReportAck> {
    v1::ReportAck ack;
    if (!s->stream->Write(MakeReport(seq)) || !s->stream->Read(&ack)) {
      return absl::UnavailableError("the stream ended");
    }
    return ack;
  };

  ClientStream dropped, kept, refused;
  open(proxied.get(), &dropped);
  open(direct.get(), &kept);
  ASSERT_TRUE(Eventually([&] { return limiter.open("hub/hub-1") == 2; }));
  // The third is refused before it sends anything.
  open(direct.get(), &refused);
  v1::ReportAck ack;
  EXPECT_FALSE(refused.stream->Read(&ack));
  grpc::Status status = refused.stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("\"hub/hub-1\" already has 2 open streams"));
  // The served ones work.
  ASSERT_OK_AND_ASSIGN(ack, report(&kept, 1));
  EXPECT_EQ(ack.acked_seq(), 1u);
  ASSERT_OK_AND_ASSIGN(ack, report(&dropped, 2));
  EXPECT_EQ(ack.acked_seq(), 2u);
  // A connection that drops gives its stream's slot back...
  proxy->Cut();
  EXPECT_TRUE(Eventually([&] { return limiter.open("hub/hub-1") == 1; }));
  EXPECT_FALSE(dropped.stream->Read(&ack));
  EXPECT_FALSE(dropped.stream->Finish().ok());
  ClientStream later;
  open(direct.get(), &later);
  ASSERT_OK_AND_ASSIGN(ack, report(&later, 3));
  EXPECT_EQ(ack.acked_seq(), 3u);
  // ...and so does a cancelled one.
  kept.context.TryCancel();
  EXPECT_FALSE(kept.stream->Finish().ok());
  EXPECT_TRUE(Eventually([&] { return limiter.open("hub/hub-1") == 1; }));
  // A certificate naming nobody counts under "unauthenticated"; its reports
  // are refused in their acks, as before.
  auto anonymous = stub_for(nobody, port);
  ClientStream unnamed;
  open(anonymous.get(), &unnamed);
  ASSERT_OK_AND_ASSIGN(ack, report(&unnamed, 4));
  EXPECT_EQ(ack.rejection().code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(limiter.open("unauthenticated"), 1);
  for (ClientStream* s : {&later, &unnamed}) {
    s->stream->WritesDone();
    while (s->stream->Read(&ack)) {
    }
    EXPECT_TRUE(s->stream->Finish().ok());
  }
  EXPECT_TRUE(Eventually([&] { return limiter.total() == 0; }));
  EXPECT_EQ(store_->LastSeq("hub-1"), 3u);
  server->Shutdown();
}

TEST_F(HubServiceTest, StalenessFollowsTheExchangeClock) {
  EXPECT_TRUE(store_->IsStale("hub-1", 5, kT0Ms));  // never reported
  grpc::Status status;
  Send({MakeReport(1)}, &status);
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(store_->IsStale("hub-1", 5, kT0Ms + 15000));
  EXPECT_TRUE(store_->IsStale("hub-1", 5, kT0Ms + 15001));
}

}  // namespace
}  // namespace peergrid::server
