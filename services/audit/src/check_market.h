// The economic half of the audit: a fold over the ledger's entries, in index
// order, that re-checks every business rule the exchange claims to follow
// (DESIGN.md §4–§5, docs/AUDIT.md):
//   - registrations: valid ids, each registered once, participants on a hub;
//   - tariffs: valid (0 ≤ feed_in ≤ retail);
//   - orders: accepted before their interval's gate closure and before its
//     clearing, within the horizon and the tariff band in force, valid ids,
//     side and quantity, a registered participant, a fresh order id, one side
//     per participant and interval; a signed order's signature verifies with
//     its participant's registered key over the canonical order text
//     (docs/API.md; unsigned orders are counted, not failed);
//   - cancels: of a live order of that participant, at its index, before
//     gate closure;
//   - clearings: one per interval, after gate closure, order_count equal to
//     the book's size, every fill within both limits and between different
//     participants, and matching::Clear on the book giving the recorded
//     result fill by fill;
//   - settlements and corrections: of a cleared interval, naming its
//     clearing (and the settlement they correct), with the interval's tariff,
//     after the settlement grace, summing to zero with the grid line, and
//     matching::Settle on the recorded inputs giving the recorded bills;
//   - empty runs (EmptyIntervals): well formed, recorded after the last
//     interval's settlement was due, under the tariff in force, starting
//     right after the latest interval cleared before them (no interval
//     skipped, none cleared twice), and no order ever accepted for any of
//     their intervals, so that matching::Clear on an empty book and
//     matching::Settle with no reads give what they state. A correction of
//     one of their intervals names the run as clearing and settlement.
// The book of an interval is every order accepted for it before its
// clearing, minus those cancelled before it; orders that no book may hold (a
// duplicate id, a participant on both sides, an unreadable order) are
// reported and left out of it.
//
// Thread-safety: thread-compatible (one thread feeds it).
// Errors: none returned; every finding is a failure in the AuditReport.
#ifndef PEERGRID_AUDIT_CHECK_MARKET_H_
#define PEERGRID_AUDIT_CHECK_MARKET_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "peergrid/audit/report.h"
#include "peergrid/common/market_time.h"
#include "peergrid/matching/auction.h"
#include "peergrid/matching/empty_run.h"
#include "peergrid/matching/order.h"
#include "peergrid/v1/ledger.pb.h"

namespace peergrid::audit::internal {

class MarketAuditor {
 public:
  // `report` is not owned and must outlive the auditor.
  MarketAuditor(const MarketTiming& timing, AuditReport* report);

  // Checks the entry at `index`; entries must arrive in index order.
  void Check(uint64_t index, const v1::LedgerEntry& entry);

 private:
  struct BookOrder {
    matching::Order order;
    bool cancelled = false;
    int64_t filled_wh = 0;
  };
  // An interval whose gate has not been cleared yet.
  struct OpenInterval {
    std::vector<BookOrder> orders;  // in seq order
    absl::flat_hash_map<std::string, size_t> by_id;
    // Live orders per participant: their side and how many.
    absl::flat_hash_map<std::string, std::pair<matching::Side, int>> sides;
  };
  // A cleared interval: what its settlements are checked against.
  struct ClearedInterval {
    uint64_t clearing_index = 0;
    matching::ClearingResult clearing;  // as recorded
    std::optional<v1::Tariff> tariff;   // in force at the clearing
    std::optional<uint64_t> latest_settlement;
  };

