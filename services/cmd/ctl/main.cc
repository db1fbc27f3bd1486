// peergridctl: one command-line tool for every role — households, hub
// operators, regulators, exchange admins — plus the demo and offline tools.
// Each command lives in services/ctl/cmd_*.cc (see command.h).
#include <iostream>

#include "CLI/CLI.hpp"
#include "command.h"

namespace peergrid::ctl {

std::vector<CommandAdder>& Commands() {
  static auto* commands = new std::vector<CommandAdder>();
  return *commands;
}

namespace {
int exit_code = 0;
}  // namespace

void SetExitCode(int code) {
  if (code > exit_code) exit_code = code;
}
int ExitCode() { return exit_code; }

int ReportStatus(const absl::Status& status) {
  if (status.ok()) return 0;
  std::cerr << "peergridctl: " << status.message() << " ("
            << absl::StatusCodeToString(status.code()) << ")\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace peergrid::ctl

int main(int argc, char** argv) {
  CLI::App app{
      "peergridctl: peer-to-peer energy trading with a signed, verifiable ledger.\n"
      "Households place orders and fetch receipts, operators watch hubs and batteries,\n"
      "regulators audit the ledger, admins register hubs and participants.\n"
      "Run `peergridctl <command> --help` for a command's options."};
  app.name("peergridctl");
  app.require_subcommand(1);
  for (peergrid::ctl::CommandAdder add : peergrid::ctl::Commands()) add(app);
  CLI11_PARSE(app, argc, argv);
  return peergrid::ctl::ExitCode();
}
