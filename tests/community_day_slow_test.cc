// End to end with real processes: an exchange and two hubs on loopback trade
// for a simulated day. Afterwards every order the test had acknowledged is in
// the ledger at its seq, the ledger verifies, every interval's clearing re-run
// with `peergridctl clear` on its recorded orders gives the recorded result,
// and each interval's bills plus the grid line sum to zero. A second test
// SIGKILLs the exchange mid-day and checks nothing acknowledged is lost and
// missed clearings run exactly once.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/report.h"
#include "peergrid/common/status.h"
#include "peergrid/community/community.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/note.h"
#include "peergrid/rpc/tls.h"
#include "peergrid/telemetry/telemetry_store.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/ledger.pb.h"
#include "peergrid/v1/market.grpc.pb.h"
#include "peergrid/v1/operator.grpc.pb.h"

namespace peergrid {
namespace {

using community::Community;
using community::CommunityOptions;

community::CommunityOptions SmallCommunity(const std::string& name) {
  community::CommunityOptions options;
  options.dir = ::peergrid::testing::FreshTempDir(name);
  options.bin_dir = ::peergrid::testing::BinaryDir() + "/bin";
  options.hubs = 2;
  options.households_per_hub = 8;
  options.speed = 1500;
  return options;
}

// The tester's own Ed25519 key: the zone requires signed orders.
const ledger::Signer& TesterKey() {
  static const ledger::Signer* key =
      new ledger::Signer(ledger::Signer::FromSeed("tester", std::string(32, 't')).value());
  return *key;
}

// A test participant the hubs do not trade for: the test's own orders.
void RegisterTester(community::Community& community) {
  auto admin = v1::AdminService::NewStub(
      grpc::CreateChannel(community.exchange_address(), community.credentials()));
  v1::RegisterParticipantRequest request;
  request.mutable_participant()->set_participant_id("tester");
  request.mutable_participant()->set_hub_id("hub-1");
  request.mutable_participant()->set_kind(v1::HOUSEHOLD);
  request.mutable_participant()->set_public_key(TesterKey().verifier().public_key());
  grpc::ClientContext context;
  v1::RegisterResponse response;
  ASSERT_TRUE(admin->RegisterParticipant(&context, request, &response).ok());
}

// Places one BUY for each of the next few open intervals; returns id → seq.
std::map<std::string, uint64_t> PlaceTesterOrders(community::Community& community, int count) {
  std::map<std::string, uint64_t> acked;
  // The tester's own certificate: an admin may not trade for a household.
  absl::StatusOr<rpc::ClientTlsFlags> tester = community.IssueClient("household", "tester");
  EXPECT_TRUE(tester.ok()) << tester.status();
  if (!tester.ok()) return acked;
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> as_tester =
      rpc::MakeChannelCredentials(*tester, community.exchange_address());
  EXPECT_TRUE(as_tester.ok()) << as_tester.status();
  if (!as_tester.ok()) return acked;
  auto market =
      v1::MarketService::NewStub(grpc::CreateChannel(community.exchange_address(), *as_tester));
  auto admin = v1::AdminService::NewStub(
      grpc::CreateChannel(community.exchange_address(), community.credentials()));
  for (int i = 0; i < count; ++i) {
    grpc::ClientContext zc;
    v1::Zone zone;
    if (!admin->GetZone(&zc, v1::GetZoneRequest(), &zone).ok()) continue;
    const int64_t now_s = zone.now_unix_ms() / 1000;
    v1::SubmitOrderRequest request;
    v1::Order* o = request.mutable_order();
    o->set_order_id(absl::StrCat("tester-", now_s, "-", i));
    o->set_participant_id("tester");
    o->set_side(v1::BUY);
    o->set_quantity_wh(200 + i);
    o->set_limit_price_mcu_per_kwh(180'000);
    o->set_interval_start((now_s + 300) / 900 * 900 + 900 * (1 + i % 3));
    request.set_signature(TesterKey().Sign(convert::OrderSigningText(*o)));
    grpc::ClientContext context;
    v1::SubmitOrderResponse response;
    if (market->SubmitOrder(&context, request, &response).ok()) {
      acked[o->order_id()] = response.seq();
    }
  }
  return acked;
}

struct Export {
  std::vector<std::string> entries;
};

absl::StatusOr<Export> ExportAndVerify(const community::Community& community) {
  ledger::LedgerOptions options;
  options.read_only = true;
  PEERGRID_ASSIGN_OR_RETURN(
      auto ledger, ledger::Ledger::Open(community.exchange_data_dir() + "/ledger", options));
  const std::string dir = community.options().dir + "/export";
  PEERGRID_RETURN_IF_ERROR(ledger::ExportLedger(*ledger, dir));
  PEERGRID_RETURN_IF_ERROR(ledger::VerifyExport(dir).status());
  Export out;
  PEERGRID_ASSIGN_OR_RETURN(out.entries, ledger->GetEntries(0, ledger->Size()));
  return out;
}

std::string RunClear(const std::string& dir, const v1::ClearingInput& input) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(input, &json, print).ok());
  const std::string in = dir + "/clearing-input.json";
  const std::string out = dir + "/clearing-output.json";
  std::ofstream(in) << json;
  const std::string cmd =
      ::peergrid::testing::BinaryDir() + "/bin/peergridctl clear --input " + in + " > " + out;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream result(out);
  std::stringstream text;
  text << result.rdbuf();
  return text.str();
}

// Re-runs every interval's clearing with the real `peergridctl clear` on the
// orders recorded for it and compares with the recorded result.
void ExpectEveryClearingReruns(const std::string& dir, const Export& exported,
                               int* intervals_cleared) {
  std::map<int64_t, std::vector<v1::Order>> open;  // by interval, in seq order
  std::set<std::string> cancelled;
  std::set<int64_t> cleared;
  v1::Tariff tariff;
  for (size_t index = 0; index < exported.entries.size(); ++index) {
    v1::LedgerEntry entry;
    ASSERT_TRUE(entry.ParseFromString(exported.entries[index])) << "entry " << index;
    if (entry.has_tariff_set()) tariff = entry.tariff_set().tariff();
    if (entry.has_order_accepted()) {
      // Every order is signed (the exchange runs --require-signed-orders):
      // the agents' with their hub's key, the tester's with its own.
      EXPECT_FALSE(entry.order_accepted().signature().empty()) << "entry " << index;
      v1::Order order = entry.order_accepted().order();
      order.set_seq(index);
      open[order.interval_start()].push_back(order);
    }
    if (entry.has_order_cancelled()) cancelled.insert(entry.order_cancelled().order_id());
    if (!entry.has_interval_cleared()) continue;
    const v1::ClearingResult& recorded = entry.interval_cleared().result();
    EXPECT_TRUE(cleared.insert(recorded.interval_start()).second)
        << "interval " << recorded.interval_start() << " cleared twice";
    v1::ClearingInput input;
    input.set_interval_start(recorded.interval_start());
    *input.mutable_tariff() = tariff;
    for (const v1::Order& order : open[recorded.interval_start()]) {
      if (!cancelled.contains(order.order_id())) *input.add_orders() = order;
    }
    open.erase(recorded.interval_start());
    if (input.orders().empty()) continue;  // nothing to re-run
    v1::ClearingResult rerun;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(RunClear(dir, input), &rerun).ok());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(rerun, recorded))
        << "interval " << recorded.interval_start() << ": re-run " << rerun.ShortDebugString()
        << " recorded " << recorded.ShortDebugString();
  }
  *intervals_cleared = static_cast<int>(cleared.size());
}

