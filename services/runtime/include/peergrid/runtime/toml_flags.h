// Optional TOML configuration for the daemons (DESIGN.md §10): every top-level
// key of the file names an absl flag and sets it, unless that flag was given
// on the command line (the command line wins). Nested tables are flattened
// with '_' (`[market] gate_lead_s = 300` sets --market_gate_lead_s).
//
//   data_dir = "/var/lib/peergrid"
//   listen = "0.0.0.0:7400"
//   clock = "real"
//
// Errors name the file, the key and the reason (unknown flag, bad value).
#ifndef PEERGRID_RUNTIME_TOML_FLAGS_H_
#define PEERGRID_RUNTIME_TOML_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace peergrid::runtime {

// Returns InvalidArgument naming `origin` and the byte offset when `text`
// holds a control character other than tab, LF or CR, a non-ASCII byte
// outside a string or comment (or right after a line-ending backslash), or a
// table header that does not start with a key — none of which TOML allows,
// and on which Debian's toml++ 3.3 fails an assertion (`[}x]`, `[\0x]`) or
// reaches __builtin_unreachable (its whitespace test on U+00A1…U+03F9)
// instead of returning an error (found by tests/fuzz/hub_config_fuzz.cc).
// Every TOML reader calls it before toml::parse.
absl::Status CheckTomlText(absl::string_view text, absl::string_view origin);

// Applies `path` to the absl flags; `argv` is the original command line, used
// to tell which flags were set explicitly.
absl::Status ApplyTomlFlags(const std::string& path, const std::vector<std::string>& argv);

// Returns argv with dashes in flag names turned into underscores, so that
// `--data-dir DIR` and `--data_dir=DIR` both reach absl's --data_dir. Values
// and arguments after a bare "--" are kept as they are.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv);

}  // namespace peergrid::runtime

#endif  // PEERGRID_RUNTIME_TOML_FLAGS_H_
