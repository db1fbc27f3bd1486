// The peergrid-hub configuration file (TOML; deploy/hub-jeju.toml is the
// sample): hub identity and exchange, site and weather, simulation seed and
// step, a household generator, and the battery banks. Command-line flags
// override single values (hub id, zone, exchange, counts, period, clock, data
// dir). Every error names the file, the key and the bad value.
// Thread-safety: pure functions.
#ifndef PEERGRID_NODE_HUB_CONFIG_H_
#define PEERGRID_NODE_HUB_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "peergrid/hub/simulator.h"
#include "peergrid/rpc/tls.h"

namespace peergrid::node {

// Generates `count` households deterministically from the seed: ids
// <id_prefix><NN> (zero-padded, from 01), every `consumer_every`-th without
// PV, nameplates in [pv_min_w, pv_max_w] rounded to 100 W, orientations
// spread around south.
struct HouseholdGenerator {
  int count = 36;
  std::string id_prefix = "h";
  int consumer_every = 4;  // 0: everyone has PV
  int64_t pv_min_w = 3000;
  int64_t pv_max_w = 6000;
  double tilt_deg = 25;
  double azimuth_spread_deg = 40;
  hub::LoadProfile load;
};

struct HubNodeConfig {
  hub::SimulatorConfig sim;  // households filled by Materialize()
  HouseholdGenerator households;
  std::vector<hub::BankSpec> banks;  // every configured bank
  int bank_count = -1;               // use the first N banks (-1: all)
  std::string exchange = "127.0.0.1:7400";
  int32_t reporting_period_s = 5;
  std::string data_dir = "./peergrid-hub-data";
  std::string clock = "real";
  // Run the trading agents against the exchange's MarketService.
  bool trade = true;
  // --tls-cert/--tls-key/--ca (the hub/<hub_id> certificate) or --insecure.
  rpc::ClientTlsFlags tls;
  // PKCS#8 PEM Ed25519 private key whose public half is registered as the
  // hub's public_key: the trader signs every order and cancel with it
  // (config key signing_key, flag --signing-key). Empty: orders go unsigned.
  std::string signing_key_file;
};

// Parses TOML text (`origin` names it in errors).
absl::StatusOr<HubNodeConfig> ParseHubConfig(absl::string_view text, const std::string& origin);
// Reads and parses a file.
absl::StatusOr<HubNodeConfig> LoadHubConfig(const std::string& path);
// Fills sim.households and sim.banks from the generator and bank_count, then
// validates everything (InvalidArgument naming the field).
absl::Status Materialize(HubNodeConfig* config);

}  // namespace peergrid::node

#endif  // PEERGRID_NODE_HUB_CONFIG_H_
