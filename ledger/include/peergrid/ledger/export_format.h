// The ledger export: what an auditor receives and verifies offline
// (docs/LEDGER.md; `peergridctl ledger export` writes it, VerifyExport reads
// it without the database).
//
//   OUT/checkpoint   the latest signed note (C2SP tlog checkpoint)
//   OUT/log.pub      the C2SP verifier key string of the key that signed it, "\n"
//   OUT/log.pub.pem  the same public key as a SubjectPublicKeyInfo PEM
//   OUT/entries      every entry covered by the checkpoint, in index order,
//                    each a 4-byte big-endian length then the entry bytes
//
// Key rotation (DESIGN.md §7): a KeyRotated entry signed by the old key
// introduces the new one; a checkpoint of size N is signed by the key
// introduced by the last KeyRotated entry among entries [0, N) (the log's
// first key when there is none).
//
// Thread-safety: free functions, thread-safe.
// Errors: NotFound for a missing export file; InvalidArgument for a malformed
// key or checkpoint; PermissionDenied for a bad signature; DataLoss for
// entries that do not match the checkpoint (truncated, extra, tampered), with
// the entry index in the message; Unavailable when a file cannot be read.
#ifndef PEERGRID_LEDGER_EXPORT_FORMAT_H_
#define PEERGRID_LEDGER_EXPORT_FORMAT_H_

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "peergrid/ledger/note.h"

namespace peergrid::ledger {

inline constexpr char kExportCheckpointFile[] = "checkpoint";
inline constexpr char kExportKeyFile[] = "log.pub";
inline constexpr char kExportKeyPemFile[] = "log.pub.pem";
inline constexpr char kExportEntriesFile[] = "entries";
// Entries are at most this long (the 4-byte length field's practical bound).
inline constexpr uint32_t kMaxEntryBytes = 64u << 20;

// Appends one entries-file record (4-byte big-endian length, then the bytes).
void AppendEntryRecord(absl::string_view entry, std::string* out);

// Reads the next entries-file record from `file` into `*entry` (the one reader
// of AppendEntryRecord's format: the export's and the audit mirror's
// entries, the mirror's checkpoint history). Returns true when a record was
// read; false at a clean end of file (not one byte of another record);
// DataLoss when the file ends inside a record's length or bytes, or the length
// is over kMaxEntryBytes; Unavailable on a read error. The messages continue
// the caller's subject ("entries: entry 7" + " is truncated (has 3 of 9
// bytes)"); the caller names the file and the record.
absl::StatusOr<bool> ReadEntryRecord(std::FILE* file, std::string* entry);

// Returns the message a KeyRotated entry's signature covers:
// "peergrid key rotation\n<old_c2sp>\n<new_c2sp>\n".
std::string KeyRotationMessage(absl::string_view old_c2sp, absl::string_view new_c2sp);

// Returns the serialized LedgerEntry{recorded_at_unix_ms, key_rotated} that
// introduces `new_key`, signed by `old_key`.
std::string MakeKeyRotationEntry(const Signer& old_key, const VerifierKey& new_key,
                                 int64_t recorded_at_unix_ms);

// A parsed, signature-checked KeyRotated entry.
struct KeyRotation {
  VerifierKey old_key;
  VerifierKey new_key;
};

// Returns nullopt when `entry` is not a serialized LedgerEntry carrying
// key_rotated (entries are otherwise opaque here); the rotation when its keys
// parse and the old key's signature verifies; PermissionDenied/InvalidArgument
// otherwise.
absl::StatusOr<std::optional<KeyRotation>> ParseKeyRotation(absl::string_view entry);

// What VerifyExport established.
struct ExportSummary {
  Checkpoint checkpoint;
  std::string verifier_key;                // C2SP string from log.pub
  uint64_t entries = 0;                    // == checkpoint.tree_size
  std::vector<uint64_t> rotation_indexes;  // indexes of KeyRotated entries
};

// Verifies an export directory: log.pub parses and equals log.pub.pem, the
// checkpoint's signature verifies with it, the entries rebuild exactly the
// checkpoint's tree, and every KeyRotated entry is signed by the key before
// it, chaining to log.pub.
absl::StatusOr<ExportSummary> VerifyExport(const std::string& dir);

}  // namespace peergrid::ledger

#endif  // PEERGRID_LEDGER_EXPORT_FORMAT_H_
