#include "peergrid/common/ids.h"

#include "absl/strings/str_cat.h"

namespace peergrid {

absl::Status ValidateId(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is empty"));
  if (value.size() > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is longer than 128 bytes (", value.size(), ")"));
  }
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " \"", value, "\" has a character outside [A-Za-z0-9._:-]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace peergrid