// Every settlement records both hubs' grid reads and a read for every
// storage participant (no bank settles ESTIMATED once its meter reports), and
// the audit finds every hub's balance that it can check within bounds. hub-1
// carries the test's meterless tester, so only hub-2's balance is complete.
void ExpectEveryFlowMeteredAndBalanced(const community::Community& community,
                                       const Export& exported) {
  // The latest settlement of each interval (a correction replaces it).
  std::map<int64_t, v1::IntervalSettled> latest;
  for (size_t index = 0; index < exported.entries.size(); ++index) {
    v1::LedgerEntry entry;
    ASSERT_TRUE(entry.ParseFromString(exported.entries[index]));
    if (entry.has_interval_settled()) {
      latest[entry.interval_settled().interval_start()] = entry.interval_settled();
    } else if (entry.has_settlement_corrected()) {
      latest[entry.settlement_corrected().settlement().interval_start()] =
          entry.settlement_corrected().settlement();
    }
  }
  EXPECT_GE(latest.size(), 96u);
  // On the scaled wall clock a hub that falls behind reports an interval
  // after its settlement (then a correction follows, unless the day ended
  // first): a few intervals may lack a hub's read, not more.
  int incomplete = 0, storage_reads = 0;
  for (const auto& [start, settled] : latest) {
    if (settled.hub_reads_size() != 2) ++incomplete;
    for (const v1::MeterRead& read : settled.meter_reads()) {
      if (read.participant_id().find("storage") != std::string::npos) ++storage_reads;
    }
  }
  EXPECT_LE(incomplete, 5) << "intervals whose latest settlement lacks a hub's grid read";
  EXPECT_GE(storage_reads, static_cast<int>(latest.size()) - incomplete)
      << "storage participants have no reads";
  const std::string dir = community.options().dir + "/export";
  ASSERT_OK_AND_ASSIGN(ledger::VerifierKey key, audit::ReadVerifierKeyFile(dir + "/log.pub"));
  ASSERT_OK_AND_ASSIGN(audit::AuditReport report,
                       audit::AuditExport(dir, key, audit::AuditOptions{}));
  EXPECT_TRUE(report.ok()) << audit::AuditReportText(report);
  EXPECT_GE(report.counts[static_cast<size_t>(audit::AuditCheck::kEnergyBalance)].verified, 85u)
      << audit::AuditReportText(report);
}

