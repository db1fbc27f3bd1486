// Text that comes from outside: quoting it in error messages and checking
// the strings a registration records (DESIGN.md §9). Every error message that
// shows an input value shows it through QuoteInput, so no message carries
// more than limits::kMaxQuotedInputBytes of anyone's bytes, and control
// characters are escaped rather than written into logs.
//
// Thread-safety: pure functions; thread-safe.
#ifndef PEERGRID_COMMON_TEXT_H_
#define PEERGRID_COMMON_TEXT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace peergrid {

// Returns `value` in double quotes for an error message: at most
// limits::kMaxQuotedInputBytes of it (cut at a UTF-8 character boundary),
// control characters, quotes, backslashes and invalid bytes C-escaped, and
// `…(N bytes)` after the closing quote when it was cut.
std::string QuoteInput(absl::string_view value);

// Returns `message` cut to limits::kMaxErrorMessageBytes (at a UTF-8
// boundary, ending in `…`): the backstop at every edge that sends a message.
std::string CapMessage(absl::string_view message);

// Returns OK when `value` is a display name: valid UTF-8, at most
// limits::kMaxDisplayNameChars characters, no control characters (C0, DEL,
// C1) and no line or paragraph separators. Empty is allowed (no name).
// Else InvalidArgument naming `field`.
absl::Status ValidateDisplayName(absl::string_view field, absl::string_view value);

}  // namespace peergrid

#endif  // PEERGRID_COMMON_TEXT_H_
