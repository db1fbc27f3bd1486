// File plumbing of peergridctl's offline tools (`clear`, `settle`): they read
// one protobuf-JSON message from a file and print one as JSON, so that a
// regulator or researcher can re-run any interval with the exchange's code.
#ifndef PEERGRID_SERVICES_CTL_OFFLINE_IO_H_
#define PEERGRID_SERVICES_CTL_OFFLINE_IO_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace peergrid::ctl {

// Reads `path` ("-" = stdin) and parses it as protobuf JSON into `message`.
// Field names may be the proto's (snake_case) or lowerCamelCase; enums are
// their names (BUY, SELL, OK, …); unknown fields are errors. Returns NotFound
// when the file cannot be read and InvalidArgument, naming the file, for
// malformed JSON.
absl::Status ReadJsonFile(const std::string& path, google::protobuf::Message* message);

// Prints `message` to stdout as JSON with the proto's field names, every
// scalar and list field present (zeros and [] too; unset message fields such
// as an absent clearing price stay absent), int64 values as strings as the
// protobuf JSON mapping prescribes; indented unless `compact`.
absl::Status PrintJsonMessage(const google::protobuf::Message& message, bool compact);

// Reports `status` for `command` on stderr and returns the exit code: 0 for
// OK, 2 for bad input (InvalidArgument, and OutOfRange: numbers too large to
// compute with), 1 otherwise (e.g. an unreadable file).
int ReportOffline(const std::string& command, const absl::Status& status);

}  // namespace peergrid::ctl

#endif  // PEERGRID_SERVICES_CTL_OFFLINE_IO_H_
