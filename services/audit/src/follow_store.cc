#include "follow_store.h"

#include <unistd.h>

#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "check_log.h"
#include "nlohmann/json.hpp"
#include "peergrid/audit/state.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/export_format.h"

namespace peergrid::audit::internal {
namespace {

constexpr char kStateFile[] = "follow-state.json";
constexpr char kHistoryFile[] = "checkpoints";
constexpr char kReportFile[] = "report.json";

std::string Path(const std::string& dir, absl::string_view name) {
  return absl::StrCat(dir, "/", name);
}

// Reads record `index` of `path` (ledger::ReadEntryRecord); false at a clean
// end of file; errors name the file and the record.
absl::StatusOr<bool> ReadRecord(std::FILE* f, const std::string& path, uint64_t index,
                                std::string* out) {
  absl::StatusOr<bool> more = ledger::ReadEntryRecord(f, out);
  if (more.ok()) return more;
  return absl::Status(more.status().code(),
                      absl::StrCat(path, ": record ", index, " ", more.status().message()));
}

absl::Status Sync(std::FILE* f, const std::string& path) {
  if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot sync ", path));
  }
  return absl::OkStatus();
}

// Returns the fork evidence directories already in `dir`.
std::vector<std::string> Evidence(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (absl::StartsWith(e.path().filename().string(), "fork-")) out.push_back(e.path().string());
  }
  return out;
}

}  // namespace

MirrorStore::MirrorStore(std::string dir, std::string anchor_key, std::FILE* entries,
                         uint64_t verified_size, uint64_t verified_bytes)
    : dir_(std::move(dir)),
      anchor_key_(std::move(anchor_key)),
      entries_(entries),
      verified_size_(verified_size),
      verified_bytes_(verified_bytes) {}

MirrorStore::MirrorStore(MirrorStore&& o) noexcept
    : dir_(std::move(o.dir_)),
      anchor_key_(std::move(o.anchor_key_)),
      entries_(std::exchange(o.entries_, nullptr)),
      verified_size_(o.verified_size_),
      verified_bytes_(o.verified_bytes_) {}

MirrorStore& MirrorStore::operator=(MirrorStore&& o) noexcept {
  if (entries_ != nullptr) std::fclose(entries_);
  dir_ = std::move(o.dir_);
  anchor_key_ = std::move(o.anchor_key_);
  entries_ = std::exchange(o.entries_, nullptr);
  verified_size_ = o.verified_size_;
  verified_bytes_ = o.verified_bytes_;
  return *this;
}

MirrorStore::~MirrorStore() {
  if (entries_ != nullptr) std::fclose(entries_);
}

absl::StatusOr<MirrorStore> MirrorStore::Open(
    const std::string& dir, const ledger::VerifierKey& anchor,
    const std::function<void(const std::string& note)>& on_checkpoint,
    const std::function<void(uint64_t index, const std::string& entry)>& on_entry) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  if (std::vector<std::string> evidence = Evidence(dir); !evidence.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the log forked (evidence in ", evidence.front(),
                     "); refusing to follow it. Keep the evidence, and move it away only to "
                     "follow a log you trust again"));
  }
  uint64_t size = 0;
  absl::StatusOr<std::string> state = ReadWholeFile(Path(dir, kStateFile));
  if (state.ok()) {
    nlohmann::json j = nlohmann::json::parse(*state, nullptr, false);
    if (j.is_discarded() || !j.contains("anchor_key") || !j.contains("tree_size") ||
        !j["anchor_key"].is_string() || !j["tree_size"].is_number_unsigned()) {
      return absl::DataLossError(absl::StrCat(Path(dir, kStateFile), " is malformed"));
    }
    if (j["anchor_key"].get<std::string>() != anchor.ToString()) {
      return absl::FailedPreconditionError(absl::StrCat("the mirror in ", dir, " follows with key ",
                                                        j["anchor_key"].get<std::string>(),
                                                        ", not ", anchor.ToString()));
    }
    size = j["tree_size"].get<uint64_t>();
  } else if (!absl::IsNotFound(state.status())) {
    return state.status();
  }

  const std::string history = Path(dir, kHistoryFile);
  if (std::FILE* f = std::fopen(history.c_str(), "rb")) {
    std::string note;
    absl::StatusOr<bool> more;
    // A torn last record (a crash inside Commit, before the state file moved)
    // ends the history: what it held is not yet verified.
    for (uint64_t i = 0; (more = ReadRecord(f, history, i, &note)).ok() && *more; ++i) {
      absl::StatusOr<ledger::Checkpoint> cp = UnverifiedCheckpoint(note);
      if (cp.ok() && cp->tree_size <= size) on_checkpoint(note);
    }
    std::fclose(f);
  }

  const std::string path = Path(dir, ledger::kExportEntriesFile);
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  if (f == nullptr) f = std::fopen(path.c_str(), "w+b");
  if (f == nullptr) return absl::UnavailableError(absl::StrCat("cannot open ", path));
  MirrorStore store(dir, anchor.ToString(), f, size, 0);
  std::string entry;
  for (uint64_t i = 0; i < size; ++i) {
    PEERGRID_ASSIGN_OR_RETURN(bool got, ReadRecord(f, path, i, &entry));
    if (!got) {
      return absl::DataLossError(absl::StrCat(path, " holds ", i, " entries but ", kStateFile,
                                              " says ", size, " are verified"));
    }
    on_entry(i, entry);
  }
  store.verified_bytes_ = static_cast<uint64_t>(std::ftell(f));
  PEERGRID_RETURN_IF_ERROR(store.Rollback());  // drop unverified entries after a crash
  return store;
}

