#include "peergrid/matching/settlement.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/status.h"

namespace peergrid::matching {
namespace {

// One participant's share of one fill or one read, before aggregation.
struct Entry {
  Entry(absl::string_view p, int64_t b, int64_t s, const MeterRead* r)
      : prefix(Prefix(p)), participant(p), bought(b), sold(s), read(r) {}

  // Returns the first 8 bytes of `id`, big-endian and zero-padded, so that
  // comparing prefixes agrees with comparing the strings (ids hold no NUL).
  static uint64_t Prefix(absl::string_view id) {
    uint64_t prefix = 0;
    for (size_t i = 0; i < 8; ++i) {
      prefix = (prefix << 8) | (i < id.size() ? static_cast<uint8_t>(id[i]) : 0);
    }
    return prefix;
  }
  // Orders by participant id; the prefix settles most comparisons without
  // touching the strings.
  friend bool operator<(const Entry& a, const Entry& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    if (a.participant.size() <= 8 && b.participant.size() <= 8) return false;  // Equal.
    return a.participant < b.participant;
  }
  bool SameParticipant(const Entry& other) const {
    return prefix == other.prefix && (participant.size() <= 8 && other.participant.size() <= 8
                                          ? participant.size() == other.participant.size()
                                          : participant == other.participant);
  }

