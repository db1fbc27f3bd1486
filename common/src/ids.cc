#include "peergrid/common/ids.h"

#include "absl/strings/str_cat.h"
#include "peergrid/common/limits.h"
#include "peergrid/common/text.h"

namespace peergrid {

absl::Status ValidateId(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  if (value.size() > static_cast<size_t>(limits::kMaxIdBytes)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " ", QuoteInput(value),
                                                   " is longer than ", limits::kMaxIdBytes,
                                                   " bytes (", value.size(), ")"));
  }
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " ", QuoteInput(value), " has a character outside [A-Za-z0-9._:-]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace peergrid
