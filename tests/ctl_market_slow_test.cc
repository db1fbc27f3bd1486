// Runs the real peergridctl binary's offline tools (`clear`, `settle`) on
// JSON files and checks their output and exit codes for good and bad input.
// (A "slow" test because it starts child processes; it takes about a second.)
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "peergrid/convert/market_convert.h"
#include "peergrid/matching/auction.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/v1/types.pb.h"

extern char** environ;

namespace peergrid {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

struct CtlRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class CtlMarketTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::FreshTempDir("ctl"); }

  // Writes `text` to a file in the test's directory and returns its path.
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // Runs peergridctl with `args`, stdout and stderr captured to files.
  CtlRun Ctl(const std::vector<std::string>& args) {
    const std::string binary = testing::BinaryDir() + "/bin/peergridctl";
    const std::string out = dir_ + "/stdout", err = dir_ + "/stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid;
    CtlRun run;
    const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(rc, 0) << "cannot start " << binary;
    if (rc != 0) return run;
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = ReadFile(out);
    run.err = ReadFile(err);
    return run;
  }

  std::string dir_;
};

// The partial-fills book of docs/MARKET.md: A 30 Wh ≤ 150, B 20 Wh ≤ 140
// buy; X 25 Wh ≥ 100, Y 40 Wh ≥ 130 sell (prices in currency units/kWh).
nlohmann::json Book() {
  return nlohmann::json::parse(R"({
    "interval_start": "1782000900",
    "tariff": {"feed_in_price_mcu_per_kwh": 50000, "retail_price_mcu_per_kwh": 200000},
    "orders": [
      {"order_id": "Y", "participant_id": "py", "side": "SELL", "quantity_wh": 40,
       "limit_price_mcu_per_kwh": 130000, "seq": 4},
      {"order_id": "A", "participant_id": "pa", "side": "BUY", "quantity_wh": 30,
       "limit_price_mcu_per_kwh": 150000, "seq": 1},
      {"orderId": "X", "participantId": "px", "side": "SELL", "quantityWh": "25",
       "limitPriceMcuPerKwh": 100000, "seq": "3"},
      {"order_id": "B", "participant_id": "pb", "side": "BUY", "quantity_wh": 20,
       "limit_price_mcu_per_kwh": 140000, "seq": 2}
    ]})");
}

v1::ClearingResult ParseClearing(const std::string& json) {
  v1::ClearingResult result;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &result).ok()) << json;
  return result;
}

TEST_F(CtlMarketTest, ClearPrintsTheHandComputedResult) {
  CtlRun run = Ctl({"clear", "--input", Write("book.json", Book().dump())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  // Proto field names, int64 as protobuf JSON prints them (strings).
  EXPECT_THAT(run.out,
              AllOf(HasSubstr("\"clearing_price_mcu_per_kwh\": \"135000\""),
                    HasSubstr("\"buyer_id\": \"pa\""), HasSubstr("\"volume_wh\": \"50\"")));
  v1::ClearingResult result = ParseClearing(run.out);
  EXPECT_EQ(result.interval_start(), 1782000900);
  EXPECT_EQ(result.clearing_price_mcu_per_kwh().value(), 135000);
  EXPECT_EQ(result.volume_wh(), 50);
  ASSERT_EQ(result.fills_size(), 3);
  const struct {
    const char *buy, *sell;
    int64_t wh;
  } expected[] = {{"A", "X", 25}, {"A", "Y", 5}, {"B", "Y", 20}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(result.fills(i).buy_order_id(), expected[i].buy) << i;
    EXPECT_EQ(result.fills(i).sell_order_id(), expected[i].sell) << i;
    EXPECT_EQ(result.fills(i).quantity_wh(), expected[i].wh) << i;
    EXPECT_EQ(result.fills(i).amount_ucu(), expected[i].wh * 135000) << i;
  }
}

TEST_F(CtlMarketTest, ClearMatchesTheLibraryOnTheSameInput) {
  // The tool is the library: parse the same file in-process and compare.
  const std::string text = Book().dump();
  v1::ClearingInput proto;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &proto).ok());
  ASSERT_OK_AND_ASSIGN(matching::ClearingInput input, convert::FromProto(proto));
  ASSERT_OK_AND_ASSIGN(matching::ClearingResult direct, matching::Clear(input));
  CtlRun run = Ctl({"clear", "--compact", "--input", Write("book.json", text)});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1);
  ASSERT_OK_AND_ASSIGN(matching::ClearingResult printed,
                       convert::FromProto(ParseClearing(run.out)));
  EXPECT_EQ(printed, direct);
}