  uint64_t prefix;
  absl::string_view participant;
  int64_t bought;
  int64_t sold;
  const MeterRead* read;
};

std::string FillName(const ClearingResult& clearing, size_t i) {
  const Fill& f = clearing.fills[i];
  return absl::StrCat("clearing fills[", i, "] (buy ", f.buy_order_id.value(), ", sell ",
                      f.sell_order_id.value(), ")");
}

// Checks that the clearing is one interval's auction output, self-consistent.
absl::Status CheckClearing(int64_t interval_start, const ClearingResult& clearing) {
  if (clearing.interval_start != interval_start) {
    return absl::InvalidArgumentError(
        absl::StrCat("clearing interval_start ", clearing.interval_start,
                     " is not the settled interval ", interval_start));
  }
  if (clearing.clearing_price.has_value() == clearing.fills.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("clearing has ", clearing.fills.size(), " fills and ",
                     clearing.clearing_price ? "a" : "no", " clearing_price_mcu_per_kwh"));
  }
  EnergyWh volume(0);
  for (size_t i = 0; i < clearing.fills.size(); ++i) {
    const Fill& f = clearing.fills[i];
    if (!ValidateId("buyer_id", f.buyer.value()).ok() ||
        !ValidateId("seller_id", f.seller.value()).ok() || f.buyer == f.seller) {
      return absl::InvalidArgumentError(
          absl::StrCat(FillName(clearing, i), ": buyer_id \"", f.buyer.value(),
                       "\" and seller_id \"", f.seller.value(), "\" must be valid and distinct"));
    }
    if (f.quantity.value() < 1) {
      return absl::InvalidArgumentError(absl::StrCat(FillName(clearing, i), ": quantity_wh ",
                                                     f.quantity.value(), " must be >= 1"));
    }
    if (f.price != *clearing.clearing_price) {
      return absl::InvalidArgumentError(absl::StrCat(FillName(clearing, i), ": price_mcu_per_kwh ",
                                                     f.price.value(), " is not the clearing price ",
                                                     clearing.clearing_price->value()));
    }
    PEERGRID_ASSIGN_OR_RETURN(MoneyUcu amount, Amount(f.quantity, f.price));
    if (amount != f.amount) {
      return absl::InvalidArgumentError(absl::StrCat(FillName(clearing, i), ": amount_ucu ",
                                                     f.amount.value(), " is not quantity × price ",
                                                     amount.value()));
    }
    PEERGRID_ASSIGN_OR_RETURN(volume, CheckedAdd(volume, f.quantity));
  }
  if (volume != clearing.volume) {
    return absl::InvalidArgumentError(absl::StrCat("clearing volume_wh ", clearing.volume.value(),
                                                   " is not the sum of its fills ",
                                                   volume.value()));
  }
  return absl::OkStatus();
}

// Returns which of import and export is outside [0, kMaxReadWh], if one is.
std::optional<std::string> ReadBoundsProblem(const MeterRead& read) {
  for (const auto& [name, value] :
       {std::pair<const char*, int64_t>{"import_wh", read.import_wh.value()},
        std::pair<const char*, int64_t>{"export_wh", read.export_wh.value()}}) {
    if (value < 0 || value > kMaxReadWh) {
      return absl::StrCat(name, " ", value, " is outside [0, ", kMaxReadWh, "]");
    }
  }
  return std::nullopt;
}

absl::Status CheckRead(const MeterRead& read, size_t i) {
  PEERGRID_RETURN_IF_ERROR(ValidateId(absl::StrCat("meter_reads[", i, "]: participant_id"),
                                      read.participant_id.value()));
  if (std::optional<std::string> problem = ReadBoundsProblem(read)) {
    return absl::InvalidArgumentError(absl::StrCat("meter_reads[", i, "] (participant ",
                                                   read.participant_id.value(), "): ", *problem));
  }
  switch (read.quality) {
    case ReadQuality::kOk:
    case ReadQuality::kMissing:
    case ReadQuality::kEstimated:
    case ReadQuality::kBad:
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("meter_reads[", i, "] (participant ",
                                                 read.participant_id.value(),
                                                 "): quality is not a ReadQuality"));
}

// Returns x < 0 ? −x·r : −x·f: the grid's price for a net flow x (export > 0).
absl::StatusOr<MoneyUcu> GridAmount(EnergyWh x, const Tariff& tariff) {
  if (x.value() < 0) {
    PEERGRID_ASSIGN_OR_RETURN(EnergyWh imported, CheckedSub(EnergyWh(0), x));
    return Amount(imported, tariff.retail);
  }
  PEERGRID_ASSIGN_OR_RETURN(MoneyUcu paid, Amount(x, tariff.feed_in));
  return -paid;  // paid ≥ 0, so its negation fits.
}

// Computes one participant's bill from its fills (B, S) and read.
absl::StatusOr<Bill> BillFor(absl::string_view participant, EnergyWh bought, EnergyWh sold,
                             const MeterRead* read, PriceMcuPerKwh price, const Tariff& tariff) {
  Bill bill;
  bill.participant_id = ParticipantId(std::string(participant));
  bill.bought = bought;
  bill.sold = sold;
  PEERGRID_ASSIGN_OR_RETURN(MoneyUcu paid, Amount(bought, price));
  PEERGRID_ASSIGN_OR_RETURN(MoneyUcu received, Amount(sold, price));
  PEERGRID_ASSIGN_OR_RETURN(bill.p2p_amount, CheckedSub(paid, received));
  PEERGRID_ASSIGN_OR_RETURN(EnergyWh contracted, CheckedSub(sold, bought));  // C
  EnergyWh net = contracted;  // N; assumed = C when estimated.
  if (read != nullptr && read->quality == ReadQuality::kOk) {
    bill.import_wh = read->import_wh;
    bill.export_wh = read->export_wh;
    PEERGRID_ASSIGN_OR_RETURN(net, CheckedSub(read->export_wh, read->import_wh));
    PEERGRID_ASSIGN_OR_RETURN(bill.deviation, CheckedSub(net, contracted));
  } else {
    bill.estimated = true;
  }
  PEERGRID_ASSIGN_OR_RETURN(bill.imbalance_amount, GridAmount(bill.deviation, tariff));
  PEERGRID_ASSIGN_OR_RETURN(bill.bill, CheckedAdd(bill.p2p_amount, bill.imbalance_amount));
  PEERGRID_ASSIGN_OR_RETURN(bill.baseline, GridAmount(net, tariff));
  PEERGRID_ASSIGN_OR_RETURN(bill.savings, CheckedSub(bill.baseline, bill.bill));
  return bill;
}

absl::Status Named(absl::string_view participant, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat("participant ", participant, ": ", status.message()));
}

}  // namespace

absl::Status CheckReadUsable(const MeterRead& read) {
  if (std::optional<std::string> problem = ReadBoundsProblem(read)) {
    return absl::InvalidArgumentError(
        absl::StrCat("participant ", read.participant_id.value(), ": ", *problem));
  }
  return absl::OkStatus();
}

