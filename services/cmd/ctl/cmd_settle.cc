// `peergridctl settle --input FILE`: recomputes one interval's bills
// (DESIGN.md §5) offline with the exchange's own code. FILE holds a
// peergrid.v1.SettlementInput as protobuf JSON (tariff, the interval's
// clearing result, meter_reads; interval_start may be left out); the
// SettlementResult (bills by participant_id and grid_ucu) is printed as JSON.
// Exit codes: 0 settled, 2 bad input (the message names the participant or
// fill and the field), 1 unreadable file.
#include <memory>
#include <string>

#include "command.h"
#include "offline_io.h"
#include "peergrid/common/status.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/matching/settlement.h"
#include "peergrid/v1/types.pb.h"

namespace peergrid::ctl {
namespace {

struct SettleOptions {
  std::string input;
  bool compact = false;
};

absl::Status RunSettle(const SettleOptions& options) {
  v1::SettlementInput proto;
  PEERGRID_RETURN_IF_ERROR(ReadJsonFile(options.input, &proto));
  PEERGRID_ASSIGN_OR_RETURN(matching::SettlementInput input, convert::FromProto(proto));
  PEERGRID_ASSIGN_OR_RETURN(matching::SettlementResult result, matching::Settle(input));
  return PrintJsonMessage(convert::ToProto(result), options.compact);
}

void AddSettle(CLI::App& root) {
  auto options = std::make_shared<SettleOptions>();
  CLI::App* cmd = root.add_subcommand(
      "settle",
      "Recompute one interval's bills offline: reads a SettlementInput (JSON: tariff, clearing\n"
      "(a ClearingResult), meter_reads [{participant_id, import_wh, export_wh, quality\n"
      "OK|MISSING|ESTIMATED|BAD}]) and prints the bills and grid_ucu as JSON");
  cmd->add_option("--input", options->input, "SettlementInput JSON file (- for stdin)")->required();
  cmd->add_flag("--compact", options->compact, "Print the result on one line");
  cmd->callback([options] { SetExitCode(ReportOffline("settle", RunSettle(*options))); });
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddSettle);
