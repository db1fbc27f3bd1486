// The real peergrid-exchange's bounded resources (DESIGN.md §9): concurrent
// streams per connection, long-lived streams per identity (WatchTrades,
// WatchAlarms, WatchCheckpoints, HubService.Report) and their release on
// cancellation and on a dropped connection, orders and cancels per identity
// per second, and the ledger's entry size.
#include <sys/wait.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/runtime/subprocess.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/tcp_proxy.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/audit.grpc.pb.h"
#include "peergrid/v1/hub.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"
#include "peergrid/v1/operator.grpc.pb.h"

namespace peergrid {
namespace {

using ::testing::HasSubstr;

constexpr int kStreamsPerConnection = 4;

class ExchangeLimitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::peergrid::testing::FreshTempDir("exchange_limits"));
    auto exchange = runtime::Subprocess::Start(
        {::peergrid::testing::BinaryDir() + "/bin/peergrid-exchange",
         "--data-dir=" + *dir_ + "/data", "--listen=127.0.0.1:0",
         "--http=", "--port-file=" + *dir_ + "/port",
         absl::StrCat("--max-concurrent-streams=", kStreamsPerConnection),
         "--max-streams-per-identity=2", "--max-orders-per-s=0.001", "--order-burst=3",
         "--max-entry-bytes=4096", "--insecure"},
        *dir_ + "/exchange.log");
    ASSERT_TRUE(exchange.ok()) << exchange.status();
    exchange_ = exchange->release();
    auto port = runtime::WaitForFileLine(*dir_ + "/port", absl::Seconds(60));
    ASSERT_TRUE(port.ok()) << port.status();
    address_ = new std::string("127.0.0.1:" + *port);
  }

  static void TearDownTestSuite() {
    if (exchange_ != nullptr) {
      int status = exchange_->Stop(absl::Seconds(30));
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
      delete exchange_;
    }
    delete address_;
    delete dir_;
  }

  // A channel with its own connection (channels with equal arguments would
  // otherwise share one), to the exchange or to `address`.
  static std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address = "") {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxSendMessageSize(16 << 20);
    return grpc::CreateCustomChannel(address.empty() ? *address_ : address,
                                     grpc::InsecureChannelCredentials(), args);
  }

  static int Port() { return std::stoi(address_->substr(address_->rfind(':') + 1)); }

  // Registers hub-<who>, whose reports and alarms a stream test watches.
  static void RegisterHub(const std::string& who) {
    v1::RegisterHubRequest hub;
    hub.mutable_hub()->set_hub_id("hub-" + who);
    hub.mutable_hub()->set_zone_id("jeju-1");
    hub.mutable_hub()->set_reporting_period_s(5);
    grpc::ClientContext context;
    v1::RegisterResponse response;
    grpc::Status status =
        v1::AdminService::NewStub(OwnChannel())->RegisterHub(&context, hub, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  static uint64_t LedgerSize() {
    auto admin = v1::AdminService::NewStub(OwnChannel());
    grpc::ClientContext context;
    v1::Zone zone;
    EXPECT_TRUE(admin->GetZone(&context, v1::GetZoneRequest(), &zone).ok());
    return zone.ledger_size();
  }

  static std::string* dir_;
  static std::string* address_;
  static runtime::Subprocess* exchange_;
};

std::string* ExchangeLimitsTest::dir_ = nullptr;
std::string* ExchangeLimitsTest::address_ = nullptr;
runtime::Subprocess* ExchangeLimitsTest::exchange_ = nullptr;

// A WatchTrades call on a completion queue; its tags say which call and
// which step completed.
struct Watch {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientAsyncReader<v1::TradeEvent>> reader;
  grpc::Status status;
};
enum Step { kStarted, kServed, kFinished, kSteps };
void* Tag(int call, Step step) { return reinterpret_cast<void*>(intptr_t{call} * kSteps + step); }

// Waits up to `timeout` for the next successful completion of `step`;
// returns its call or -1. Other completions are skipped.
int Next(grpc::CompletionQueue* cq, Step step, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    void* tag = nullptr;
    bool ok = false;
    if (cq->AsyncNext(&tag, &ok, absl::ToChronoTime(deadline)) !=
        grpc::CompletionQueue::NextStatus::GOT_EVENT) {
      return -1;
    }
    const intptr_t t = reinterpret_cast<intptr_t>(tag);
    if (t % kSteps == step && ok) return static_cast<int>(t / kSteps);
  }
}

