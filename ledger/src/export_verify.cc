// Offline verification of a ledger export and of KeyRotated entries.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/verify.h"
#include "peergrid/v1/ledger.pb.h"

namespace peergrid::ledger {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return std::move(ss).str();
}

// Reads the entries file record by record, feeding leaf hashes to `builder`
// and checking KeyRotated entries; `key` starts unknown (nullopt) and ends as
// the key the last rotation introduced.
absl::Status CheckEntries(const std::string& path, uint64_t want, RootBuilder* builder,
                          std::optional<VerifierKey>* key, std::vector<uint64_t>* rotations) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (file == nullptr) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string entry;
  for (uint64_t index = 0;; ++index) {
    absl::StatusOr<bool> more = ReadEntryRecord(file.get(), &entry);
    if (more.ok() && !*more) {
      if (index < want) {
        return absl::DataLossError(absl::StrCat("entries: truncated: entry ", index,
                                                " is missing (checkpoint covers ", want, ")"));
      }
      return absl::OkStatus();
    }
    if (absl::IsUnavailable(more.status())) {
      return absl::UnavailableError(absl::StrCat(path, ": ", more.status().message()));
    }
    if (index >= want) {
      return absl::DataLossError(
          absl::StrCat("entries: entry ", index, " is beyond the checkpoint's tree size ", want));
    }
    if (!more.ok()) {
      return absl::Status(more.status().code(),
                          absl::StrCat("entries: entry ", index, " ", more.status().message()));
    }
    builder->Append(LeafHash(entry));
    absl::StatusOr<std::optional<KeyRotation>> rotation = ParseKeyRotation(entry);
    if (!rotation.ok()) {
      return absl::Status(rotation.status().code(), absl::StrCat("entries: entry ", index, ": ",
                                                                 rotation.status().message()));
    }
    if (rotation->has_value()) {
      const KeyRotation& r = **rotation;
      if (key->has_value() && !(**key == r.old_key)) {
        return absl::PermissionDeniedError(
            absl::StrCat("entries: entry ", index, ": key rotation from ", r.old_key.ToString(),
                         " but the key in force is ", (*key)->ToString()));
      }
      *key = r.new_key;
      rotations->push_back(index);
    }
  }
}

}  // namespace

std::string KeyRotationMessage(absl::string_view old_c2sp, absl::string_view new_c2sp) {
  return absl::StrCat("peergrid key rotation\n", old_c2sp, "\n", new_c2sp, "\n");
}

std::string MakeKeyRotationEntry(const Signer& old_key, const VerifierKey& new_key,
                                 int64_t recorded_at_unix_ms) {
  v1::LedgerEntry entry;
  entry.set_recorded_at_unix_ms(recorded_at_unix_ms);
  v1::KeyRotated* r = entry.mutable_key_rotated();
  r->set_old_verifier_key(old_key.verifier().ToString());
  r->set_new_verifier_key(new_key.ToString());
  r->set_signature(old_key.Sign(KeyRotationMessage(r->old_verifier_key(), r->new_verifier_key())));
  return entry.SerializeAsString();
}

absl::StatusOr<std::optional<KeyRotation>> ParseKeyRotation(absl::string_view entry) {
  v1::LedgerEntry parsed;
  if (!parsed.ParseFromArray(entry.data(), static_cast<int>(entry.size())) ||
      !parsed.has_key_rotated()) {
    return std::optional<KeyRotation>();
  }
  const v1::KeyRotated& r = parsed.key_rotated();
  PEERGRID_ASSIGN_OR_RETURN(VerifierKey old_key, VerifierKey::Parse(r.old_verifier_key()));
  PEERGRID_ASSIGN_OR_RETURN(VerifierKey new_key, VerifierKey::Parse(r.new_verifier_key()));
  if (!old_key.VerifySignature(KeyRotationMessage(r.old_verifier_key(), r.new_verifier_key()),
                               r.signature())) {
    return absl::PermissionDeniedError(absl::StrCat("key rotation to ", r.new_verifier_key(),
                                                    " is not signed by the old key ",
                                                    r.old_verifier_key()));
  }
  return std::optional<KeyRotation>(KeyRotation{std::move(old_key), std::move(new_key)});
}

absl::StatusOr<ExportSummary> VerifyExport(const std::string& dir) {
  ExportSummary summary;
  PEERGRID_ASSIGN_OR_RETURN(std::string pub, ReadFile(absl::StrCat(dir, "/", kExportKeyFile)));
  summary.verifier_key = std::string(absl::StripAsciiWhitespace(pub));
  PEERGRID_ASSIGN_OR_RETURN(VerifierKey key, VerifierKey::Parse(summary.verifier_key));
  PEERGRID_ASSIGN_OR_RETURN(std::string pem, ReadFile(absl::StrCat(dir, "/", kExportKeyPemFile)));
  PEERGRID_ASSIGN_OR_RETURN(VerifierKey pem_key, VerifierKey::FromPublicKeyPem(key.name(), pem));
  if (!(pem_key == key)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kExportKeyPemFile, " holds a different key than ", kExportKeyFile));
  }
  PEERGRID_ASSIGN_OR_RETURN(std::string note,
                            ReadFile(absl::StrCat(dir, "/", kExportCheckpointFile)));
  PEERGRID_ASSIGN_OR_RETURN(summary.checkpoint, VerifyCheckpoint(note, key, ""));
  RootBuilder builder;
  std::optional<VerifierKey> rotated;
  PEERGRID_RETURN_IF_ERROR(CheckEntries(absl::StrCat(dir, "/", kExportEntriesFile),
                                        summary.checkpoint.tree_size, &builder, &rotated,
                                        &summary.rotation_indexes));
  summary.entries = builder.size();
  if (builder.Root() != summary.checkpoint.root) {
    return absl::DataLossError(absl::StrCat(
        "entries: the root of entries [0, ", builder.size(), ") is ", HashToBase64(builder.Root()),
        ", not the checkpoint's ", HashToBase64(summary.checkpoint.root)));
  }
  if (rotated.has_value() && !(*rotated == key)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the last key rotation introduces ", rotated->ToString(), ", not ", summary.verifier_key));
  }
  return summary;
}

}  // namespace peergrid::ledger
