// The audit pipeline shared by AuditExport, AuditServer and the follower:
// each entry goes through the log half (tree, checkpoints, rotations) and,
// when it parses, the market half (business rules).
//
// Thread-safety: thread-compatible (one thread feeds it).
#ifndef PEERGRID_AUDIT_CHECK_RUN_H_
#define PEERGRID_AUDIT_CHECK_RUN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "check_log.h"
#include "check_market.h"
#include "peergrid/audit/audit.h"

namespace peergrid::audit::internal {

class AuditPipeline {
 public:
  // `report` is not owned and must outlive the pipeline.
  AuditPipeline(const ledger::VerifierKey& key, const AuditOptions& options, AuditReport* report);

  // Loads options.state_file (if any) as the trusted checkpoint.
  absl::Status LoadState();
  LogAuditor& log() { return log_; }

  // Audits `entry` as entry `index` (indexes must be consecutive from 0).
  void Feed(uint64_t index, const std::string& entry);
  // Reports progress towards `total` if enough entries went by (or `force`).
  void Progress(uint64_t total, bool force = false);
  // Finishes the log checks, records the elapsed time and, when the report
  // passed, advances the state file to the latest verified checkpoint.
  absl::Status Finish();

 private:
  const AuditOptions& options_;
  AuditReport* const report_;
  LogAuditor log_;
  MarketAuditor market_;
  v1::LedgerEntry scratch_;
  uint64_t last_progress_ = 0;
  absl::Time started_ = absl::Now();
};

}  // namespace peergrid::audit::internal

#endif  // PEERGRID_AUDIT_CHECK_RUN_H_