absl::Status MirrorStore::Append(const std::string& entry) {
  std::string record;
  ledger::AppendEntryRecord(entry, &record);
  if (std::fwrite(record.data(), 1, record.size(), entries_) != record.size()) {
    return absl::UnavailableError(absl::StrCat("cannot write ", dir_, "/entries"));
  }
  return absl::OkStatus();
}

absl::Status MirrorStore::Commit(uint64_t tree_size, const std::string& note,
                                 const std::string& root_base64, const ledger::VerifierKey& key) {
  PEERGRID_RETURN_IF_ERROR(Sync(entries_, Path(dir_, ledger::kExportEntriesFile)));
  const std::string history = Path(dir_, kHistoryFile);
  std::FILE* h = std::fopen(history.c_str(), "ab");
  if (h == nullptr) return absl::UnavailableError(absl::StrCat("cannot open ", history));
  std::string record;
  ledger::AppendEntryRecord(note, &record);
  const bool wrote = std::fwrite(record.data(), 1, record.size(), h) == record.size();
  absl::Status synced = Sync(h, history);
  std::fclose(h);
  if (!wrote) return absl::UnavailableError(absl::StrCat("cannot write ", history));
  PEERGRID_RETURN_IF_ERROR(synced);
  PEERGRID_RETURN_IF_ERROR(WriteFileAtomically(Path(dir_, ledger::kExportCheckpointFile), note));
  PEERGRID_RETURN_IF_ERROR(
      WriteFileAtomically(Path(dir_, ledger::kExportKeyFile), key.ToString() + "\n"));
  PEERGRID_RETURN_IF_ERROR(
      WriteFileAtomically(Path(dir_, ledger::kExportKeyPemFile), key.PublicKeyPem()));
  nlohmann::json j = {
      {"anchor_key", anchor_key_}, {"tree_size", tree_size}, {"root_hash", root_base64}};
  PEERGRID_RETURN_IF_ERROR(WriteFileAtomically(Path(dir_, kStateFile), j.dump(2) + "\n"));
  verified_size_ = tree_size;
  verified_bytes_ = static_cast<uint64_t>(std::ftell(entries_));
  return absl::OkStatus();
}

absl::Status MirrorStore::Rollback() {
  const std::string path = Path(dir_, ledger::kExportEntriesFile);
  if (std::fflush(entries_) != 0 ||
      ::ftruncate(::fileno(entries_), static_cast<off_t>(verified_bytes_)) != 0 ||
      std::fseek(entries_, static_cast<long>(verified_bytes_), SEEK_SET) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot truncate ", path));
  }
  return absl::OkStatus();
}

absl::Status MirrorStore::WriteReport(const std::string& json) {
  return WriteFileAtomically(Path(dir_, kReportFile), json);
}

absl::StatusOr<std::string> MirrorStore::WriteEvidence(uint64_t tree_size,
                                                       const std::string& trusted_note,
                                                       const std::string& offending_note,
                                                       const std::string& reason) {
  std::string out = Path(dir_, absl::StrCat("fork-", tree_size));
  for (int n = 2; std::filesystem::exists(out); ++n) {
    out = Path(dir_, absl::StrCat("fork-", tree_size, "-", n));
  }
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", out, ": ", ec.message()));
  PEERGRID_RETURN_IF_ERROR(WriteFileAtomically(Path(out, "trusted.note"), trusted_note));
  PEERGRID_RETURN_IF_ERROR(WriteFileAtomically(Path(out, "offending.note"), offending_note));
  PEERGRID_RETURN_IF_ERROR(WriteFileAtomically(Path(out, "reason.txt"), reason + "\n"));
  return out;
}

}  // namespace peergrid::audit::internal
