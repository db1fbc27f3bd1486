#include "peergrid/audit/follow.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "check_client.h"
#include "check_run.h"
#include "follow_store.h"
#include "grpcpp/client_context.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/verify.h"
#include "peergrid/rpc/grpc_status.h"

namespace peergrid::audit {
namespace {

using internal::AuditPipeline;
using internal::MirrorStore;

// The checks whose failure means the log itself cannot be trusted.
constexpr AuditCheck kLogChecks[] = {AuditCheck::kTree, AuditCheck::kCheckpointSignature,
                                     AuditCheck::kKeyRotation, AuditCheck::kConsistency};

uint64_t LogFailures(const AuditReport& report) {
  uint64_t n = 0;
  for (AuditCheck c : kLogChecks) n += report.counts[static_cast<size_t>(c)].failed;
  return n;
}

std::string LastLogFailure(const AuditReport& report) {
  for (auto it = report.failures.rbegin(); it != report.failures.rend(); ++it) {
    if (std::find(std::begin(kLogChecks), std::end(kLogChecks), it->check) !=
        std::end(kLogChecks)) {
      return absl::StrCat(AuditCheckName(it->check), ": ", it->reason);
    }
  }
  return "the log's checks failed (see report.json)";
}

}  // namespace

AuditFollower::AuditFollower(const ledger::VerifierKey& key, FollowOptions options)
    : key_(key), options_(std::move(options)), report_(std::make_unique<AuditReport>()) {
  audit_options_.timing = options_.timing;
  report_->source = absl::StrCat("mirror ", options_.out_dir);
  pipeline_ = std::make_unique<AuditPipeline>(key_, audit_options_, report_.get());
}

AuditFollower::~AuditFollower() = default;

absl::StatusOr<std::unique_ptr<AuditFollower>> AuditFollower::Open(const ledger::VerifierKey& key,
                                                                   FollowOptions options) {
  std::unique_ptr<AuditFollower> f(new AuditFollower(key, std::move(options)));
  PEERGRID_ASSIGN_OR_RETURN(MirrorStore store, MirrorStore::Open(
                                                   f->options_.out_dir, key,
                                                   [&](const std::string& note) {
                                                     f->pipeline_->log().AddCheckpoint(note);
                                                   },
                                                   [&](uint64_t index, const std::string& entry) {
                                                     f->leaves_.push_back(ledger::LeafHash(entry));
                                                     f->pipeline_->Feed(index, entry);
                                                   }));
  f->store_ = std::make_unique<MirrorStore>(std::move(store));
  const uint64_t size = f->store_->verified_size();
  const std::optional<TrustedCheckpoint>& latest = f->pipeline_->log().latest_verified();
  if (LogFailures(*f->report_) > 0 || (size > 0 && (!latest || latest->tree_size != size))) {
    return absl::DataLossError(absl::StrCat("the mirror in ", f->options_.out_dir,
                                            " no longer verifies: ", LastLogFailure(*f->report_)));
  }
  if (latest) {
    f->latest_note_ = latest->note;
    PEERGRID_ASSIGN_OR_RETURN(f->latest_root_, ledger::HashFromBase64(latest->root_base64));
  }
  f->failures_reported_ = f->report_->failures.size();
  return f;
}

uint64_t AuditFollower::size() const { return store_->verified_size(); }

void AuditFollower::Log(absl::string_view line) const {
  if (options_.log) options_.log(line);
}

absl::Status AuditFollower::Refuse(uint64_t tree_size, const std::string& offending_note,
                                   const std::string& reason) {
  broken_ = true;
  absl::Status rolled_back = store_->Rollback();
  absl::StatusOr<std::string> evidence =
      store_->WriteEvidence(tree_size, latest_note_, offending_note, reason);
  const std::string where = evidence.ok() ? *evidence : std::string(evidence.status().message());
  Log(absl::StrCat("LOG FORK DETECTED at tree size ", tree_size, ": ", reason,
                   "; both checkpoints kept in ", where, "; refusing to follow"));
  if (!rolled_back.ok())
    Log(absl::StrCat("could not drop unverified entries: ", rolled_back.message()));
  return absl::DataLossError(absl::StrCat("log fork at tree size ", tree_size, ": ", reason,
                                          " (evidence in ", where, ")"));
}

absl::Status AuditFollower::Sync(v1::AuditService::StubInterface* stub,
                                 const v1::Checkpoint& checkpoint) {
  if (broken_) return absl::FailedPreconditionError("the follower refused a fork; reopen it");
  const std::string& note = checkpoint.note();
  absl::StatusOr<ledger::Checkpoint> cp = internal::UnverifiedCheckpoint(note);
  if (!cp.ok()) {
    return Refuse(checkpoint.tree_size(), note,
                  absl::StrCat("malformed checkpoint: ", cp.status().message()));
  }
  const uint64_t n = cp->tree_size, m = size();
  if (n <= m) {
    const ledger::Hash mine =
        ledger::RootFromLeaves(absl::MakeConstSpan(leaves_).subspan(0, n)).value();
    if (mine == cp->root) return absl::OkStatus();  // old news
    return Refuse(
        n, note,
        absl::StrCat(n == m ? "two checkpoints of the same size " : "a checkpoint of size ", n,
                     " with root ", ledger::HashToBase64(cp->root),
                     ", but the mirror's verified entries [0, ", n, ") have root ",
                     ledger::HashToBase64(mine)));
  }
  if (m > 0) {
    PEERGRID_ASSIGN_OR_RETURN(std::vector<ledger::Hash> proof,
                              internal::FetchConsistencyProof(stub, m, n));
    absl::Status consistent = ledger::VerifyConsistency(m, n, latest_root_, cp->root, proof);
    if (!consistent.ok()) {
      return Refuse(n, note,
                    absl::StrCat("checkpoint ", n, " is not consistent with the mirror's trusted ",
                                 "checkpoint ", m, ": ", consistent.message()));
    }
  }
  return FetchAndVerify(stub, note, m, n, cp->root);
}

absl::Status AuditFollower::FetchAndVerify(v1::AuditService::StubInterface* stub,
                                           const std::string& note, uint64_t from, uint64_t to,
                                           const ledger::Hash& root) {
  const uint64_t log_failures = LogFailures(*report_);
  pipeline_->log().AddCheckpoint(note);
  std::vector<std::string> page;
  for (uint64_t start = from; start < to;) {
    page.clear();
    const uint64_t end = std::min(to, start + internal::kEntriesPerPage);
    absl::Status fetched = internal::FetchEntries(stub, start, end, &page);
    if (!fetched.ok()) {
      broken_ = true;  // the pipeline has seen entries the mirror will not keep
      PEERGRID_RETURN_IF_ERROR(store_->Rollback());
      return fetched;
    }
    for (const std::string& entry : page) {
      PEERGRID_RETURN_IF_ERROR(store_->Append(entry));
      leaves_.push_back(ledger::LeafHash(entry));
      pipeline_->Feed(start++, entry);
    }
  }
  const std::optional<TrustedCheckpoint>& latest = pipeline_->log().latest_verified();
  if (LogFailures(*report_) > log_failures) {
    leaves_.resize(from);
    return Refuse(to, note, LastLogFailure(*report_));
  }
  if (!latest || latest->tree_size != to) {
    leaves_.resize(from);
    return Refuse(
        to, note,
        absl::StrCat("checkpoint ", to, " is not signed by a key the mirror can trace to ",
                     key_.ToString()));
  }
  PEERGRID_ASSIGN_OR_RETURN(ledger::VerifierKey signer,
                            ledger::VerifierKey::Parse(latest->verifier_key));
  PEERGRID_RETURN_IF_ERROR(store_->Commit(to, note, latest->root_base64, signer));
  latest_note_ = note;
  latest_root_ = root;
  for (; failures_reported_ < report_->failures.size(); ++failures_reported_) {
    const AuditFailure& f = report_->failures[failures_reported_];
    Log(absl::StrCat("AUDIT FAILURE entry ", f.index, ": ", AuditCheckName(f.check), ": ",
                     f.reason));
  }
  report_->latest = latest;
  PEERGRID_RETURN_IF_ERROR(store_->WriteReport(AuditReportJson(*report_)));
  Log(absl::StrCat("mirrored checkpoint ", to, " (", to - from, " new entries, root ",
                   latest->root_base64, ")", report_->ok() ? "" : "; the audit has failures"));
  return absl::OkStatus();
}

bool AuditFollower::Done() const {
  absl::MutexLock lock(&mu_);
  return stop_ || (options_.stop_at_size > 0 && store_->verified_size() >= options_.stop_at_size);
}

void AuditFollower::Stop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
  if (watch_ != nullptr) watch_->TryCancel();
}

