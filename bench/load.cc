// bench/load: a load generator in its own process, against a real
// peergrid-exchange over loopback, measured beside a bare gRPC server that
// answers the same messages without doing anything (same message sizes, same
// client, same run):
//   1. durable order intake: signed SubmitOrder (Ed25519, signatures required)
//      with N in flight → orders/s, p50/p99, in plaintext (--insecure) and over
//      mutual TLS, each beside the bare server in the same transport; then a
//      paced run at half the measured plaintext rate → p50/p99 at half load;
//   2. telemetry ingest: one HubService.Report stream per hub, 100 meter
//      readings per report → readings/s (plaintext).
//
//   build/bench/load [--orders 100000] [--inflight 64] [--reports 4000] [--hubs 2] [--tls=false]
//
// The bare server is this binary started with --mode=echo (--tls_dir for its
// mutual-TLS twin). The zone CA, the exchange's and the echo's server
// certificates and one household certificate per channel are made fresh in
// the run's directory (rpc::CertIssuer). Every order is signed before the
// clock starts, so both servers get the same bytes and signing costs neither.
// Nothing here runs in ctest; figures go in the issue's closing note.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/ledger/note.h"
#include "peergrid/rpc/cert_issuer.h"
#include "peergrid/rpc/tls.h"
#include "peergrid/runtime/subprocess.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/hub.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"

ABSL_FLAG(std::string, mode, "load", "load | echo (the bare server)");
ABSL_FLAG(std::string, port_file, "", "echo mode: write the bound port here");
ABSL_FLAG(std::string, tls_dir, "", "echo mode: serve mutual TLS with the certificates in DIR");
ABSL_FLAG(bool, tls, true, "also measure order intake over mutual TLS");
ABSL_FLAG(std::vector<std::string>, exchange_flags,
          std::vector<std::string>({"--max_orders_per_s=1000000000", "--order_burst=1000000"}),
          "extra peergrid-exchange flags (default: lift the per-identity order rate limit, "
          "since one identity sends a quarter of the load)");
ABSL_FLAG(std::string, exchange, "", "peergrid-exchange binary (default: beside this build)");
ABSL_FLAG(int64_t, orders, 100000, "orders per measured run");
ABSL_FLAG(int32_t, inflight, 64, "orders in flight (unanswered at any time)");
ABSL_FLAG(int64_t, reports, 4000, "telemetry reports per measured run (all hubs)");
ABSL_FLAG(int32_t, hubs, 2, "concurrent hub streams");
ABSL_FLAG(int32_t, readings, 100, "meter readings per report");
ABSL_FLAG(int32_t, participants, 4,
          "registered buying households, one client certificate and one channel each");

