// ExportLedger: writes the auditor's export (export_format.h).
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/ledger.h"

namespace peergrid::ledger {
namespace {

constexpr uint64_t kExportChunk = 4096;

absl::Status WriteFile(const std::string& path, absl::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::Status ExportLedger(const Ledger& ledger, const std::string& out_dir) {
  absl::StatusOr<SignedCheckpoint> latest = ledger.LatestCheckpoint();
  if (absl::IsNotFound(latest.status())) {
    return absl::FailedPreconditionError(
        "the ledger has no signed checkpoint to export (the exchange signs one after every "
        "clearing and settlement)");
  }
  PEERGRID_RETURN_IF_ERROR(latest.status());
  const uint64_t size = latest->checkpoint.tree_size;
  PEERGRID_ASSIGN_OR_RETURN(VerifierKey key, ledger.VerifierKeyAt(size));
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot create ", out_dir, ": ", ec.message()));
  PEERGRID_RETURN_IF_ERROR(
      WriteFile(absl::StrCat(out_dir, "/", kExportCheckpointFile), latest->note));
  PEERGRID_RETURN_IF_ERROR(
      WriteFile(absl::StrCat(out_dir, "/", kExportKeyFile), key.ToString() + "\n"));
  PEERGRID_RETURN_IF_ERROR(
      WriteFile(absl::StrCat(out_dir, "/", kExportKeyPemFile), key.PublicKeyPem()));
  const std::string entries_path = absl::StrCat(out_dir, "/", kExportEntriesFile);
  std::ofstream out(entries_path, std::ios::binary | std::ios::trunc);
  std::string buffer;
  for (uint64_t start = 0; start < size; start += kExportChunk) {
    PEERGRID_ASSIGN_OR_RETURN(std::vector<std::string> entries,
                              ledger.GetEntries(start, std::min(size, start + kExportChunk)));
    buffer.clear();
    for (const std::string& entry : entries) AppendEntryRecord(entry, &buffer);
    out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", entries_path));
  }
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", entries_path));
  return absl::OkStatus();
}

}  // namespace peergrid::ledger