TEST_F(ExchangeLimitsTest, OneConnectionGetsAtMostTheStreamLimitServedAtOnce) {
  constexpr int kCalls = 2 * kStreamsPerConnection;
  auto channel = OwnChannel();
  {
    // One call first, so the client has the server's SETTINGS (the limit)
    // before it opens the streams.
    grpc::ClientContext context;
    v1::Zone zone;
    ASSERT_TRUE(
        v1::AdminService::NewStub(channel)->GetZone(&context, v1::GetZoneRequest(), &zone).ok());
  }
  auto stub = v1::MarketService::NewStub(channel);
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<Watch>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::make_unique<Watch>());
    v1::WatchTradesRequest request;
    request.set_participant_id(absl::StrCat("watcher-", i));  // below the per-identity limit
    calls[i]->reader = stub->PrepareAsyncWatchTrades(&calls[i]->context, request, &cq);
    calls[i]->reader->StartCall(Tag(i, kStarted));
    // The server sends its initial metadata as soon as it serves the stream.
    calls[i]->reader->ReadInitialMetadata(Tag(i, kServed));
  }
  std::set<int> served;
  while (served.size() < kStreamsPerConnection) {
    const int call = Next(&cq, kServed, absl::Seconds(30));
    ASSERT_GE(call, 0) << "only " << served.size() << " streams served";
    served.insert(call);
  }
  // The rest wait for a free stream: nothing more is served...
  EXPECT_EQ(Next(&cq, kServed, absl::Milliseconds(500)), -1);
  // ...until the served ones end, and then exactly the waiting ones are.
  for (int call : served) calls[call]->context.TryCancel();
  std::set<int> later;
  while (later.size() < kCalls - kStreamsPerConnection) {
    const int call = Next(&cq, kServed, absl::Seconds(30));
    ASSERT_GE(call, 0) << "only " << later.size() << " waiting streams served later";
    EXPECT_EQ(served.count(call), 0u) << call;
    later.insert(call);
  }
  for (auto& call : calls) call->context.TryCancel();
  for (int i = 0; i < kCalls; ++i) calls[i]->reader->Finish(&calls[i]->status, Tag(i, kFinished));
  for (int finished = 0; finished < kCalls; ++finished) {
    ASSERT_GE(Next(&cq, kFinished, absl::Seconds(30)), 0);
  }
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(ExchangeLimitsTest, AnIdentityGetsAtMostItsStreamLimit) {
  auto channel = OwnChannel();
  auto stub = v1::MarketService::NewStub(channel);
  v1::WatchTradesRequest request;
  request.set_participant_id("eager");
  grpc::ClientContext c1, c2, c3, other;
  auto s1 = stub->WatchTrades(&c1, request);
  auto s2 = stub->WatchTrades(&c2, request);
  s1->WaitForInitialMetadata();
  s2->WaitForInitialMetadata();
  auto s3 = stub->WatchTrades(&c3, request);
  v1::TradeEvent event;
  EXPECT_FALSE(s3->Read(&event));
  grpc::Status refused = s3->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_THAT(refused.error_message(),
              HasSubstr("\"participant/eager\" already has 2 open streams"));
  // Another identity is not affected.
  v1::WatchTradesRequest someone_else;
  someone_else.set_participant_id("patient");
  auto s4 = stub->WatchTrades(&other, someone_else);
  s4->WaitForInitialMetadata();
  // Closing one stream frees its slot.
  c1.TryCancel();
  (void)s1->Finish();
  grpc::ClientContext c5;
  auto s5 = stub->WatchTrades(&c5, request);
  s5->WaitForInitialMetadata();
  for (grpc::ClientContext* c : {&c2, &c5, &other}) c->TryCancel();
  for (auto* s : {s2.get(), s4.get(), s5.get()}) (void)s->Finish();
}

// The long-lived stream kinds, each under the --insecure limit key its
// requests make (authorizer.h, LimitKey).
enum class Kind { kTrades, kAlarms, kCheckpoints, kReport };

// Each test's streams belong to their own identities (household lim-<who>,
// hub hub-<who>), so slots a test released lately cannot confuse the next.
std::string KeyOf(Kind kind, const std::string& who) {
  switch (kind) {
    case Kind::kTrades:
      return absl::StrCat("\"participant/lim-", who, "\"");
    case Kind::kAlarms:
      return absl::StrCat("\"operator/hub-", who, "\"");
    case Kind::kCheckpoints:
      return "\"peer/ipv4:127.0.0.1:";  // the caller's connection
    case Kind::kReport:
      return absl::StrCat("\"hub/hub-", who, "\"");
  }
  return "";
}

