// `peergridctl version`: prints the tool's version and the API package.
#include <iostream>

#include "command.h"

namespace peergrid::ctl {
namespace {

void AddVersion(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("version", "Print peergridctl's version and API package");
  cmd->callback([] { std::cout << "peergridctl 0.1.0 (API peergrid.v1)\n"; });
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddVersion);
