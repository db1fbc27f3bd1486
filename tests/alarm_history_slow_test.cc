// Alarms across a restart with real processes (issue 13 item 5): a
// peergrid-exchange on a fast simulated clock raises HUB_STALE for a hub that
// never reported and for one that went silent; it is stopped and started
// again on the same data directory; afterwards `peergridctl alarms` shows
// the same active alarms with the same raise times, HUB_STALE still counts
// silence from the hub's last report, and `peergridctl alarms --history`
// prints the same stored transitions, then the CLEARED of a hub that reports.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peergrid/runtime/subprocess.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/hub.grpc.pb.h"
#include "peergrid/v1/operator.grpc.pb.h"

extern char** environ;

namespace peergrid {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Polls `done` every 20 ms for up to `limit` (waiting on another process).
template <typename F>
bool Eventually(F done, absl::Duration limit = absl::Seconds(60)) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

class AlarmHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("alarm_history");
    // One simulated time for both runs of the exchange: 20× real time from now.
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    clock_ = absl::StrCat("sim:20@", now_ms / 1000, "~", now_ms);
  }
  void TearDown() override {
    if (exchange_ != nullptr) exchange_->Stop(absl::Seconds(10));
  }

  // Starts the exchange on the test's data directory and clock.
  void StartExchange() {
    const std::string port_file = dir_ + "/exchange.port";
    std::remove(port_file.c_str());
    ASSERT_OK_AND_ASSIGN(
        exchange_,
        runtime::Subprocess::Start(
            {peergrid::testing::BinaryDir() + "/bin/peergrid-exchange", "--data-dir",
             dir_ + "/exchange", "--listen", "127.0.0.1:0", "--http=", "--port_file", port_file,
             "--clock", clock_, "--alarm-history-per-hub", "50", "--insecure"},
            dir_ + "/exchange.log"));
    ASSERT_OK_AND_ASSIGN(const std::string port,
                         runtime::WaitForFileLine(port_file, absl::Seconds(60)));
    server_ = "127.0.0.1:" + port;
    channel_ = grpc::CreateChannel(server_, grpc::InsecureChannelCredentials());
  }

  void RegisterHub(const std::string& hub_id) {
    auto admin = v1::AdminService::NewStub(channel_);
    grpc::ClientContext ctx;
    v1::RegisterHubRequest req;
    req.mutable_hub()->set_hub_id(hub_id);
    req.mutable_hub()->set_zone_id("jeju-1");
    req.mutable_hub()->set_latitude_deg(33.5);
    req.mutable_hub()->set_longitude_deg(126.5);
    req.mutable_hub()->set_reporting_period_s(1);
    v1::RegisterResponse resp;
    grpc::Status s = admin->RegisterHub(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Sends one report of `hub_id` and waits for its acknowledgement.
  void SendReport(const std::string& hub_id, uint64_t seq) {
    auto hubs = v1::HubService::NewStub(channel_);
    grpc::ClientContext ctx;
    auto stream = hubs->Report(&ctx);
    v1::HubReport r;
    r.set_hub_id(hub_id);
    r.set_zone_id("jeju-1");
    r.set_seq(seq);
    r.set_measured_at_unix_ms(absl::ToUnixMillis(absl::Now()) - 600'000);
    v1::BatteryBankReading* b = r.add_banks();
    b->set_bank_id("bank-1");
    b->set_soc_pct(50);
    b->set_soh_pct(95);
    b->set_cell_temp_max_c(25);
    b->set_cell_temp_min_c(20);
    b->set_chemistry(v1::NMC);
    ASSERT_TRUE(stream->Write(r));
    stream->WritesDone();
    v1::ReportAck ack;
    uint64_t acked = 0;
    while (stream->Read(&ack)) {
      ASSERT_FALSE(ack.has_rejection()) << ack.rejection().message();
      acked = ack.acked_seq();
    }
    ASSERT_TRUE(stream->Finish().ok());
    ASSERT_EQ(acked, seq);
  }

  std::vector<v1::Alarm> Active(const std::string& hub_id) {
    auto ops = v1::OperatorService::NewStub(channel_);
    grpc::ClientContext ctx;
    v1::GetHubRequest req;
    req.set_hub_id(hub_id);
    v1::HubStatus status;
    EXPECT_TRUE(ops->GetHub(&ctx, req, &status).ok());
    return {status.active_alarms().begin(), status.active_alarms().end()};
  }

  std::vector<v1::AlarmHistoryEntry> History() {
    auto ops = v1::OperatorService::NewStub(channel_);
    grpc::ClientContext ctx;
    v1::ListAlarmHistoryResponse resp;
    EXPECT_TRUE(ops->ListAlarmHistory(&ctx, {}, &resp).ok());
    EXPECT_EQ(resp.retained_per_hub(), 50);
    return {resp.entries().begin(), resp.entries().end()};
  }

  // Runs peergridctl with `args` against the exchange; returns its stdout.
  std::string Ctl(std::vector<std::string> args) {
    const std::string binary = peergrid::testing::BinaryDir() + "/bin/peergridctl";
    args.insert(args.end(), {"--server", server_, "--insecure"});
    const std::string out = dir_ + "/ctl.out", err = dir_ + "/ctl.err";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid;
    const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "cannot start " << binary;
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(err);
    return ReadFile(out);
  }

  std::string dir_;
  std::string clock_;
  std::string server_;
  std::unique_ptr<runtime::Subprocess> exchange_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Returns the HUB_STALE among `alarms`, if any.
std::optional<v1::Alarm> Stale(const std::vector<v1::Alarm>& alarms) {
  for (const v1::Alarm& a : alarms) {
    if (a.kind() == v1::HUB_STALE) return a;
  }
  return std::nullopt;
}

TEST_F(AlarmHistoryTest, ActiveAlarmsAndHistorySurviveARestart) {
  ASSERT_NO_FATAL_FAILURE(StartExchange());
  ASSERT_NO_FATAL_FAILURE(RegisterHub("hub-a"));  // never reports
  ASSERT_NO_FATAL_FAILURE(RegisterHub("hub-b"));  // reports once, then falls silent
  ASSERT_NO_FATAL_FAILURE(SendReport("hub-b", 1));
  // 3 periods of 1 s simulated are 150 ms: both go stale.
  ASSERT_TRUE(Eventually([&] { return Stale(Active("hub-a")) && Stale(Active("hub-b")); }))
      << "no HUB_STALE; see " << dir_ << "/exchange.log";
  const v1::Alarm a_before = Stale(Active("hub-a")).value();
  const v1::Alarm b_before = Stale(Active("hub-b")).value();
  EXPECT_LT(b_before.condition_since_unix_ms(), b_before.raised_at_unix_ms());
  const std::vector<v1::AlarmHistoryEntry> before = History();
  ASSERT_EQ(before.size(), 2u);

  exchange_->Signal(SIGTERM);
  ASSERT_OK(exchange_->Wait(absl::Seconds(20)).status());
  exchange_.reset();
  absl::SleepFor(absl::Milliseconds(500));  // ten simulated seconds of downtime
  ASSERT_NO_FATAL_FAILURE(StartExchange());

  // The same alarms, raised when they were, silent since the same times.
  const std::optional<v1::Alarm> a_after = Stale(Active("hub-a"));
  const std::optional<v1::Alarm> b_after = Stale(Active("hub-b"));
  ASSERT_TRUE(a_after.has_value());
  ASSERT_TRUE(b_after.has_value());
  EXPECT_EQ(a_after->raised_at_unix_ms(), a_before.raised_at_unix_ms());
  EXPECT_EQ(b_after->raised_at_unix_ms(), b_before.raised_at_unix_ms());
  EXPECT_EQ(b_after->condition_since_unix_ms(), b_before.condition_since_unix_ms());
  EXPECT_GE(b_after->value(), b_before.value() + 10);  // the downtime counts: it was silent
  const std::vector<v1::AlarmHistoryEntry> after = History();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].SerializeAsString(), before[i].SerializeAsString()) << i;
  }

  // The CLI prints them: the active alarms, and the history as a table.
  const std::string active = Ctl({"alarms"});
  EXPECT_THAT(active, HasSubstr("ACTIVE"));
  EXPECT_THAT(active, HasSubstr("hub-a HUB_STALE"));
  // hub-b reports: its HUB_STALE clears (and, 150 ms of silence later, may rise again).
  ASSERT_NO_FATAL_FAILURE(SendReport("hub-b", 2));
  const std::string table = Ctl({"alarms", "--history"});
  const std::vector<std::string> lines = absl::StrSplit(table, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 5u) << table;  // header, 2 RAISED, 1 CLEARED, …, the count
  EXPECT_THAT(lines[0], HasSubstr("SEQ"));
  EXPECT_THAT(lines[0], HasSubstr("TRANSITION"));
  EXPECT_THAT(lines[0], HasSubstr("SINCE"));
  EXPECT_THAT(lines[1], HasSubstr("RAISED"));
  EXPECT_THAT(lines[1], HasSubstr("HUB_STALE"));
  EXPECT_THAT(lines[3], HasSubstr("CLEARED"));
  EXPECT_THAT(lines[3], HasSubstr("hub-b"));
  EXPECT_THAT(lines.back(), HasSubstr(absl::StrCat(lines.size() - 2,
                                                   " transitions (the exchange "
                                                   "keeps the last 50 per hub)")));
  const std::vector<v1::AlarmHistoryEntry> last = History();
  ASSERT_GE(last.size(), 3u);
  EXPECT_EQ(last[2].event().transition(), v1::CLEARED);
  EXPECT_EQ(last[2].event().alarm().hub_id(), "hub-b");
  EXPECT_GE(last[2].event().at_unix_ms(), b_before.raised_at_unix_ms());
  for (size_t i = 1; i < last.size(); ++i) {
    EXPECT_GE(last[i].event().at_unix_ms(), last[i - 1].event().at_unix_ms()) << i;
  }
}

}  // namespace
}  // namespace peergrid