// One stream, open or refused; finish() waits for its end (after
// context->TryCancel(), or its deadline, for a stream the exchange serves).
struct Held {
  std::unique_ptr<grpc::ClientContext> context = std::make_unique<grpc::ClientContext>();
  std::function<grpc::Status()> finish;
  grpc::Status Close() {
    context->TryCancel();
    return finish();
  }
};

template <typename Event>
std::function<grpc::Status()> FinishReader(std::unique_ptr<grpc::ClientReader<Event>> opened) {
  std::shared_ptr<grpc::ClientReader<Event>> reader = std::move(opened);
  // A served stream sends its initial metadata at once; a refused one its status.
  reader->WaitForInitialMetadata();
  return [reader] {
    Event ignored;  // trades, checkpoints or alarms: drained
    while (reader->Read(&ignored)) {
    }
    return reader->Finish();
  };
}

// Opens a stream of `kind` on `channel`, to end by `deadline` (by default a
// minute: any test is over by then); when this returns the exchange has
// served it or refused it.
Held Open(Kind kind, const std::string& who, const std::shared_ptr<grpc::Channel>& channel,
          absl::Time deadline = absl::Now() + absl::Minutes(1)) {
  Held held;
  held.context->set_deadline(absl::ToChronoTime(deadline));
  grpc::ClientContext* context = held.context.get();
  switch (kind) {
    case Kind::kTrades: {
      v1::WatchTradesRequest request;
      request.set_participant_id("lim-" + who);
      held.finish =
          FinishReader(v1::MarketService::NewStub(channel)->WatchTrades(context, request));
      break;
    }
    case Kind::kAlarms: {
      v1::WatchAlarmsRequest request;
      request.set_hub_id("hub-" + who);
      held.finish =
          FinishReader(v1::OperatorService::NewStub(channel)->WatchAlarms(context, request));
      break;
    }
    case Kind::kCheckpoints: {
      held.finish = FinishReader(v1::AuditService::NewStub(channel)->WatchCheckpoints(
          context, v1::WatchCheckpointsRequest()));
      break;
    }
    case Kind::kReport: {
      std::shared_ptr<grpc::ClientReaderWriter<v1::HubReport, v1::ReportAck>> stream =
          v1::HubService::NewStub(channel)->Report(context);
      v1::HubReport report;
      report.set_hub_id("hub-" + who);
      report.set_zone_id("jeju-1");
      report.set_seq(1);  // stored once, then acknowledged as a duplicate
      report.set_measured_at_unix_ms(absl::ToUnixMillis(absl::Now()));
      v1::ReportAck ack;
      // Served: the first report is acknowledged. Refused: the stream ends.
      if (stream->Write(report)) (void)stream->Read(&ack);
      held.finish = [stream] {
        stream->WritesDone();
        v1::ReportAck more;
        while (stream->Read(&more)) {
        }
        return stream->Finish();
      };
      break;
    }
  }
  return held;
}

// Returns how a new stream of `kind` fares: RESOURCE_EXHAUSTED at once when
// its identity has no slot left; else it is served (and ends after 2 s:
// DEADLINE_EXCEEDED, or OK for a report stream, whose ack says it was served).
grpc::Status Probe(Kind kind, const std::string& who,
                   const std::shared_ptr<grpc::Channel>& channel) {
  return Open(kind, who, channel, absl::Now() + absl::Seconds(2)).finish();
}

// Probes until a stream of `kind` is served again (its identity got a slot
// back); false after 30 s.
bool ServedAgainSoon(Kind kind, const std::string& who,
                     const std::shared_ptr<grpc::Channel>& channel) {
  for (const absl::Time deadline = absl::Now() + absl::Seconds(30); absl::Now() < deadline;) {
    if (Probe(kind, who, channel).error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) {
      return true;
    }
  }
  return false;
}

