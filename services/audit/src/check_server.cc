// The audit of a ledger served over AuditService.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "check_client.h"
#include "check_run.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/verify.h"

namespace peergrid::audit {
namespace {

using internal::AuditPipeline;

// How long the auditor listens to WatchCheckpoints for the history.
constexpr absl::Duration kHistoryWait = absl::Seconds(30);

// Checks the server's consistency proof from the trusted checkpoint to the
// latest one (both roots from signed notes; the signatures are checked as the
// entries reach their sizes).
void CheckConsistencyProof(v1::AuditService::StubInterface* stub, const TrustedCheckpoint& trusted,
                           const ledger::Checkpoint& latest, AuditReport* report) {
  if (trusted.tree_size == 0 || trusted.tree_size >= latest.tree_size) return;  // see LogAuditor
  absl::StatusOr<ledger::Hash> trusted_root = ledger::HashFromBase64(trusted.root_base64);
  if (!trusted_root.ok()) return;  // reported by LogAuditor::SetTrusted
  absl::StatusOr<std::vector<ledger::Hash>> proof =
      internal::FetchConsistencyProof(stub, trusted.tree_size, latest.tree_size);
  absl::Status verified = proof.ok()
                              ? ledger::VerifyConsistency(trusted.tree_size, latest.tree_size,
                                                          *trusted_root, latest.root, *proof)
                              : proof.status();
  if (verified.ok()) {
    report->Pass(AuditCheck::kConsistency);
    return;
  }
  report->Fail(
      AuditCheck::kConsistency, trusted.tree_size,
      absl::StrCat("fork: the server cannot prove checkpoint ", latest.tree_size,
                   " extends the trusted checkpoint ", trusted.tree_size, ": ", verified.message()),
      latest.tree_size);
}

}  // namespace

absl::StatusOr<AuditReport> AuditServer(v1::AuditService::StubInterface* stub,
                                        const std::string& label, const ledger::VerifierKey& key,
                                        const AuditOptions& options) {
  AuditReport report;
  report.source = absl::StrCat("server ", label);
  AuditPipeline pipeline(key, options, &report);
  PEERGRID_RETURN_IF_ERROR(pipeline.LoadState());
  PEERGRID_ASSIGN_OR_RETURN(v1::Checkpoint latest, internal::FetchCheckpoint(stub, 0));
  PEERGRID_ASSIGN_OR_RETURN(
      std::vector<v1::Checkpoint> history,
      internal::FetchCheckpointHistory(stub, latest.tree_size(), kHistoryWait));
  bool latest_in_history = false;
  for (const v1::Checkpoint& c : history) {
    latest_in_history |= c.note() == latest.note();
    pipeline.log().AddCheckpoint(c.note());
  }
  if (!latest_in_history) pipeline.log().AddCheckpoint(latest.note());

  absl::StatusOr<ledger::Checkpoint> latest_text = internal::UnverifiedCheckpoint(latest.note());
  if (latest_text.ok() && report.previously_trusted) {
    CheckConsistencyProof(stub, *report.previously_trusted, *latest_text, &report);
  }
  const uint64_t want = pipeline.log().target_size().value_or(0);
  std::vector<std::string> page;
  for (uint64_t start = 0; start < want;) {
    page.clear();
    const uint64_t end = std::min(want, start + internal::kEntriesPerPage);
    PEERGRID_RETURN_IF_ERROR(internal::FetchEntries(stub, start, end, &page));
    for (const std::string& entry : page) {
      pipeline.Feed(start++, entry);
    }
    pipeline.Progress(want);
  }
  pipeline.Progress(want, /*force=*/true);
  PEERGRID_RETURN_IF_ERROR(pipeline.Finish());
  return report;
}

}  // namespace peergrid::audit
