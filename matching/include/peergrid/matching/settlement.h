// Settlement of one delivery interval, exactly as DESIGN.md §5 specifies.
// For participant i, with p the clearing price, f feed-in and r retail:
//   B = Wh bought, S = Wh sold (fills); N = export − import (metered net);
//   C = S − B (contracted net); D = N − C (deviation).
//   p2p       = B·p − S·p
//   imbalance = D < 0 ? −D·r : −D·f      (the grid is the counterparty)
//   bill      = p2p + imbalance          (positive = the participant pays)
//   baseline  = N < 0 ? −N·r : −N·f      (what the grid alone would cost)
//   savings   = baseline − bill
//   grid line = −Σ imbalance, so Σ bills + grid = 0.
// A participant whose read is absent or not kOk settles provisionally as
// `estimated`: D = 0, import and export reported as 0, and the baseline taken
// from N = C (the contract assumed delivered). When the read arrives, the
// correcting re-settlement is Settle() again with the full set of reads
// (MergeReads), recorded by the exchange as a correction naming the original.
//
// Errors: InvalidArgument for inconsistent input (naming the participant or
// fill and the field), OutOfRange when an amount overflows int64.
// Thread-safety: pure functions; safe to call concurrently.
#ifndef PEERGRID_MATCHING_SETTLEMENT_H_
#define PEERGRID_MATCHING_SETTLEMENT_H_

#include <cstdint>
#include <ostream>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/units.h"
#include "peergrid/matching/auction.h"
#include "peergrid/matching/order.h"

namespace peergrid::matching {

enum class ReadQuality { kOk, kMissing, kEstimated, kBad };

// Returns "OK", "MISSING", "ESTIMATED", "BAD" (the proto names).
absl::string_view ReadQualityName(ReadQuality quality);
std::ostream& operator<<(std::ostream& os, ReadQuality quality);

// A participant's metered energy over one interval (both ≥ 0).
struct MeterRead {
  ParticipantId participant_id;
  EnergyWh import_wh;
  EnergyWh export_wh;
  ReadQuality quality = ReadQuality::kOk;

  friend bool operator==(const MeterRead&, const MeterRead&) = default;
};

// The largest import or export one interval read may hold, Wh (1 GWh): far
// above any meter's max power × interval, and small enough that a read times
// any price (≤ kMaxPriceMcuPerKwh) fits in int64 with room for the fills.
inline constexpr int64_t kMaxReadWh = kMaxQuantityWh;

// Returns OK when settlement can use `read`: import and export within
// [0, kMaxReadWh]. Otherwise InvalidArgument naming the participant and the
// field. The exchange settles a participant whose read fails it as ESTIMATED
// (the read recorded as BAD, 0/0) and raises an alarm.
absl::Status CheckReadUsable(const MeterRead& read);

// One participant's bill for one interval; amounts in µcu, positive = pays.
struct Bill {
  ParticipantId participant_id;
  EnergyWh bought;      // B
  EnergyWh sold;        // S
  EnergyWh import_wh;   // 0 when estimated
  EnergyWh export_wh;   // 0 when estimated
  EnergyWh deviation;   // D; 0 when estimated
  MoneyUcu p2p_amount;  // B·p − S·p
  MoneyUcu imbalance_amount;
  MoneyUcu bill;  // p2p_amount + imbalance_amount
  MoneyUcu baseline;
  MoneyUcu savings;  // baseline − bill
  bool estimated = false;

  friend bool operator==(const Bill&, const Bill&) = default;
};

std::ostream& operator<<(std::ostream& os, const Bill& bill);

// One interval's bills, ordered by participant_id, and the grid's line.
struct SettlementResult {
  int64_t interval_start = 0;
  std::vector<Bill> bills;
  MoneyUcu grid;  // −Σ imbalance_amount

  friend bool operator==(const SettlementResult&, const SettlementResult&) = default;
};

// Everything one interval's settlement depends on (`peergridctl settle`).
struct SettlementInput {
  int64_t interval_start = 0;
  Tariff tariff;
  ClearingResult clearing;
  std::vector<MeterRead> reads;

  friend bool operator==(const SettlementInput&, const SettlementInput&) = default;
};

// Settles the interval starting at `interval_start`: one bill per participant
// that has fills in `clearing` or a read in `reads`, ordered by
// participant_id. Rejects (InvalidArgument) an invalid tariff, a clearing of
// another interval or inconsistent with itself (a price without fills or
// fills without a price, a fill at another price, quantity < 1, an amount ≠
// quantity × price, volume ≠ Σ quantities), an invalid participant id, two
// reads for one participant, and import or export outside [0, kMaxReadWh]
// (CheckReadUsable). Overflow →
// OutOfRange.
absl::StatusOr<SettlementResult> Settle(int64_t interval_start, const Tariff& tariff,
                                        const ClearingResult& clearing,
                                        absl::Span<const MeterRead> reads);

// Settle(input.interval_start, input.tariff, input.clearing, input.reads).
absl::StatusOr<SettlementResult> Settle(const SettlementInput& input);

// Returns the full set of reads for a correcting re-settlement: `original`
// with each read in `late` replacing the original's read of the same
// participant (or added), ordered by participant_id. InvalidArgument when
// either list names a participant twice.
absl::StatusOr<std::vector<MeterRead>> MergeReads(absl::Span<const MeterRead> original,
                                                  absl::Span<const MeterRead> late);

}  // namespace peergrid::matching

#endif  // PEERGRID_MATCHING_SETTLEMENT_H_
