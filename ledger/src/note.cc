// C2SP signed notes and tlog checkpoints.
#include "peergrid/ledger/note.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "peergrid/common/status.h"

namespace peergrid::ledger {
namespace {

constexpr absl::string_view kSigPrefix = "\xE2\x80\x94 ";  // "— " (U+2014, space)
constexpr size_t kMaxSignatures = 100;

uint32_t BigEndian32(absl::string_view b) {
  auto u = [&](size_t i) { return uint32_t{static_cast<unsigned char>(b[i])}; };
  return (u(0) << 24) | (u(1) << 16) | (u(2) << 8) | u(3);
}

std::string KeyIdBytes(uint32_t id) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((id >> (24 - 8 * i)) & 0xff);
  return out;
}

absl::Status ValidateNoteText(absl::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("note text must be non-empty and end with a newline");
  }
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("note text contains control character 0x", absl::Hex(u, absl::kZeroPad2)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string CheckpointText(const Checkpoint& checkpoint) {
  return absl::StrCat(checkpoint.origin, "\n", checkpoint.tree_size, "\n",
                      HashToBase64(checkpoint.root), "\n");
}

absl::StatusOr<Checkpoint> ParseCheckpointText(absl::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("checkpoint text must end with a newline");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text.substr(0, text.size() - 1), '\n');
  if (lines.size() < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint has ", lines.size(), " lines, want origin, size and root"));
  }
  Checkpoint cp;
  if (lines[0].empty()) return absl::InvalidArgumentError("checkpoint origin is empty");
  cp.origin = std::string(lines[0]);
  absl::string_view size = lines[1];
  bool digits = !size.empty() && size.size() <= 20 &&
                size.find_first_not_of("0123456789") == absl::string_view::npos;
  if (!digits || (size.size() > 1 && size[0] == '0') || !absl::SimpleAtoi(size, &cp.tree_size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint tree size \"", size, "\" is not a decimal integer"));
  }
  absl::StatusOr<Hash> root = HashFromBase64(lines[2]);
  if (!root.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint root: ", root.status().message()));
  }
  cp.root = *root;
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("checkpoint extension line ", i, " is empty"));
    }
  }
  return cp;
}

absl::StatusOr<std::string> SignNote(absl::string_view text, const Signer& signer) {
  PEERGRID_RETURN_IF_ERROR(ValidateNoteText(text));
  std::string sig = signer.Sign(text);
  return absl::StrCat(text, "\n", kSigPrefix, signer.verifier().name(), " ",
                      absl::Base64Escape(KeyIdBytes(signer.verifier().key_id()) + sig), "\n");
}

absl::StatusOr<std::string> VerifyNote(absl::string_view note, const VerifierKey& key) {
  if (note.empty() || note.back() != '\n') {
    return absl::InvalidArgumentError("signed note must end with a newline");
  }
  size_t split = note.rfind("\n\n");
  if (split == absl::string_view::npos) {
    return absl::InvalidArgumentError("signed note has no blank line before its signatures");
  }
  absl::string_view text = note.substr(0, split + 1);
  PEERGRID_RETURN_IF_ERROR(ValidateNoteText(text));
  absl::string_view sigs = note.substr(split + 2);
  std::vector<absl::string_view> lines = absl::StrSplit(sigs.substr(0, sigs.size() - 1), '\n');
  if (lines.size() > kMaxSignatures) {
    return absl::InvalidArgumentError(
        absl::StrCat("signed note has ", lines.size(), " signature lines, at most 100"));
  }
  bool seen = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    if (!absl::ConsumePrefix(&line, kSigPrefix)) {
      return absl::InvalidArgumentError(
          absl::StrCat("signed note signature line ", i + 1, " does not start with \"— \""));
    }
    size_t space = line.find(' ');
    if (space == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("signed note signature line ", i + 1, " has no key name"));
    }
    absl::string_view name = line.substr(0, space);
    std::string blob;
    if (!absl::Base64Unescape(line.substr(space + 1), &blob) || blob.size() < 5) {
      return absl::InvalidArgumentError(absl::StrCat("signed note signature line ", i + 1, " (key ",
                                                     name, ") has a malformed signature"));
    }
    if (name != key.name() || BigEndian32(blob) != key.key_id()) continue;
    seen = true;
    if (!key.VerifySignature(text, absl::string_view(blob).substr(4))) {
      return absl::PermissionDeniedError(
          absl::StrCat("signed note: signature by key ", key.ToString(), " does not verify"));
    }
  }
  if (!seen) {
    return absl::PermissionDeniedError(
        absl::StrCat("signed note has no signature by key ", key.ToString()));
  }
  return std::string(text);
}

absl::StatusOr<Checkpoint> VerifyCheckpoint(absl::string_view note, const VerifierKey& key,
                                            absl::string_view expected_origin) {
  PEERGRID_ASSIGN_OR_RETURN(std::string text, VerifyNote(note, key));
  PEERGRID_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointText(text));
  if (!expected_origin.empty() && cp.origin != expected_origin) {
    return absl::PermissionDeniedError(absl::StrCat(
        "checkpoint origin \"", cp.origin, "\" is not the expected \"", expected_origin, "\""));
  }
  return cp;
}

}  // namespace peergrid::ledger