TEST(CommunityDayTest, ADayOfTradingIsRecordedVerifiedAndReproducible) {
  community::Community community(SmallCommunity("day"));
  ASSERT_OK(community.Start());
  RegisterTester(community);
  std::map<std::string, uint64_t> acked = PlaceTesterOrders(community, 6);
  ASSERT_FALSE(acked.empty());
  ASSERT_OK(community.RunDay(nullptr, absl::Minutes(5)));
  ASSERT_OK_AND_ASSIGN(community::DaySummary summary, community.Summarize());
  ASSERT_OK(community.Stop());
  EXPECT_EQ(summary.intervals_cleared, 96);
  EXPECT_EQ(summary.intervals_settled, 96);
  EXPECT_GT(summary.p2p_traded_wh, 0) << "the agents traded nothing";
  EXPECT_TRUE(summary.problems.empty()) << summary.problems.front();  // Σ bills + grid = 0
  EXPECT_EQ(summary.bills_ucu + summary.grid_line_ucu, 0);

  ASSERT_OK_AND_ASSIGN(Export exported, ExportAndVerify(community));
  for (const auto& [id, seq] : acked) {  // every acknowledged order, at its seq
    ASSERT_LT(seq, exported.entries.size());
    v1::LedgerEntry entry;
    ASSERT_TRUE(entry.ParseFromString(exported.entries[seq]));
    EXPECT_EQ(entry.order_accepted().order().order_id(), id);
  }
  int cleared = 0;
  ExpectEveryClearingReruns(community.options().dir, exported, &cleared);
  EXPECT_GE(cleared, 96);
  ExpectEveryFlowMeteredAndBalanced(community, exported);
}

TEST(CommunityDayTest, SigkilledExchangeLosesNothingAndRunsMissedClearingsOnce) {
  community::Community community(SmallCommunity("crash"));
  ASSERT_OK(community.Start());
  RegisterTester(community);
  const int64_t day = community.day_start_unix_s();
  ASSERT_OK(community.WaitForCleared(day + 30 * 900, absl::Minutes(3)));
  std::map<std::string, uint64_t> acked = PlaceTesterOrders(community, 6);
  ASSERT_FALSE(acked.empty());
  // Down for a while in simulated time: clearings fall due while it is dead.
  ASSERT_OK(community.RestartExchange(/*kill=*/true));
  std::map<std::string, uint64_t> after = PlaceTesterOrders(community, 3);
  acked.insert(after.begin(), after.end());
  ASSERT_OK(community.RunDay(nullptr, absl::Minutes(5)));
  ASSERT_OK_AND_ASSIGN(community::DaySummary summary, community.Summarize());
  ASSERT_OK(community.Stop());
  EXPECT_EQ(summary.intervals_settled, 96);
  EXPECT_TRUE(summary.problems.empty()) << summary.problems.front();

  ASSERT_OK_AND_ASSIGN(Export exported, ExportAndVerify(community));
  for (const auto& [id, seq] : acked) {
    ASSERT_LT(seq, exported.entries.size()) << id;
    v1::LedgerEntry entry;
    ASSERT_TRUE(entry.ParseFromString(exported.entries[seq]));
    EXPECT_EQ(entry.order_accepted().order().order_id(), id) << "acknowledged order lost";
  }
  int cleared = 0;
  ExpectEveryClearingReruns(community.options().dir, exported, &cleared);  // once each
  EXPECT_GE(cleared, 96);
  // The full audit agrees (missed work ran once, in order, nothing accepted late).
  ASSERT_OK_AND_ASSIGN(ledger::ExportSummary verified,
                       ledger::VerifyExport(community.options().dir + "/export"));
  ASSERT_OK_AND_ASSIGN(ledger::VerifierKey key, ledger::VerifierKey::Parse(verified.verifier_key));
  ASSERT_OK_AND_ASSIGN(audit::AuditReport report,
                       audit::AuditExport(community.options().dir + "/export", key, {}));
  EXPECT_TRUE(report.ok()) << (report.failures.empty() ? "" : report.failures[0].reason);
  // No report lost: what each hub had acknowledged when it stopped is in the
  // exchange's telemetry store, every seq from 1 exactly once.
  ASSERT_OK_AND_ASSIGN(
      auto store, telemetry::TelemetryStore::Open(community.exchange_data_dir() + "/telemetry"));
  for (int h = 1; h <= 2; ++h) {
    std::ifstream log(absl::StrCat(community.options().dir, "/logs/hub-", h, ".log"));
    std::string line;
    uint64_t hub_acked = 0;
    while (std::getline(log, line)) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.value("msg", "") == "stopped") hub_acked = j.value("acked_seq", 0);
    }
    const std::string hub = absl::StrCat("hub-", h);
    ASSERT_GT(hub_acked, 0u) << hub << " acknowledged nothing";
    EXPECT_EQ(store->LastSeq(hub), hub_acked) << hub;
    ASSERT_OK_AND_ASSIGN(std::vector<uint64_t> seqs, store->StoredSeqs(hub));
    ASSERT_EQ(seqs.size(), hub_acked) << hub;
    for (uint64_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1) << hub;
  }
}

}  // namespace
}  // namespace peergrid
