// `peergridctl clear --input FILE`: re-runs one interval's double auction
// (DESIGN.md §4) offline with the exchange's own code. FILE holds a
// peergrid.v1.ClearingInput as protobuf JSON (interval_start, tariff, orders;
// an order may leave out interval_start); the ClearingResult is printed as
// JSON. Exit codes: 0 cleared, 2 bad input (the message names the order and
// field), 1 unreadable file.
#include <memory>
#include <string>

#include "command.h"
#include "offline_io.h"
#include "peergrid/common/status.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/matching/auction.h"
#include "peergrid/v1/types.pb.h"

namespace peergrid::ctl {
namespace {

struct ClearOptions {
  std::string input;
  bool compact = false;
};

absl::Status RunClear(const ClearOptions& options) {
  v1::ClearingInput proto;
  PEERGRID_RETURN_IF_ERROR(ReadJsonFile(options.input, &proto));
  PEERGRID_ASSIGN_OR_RETURN(matching::ClearingInput input, convert::FromProto(proto));
  PEERGRID_ASSIGN_OR_RETURN(matching::ClearingResult result, matching::Clear(input));
  return PrintJsonMessage(convert::ToProto(result), options.compact);
}

void AddClear(CLI::App& root) {
  auto options = std::make_shared<ClearOptions>();
  CLI::App* cmd = root.add_subcommand(
      "clear",
      "Re-run one interval's clearing offline: reads a ClearingInput (JSON: interval_start,\n"
      "tariff {feed_in_price_mcu_per_kwh, retail_price_mcu_per_kwh}, orders [{order_id,\n"
      "participant_id, side BUY|SELL, quantity_wh, limit_price_mcu_per_kwh, seq}]) and prints\n"
      "the ClearingResult (clearing price, volume, fills in walk order) as JSON");
  cmd->add_option("--input", options->input, "ClearingInput JSON file (- for stdin)")->required();
  cmd->add_flag("--compact", options->compact, "Print the result on one line");
  cmd->callback([options] { SetExitCode(ReportOffline("clear", RunClear(*options))); });
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddClear);