namespace {

using peergrid::runtime::Subprocess;

// ---------- the bare server ----------

// Answers on the callback API, like the exchange's SubmitOrder.
class EchoMarket final : public peergrid::v1::MarketService::WithCallbackMethod_SubmitOrder<
                             peergrid::v1::MarketService::Service> {
  grpc::ServerUnaryReactor* SubmitOrder(grpc::CallbackServerContext* context,
                                        const peergrid::v1::SubmitOrderRequest* request,
                                        peergrid::v1::SubmitOrderResponse* response) override {
    response->set_seq(request->order().quantity_wh());
    response->set_accepted_at_unix_ms(1);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

class EchoHub final : public peergrid::v1::HubService::Service {
  grpc::Status Report(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<peergrid::v1::ReportAck, peergrid::v1::HubReport>* stream) override {
    peergrid::v1::HubReport report;
    while (stream->Read(&report)) {
      peergrid::v1::ReportAck ack;
      ack.set_acked_seq(report.seq());
      if (!stream->Write(ack)) break;
    }
    return grpc::Status::OK;
  }
};

int ServeEcho() {
  EchoMarket market;
  EchoHub hub;
  grpc::ServerBuilder builder;
  int port = 0;
  const std::string tls_dir = absl::GetFlag(FLAGS_tls_dir);
  peergrid::rpc::ServerTlsFlags tls{tls_dir + "/echo.pem", tls_dir + "/echo.key",
                                    tls_dir + "/ca.pem", tls_dir.empty()};
  auto credentials = peergrid::rpc::MakeServerCredentials(tls, "127.0.0.1:0");
  if (!credentials.ok()) {
    std::cerr << "load echo: " << credentials.status() << "\n";
    return 1;
  }
  builder.AddListeningPort("127.0.0.1:0", *credentials, &port);
  builder.RegisterService(&market);
  builder.RegisterService(&hub);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  FILE* f = std::fopen((absl::GetFlag(FLAGS_port_file) + ".tmp").c_str(), "w");
  std::fprintf(f, "%d\n", port);
  std::fclose(f);
  std::filesystem::rename(absl::GetFlag(FLAGS_port_file) + ".tmp", absl::GetFlag(FLAGS_port_file));
  server->Wait();
  return 0;
}

// ---------- measurement ----------

struct Figures {
  double per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
  std::string first_error;
};

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

// The households that buy, each with its signing key and its client
// certificate (<dir>/load-h<i>.pem/.key).
struct Households {
  std::vector<peergrid::ledger::Signer> keys;
  std::string dir;
};

// Order n of a run, signed by its household's key. Household n % count sends
// it on channel n % count, under its own certificate.
peergrid::v1::SubmitOrderRequest MakeOrder(int64_t n, int64_t interval, const Households& homes,
                                           const std::string& run) {
  peergrid::v1::SubmitOrderRequest request;
  peergrid::v1::Order* o = request.mutable_order();
  const size_t h = static_cast<size_t>(n) % homes.keys.size();
  o->set_order_id(absl::StrCat(run, "-", n));
  o->set_participant_id(absl::StrCat("load-h", h));
  o->set_side(peergrid::v1::BUY);
  o->set_quantity_wh(100 + n % 900);
  o->set_limit_price_mcu_per_kwh(120'000);
  o->set_interval_start(interval);
  *request.mutable_signature() = homes.keys[h].Sign(peergrid::convert::OrderSigningText(*o));
  return request;
}

// Client credentials of household h: its certificate, or plaintext.
std::shared_ptr<grpc::ChannelCredentials> Credentials(const Households& homes, size_t h, bool tls) {
  const std::string base = absl::StrCat(homes.dir, "/load-h", h);
  peergrid::rpc::ClientTlsFlags flags{base + ".pem", base + ".key", homes.dir + "/ca.pem", !tls};
  auto credentials = peergrid::rpc::MakeChannelCredentials(flags, "127.0.0.1:1");
  if (!credentials.ok()) {
    std::cerr << "load: " << credentials.status() << "\n";
    std::exit(1);
  }
  return *credentials;
}

using MarketStubs = std::vector<std::unique_ptr<peergrid::v1::MarketService::Stub>>;

// What the calls of one RunOrders share. Every call's callback holds it (a
// shared_ptr), not only RunOrders: a callback may still be unwinding after it
// counted itself done, when RunOrders has already returned, so nothing a
// callback touches lives on RunOrders' stack. (It once did: a late callback's
// `next++` wrote into a returned frame, and a 30k-order run died with
// "free(): double free".)
struct OrderRun {
  int64_t count = 0;
  double rate_per_s = 0;               // 0: closed loop
  absl::Time start;                    // set before the first send, then only read
  const MarketStubs* stubs = nullptr;  // outlive every send (see SendOrder)
  std::vector<peergrid::v1::SubmitOrderRequest> requests;  // each moved out by its send
  std::vector<double> latencies_ms;                        // written once each, before `done`
  std::atomic<int64_t> next{0};                            // closed loop: the next order to send
  absl::Mutex mu;
  int64_t done ABSL_GUARDED_BY(mu) = 0;   // callbacks finished with all but the OrderRun itself
  int in_flight ABSL_GUARDED_BY(mu) = 0;  // open loop: sent and unanswered
  Figures figures ABSL_GUARDED_BY(mu);    // errors
};

// One call in flight.
struct OrderCall {
  int64_t n = 0;
  absl::Time sent;
  grpc::ClientContext context;
  peergrid::v1::SubmitOrderRequest request;
  peergrid::v1::SubmitOrderResponse response;
};

// Sends order n of `run`. Its answer records the latency and, in a closed
// loop, sends the next order; only then does it count itself done, so once
// every order is done no callback will touch the stubs again.
void SendOrder(std::shared_ptr<OrderRun> run, int64_t n) {
  auto* call = new OrderCall;
  call->n = n;
  call->sent = run->rate_per_s > 0
                   ? run->start + absl::Seconds(static_cast<double>(n) / run->rate_per_s)
                   : absl::Now();
  call->request = std::move(run->requests[static_cast<size_t>(n)]);
  peergrid::v1::MarketService::Stub* stub =
      (*run->stubs)[static_cast<size_t>(n) % run->stubs->size()].get();
  stub->async()->SubmitOrder(&call->context, &call->request, &call->response,
                             [run = std::move(run), call](grpc::Status status) {
                               run->latencies_ms[static_cast<size_t>(call->n)] =
                                   absl::ToDoubleMilliseconds(absl::Now() - call->sent);
                               delete call;
                               if (run->rate_per_s == 0) {
                                 const int64_t following = run->next++;
                                 if (following < run->count) SendOrder(run, following);
                               }
                               absl::MutexLock lock(&run->mu);
                               if (!status.ok() && run->figures.errors++ == 0) {
                                 run->figures.first_error = status.error_message();
                               }
                               if (run->rate_per_s > 0) --run->in_flight;
                               ++run->done;  // the last use of anything but `run`
                             });
}

// Submits `count` orders keeping at most `inflight` unanswered, with gRPC's
// callback API (no client thread per call). With rate_per_s = 0 the next
// order goes as soon as one is answered (closed loop); with rate_per_s > 0
// each order is sent at its scheduled time (open loop) and its latency is
// measured from that time.
Figures RunOrders(const std::string& target, bool tls, int64_t count, int inflight,
                  int64_t interval, const Households& homes, const std::string& run_name,
                  double rate_per_s) {
  MarketStubs stubs;
  for (size_t c = 0; c < homes.keys.size(); ++c) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", static_cast<int>(c));  // distinct channels, connections
    stubs.push_back(peergrid::v1::MarketService::NewStub(
        grpc::CreateCustomChannel(target, Credentials(homes, c, tls), args)));
  }
  auto run = std::make_shared<OrderRun>();
  run->count = count;
  run->rate_per_s = rate_per_s;
  run->stubs = &stubs;
  // Signed before the clock starts: the servers, not the signing, are measured.
  run->requests.resize(static_cast<size_t>(count));
  for (int64_t n = 0; n < count; ++n) {
    run->requests[static_cast<size_t>(n)] = MakeOrder(n, interval, homes, run_name);
  }
  run->latencies_ms.resize(static_cast<size_t>(count));
  for (auto& stub : stubs) {  // connect (and shake hands) before the clock starts
    grpc::ClientContext context;
    peergrid::v1::GetOrderRequest probe;
    peergrid::v1::OrderState ignored;
    probe.set_order_id("load-warm-up");
    (void)stub->GetOrder(&context, probe, &ignored);
  }
  run->start = absl::Now();
  if (rate_per_s > 0) {
    for (int64_t n = 0; n < count; ++n) {
      absl::SleepFor(run->start + absl::Seconds(static_cast<double>(n) / rate_per_s) - absl::Now());
      {
        absl::MutexLock lock(&run->mu);
        OrderRun* r = run.get();
        auto room = [r, inflight]()
                        ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu) { return r->in_flight < inflight; };
        run->mu.Await(absl::Condition(&room));
        ++run->in_flight;
      }
      SendOrder(run, n);
    }
  } else {
    const int64_t first = std::min<int64_t>(inflight, count);
    run->next = first;
    for (int64_t n = 0; n < first; ++n) SendOrder(run, n);
  }
  Figures figures;
  {
    absl::MutexLock lock(&run->mu);
    OrderRun* r = run.get();
    auto all_done = [r]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu) { return r->done == r->count; };
    run->mu.Await(absl::Condition(&all_done));
    figures = run->figures;
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - run->start);
  figures.per_s = static_cast<double>(count) / seconds;
  figures.p50_ms = Percentile(run->latencies_ms, 0.50);
  figures.p99_ms = Percentile(run->latencies_ms, 0.99);
  return figures;
}

peergrid::v1::HubReport MakeReport(const std::string& hub, uint64_t seq, int readings) {
  peergrid::v1::HubReport report;
  report.set_hub_id(hub);
  report.set_zone_id("jeju-1");
  report.set_seq(seq);
  report.set_measured_at_unix_ms(absl::ToUnixMillis(absl::Now()));
  for (int m = 0; m < readings; ++m) {
    peergrid::v1::MeterReading* meter = report.add_meters();
    meter->set_participant_id(absl::StrCat(hub, "-m", m));
    meter->set_power_w(500 + m);
    meter->set_import_wh(static_cast<int64_t>(seq) * 3);
    meter->set_export_wh(static_cast<int64_t>(seq) * 2);
    meter->set_pv_wh(static_cast<int64_t>(seq) * 5);
  }
  report.mutable_grid()->set_mode(peergrid::v1::ON_GRID);
  return report;
}

// Streams `reports` reports per hub with up to 64 unacknowledged; returns
// readings per second over all hubs.
Figures RunIngest(const std::string& target, int hubs, int64_t reports, int readings,
                  const std::string& prefix) {
  std::vector<std::thread> streams;
  std::atomic<int64_t> errors{0};
  const absl::Time start = absl::Now();
  for (int h = 0; h < hubs; ++h) {
    streams.emplace_back([&, h] {
      auto stub = peergrid::v1::HubService::NewStub(
          grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
      grpc::ClientContext context;
      auto stream = stub->Report(&context);
      const std::string hub = absl::StrCat(prefix, h);
      std::atomic<uint64_t> acked{0};
      std::thread reader([&] {
        peergrid::v1::ReportAck ack;
        while (stream->Read(&ack)) {
          if (ack.has_rejection()) errors++;
          acked = std::max<uint64_t>(acked, ack.acked_seq());
          if (acked >= static_cast<uint64_t>(reports)) break;
        }
      });
      for (uint64_t seq = 1; seq <= static_cast<uint64_t>(reports); ++seq) {
        while (seq > acked + 64) absl::SleepFor(absl::Microseconds(50));
        if (!stream->Write(MakeReport(hub, seq, readings))) break;
      }
      stream->WritesDone();
      reader.join();
      grpc::Status status = stream->Finish();
      if (!status.ok()) errors++;
    });
  }
  for (std::thread& s : streams) s.join();
  Figures figures;
  figures.per_s =
      static_cast<double>(reports) * hubs * readings / absl::ToDoubleSeconds(absl::Now() - start);
  figures.errors = errors;
  return figures;
}

// ---------- setup of the real exchange ----------

// Registers the zone: tariff, hubs, the households with their keys and the
// ingest meters. `credentials`: the admin's (or plaintext).
bool Setup(const std::string& target, std::shared_ptr<grpc::ChannelCredentials> credentials,
           const Households& homes, int hubs, int readings) {
  auto admin = peergrid::v1::AdminService::NewStub(grpc::CreateChannel(target, credentials));
  auto call = [&](auto method, const auto& request) {
    grpc::ClientContext context;
    peergrid::v1::RegisterResponse response;
    grpc::Status status = ((*admin).*method)(&context, request, &response);
    if (!status.ok()) std::cerr << "load: setup: " << status.error_message() << "\n";
    return status.ok();
  };
  peergrid::v1::SetTariffRequest tariff;
  tariff.mutable_tariff()->set_feed_in_price_mcu_per_kwh(50'000);
  tariff.mutable_tariff()->set_retail_price_mcu_per_kwh(200'000);
  if (!call(&peergrid::v1::AdminService::Stub::SetTariff, tariff)) return false;
  std::vector<std::string> hub_ids = {"load-hub"};
  for (int h = 0; h < hubs; ++h) hub_ids.push_back(absl::StrCat("ingest-hub", h));
  for (const std::string& id : hub_ids) {
    peergrid::v1::RegisterHubRequest hub;
    hub.mutable_hub()->set_hub_id(id);
    hub.mutable_hub()->set_zone_id("jeju-1");
    hub.mutable_hub()->set_latitude_deg(33.5);
    hub.mutable_hub()->set_longitude_deg(126.5);
    hub.mutable_hub()->set_reporting_period_s(5);
    if (!call(&peergrid::v1::AdminService::Stub::RegisterHub, hub)) return false;
  }
  auto add = [&](const std::string& id, const std::string& hub, std::string public_key) {
    peergrid::v1::RegisterParticipantRequest p;
    p.mutable_participant()->set_participant_id(id);
    p.mutable_participant()->set_hub_id(hub);
    p.mutable_participant()->set_kind(peergrid::v1::HOUSEHOLD);
    p.mutable_participant()->set_public_key(std::move(public_key));
    return call(&peergrid::v1::AdminService::Stub::RegisterParticipant, p);
  };
  for (size_t i = 0; i < homes.keys.size(); ++i) {
    if (!add(absl::StrCat("load-h", i), "load-hub", homes.keys[i].verifier().public_key()))
      return false;
  }
  for (int h = 0; h < hubs; ++h) {
    for (int m = 0; m < readings; ++m) {
      if (!add(absl::StrCat("ingest-hub", h, "-m", m), absl::StrCat("ingest-hub", h), "")) {
        return false;
      }
    }
  }
  return true;
}

void Print(const char* what, const Figures& f, const char* unit) {
  std::printf("  %-38s %12.0f %s/s   p50 %7.3f ms   p99 %7.3f ms   errors %lld%s%s\n", what,
              f.per_s, unit, f.p50_ms, f.p99_ms, static_cast<long long>(f.errors),
              f.first_error.empty() ? "" : "  first: ", f.first_error.c_str());
}

// Makes the zone CA, the servers' certificates (exchange.*, echo.*), the
// admin's and each household's client certificate and key in `dir`.
Households MakeIdentities(const std::string& dir, int households) {
  Households homes;
  homes.dir = dir;
  auto ca = peergrid::rpc::CertIssuer::Create("peergrid load zone CA");
  auto check = [](const absl::Status& status) {
    if (!status.ok()) {
      std::cerr << "load: identities: " << status << "\n";
      std::exit(1);
    }
  };
  check(ca.status());
  check(peergrid::rpc::WriteTextFile(dir + "/ca.pem", ca->ca().cert_pem));
  auto issue = [&](const std::string& name, const std::string& san, bool server) {
    peergrid::rpc::LeafSpec spec;
    spec.common_name = name;
    if (server) {
      spec.ip_sans = {"127.0.0.1"};
      spec.server = true;
    } else {
      spec.uri_sans = {san};
    }
    auto leaf = ca->Issue(spec);
    check(leaf.status());
    check(peergrid::rpc::WriteKeyAndCert(dir + "/" + name, *leaf));
  };
  issue("exchange", "", true);
  issue("echo", "", true);
  issue("admin", "spiffe://peergrid/admin/load", false);
  for (int h = 0; h < households; ++h) {
    const std::string id = absl::StrCat("load-h", h);
    issue(id, "spiffe://peergrid/household/" + id, false);
    auto key = peergrid::ledger::Signer::Generate(id);
    check(key.status());
    homes.keys.push_back(*std::move(key));
  }
  return homes;
}

// A server this run started, and its address.
struct Started {
  std::unique_ptr<Subprocess> process;
  std::string target;
};

Started StartServer(std::vector<std::string> argv, const std::string& dir,
                    const std::string& name) {
  const std::string port_file = dir + "/" + name + ".port";
  argv.push_back("--port_file=" + port_file);
  auto process = Subprocess::Start(argv, dir + "/" + name + ".log");
  if (!process.ok()) {
    std::cerr << "load: cannot start " << name << ": " << process.status() << "\n";
    std::exit(1);
  }
  auto port = peergrid::runtime::WaitForFileLine(port_file, absl::Seconds(60));
  if (!port.ok()) {
    std::cerr << "load: " << name << " did not start (log: " << dir << "/" << name << ".log)\n";
    std::exit(1);
  }
  return Started{*std::move(process), "127.0.0.1:" + *port};
}

int RunLoad(const char* self) {
  const std::string dir = absl::StrCat("/tmp/peergrid-load-", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string exchange_bin = absl::GetFlag(FLAGS_exchange);
  if (exchange_bin.empty()) {
    exchange_bin =
        (std::filesystem::path(self).parent_path().parent_path() / "bin" / "peergrid-exchange")
            .string();
  }
  const bool tls = absl::GetFlag(FLAGS_tls);
  const int hubs = absl::GetFlag(FLAGS_hubs);
  const int readings = absl::GetFlag(FLAGS_readings);
  const Households homes = MakeIdentities(dir, absl::GetFlag(FLAGS_participants));
  std::vector<std::string> exchange_args = {exchange_bin, "--listen=127.0.0.1:0",
                                            "--http=", "--require_signed_orders"};

  for (const std::string& flag : absl::GetFlag(FLAGS_exchange_flags)) {
    if (!flag.empty()) exchange_args.push_back(flag);
  }
  Started echo = StartServer({self, "--mode=echo"}, dir, "echo");
  std::vector<std::string> plain_args = exchange_args;
  plain_args.push_back("--insecure");
  plain_args.push_back("--data_dir=" + dir + "/data-plain");
  Started plain = StartServer(plain_args, dir, "exchange-plain");
  if (!Setup(plain.target, grpc::InsecureChannelCredentials(), homes, hubs, readings)) return 1;
  Started echo_tls, mtls;
  std::shared_ptr<grpc::ChannelCredentials> admin;
  if (tls) {
    echo_tls = StartServer({self, "--mode=echo", "--tls_dir=" + dir}, dir, "echo-tls");
    std::vector<std::string> tls_args = exchange_args;
    for (const std::string& flag :
         {"--tls_cert=" + dir + "/exchange.pem", "--tls_key=" + dir + "/exchange.key",
          "--client_ca=" + dir + "/ca.pem", "--data_dir=" + dir + "/data-tls"}) {
      tls_args.push_back(flag);
    }
    mtls = StartServer(tls_args, dir, "exchange-tls");
    peergrid::rpc::ClientTlsFlags flags{dir + "/admin.pem", dir + "/admin.key", dir + "/ca.pem",
                                        false};
    admin = *peergrid::rpc::MakeChannelCredentials(flags, mtls.target);
    if (!Setup(mtls.target, admin, homes, hubs, readings)) return 1;
  }

  const int64_t orders = absl::GetFlag(FLAGS_orders);
  const int inflight = absl::GetFlag(FLAGS_inflight);
  // Orders for intervals 2 h ahead (gate open for the whole run), spread over
  // several intervals so the books stay realistic.
  const int64_t now_s = absl::ToUnixSeconds(absl::Now());
  const int64_t interval = (now_s / 900 + 8) * 900;
  std::printf(
      "peergrid load: %lld signed orders, %d in flight, %zu households; %lld reports x %d "
      "readings on %d hubs\n",
      static_cast<long long>(orders), inflight, homes.keys.size(),
      static_cast<long long>(absl::GetFlag(FLAGS_reports)), readings, hubs);
  std::printf("order intake (signed SubmitOrder, durable in the ledger before the answer):\n");
  const int64_t warm = std::min<int64_t>(orders / 10, 5000);
  RunOrders(plain.target, false, warm, inflight, interval, homes, "warm", 0);
  Figures bare = RunOrders(echo.target, false, orders, inflight, interval, homes, "echo", 0);
  Figures real = RunOrders(plain.target, false, orders, inflight, interval, homes, "max", 0);
  Print("bare gRPC echo, plaintext", bare, "orders");
  Print("peergrid-exchange, plaintext", real, "orders");
  std::printf("  ratio exchange / bare (plaintext): %.2f\n", real.per_s / bare.per_s);
  Figures bare_tls, real_tls;
  if (tls) {
    RunOrders(mtls.target, true, warm, inflight, interval, homes, "warm", 0);
    bare_tls = RunOrders(echo_tls.target, true, orders, inflight, interval, homes, "echo", 0);
    real_tls = RunOrders(mtls.target, true, orders, inflight, interval, homes, "max", 0);
    Print("bare gRPC echo, mutual TLS", bare_tls, "orders");
    Print("peergrid-exchange, mutual TLS", real_tls, "orders");
    std::printf("  ratio exchange / bare (mutual TLS): %.2f\n", real_tls.per_s / bare_tls.per_s);
    std::printf("  ratio exchange mutual TLS / exchange plaintext: %.2f\n",
                real_tls.per_s / real.per_s);
  }
  const double half = real.per_s / 2;
  Figures paced = RunOrders(plain.target, false, std::min<int64_t>(orders / 2, 50000), inflight,
                            interval + 900, homes, "half", half);
  std::printf("  at half load (%.0f orders/s offered, plaintext):\n", half);
  Print("peergrid-exchange, paced", paced, "orders");

  const int64_t reports = absl::GetFlag(FLAGS_reports) / hubs;
  std::printf("telemetry ingest (HubService.Report, durable before the ack, plaintext):\n");
  Figures bare_ingest = RunIngest(echo.target, hubs, reports, readings, "ingest-hub");
  Figures real_ingest = RunIngest(plain.target, hubs, reports, readings, "ingest-hub");
  Print("bare gRPC stream, same messages", bare_ingest, "readings");
  Print("peergrid-exchange, durable", real_ingest, "readings");
  std::printf("  ratio exchange / bare: %.2f\n", real_ingest.per_s / bare_ingest.per_s);

  for (Started* s : {&plain, &mtls}) {
    if (s->process) s->process->Stop(absl::Seconds(20));
  }
  for (Started* s : {&echo, &echo_tls}) {
    if (s->process) s->process->Stop(absl::Seconds(5));
  }
  std::filesystem::remove_all(dir);
  return real.errors + real_tls.errors + real_ingest.errors > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  if (absl::GetFlag(FLAGS_mode) == "echo") return ServeEcho();
  return RunLoad(argv[0]);
}
