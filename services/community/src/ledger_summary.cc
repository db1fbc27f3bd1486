#include "peergrid/community/ledger_summary.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/matching/energy_balance.h"
#include "peergrid/v1/ledger.pb.h"

namespace peergrid::community {
namespace {

constexpr size_t kMaxListedFailures = 10;

struct Directory {
  std::map<std::string, v1::Hub> hubs;
  std::map<std::string, v1::Participant> participants;
  std::map<std::string, int64_t> participants_per_hub;
};

void AddBills(const Directory& directory, const v1::SettlementResult& result, LedgerSummary* out) {
  out->grid_line_ucu += result.grid_ucu();
  for (const v1::Bill& bill : result.bills()) {
    auto p = directory.participants.find(bill.participant_id());
    BillTotals& totals = p != directory.participants.end() && p->second.kind() == v1::SHARED_STORAGE
                             ? out->storage
                             : out->households;
    totals.bills_ucu += bill.bill_ucu();
    totals.baseline_ucu += bill.baseline_ucu();
    totals.estimated += bill.estimated() ? 1 : 0;
  }
}

void AddBalances(const Directory& directory, const v1::IntervalSettled& settled,
                 LedgerSummary* out) {
  std::map<std::string, std::vector<matching::MeterRead>> by_hub;
  for (const v1::MeterRead& read : settled.meter_reads()) {
    auto p = directory.participants.find(read.participant_id());
    absl::StatusOr<matching::MeterRead> domain = convert::FromProto(read);
    if (p != directory.participants.end() && domain.ok()) {
      by_hub[p->second.hub_id()].push_back(*std::move(domain));
    }
  }
  for (const v1::HubRead& hub_read : settled.hub_reads()) {
    auto hub = directory.hubs.find(hub_read.hub_id());
    absl::StatusOr<matching::MeterRead> hub_domain =
        convert::FromProto(convert::AsMeterRead(hub_read));
    if (hub == directory.hubs.end() || !hub_domain.ok()) continue;
    std::vector<const matching::MeterRead*> reads;
    for (const matching::MeterRead& read : by_hub[hub_read.hub_id()]) reads.push_back(&read);
    auto count = directory.participants_per_hub.find(hub_read.hub_id());
    const std::optional<matching::EnergyBalance> balance = matching::HubEnergyBalance(
        *hub_domain, reads, count == directory.participants_per_hub.end() ? 0 : count->second,
        hub->second.max_loss_ppm());
    if (!balance) continue;
    ++out->balances_checked;
    out->losses_wh += balance->residual_wh;
    if (balance->holds()) continue;
    ++out->balances_failed;
    if (out->balance_failures.size() < kMaxListedFailures) {
      out->balance_failures.push_back(absl::StrCat("hub ", hub_read.hub_id(), ", interval ",
                                                   settled.interval_start(), ": ",
                                                   balance->Describe()));
    }
  }
}

void AddPrice(const v1::ClearingResult& result, LedgerSummary* out) {
  out->fills += static_cast<uint64_t>(result.fills_size());
  out->p2p_traded_wh += result.volume_wh();
  if (!result.has_clearing_price_mcu_per_kwh() || result.volume_wh() == 0) return;
  const int64_t price = result.clearing_price_mcu_per_kwh().value();
  if (!out->min_price_mcu_per_kwh || price < *out->min_price_mcu_per_kwh) {
    out->min_price_mcu_per_kwh = price;
    out->min_price_interval = result.interval_start();
  }
  if (!out->max_price_mcu_per_kwh || price > *out->max_price_mcu_per_kwh) {
    out->max_price_mcu_per_kwh = price;
    out->max_price_interval = result.interval_start();
  }
}

}  // namespace

double BillTotals::savings_share() const {
  return baseline_ucu == 0 ? 0.0
                           : static_cast<double>(savings_ucu()) / static_cast<double>(baseline_ucu);
}

absl::StatusOr<LedgerSummary> SummarizeLedger(const std::vector<std::string>& entries) {
  LedgerSummary out;
  Directory directory;
  // The latest settlement of each interval (a correction replaces it).
  std::map<int64_t, v1::IntervalSettled> latest;
  for (size_t index = 0; index < entries.size(); ++index) {
    v1::LedgerEntry entry;
    if (!entry.ParseFromString(entries[index])) {
      return absl::InvalidArgumentError(absl::StrCat("ledger entry ", index, " does not parse"));
    }
    ++out.entries;
    switch (entry.kind_case()) {
      case v1::LedgerEntry::kHubRegistered:
        directory.hubs[entry.hub_registered().hub().hub_id()] = entry.hub_registered().hub();
        break;
      case v1::LedgerEntry::kParticipantRegistered: {
        const v1::Participant& p = entry.participant_registered().participant();
        if (directory.participants.emplace(p.participant_id(), p).second) {
          ++directory.participants_per_hub[p.hub_id()];
          ++(p.kind() == v1::SHARED_STORAGE ? out.storage : out.households).participants;
        }
        break;
      }
      case v1::LedgerEntry::kOrderAccepted:
        ++out.orders;
        break;
      case v1::LedgerEntry::kOrderCancelled:
        ++out.cancellations;
        break;
      case v1::LedgerEntry::kIntervalCleared:
        ++out.intervals_cleared;
        AddPrice(entry.interval_cleared().result(), &out);
        break;
      case v1::LedgerEntry::kIntervalSettled:
        ++out.intervals_settled;
        latest[entry.interval_settled().interval_start()] = entry.interval_settled();
        break;
      case v1::LedgerEntry::kSettlementCorrected:
        ++out.corrections;
        latest[entry.settlement_corrected().settlement().interval_start()] =
            entry.settlement_corrected().settlement();
        break;
      case v1::LedgerEntry::kEmptyIntervals: {
        const v1::EmptyIntervals& run = entry.empty_intervals();
        if (run.interval_s() > 0 && run.last_interval_start() >= run.first_interval_start()) {
          const uint64_t count = static_cast<uint64_t>(
              (run.last_interval_start() - run.first_interval_start()) / run.interval_s() + 1);
          out.intervals_cleared += count;
          out.intervals_settled += count;
        }
        break;
      }
      default:
        break;
    }
  }
  for (const auto& [start, settled] : latest) {
    AddBills(directory, settled.result(), &out);
    AddBalances(directory, settled, &out);
  }
  return out;
}

}  // namespace peergrid::community
