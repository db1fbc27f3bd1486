// A regulator's mirror of a live ledger (`peergridctl audit follow`): keeps a
// verified copy of the log in a directory (docs/AUDIT.md lists its files; it
// is also a valid ledger export), and runs the full audit on every entry as
// it arrives.
//
// For every new checkpoint the server announces (WatchCheckpoints), the
// follower checks, before it keeps anything:
//   - the server's consistency proof from the mirror's latest checkpoint to
//     the new one (the log only grew), or, for a checkpoint no larger than
//     the mirror, that its root equals the root of the mirror's entries;
//   - the new entries rebuild exactly the new checkpoint's root, and the
//     checkpoint is signed by the key in force (rotations followed as in
//     the audit).
// If any of these fails the log has forked (or the server lies): the
// follower refuses — it writes both checkpoints (the mirror's trusted one and
// the offending one) and the reason to DIR/fork-<size>/, keeps its verified
// copy, returns DataLoss, and refuses to open DIR again while the evidence is
// there. Business-rule failures (a clearing that does not re-run, ...) do not
// stop the mirror: they are reported through `log` and in DIR/report.json.
//
// Thread-safety: Stop() may be called from any thread; everything else from
// one thread.
// Errors: FailedPrecondition when DIR holds fork evidence or follows another
// key; DataLoss for a fork (evidence written) or a mirror whose own files no
// longer verify; gRPC errors (converted) when the server cannot be read.
#ifndef PEERGRID_AUDIT_FOLLOW_H_
#define PEERGRID_AUDIT_FOLLOW_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "peergrid/audit/audit.h"
#include "peergrid/audit/report.h"
#include "peergrid/common/market_time.h"
#include "peergrid/ledger/hash.h"
#include "peergrid/ledger/note.h"
#include "peergrid/v1/audit.grpc.pb.h"

namespace grpc {
class ClientContext;
}  // namespace grpc

namespace peergrid::audit {

namespace internal {
class AuditPipeline;
class MirrorStore;
}  // namespace internal

struct FollowOptions {
  MarketTiming timing;
  // The mirror directory (created if missing).
  std::string out_dir;
  // Run returns once the mirror has caught up with the server's latest checkpoint.
  bool once = false;
  // Run returns once the mirror holds at least this many entries (0: never).
  uint64_t stop_at_size = 0;
  // Receives one line per event: a mirrored checkpoint, an audit failure, a fork.
  std::function<void(absl::string_view line)> log;
};

class AuditFollower {
 public:
  // Opens (or creates) the mirror for the trust anchor `key` and re-verifies
  // everything it already holds.
  static absl::StatusOr<std::unique_ptr<AuditFollower>> Open(const ledger::VerifierKey& key,
                                                             FollowOptions options);
  ~AuditFollower();

  // Verifies and mirrors the log up to `checkpoint`, fetching what is needed
  // from `stub`.
  absl::Status Sync(v1::AuditService::StubInterface* stub, const v1::Checkpoint& checkpoint);
  // Catches up with the server's latest checkpoint, then follows
  // WatchCheckpoints, until an option says stop, Stop() is called, the
  // stream breaks (the gRPC status is returned) or a fork.
  absl::Status Run(v1::AuditService::StubInterface* stub);
  // Makes Run return OK soon (cancels its watch).
  void Stop();

  // Returns how many verified entries the mirror holds.
  uint64_t size() const;
  // The running audit of the mirrored entries.
  const AuditReport& report() const { return *report_; }

 private:
  AuditFollower(const ledger::VerifierKey& key, FollowOptions options);

  // Writes evidence, marks the follower broken and returns DataLoss.
  absl::Status Refuse(uint64_t tree_size, const std::string& offending_note,
                      const std::string& reason);
  absl::Status FetchAndVerify(v1::AuditService::StubInterface* stub, const std::string& note,
                              uint64_t from, uint64_t to, const ledger::Hash& root);
  void Log(absl::string_view line) const;
  bool Done() const;

  const ledger::VerifierKey key_;
  const FollowOptions options_;
  AuditOptions audit_options_;
  std::unique_ptr<AuditReport> report_;
  std::unique_ptr<internal::AuditPipeline> pipeline_;
  std::unique_ptr<internal::MirrorStore> store_;
  std::vector<ledger::Hash> leaves_;  // of the verified entries
  std::string latest_note_;
  ledger::Hash latest_root_{};
  size_t failures_reported_ = 0;
  bool broken_ = false;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* watch_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace peergrid::audit

#endif  // PEERGRID_AUDIT_FOLLOW_H_
