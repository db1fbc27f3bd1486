// Offline verification of a ledger export and of KeyRotated entries.
#include <fstream>
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

uint32_t ReadBigEndian32(const char* p) {
  auto u = [&](int i) { return uint32_t{static_cast<unsigned char>(p[i])}; };
  return (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
}

// Reads the entries file record by record, feeding leaf hashes to `builder`
// and checking KeyRotated entries; `key` starts unknown (nullopt) and ends as
// the key the last rotation introduced.
absl::Status CheckEntries(const std::string& path, uint64_t want, RootBuilder* builder,
                          std::optional<VerifierKey>* key, std::vector<uint64_t>* rotations) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string entry;
  for (uint64_t index = 0;; ++index) {
    char len_bytes[4];
    in.read(len_bytes, 4);
    if (in.gcount() == 0 && in.eof()) {
      if (index < want) {
        return absl::DataLossError(absl::StrCat("entries: truncated: entry ", index,
                                                " is missing (checkpoint covers ", want, ")"));
      }
      return absl::OkStatus();
    }
    if (in.gcount() != 4) {
      return absl::DataLossError(
          absl::StrCat("entries: entry ", index, " is truncated inside its length prefix"));
    }
    if (index >= want) {
      return absl::DataLossError(
          absl::StrCat("entries: entry ", index, " is beyond the checkpoint's tree size ", want));
    }
    uint32_t len = ReadBigEndian32(len_bytes);
    if (len > kMaxEntryBytes) {
      return absl::DataLossError(
          absl::StrCat("entries: entry ", index, " claims ", len, " bytes, over the limit"));
    }
    entry.resize(len);
    in.read(entry.data(), len);
    if (static_cast<uint64_t>(in.gcount()) != len) {
      return absl::DataLossError(absl::StrCat("entries: entry ", index, " is truncated (has ",
                                              in.gcount(), " of ", len, " bytes)"));
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

void AppendEntryRecord(absl::string_view entry, std::string* out) {
  uint32_t len = static_cast<uint32_t>(entry.size());
  char b[4] = {static_cast<char>(len >> 24), static_cast<char>(len >> 16),
               static_cast<char>(len >> 8), static_cast<char>(len)};
  out->append(b, 4);
  out->append(entry.data(), entry.size());
}

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
