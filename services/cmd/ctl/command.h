// peergridctl's command registry. Each command lives in its own file
// services/ctl/cmd_<name>.cc and registers itself at static-initialization
// time with PEERGRID_CTL_COMMAND; main() adds every registered command to the
// CLI11 app. A command's callback reports its exit code with SetExitCode.
//
//   namespace {
//   void AddClear(CLI::App& root) {
//     auto* cmd = root.add_subcommand("clear", "Re-run one interval's clearing");
//     auto input = std::make_shared<std::string>();
//     cmd->add_option("--input", *input, "ClearingInput JSON file")->required();
//     cmd->callback([input] { SetExitCode(RunClear(*input)); });
//   }
//   }  // namespace
//   PEERGRID_CTL_COMMAND(AddClear);
#ifndef PEERGRID_SERVICES_CTL_COMMAND_H_
#define PEERGRID_SERVICES_CTL_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"

namespace peergrid::ctl {

using CommandAdder = void (*)(CLI::App& root);

// Returns every registered command adder, in registration order.
std::vector<CommandAdder>& Commands();

struct CommandRegistrar {
  explicit CommandRegistrar(CommandAdder adder) { Commands().push_back(adder); }
};

// Sets the process exit code (the largest code set wins).
void SetExitCode(int code);
int ExitCode();

// Prints "peergridctl: <status message>" to stderr and returns the exit code
// for it: 0 for OK, 2 for InvalidArgument (bad input), 1 otherwise.
int ReportStatus(const absl::Status& status);

}  // namespace peergrid::ctl

#define PEERGRID_CTL_CONCAT_INNER_(a, b) a##b
#define PEERGRID_CTL_CONCAT_(a, b) PEERGRID_CTL_CONCAT_INNER_(a, b)
#define PEERGRID_CTL_COMMAND(adder)                                                      \
  static ::peergrid::ctl::CommandRegistrar PEERGRID_CTL_CONCAT_(peergrid_ctl_registrar_, \
                                                                __LINE__)(adder)

#endif  // PEERGRID_SERVICES_CTL_COMMAND_H_