TEST_F(CtlMarketTest, NoTradeHasNoClearingPrice) {
  nlohmann::json book = Book();
  book["orders"] =
      nlohmann::json::array({book["orders"][0], book["orders"][3]});  // Y ≥ 130, B ≤ 140 → …
  book["orders"][1]["limit_price_mcu_per_kwh"] = 120000;              // … B ≤ 120: no cross.
  CtlRun run = Ctl({"clear", "--input", Write("none.json", book.dump())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, Not(HasSubstr("clearing_price")));
  EXPECT_THAT(run.out, AllOf(HasSubstr("\"volume_wh\": \"0\""), HasSubstr("\"fills\": []")));
}

TEST_F(CtlMarketTest, BadClearingInputExitsTwoNamingOrderAndField) {
  struct Case {
    const char* name;
    std::function<void(nlohmann::json&)> mutate;
    std::vector<std::string> expect;
  };
  const std::vector<Case> cases = {
      {"unknown side",
       [](nlohmann::json& b) { b["orders"][1]["side"] = "HOLD"; },
       {"orders[1].side", "HOLD", "order_id \"A\""}},
      {"unspecified side",
       [](nlohmann::json& b) { b["orders"][1]["side"] = "SIDE_UNSPECIFIED"; },
       {"orders[1]", "order_id \"A\"", "side is SIDE_UNSPECIFIED"}},
      {"negative quantity",
       [](nlohmann::json& b) { b["orders"][3]["quantity_wh"] = -5; },
       {"order B", "quantity_wh -5"}},
      {"absurd quantity",
       [](nlohmann::json& b) { b["orders"][3]["quantity_wh"] = "1000000000000000"; },
       {"order B", "quantity_wh 1000000000000000"}},
      {"price above the band",
       [](nlohmann::json& b) { b["orders"][1]["limit_price_mcu_per_kwh"] = 200001; },
       {"order A", "limit_price_mcu_per_kwh 200001", "tariff band [50000, 200000]"}},
      {"participant on both sides",
       [](nlohmann::json& b) { b["orders"][3]["participant_id"] = "py"; },
       {"order B", "participant_id py", "SELL order Y"}},
      {"duplicate seq",
       [](nlohmann::json& b) { b["orders"][3]["seq"] = 4; },
       {"order B", "seq 4 duplicates order Y"}},
      {"unknown field", [](nlohmann::json& b) { b["orders"][0]["colour"] = "green"; }, {"colour"}},
      {"missing tariff",
       [](nlohmann::json& b) { b.erase("tariff"); },
       {"tariff", "retail_price_mcu_per_kwh 0"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    nlohmann::json book = Book();
    c.mutate(book);
    CtlRun run = Ctl({"clear", "--input", Write("bad.json", book.dump())});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_EQ(run.out, "");
    for (const std::string& piece : c.expect) EXPECT_THAT(run.err, HasSubstr(piece));
  }
  CtlRun malformed =
      Ctl({"clear", "--input", Write("broken.json", R"({"orders": [ {"order_id": )")});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err, HasSubstr("broken.json: malformed peergrid.v1.ClearingInput JSON"));
  CtlRun missing = Ctl({"clear", "--input", dir_ + "/does-not-exist.json"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("cannot read --input"));
}

// The DESIGN.md §5 example: pa buys 30 Wh and py sells 25 Wh, px 25 Wh at
// 135 /kWh (feed-in 50, retail 200).
nlohmann::json Settlement(const std::string& clearing_json) {
  nlohmann::json input;
  input["tariff"] = Book()["tariff"];
  input["clearing"] = nlohmann::json::parse(clearing_json);
  input["meter_reads"] = nlohmann::json::parse(R"([
    {"participant_id": "pa", "import_wh": 34, "export_wh": 0, "quality": "OK"},
    {"participant_id": "px", "import_wh": 0, "export_wh": 27, "quality": "OK"},
    {"participant_id": "py", "import_wh": 0, "export_wh": 25, "quality": "OK"},
    {"participant_id": "pb", "import_wh": 0, "export_wh": 0, "quality": "MISSING"},
    {"participant_id": "pz", "import_wh": 10, "export_wh": 0, "quality": "OK"}])");
  return input;
}

TEST_F(CtlMarketTest, SettleAClearingFromClear) {
  CtlRun clear = Ctl({"clear", "--input", Write("book.json", Book().dump())});
  ASSERT_EQ(clear.exit_code, 0) << clear.err;
  CtlRun run = Ctl({"settle", "--input", Write("settle.json", Settlement(clear.out).dump())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  v1::SettlementResult result;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(run.out, &result).ok()) << run.out;
  EXPECT_EQ(result.interval_start(), 1782000900);  // Taken from the clearing.
  ASSERT_EQ(result.bills_size(), 5);
  std::map<std::string, v1::Bill> bills;
  int64_t total = result.grid_ucu();
  for (const v1::Bill& b : result.bills()) {
    bills[b.participant_id()] = b;
    total += b.bill_ucu();
  }
  EXPECT_EQ(total, 0);
  EXPECT_EQ(result.bills(0).participant_id(), "pa");  // Ordered by participant_id.
  // pa: bought 30, imported 34 → D = −4 bought from the grid at retail.
  EXPECT_EQ(bills["pa"].deviation_wh(), -4);
  EXPECT_EQ(bills["pa"].p2p_amount_ucu(), 30 * 135000);
  EXPECT_EQ(bills["pa"].imbalance_amount_ucu(), 4 * 200000);
  EXPECT_EQ(bills["pa"].savings_ucu(), 34 * 200000 - (30 * 135000 + 4 * 200000));
  // px: sold 25, exported 27 → D = +2 sold to the grid at feed-in.
  EXPECT_EQ(bills["px"].imbalance_amount_ucu(), -2 * 50000);
  // pb's read is MISSING: provisional, D = 0.
  EXPECT_TRUE(bills["pb"].estimated());
  EXPECT_EQ(bills["pb"].deviation_wh(), 0);
  // pz only has a read: pays the grid, saves nothing.
  EXPECT_EQ(bills["pz"].bill_ucu(), 10 * 200000);
  EXPECT_EQ(bills["pz"].savings_ucu(), 0);
  EXPECT_EQ(result.grid_ucu(), -(4 * 200000 - 2 * 50000 + 10 * 200000));
  EXPECT_THAT(run.out, HasSubstr("\"estimated\": false"));  // Every field printed.
}

TEST_F(CtlMarketTest, BadSettlementInputExitsTwoNamingParticipantAndField) {
  CtlRun clear = Ctl({"clear", "--input", Write("book.json", Book().dump())});
  ASSERT_EQ(clear.exit_code, 0) << clear.err;
  struct Case {
    const char* name;
    std::function<void(nlohmann::json&)> mutate;
    std::vector<std::string> expect;
  };
  const std::vector<Case> cases = {
      {"unknown quality",
       [](nlohmann::json& s) { s["meter_reads"][1]["quality"] = "GOOD"; },
       {"meter_reads[1].quality", "participant_id \"px\""}},
      {"unspecified quality",
       [](nlohmann::json& s) { s["meter_reads"][1].erase("quality"); },
       {"meter_reads[1]", "px", "quality is READ_QUALITY_UNSPECIFIED"}},
      {"negative import",
       [](nlohmann::json& s) { s["meter_reads"][0]["import_wh"] = -1; },
       {"participant pa", "import_wh -1"}},
      {"two reads",
       [](nlohmann::json& s) { s["meter_reads"][4]["participant_id"] = "pa"; },
       {"participant pa has more than one read"}},
      {"tampered amount",
       [](nlohmann::json& s) { s["clearing"]["fills"][0]["amount_ucu"] = "1"; },
       {"fills[0] (buy A, sell X)", "amount_ucu 1"}},
      {"read above the bound (it would overflow the bill)",
       [](nlohmann::json& s) { s["meter_reads"][0]["import_wh"] = "100000000000000000"; },
       {"participant pa", "import_wh 100000000000000000 is outside [0, 1000000000]"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    nlohmann::json input = Settlement(clear.out);
    c.mutate(input);
    CtlRun run = Ctl({"settle", "--input", Write("bad.json", input.dump())});
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_EQ(run.out, "");
    for (const std::string& piece : c.expect) EXPECT_THAT(run.err, HasSubstr(piece));
  }
}

}  // namespace
}  // namespace peergrid
