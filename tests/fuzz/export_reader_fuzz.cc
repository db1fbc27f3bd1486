// Fuzz target: a ledger export as an auditor receives it. The input is the
// `entries` file (ledger/export_format.h). The target reads it with
// ledger::ReadEntryRecord (as every reader does), parses each record as a
// KeyRotated entry, then signs a checkpoint over the records that read
// cleanly — a dishonest exchange signs whatever it likes — and runs
// ledger::VerifyExport and the whole regulator audit (audit::AuditExport) on
// the export directory, so the audit's own entry parsing is fuzzed too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "fuzz_zone.h"
#include "peergrid/audit/audit.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/hash.h"
#include "peergrid/ledger/note.h"
#include "peergrid/ledger/verify.h"

namespace peergrid::fuzz {
namespace {

constexpr char kOrigin[] = "peergrid/fuzz";

const ledger::Signer& LogKey() {
  static const ledger::Signer* const key =
      new ledger::Signer(ledger::Signer::FromSeed(kOrigin, std::string(32, 'L')).value());
  return *key;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  FuzzCheck(static_cast<bool>(out), "cannot write the export");
}

const std::string& ExportDir() {
  static const std::string* const dir = [] {
    auto* d = new std::string(FuzzTempDir("fuzz-export"));
    WriteFile(*d + "/" + ledger::kExportKeyFile, LogKey().verifier().ToString() + "\n");
    WriteFile(*d + "/" + ledger::kExportKeyPemFile, LogKey().verifier().PublicKeyPem());
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*dir, ignored);
    });
    return d;
  }();
  return *dir;
}

}  // namespace
}  // namespace peergrid::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace peergrid;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(
      fmemopen(const_cast<char*>(bytes.data()), bytes.size(), "rb"), &std::fclose);
  if (in == nullptr) return 0;  // fmemopen refuses a zero-length buffer
  ledger::RootBuilder root;
  std::string entry;
  for (absl::StatusOr<bool> more = ledger::ReadEntryRecord(in.get(), &entry); more.ok() && *more;
       more = ledger::ReadEntryRecord(in.get(), &entry)) {
    (void)ledger::ParseKeyRotation(entry);
    root.Append(ledger::LeafHash(entry));
  }
  const std::string& dir = fuzz::ExportDir();
  const ledger::Checkpoint checkpoint{fuzz::kOrigin, root.size(), root.Root()};
  fuzz::WriteFile(dir + "/" + ledger::kExportCheckpointFile,
                  ledger::SignNote(ledger::CheckpointText(checkpoint), fuzz::LogKey()).value());
  fuzz::WriteFile(dir + "/" + ledger::kExportEntriesFile, bytes);
  (void)ledger::VerifyExport(dir);
  (void)audit::AuditExport(dir, fuzz::LogKey().verifier(), audit::AuditOptions{});
  return 0;
}
