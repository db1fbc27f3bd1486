// Fuzz target: the peergrid-hub TOML configuration (node/hub_config.h):
// ParseHubConfig, then Materialize (the generator and every check).
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "peergrid/node/hub_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace peergrid;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<node::HubNodeConfig> config = node::ParseHubConfig(text, "fuzz.toml");
  if (config.ok()) (void)node::Materialize(&*config);
  return 0;
}