absl::StatusOr<SettlementResult> Settle(int64_t interval_start, const Tariff& tariff,
                                        const ClearingResult& clearing,
                                        absl::Span<const MeterRead> reads) {
  PEERGRID_RETURN_IF_ERROR(tariff.Validate());
  PEERGRID_RETURN_IF_ERROR(CheckClearing(interval_start, clearing));
  std::vector<Entry> entries;
  entries.reserve(2 * clearing.fills.size() + reads.size());
  for (const Fill& f : clearing.fills) {
    entries.emplace_back(f.buyer.value(), f.quantity.value(), 0, nullptr);
    entries.emplace_back(f.seller.value(), 0, f.quantity.value(), nullptr);
  }
  for (size_t i = 0; i < reads.size(); ++i) {
    PEERGRID_RETURN_IF_ERROR(CheckRead(reads[i], i));
    entries.emplace_back(reads[i].participant_id.value(), 0, 0, &reads[i]);
  }
  std::sort(entries.begin(), entries.end());

  const PriceMcuPerKwh price = clearing.clearing_price.value_or(PriceMcuPerKwh(0));
  SettlementResult result;
  result.interval_start = interval_start;
  size_t participants = entries.empty() ? 0 : 1;
  for (size_t i = 1; i < entries.size(); ++i) {
    participants += entries[i].SameParticipant(entries[i - 1]) ? 0 : 1;
  }
  result.bills.reserve(participants);
  for (size_t i = 0; i < entries.size();) {
    const Entry& first = entries[i];
    const absl::string_view participant = first.participant;
    EnergyWh bought(0);
    EnergyWh sold(0);
    const MeterRead* read = nullptr;
    for (; i < entries.size() && entries[i].SameParticipant(first); ++i) {
      const Entry& e = entries[i];
      absl::StatusOr<EnergyWh> b = CheckedAdd(bought, EnergyWh(e.bought));
      absl::StatusOr<EnergyWh> s = CheckedAdd(sold, EnergyWh(e.sold));
      if (!b.ok()) return Named(participant, b.status());
      if (!s.ok()) return Named(participant, s.status());
      bought = *b;
      sold = *s;
      if (e.read != nullptr && read != nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("meter_reads: participant ", participant, " has more than one read"));
      }
      if (e.read != nullptr) read = e.read;
    }
    absl::StatusOr<Bill> bill = BillFor(participant, bought, sold, read, price, tariff);
    if (!bill.ok()) return Named(participant, bill.status());
    absl::StatusOr<MoneyUcu> grid = CheckedSub(result.grid, bill->imbalance_amount);
    if (!grid.ok()) return Named(participant, grid.status());
    result.grid = *grid;
    result.bills.push_back(*std::move(bill));
  }
  return result;
}

absl::StatusOr<SettlementResult> Settle(const SettlementInput& input) {
  return Settle(input.interval_start, input.tariff, input.clearing, input.reads);
}

absl::StatusOr<std::vector<MeterRead>> MergeReads(absl::Span<const MeterRead> original,
                                                  absl::Span<const MeterRead> late) {
  std::map<absl::string_view, const MeterRead*> merged;
  for (const MeterRead& read : original) {
    if (!merged.emplace(read.participant_id.value(), &read).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "original meter_reads: participant ", read.participant_id.value(), " appears twice"));
    }
  }
  std::map<absl::string_view, bool> seen_late;
  for (const MeterRead& read : late) {
    if (!seen_late.emplace(read.participant_id.value(), true).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "late meter_reads: participant ", read.participant_id.value(), " appears twice"));
    }
    merged[read.participant_id.value()] = &read;
  }
  std::vector<MeterRead> out;
  out.reserve(merged.size());
  for (const auto& [participant, read] : merged) out.push_back(*read);
  return out;
}

absl::string_view ReadQualityName(ReadQuality quality) {
  switch (quality) {
    case ReadQuality::kOk:
      return "OK";
    case ReadQuality::kMissing:
      return "MISSING";
    case ReadQuality::kEstimated:
      return "ESTIMATED";
    case ReadQuality::kBad:
      return "BAD";
  }
  return "READ_QUALITY(invalid)";
}

std::ostream& operator<<(std::ostream& os, ReadQuality quality) {
  return os << ReadQualityName(quality);
}

std::ostream& operator<<(std::ostream& os, const Bill& b) {
  return os << "Bill{" << b.participant_id << ": B " << b.bought << ", S " << b.sold << ", import "
            << b.import_wh << ", export " << b.export_wh << ", D " << b.deviation << ", p2p "
            << b.p2p_amount << ", imbalance " << b.imbalance_amount << ", bill " << b.bill
            << ", baseline " << b.baseline << ", savings " << b.savings
            << (b.estimated ? ", estimated" : "") << "}";
}

}  // namespace peergrid::matching
