// peergrid-hub: the smart-hub node (DESIGN.md §2, §6).
//
//   peergrid-hub run --config FILE [--hub-id ID] [--zone Z] [--exchange HOST:PORT]
//                    [--households N] [--banks N] [--reporting-period S]
//                    [--clock real|sim:<speed>@<start>] [--data-dir DIR]
//   peergrid-hub simulate --config FILE --date YYYY-MM-DD --seed N --out DIR
//                    [--households N] [--banks N]
//
// `run` simulates the hub's devices on the (possibly simulated) clock, writes
// a report every reporting period into its store-and-forward buffer and
// streams the buffer to the exchange; SIGTERM stops it gracefully.
// `simulate` runs one local day of the hub offline and writes
// DIR/households.csv and DIR/batteries.csv (docs/HUB.md).
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "hubd.h"
#include "peergrid/node/hub_config.h"
#include "peergrid/runtime/toml_flags.h"

ABSL_FLAG(std::string, config, "", "TOML config file (deploy/hub-jeju.toml is a sample)");
ABSL_FLAG(std::string, hub_id, "", "override: the hub's id");
ABSL_FLAG(std::string, zone, "", "override: the zone id");
ABSL_FLAG(std::string, exchange, "", "override: the exchange's address, HOST:PORT");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate of this hub (spiffe://peergrid/hub/<id>)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(std::string, ca, "", "PEM CA the exchange's certificate chains to");
ABSL_FLAG(std::string, signing_key, "",
          "override: PKCS#8 PEM Ed25519 key that signs the trader's orders and cancels (its "
          "public half registered as the hub's public_key; config key signing_key)");
ABSL_FLAG(bool, insecure, false, "plaintext to an --insecure exchange on a loopback address");
ABSL_FLAG(int, households, -1, "override: number of generated households");
ABSL_FLAG(int, banks, -1, "override: use the first N configured banks");
ABSL_FLAG(int, reporting_period, 0, "override: seconds between reports (1-60)");
ABSL_FLAG(std::string, clock, "", "override: \"real\" or \"sim:<speed>[@<start>]\"");
ABSL_FLAG(std::string, data_dir, "", "override: directory of the store-and-forward buffer");
ABSL_FLAG(std::optional<bool>, trade, std::nullopt,
          "override: run the trading agents against the exchange (config key trade, default true)");
ABSL_FLAG(std::string, date, "", "simulate: the local day, YYYY-MM-DD");
ABSL_FLAG(int64_t, seed, -1, "simulate/run override: the simulation seed");
ABSL_FLAG(std::string, out, "", "simulate: output directory for the CSV files");

namespace peergrid::hubd {
namespace {

absl::StatusOr<node::HubNodeConfig> ConfigFromFlags() {
  const std::string path = absl::GetFlag(FLAGS_config);
  if (path.empty()) return absl::InvalidArgumentError("--config FILE is required");
  absl::StatusOr<node::HubNodeConfig> c = node::LoadHubConfig(path);
  if (!c.ok()) return c.status();
  if (!absl::GetFlag(FLAGS_hub_id).empty()) c->sim.hub_id = absl::GetFlag(FLAGS_hub_id);
  if (!absl::GetFlag(FLAGS_zone).empty()) c->sim.zone_id = absl::GetFlag(FLAGS_zone);
  if (!absl::GetFlag(FLAGS_exchange).empty()) c->exchange = absl::GetFlag(FLAGS_exchange);
  if (absl::GetFlag(FLAGS_households) >= 0) c->households.count = absl::GetFlag(FLAGS_households);
  if (absl::GetFlag(FLAGS_banks) >= 0) c->bank_count = absl::GetFlag(FLAGS_banks);
  if (absl::GetFlag(FLAGS_reporting_period) != 0) {
    c->reporting_period_s = absl::GetFlag(FLAGS_reporting_period);
  }
  if (!absl::GetFlag(FLAGS_clock).empty()) c->clock = absl::GetFlag(FLAGS_clock);
  if (!absl::GetFlag(FLAGS_data_dir).empty()) c->data_dir = absl::GetFlag(FLAGS_data_dir);
  if (absl::GetFlag(FLAGS_trade).has_value()) c->trade = *absl::GetFlag(FLAGS_trade);
  c->tls.cert_file = absl::GetFlag(FLAGS_tls_cert);
  c->tls.key_file = absl::GetFlag(FLAGS_tls_key);
  c->tls.ca_file = absl::GetFlag(FLAGS_ca);
  c->tls.insecure = absl::GetFlag(FLAGS_insecure);
  if (!absl::GetFlag(FLAGS_signing_key).empty()) {
    c->signing_key_file = absl::GetFlag(FLAGS_signing_key);
  }
  if (absl::GetFlag(FLAGS_seed) >= 0)
    c->sim.seed = static_cast<uint64_t>(absl::GetFlag(FLAGS_seed));
  if (absl::Status s = node::Materialize(&*c); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  return c;
}

int Fail(const absl::Status& status) {
  std::cerr << "peergrid-hub: " << status.message() << "\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace
}  // namespace peergrid::hubd

int main(int argc, char** argv) {
  using namespace peergrid;  // NOLINT: main only
  // Debian builds Abseil without NDEBUG, so every Mutex operation would also
  // update a process-wide lock graph (deadlock detection) under a global
  // lock. The tests keep it on; the daemons, under load, turn it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "the peergrid smart-hub node.\n"
      "  peergrid-hub run --config FILE [--exchange HOST:PORT] [--clock SPEC] ...\n"
      "  peergrid-hub simulate --config FILE --date YYYY-MM-DD --seed N --out DIR");
  std::vector<std::string> normalized = runtime::NormalizeFlagNames(argc, argv);
  std::vector<char*> args;
  for (std::string& a : normalized) args.push_back(a.data());
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (positional.size() != 2) {
    std::cerr << "peergrid-hub: expected one command, run or simulate (see --help)\n";
    return 2;
  }
  const std::string command = positional[1];
  absl::StatusOr<node::HubNodeConfig> config = hubd::ConfigFromFlags();
  if (!config.ok()) return hubd::Fail(config.status());
  absl::Status status;
  if (command == "run") {
    status = hubd::Run(*config);
  } else if (command == "simulate") {
    status = hubd::Simulate(*config, absl::GetFlag(FLAGS_date), absl::GetFlag(FLAGS_out));
  } else {
    std::cerr << "peergrid-hub: unknown command \"" << command << "\": expected run or simulate\n";
    return 2;
  }
  return status.ok() ? 0 : hubd::Fail(status);
}
