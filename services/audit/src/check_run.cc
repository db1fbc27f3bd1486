// The audit pipeline and the audit of an export directory.
#include "check_run.h"

#include <cstdio>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "peergrid/audit/state.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/export_format.h"

namespace peergrid::audit {
namespace internal {
namespace {

constexpr uint64_t kProgressEvery = 1 << 16;

}  // namespace

AuditPipeline::AuditPipeline(const ledger::VerifierKey& key, const AuditOptions& options,
                             AuditReport* report)
    : options_(options), report_(report), log_(key, report), market_(options.timing, report) {}

absl::Status AuditPipeline::LoadState() {
  if (options_.state_file.empty()) return absl::OkStatus();
  PEERGRID_ASSIGN_OR_RETURN(std::optional<TrustedCheckpoint> trusted,
                            ReadTrustedState(options_.state_file));
  if (trusted) {
    report_->previously_trusted = *trusted;
    log_.SetTrusted(*trusted);
  }
  return absl::OkStatus();
}

void AuditPipeline::Feed(uint64_t index, const std::string& entry) {
  const bool parsed = scratch_.ParseFromString(entry);
  log_.AddEntry(index, entry, parsed ? &scratch_ : nullptr);
  if (parsed) {
    market_.Check(index, scratch_);
  } else {
    report_->Fail(AuditCheck::kEntryFormat, index,
                  absl::StrCat("the ", entry.size(), " bytes do not parse as a LedgerEntry"));
  }
}

void AuditPipeline::Progress(uint64_t total, bool force) {
  const uint64_t done = log_.size();
  if (!options_.progress || (!force && done - last_progress_ < kProgressEvery)) return;
  last_progress_ = done;
  options_.progress(done, total);
}

absl::Status AuditPipeline::Finish() {
  log_.Finish();
  report_->latest = log_.latest_verified();
  report_->seconds = absl::ToDoubleSeconds(absl::Now() - started_);
  if (report_->ok() && !options_.state_file.empty() && report_->latest) {
    PEERGRID_RETURN_IF_ERROR(WriteTrustedState(options_.state_file, *report_->latest));
    report_->state_advanced = true;
  }
  return absl::OkStatus();
}

}  // namespace internal

using internal::AuditPipeline;

namespace {

constexpr size_t kReadBufferBytes = 1 << 20;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

absl::StatusOr<ledger::VerifierKey> ReadVerifierKeyFile(const std::string& path) {
  PEERGRID_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    absl::StatusOr<ledger::VerifierKey> key = ledger::VerifierKey::Parse(line);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key file ", path, ": ", key.status().message()));
    }
    return key;
  }
  return absl::InvalidArgumentError(absl::StrCat("key file ", path, " holds no verifier key"));
}

absl::StatusOr<AuditReport> AuditExport(const std::string& dir, const ledger::VerifierKey& key,
                                        const AuditOptions& options) {
  AuditReport report;
  report.source = absl::StrCat("export ", dir);
  AuditPipeline pipeline(key, options, &report);
  PEERGRID_RETURN_IF_ERROR(pipeline.LoadState());
  PEERGRID_ASSIGN_OR_RETURN(std::string note,
                            ReadWholeFile(absl::StrCat(dir, "/", ledger::kExportCheckpointFile)));
  pipeline.log().AddCheckpoint(note);
  // Without a readable checkpoint the entries are still audited, all of them.
  const uint64_t want = pipeline.log().target_size().value_or(UINT64_MAX);

  const std::string path = absl::StrCat(dir, "/", ledger::kExportEntriesFile);
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (file == nullptr) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::setvbuf(file.get(), nullptr, _IOFBF, kReadBufferBytes);
  std::string entry;
  for (uint64_t index = 0;; ++index) {
    absl::StatusOr<bool> more = ledger::ReadEntryRecord(file.get(), &entry);
    if (more.ok() && !*more) break;
    if (absl::IsUnavailable(more.status())) {
      return absl::UnavailableError(absl::StrCat("cannot read ", path));
    }
    if (index >= want) {
      report.Fail(AuditCheck::kTree, index,
                  absl::StrCat("entry ", index, " is beyond the checkpoint's tree size ", want,
                               ": the export holds entries no checkpoint covers"));
      break;
    }
    if (!more.ok()) {
      report.Fail(AuditCheck::kEntryFormat, index,
                  absl::StrCat("this entry ", more.status().message()));
      break;
    }
    pipeline.Feed(index, entry);
    pipeline.Progress(want == UINT64_MAX ? 0 : want);
  }
  pipeline.Progress(want == UINT64_MAX ? 0 : want, /*force=*/true);
  PEERGRID_RETURN_IF_ERROR(pipeline.Finish());
  return report;
}

}  // namespace peergrid::audit
