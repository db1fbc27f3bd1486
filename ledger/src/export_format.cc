// The entries-file record: a 4-byte big-endian length, then the bytes
// (export_format.h). The writer and the one reader.
#include "peergrid/ledger/export_format.h"

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace peergrid::ledger {

void AppendEntryRecord(absl::string_view entry, std::string* out) {
  uint32_t len = static_cast<uint32_t>(entry.size());
  char b[4] = {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
               static_cast<char>(len >> 8), static_cast<char>(len)};
  out->append(b, 4);
  out->append(entry.data(), entry.size());
}

absl::StatusOr<bool> ReadEntryRecord(std::FILE* file, std::string* entry) {
  unsigned char len[4];
  const size_t got = std::fread(len, 1, 4, file);
  if (std::ferror(file)) return absl::UnavailableError("cannot be read (I/O error)");
  if (got == 0) return false;
  if (got != 4) {
    return absl::DataLossError(
        absl::StrCat("is truncated inside its length prefix (has ", got, " of 4 bytes)"));
  }
  const uint32_t n = (uint32_t{len[0]} << 24) | (uint32_t{len[1]} << 16) | (uint32_t{len[2]} << 8) |
                     uint32_t{len[3]};
  if (n > kMaxEntryBytes) {
    return absl::DataLossError(
        absl::StrCat("claims ", n, " bytes, over the limit of ", kMaxEntryBytes));
  }
  entry->resize(n);
  const size_t read = n == 0 ? 0 : std::fread(entry->data(), 1, n, file);
  if (std::ferror(file)) return absl::UnavailableError("cannot be read (I/O error)");
  if (read != n) {
    entry->resize(read);
    return absl::DataLossError(absl::StrCat("is truncated (has ", read, " of ", n, " bytes)"));
  }
  return true;
}

}  // namespace peergrid::ledger