// Issue 12: only WatchTrades was bounded per identity; one caller could hold
// any number of the other streams.
TEST_F(ExchangeLimitsTest, EveryLongLivedStreamKindIsBoundedPerIdentity) {
  RegisterHub("every");
  for (Kind kind : {Kind::kTrades, Kind::kAlarms, Kind::kCheckpoints, Kind::kReport}) {
    SCOPED_TRACE(KeyOf(kind, "every"));
    // WatchCheckpoints names nobody: with --insecure it counts per connection.
    auto first = OwnChannel();
    auto second = kind == Kind::kCheckpoints ? first : OwnChannel();
    Held a = Open(kind, "every", first);
    Held b = Open(kind, "every", second);
    grpc::Status refused = Probe(kind, "every", second);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << refused.error_message();
    EXPECT_THAT(refused.error_message(), HasSubstr(KeyOf(kind, "every")));
    EXPECT_THAT(refused.error_message(), HasSubstr("already has 2 open streams, the limit"));
    // Cancelling one gives its slot back.
    EXPECT_NE(a.Close().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_TRUE(ServedAgainSoon(kind, "every", second));
    (void)b.Close();
  }
}

// A client that vanishes (its connection dropped without a goodbye) gives its
// streams' slots back once the exchange notices.
TEST_F(ExchangeLimitsTest, ASlotComesBackWhenItsConnectionDrops) {
  RegisterHub("dropped");
  for (Kind kind : {Kind::kTrades, Kind::kAlarms, Kind::kReport}) {
    SCOPED_TRACE(KeyOf(kind, "dropped"));
    auto proxy = ::peergrid::testing::TcpProxy::Start(Port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    Held dropped = Open(kind, "dropped", OwnChannel(absl::StrCat("127.0.0.1:", (*proxy)->port())));
    Held kept = Open(kind, "dropped", OwnChannel());
    ASSERT_EQ((*proxy)->accepted(), 1);
    grpc::Status refused = Probe(kind, "dropped", OwnChannel());
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << refused.error_message();
    (*proxy)->Cut();
    EXPECT_TRUE(ServedAgainSoon(kind, "dropped", OwnChannel()));
    EXPECT_NE(dropped.finish().error_code(), grpc::StatusCode::OK);  // its connection is gone
    (void)kept.Close();
  }
}

TEST_F(ExchangeLimitsTest, OrdersAndCancelsArePacedPerIdentity) {
  auto stub = v1::MarketService::NewStub(OwnChannel());
  auto submit = [&](const std::string& who, int n) {
    v1::SubmitOrderRequest request;
    request.mutable_order()->set_order_id(absl::StrCat(who, "-", n));
    request.mutable_order()->set_participant_id(who);
    grpc::ClientContext context;
    v1::SubmitOrderResponse response;
    return stub->SubmitOrder(&context, request, &response);
  };
  // The burst is 3 (refill 0.001/s): three calls are judged on their merits
  // (these orders are invalid), the fourth is refused before that.
  for (int i = 0; i < 3; ++i) {
    grpc::Status s = submit("spammer", i);
    EXPECT_NE(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << i << s.error_message();
  }
  grpc::Status refused = submit("spammer", 3);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("identity \"participant/spammer\" is over its order rate"));
  // Cancels share the bucket.
  v1::CancelOrderRequest cancel;
  cancel.set_order_id("spammer-0");
  cancel.set_participant_id("spammer");
  grpc::ClientContext cancel_context;
  v1::CancelOrderResponse cancelled;
  EXPECT_EQ(stub->CancelOrder(&cancel_context, cancel, &cancelled).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Another identity has its own bucket.
  grpc::Status other = submit("neighbour", 0);
  EXPECT_NE(other.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << other.error_message();
}

TEST_F(ExchangeLimitsTest, AnOversizeEntryNeverReachesTheLedger) {
  auto admin = v1::AdminService::NewStub(OwnChannel());
  v1::RegisterHubRequest hub;
  hub.mutable_hub()->set_hub_id("hub-big");
  hub.mutable_hub()->set_zone_id("jeju-1");
  hub.mutable_hub()->set_reporting_period_s(5);
  {
    grpc::ClientContext context;
    v1::RegisterResponse response;
    ASSERT_TRUE(admin->RegisterHub(&context, hub, &response).ok());
  }
  const uint64_t before = LedgerSize();
  v1::RegisterParticipantRequest p;
  p.mutable_participant()->set_participant_id("big-name");
  p.mutable_participant()->set_hub_id("hub-big");
  p.mutable_participant()->set_kind(v1::SHARED_STORAGE);
  // Every field within its own bounds (64 bank ids of 120 bytes), the entry
  // over the 4096-byte limit.
  for (int b = 0; b < 64; ++b) {
    p.mutable_participant()->add_storage_bank_ids(absl::StrCat(b, "-", std::string(117, 'b')));
  }
  grpc::ClientContext context;
  v1::RegisterResponse response;
  grpc::Status refused = admin->RegisterParticipant(&context, p, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  EXPECT_THAT(refused.error_message(), HasSubstr("4096-byte entry limit"));
  EXPECT_EQ(LedgerSize(), before);
  // The same registration with a few banks is accepted.
  p.mutable_participant()->clear_storage_bank_ids();
  p.mutable_participant()->add_storage_bank_ids("bank-1");
  grpc::ClientContext again;
  EXPECT_TRUE(admin->RegisterParticipant(&again, p, &response).ok());
  EXPECT_EQ(LedgerSize(), before + 1);
}

}  // namespace
}  // namespace peergrid