absl::Status AuditFollower::Run(v1::AuditService::StubInterface* stub) {
  for (;;) {
    if (Done()) return absl::OkStatus();
    PEERGRID_ASSIGN_OR_RETURN(v1::Checkpoint latest, internal::FetchCheckpoint(stub, 0));
    PEERGRID_RETURN_IF_ERROR(Sync(stub, latest));
    if (options_.once || Done()) return absl::OkStatus();

    grpc::ClientContext context;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return absl::OkStatus();
      watch_ = &context;
    }
    v1::WatchCheckpointsRequest request;
    request.set_after_tree_size(size());
    std::unique_ptr<grpc::ClientReaderInterface<v1::Checkpoint>> reader =
        stub->WatchCheckpoints(&context, request);
    v1::Checkpoint next;
    absl::Status synced;
    while (synced.ok() && !Done() && reader->Read(&next)) synced = Sync(stub, next);
    context.TryCancel();
    grpc::Status finished = reader->Finish();
    {
      absl::MutexLock lock(&mu_);
      watch_ = nullptr;
    }
    PEERGRID_RETURN_IF_ERROR(synced);
    if (Done()) return absl::OkStatus();
    if (!finished.ok() && finished.error_code() != grpc::StatusCode::CANCELLED) {
      absl::Status s = rpc::FromGrpcStatus(finished);
      return absl::Status(s.code(), absl::StrCat("WatchCheckpoints: ", s.message()));
    }
  }
}

}  // namespace peergrid::audit
