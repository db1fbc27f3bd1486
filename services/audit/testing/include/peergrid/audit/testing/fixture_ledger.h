// Test and benchmark fixture (header-only; not part of the library): writes a
// SimulatedMarket (audit_check_fixture.h) to a real RocksDB Ledger as the
// exchange would — a checkpoint after every clearing and settlement, key
// rotations through Ledger::RotateKey — exports it, and helps tests tamper:
// edit an entry and re-sign everything with the test key (a correctly signed
// but economically wrong ledger), or edit an export's files (a tampered copy).
//
// Thread-safety: free functions; thread-compatible.
#ifndef PEERGRID_AUDIT_TESTING_FIXTURE_LEDGER_H_
#define PEERGRID_AUDIT_TESTING_FIXTURE_LEDGER_H_

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/report.h"
#include "peergrid/audit/testing/fixture.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/verify.h"
#include "peergrid/v1/ledger.pb.h"

namespace peergrid::audit::testing {

// Signs a checkpoint of `ledger` at its size, exports it to `export_dir` and
// audits the export from scratch with the key it publishes (log.pub): what a
// test that drives a real exchange checks the ledger it left with.
inline absl::StatusOr<AuditReport> CheckpointExportAndAudit(ledger::Ledger* ledger,
                                                            const std::string& export_dir) {
  PEERGRID_RETURN_IF_ERROR(ledger->Checkpoint().status());
  PEERGRID_RETURN_IF_ERROR(ledger::ExportLedger(*ledger, export_dir));
  PEERGRID_ASSIGN_OR_RETURN(ledger::VerifierKey key, ReadVerifierKeyFile(export_dir + "/log.pub"));
  return AuditExport(export_dir, key, AuditOptions{});
}

// Appends `entries` to `ledger` as the exchange would: a checkpoint after
// every clearing and settlement and at the end; at a rotation entry,
// Ledger::RotateKey(*rotate_to). Entries between checkpoints go in one batch.
inline absl::Status WriteLedger(const std::vector<SimEntry>& entries, ledger::Ledger* ledger,
                                const ledger::Signer* rotate_to = nullptr) {
  std::vector<std::string> batch;
  auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    PEERGRID_ASSIGN_OR_RETURN(uint64_t first, ledger->AppendBatch(std::move(batch)));
    (void)first;
    batch.clear();
    return absl::OkStatus();
  };
  for (const SimEntry& e : entries) {
    if (e.rotation) {
      PEERGRID_RETURN_IF_ERROR(flush());
      if (rotate_to == nullptr) return absl::InvalidArgumentError("rotation without a new key");
      PEERGRID_ASSIGN_OR_RETURN(uint64_t index, ledger->RotateKey(*rotate_to));
      (void)index;
      continue;
    }
    batch.push_back(e.bytes);
    if (e.checkpoint_after) {
      PEERGRID_RETURN_IF_ERROR(flush());
      PEERGRID_RETURN_IF_ERROR(ledger->Checkpoint().status());
    }
  }
  PEERGRID_RETURN_IF_ERROR(flush());
  return ledger->Checkpoint().status();
}

inline constexpr char kTestOrigin[] = "peergrid/audit-test";

// Returns a deterministic test key named kTestOrigin (seed = 32 × `fill`).
inline ledger::Signer TestSigner(char fill) {
  return ledger::Signer::FromSeed(kTestOrigin, std::string(32, fill)).value();
}

// Writes `entries` into a fresh ledger in `dir`/db signed by `key` (its
// PKCS#8 file in `dir`/key.pem) and exports it to `dir`/export; returns the
// export directory.
inline absl::StatusOr<std::string> WriteExport(const std::vector<SimEntry>& entries,
                                               const std::string& dir, const ledger::Signer& key,
                                               const ledger::Signer* rotate_to = nullptr) {
  const std::string key_file = dir + "/key.pem";
  {
    std::ofstream out(key_file, std::ios::binary | std::ios::trunc);
    out << key.Pkcs8Pem();
    if (!out) return absl::UnavailableError("cannot write " + key_file);
  }
  ledger::LedgerOptions options;
  options.origin = kTestOrigin;
  options.key_file = key_file;
  PEERGRID_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> log,
                            ledger::Ledger::Open(dir + "/db", options));
  PEERGRID_RETURN_IF_ERROR(WriteLedger(entries, log.get(), rotate_to));
  PEERGRID_RETURN_IF_ERROR(ledger::ExportLedger(*log, dir + "/export"));
  return dir + "/export";
}

// Returns the entries of an export directory, in index order (up to the
// first damaged record).
inline std::vector<std::string> ReadExportEntries(const std::string& export_dir) {
  std::vector<std::string> out;
  const std::string path = export_dir + "/" + ledger::kExportEntriesFile;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (in == nullptr) return out;
  std::string entry;
  for (absl::StatusOr<bool> more = ledger::ReadEntryRecord(in.get(), &entry); more.ok() && *more;
       more = ledger::ReadEntryRecord(in.get(), &entry)) {
    out.push_back(entry);
  }
  return out;
}

// Replaces an export directory's entries file with `entries`.
inline void WriteExportEntries(const std::string& export_dir,
                               const std::vector<std::string>& entries) {
  std::string data;
  for (const std::string& e : entries) ledger::AppendEntryRecord(e, &data);
  std::ofstream out(export_dir + "/" + ledger::kExportEntriesFile,
                    std::ios::binary | std::ios::trunc);
  out << data;
}

// Returns a checkpoint note for the first `size` of `entries`, signed by
// `signer` (any key: tests forge with it).
inline std::string SignedCheckpointFor(const std::vector<std::string>& entries, uint64_t size,
                                       const ledger::Signer& signer) {
  ledger::RootBuilder builder;
  for (uint64_t i = 0; i < size; ++i) builder.Append(ledger::LeafHash(entries[i]));
  ledger::Checkpoint cp{kTestOrigin, size, builder.Root()};
  return ledger::SignNote(ledger::CheckpointText(cp), signer).value();
}

// Returns a copy of `entry` with its LedgerEntry changed by `edit`.
template <typename Edit>
SimEntry Edited(const SimEntry& entry, Edit edit) {
  v1::LedgerEntry parsed;
  parsed.ParseFromString(entry.bytes);
  edit(parsed);
  SimEntry out = entry;
  out.bytes = parsed.SerializeAsString();
  return out;
}

// Returns the index of the n-th (0-based) entry of `kind`, or -1.
inline int64_t NthOfKind(const std::vector<SimEntry>& entries, v1::LedgerEntry::KindCase kind,
                         int n) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].kind == kind && n-- == 0) return static_cast<int64_t>(i);
  }
  return -1;
}

}  // namespace peergrid::audit::testing

#endif  // PEERGRID_AUDIT_TESTING_FIXTURE_LEDGER_H_
