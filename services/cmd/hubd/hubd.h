// The two commands of peergrid-hub (see main.cc).
#ifndef PEERGRID_SERVICES_HUBD_HUBD_H_
#define PEERGRID_SERVICES_HUBD_HUBD_H_

#include <string>

#include "absl/status/status.h"
#include "peergrid/node/hub_config.h"

namespace peergrid::hubd {

// Runs the hub until SIGTERM/SIGINT: simulate, buffer, stream.
absl::Status Run(const node::HubNodeConfig& config);
// Simulates one local day and writes the two CSV files into `out_dir`.
absl::Status Simulate(const node::HubNodeConfig& config, const std::string& date,
                      const std::string& out_dir);

}  // namespace peergrid::hubd

#endif  // PEERGRID_SERVICES_HUBD_HUBD_H_
