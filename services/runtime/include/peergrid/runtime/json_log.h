// JSON-lines logging on stderr for the daemons (DESIGN.md §10): one object
// per line with "ts" (RFC 3339, UTC, wall clock), "level", "msg" and the
// given fields, e.g.
//   {"ts":"2026-06-21T00:15:00.123Z","level":"info","msg":"cleared","interval":1782000000}
// Thread-safe: lines from concurrent threads never interleave.
#ifndef PEERGRID_RUNTIME_JSON_LOG_H_
#define PEERGRID_RUNTIME_JSON_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace peergrid::runtime {

// A field value: a string (quoted and escaped) or a number (written as is).
struct LogValue {
  LogValue(absl::string_view s) : text(s), quoted(true) {}          // NOLINT: implicit by design
  LogValue(const char* s) : text(s), quoted(true) {}                // NOLINT
  LogValue(const std::string& s) : text(s), quoted(true) {}         // NOLINT
  LogValue(int64_t v) : text(std::to_string(v)), quoted(false) {}   // NOLINT
  LogValue(uint64_t v) : text(std::to_string(v)), quoted(false) {}  // NOLINT
  LogValue(int v) : text(std::to_string(v)), quoted(false) {}       // NOLINT
  LogValue(double v);                                               // NOLINT
  std::string text;
  bool quoted;
};

using LogFields = std::initializer_list<std::pair<absl::string_view, LogValue>>;

// Writes one JSON line to stderr. `level` is "debug", "info", "warn" or "error".
void LogJson(absl::string_view level, absl::string_view msg, LogFields fields = {});

// Returns `s` escaped for a JSON string (without the quotes).
std::string JsonEscape(absl::string_view s);

}  // namespace peergrid::runtime

#endif  // PEERGRID_RUNTIME_JSON_LOG_H_