  void CheckHub(uint64_t index, const v1::Hub& hub);
  void CheckParticipant(uint64_t index, const v1::Participant& participant);
  void CheckTariff(uint64_t index, const v1::Tariff& tariff);
  void CheckOrder(uint64_t index, const v1::LedgerEntry& entry);
  void CheckOrderSignature(uint64_t index, const v1::OrderAccepted& accepted);
  // Verifies a recorded signature over `text` with the participant's
  // registered key (unsigned entries pass: signing is the zone's policy).
  void CheckSignature(uint64_t index, const std::string& what, const std::string& participant_id,
                      const std::string& text, const std::string& signature);
  // Returns the first acceptance rule `accepted` breaks, if any.
  std::optional<std::string> AcceptanceProblem(const v1::OrderAccepted& accepted,
                                               int64_t recorded_at_ms,
                                               const matching::Order& order) const;
  void CheckCancel(uint64_t index, const v1::LedgerEntry& entry);
  void CheckClearing(uint64_t index, const v1::LedgerEntry& entry);
  // Re-runs matching::Clear on the live book; returns how it differs, if it does.
  static std::optional<std::string> RerunProblem(int64_t start,
                                                 const std::vector<matching::Order>& live,
                                                 const v1::ClearingResult& recorded);
  // Checks each recorded fill against the book (one `fill` count per fill);
  // returns false at the first failure.
  bool CheckFills(uint64_t index, const v1::ClearingResult& result, OpenInterval* book);
  void CheckEmptyIntervals(uint64_t index, const v1::LedgerEntry& entry);
  // Returns the problem with the run's own fields, time and tariff, if any.
  std::optional<std::string> EmptyRunProblem(const v1::LedgerEntry& entry,
                                             const matching::EmptyRun& run) const;
  // Returns the index of the entry that cleared `start` (alone or in a run).
  std::optional<uint64_t> ClearedBy(int64_t start) const;
  // Returns the interval's record for its settlements: cleared alone, or in
  // a run (recorded on first use); null when it is not cleared.
  ClearedInterval* FindCleared(int64_t start);
  void CheckSettlement(uint64_t index, const v1::LedgerEntry& entry,
                       const v1::IntervalSettled& settled, std::optional<uint64_t> corrects_index);
  // Returns every way a settlement contradicts its interval's record: the
  // clearing and settlement it names, its time, its tariff.
  std::vector<std::string> SettlementLinkProblems(const v1::LedgerEntry& entry,
                                                  const v1::IntervalSettled& settled,
                                                  std::optional<uint64_t> corrects_index,
                                                  const ClearedInterval& interval) const;
  // Re-runs matching::Settle on the recorded inputs; returns how it differs.
  std::optional<std::string> RecomputeProblem(const v1::IntervalSettled& settled,
                                              const ClearedInterval& interval) const;
  // Records a registered participant; false when its id is taken.
  bool AddParticipant(const v1::Participant& participant);
  // Checks each hub's energy balance on the settlement's complete reads
  // (DESIGN.md §12); a failure names the hub and the interval.
  void CheckEnergyBalance(uint64_t index, const v1::IntervalSettled& settled);
  // Checks Σ bills + grid = 0; returns false on a failure.
  bool CheckZeroSum(uint64_t index, const v1::SettlementResult& result);
  void Fail(AuditCheck check, uint64_t index, std::string reason);

  const MarketTiming timing_;
  AuditReport* const report_;
  absl::flat_hash_map<std::string, v1::Hub> hubs_;                  // by hub id
  absl::flat_hash_map<std::string, v1::Participant> participants_;  // by participant id
  absl::flat_hash_map<std::string, int64_t> participant_count_by_hub_;
  std::optional<v1::Tariff> tariff_;
  // The signing policy in force: the index of the latest SigningPolicySet
  // that requires signatures (none: signatures optional).
  std::optional<uint64_t> signatures_required_by_;
  std::optional<matching::Tariff> domain_tariff_;
  absl::flat_hash_set<std::string> order_ids_;  // every order id ever accepted
  std::map<int64_t, OpenInterval> open_;
  std::map<int64_t, ClearedInterval> cleared_;
  // Which entry cleared each interval; made at the first entry (the zone's
  // first interval is the first one open then).
  std::optional<matching::ClearedCoverage> coverage_;
  // The tariff in force at each empty run, by the run's index.
  absl::flat_hash_map<uint64_t, std::optional<v1::Tariff>> run_tariffs_;
};

}  // namespace peergrid::audit::internal

#endif  // PEERGRID_AUDIT_CHECK_MARKET_H_
