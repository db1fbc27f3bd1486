#include "peergrid/matching/energy_balance.h"

#include "absl/strings/str_cat.h"

namespace peergrid::matching {

std::string EnergyBalance::Describe() const {
  return absl::StrCat("residual ", residual_wh, " Wh ", holds() ? "within" : "outside", " [0, ",
                      max_loss_wh, "] Wh");
}

std::optional<EnergyBalance> HubEnergyBalance(const MeterRead& hub,
                                              absl::Span<const MeterRead* const> participants,
                                              int64_t participant_count, int64_t max_loss_ppm) {
  if (hub.quality != ReadQuality::kOk) return std::nullopt;
  if (static_cast<int64_t>(participants.size()) < participant_count) return std::nullopt;
  // Reads are bounded by kMaxReadWh (1 GWh) each and a hub has at most a few
  // thousand participants: these sums stay far inside int64.
  int64_t net_wh = 0, export_wh = 0;
  for (const MeterRead* read : participants) {
    if (read->quality != ReadQuality::kOk) return std::nullopt;
    net_wh += read->import_wh.value() - read->export_wh.value();
    export_wh += read->export_wh.value();
  }
  const int64_t ppm = max_loss_ppm == 0 ? kDefaultMaxLossPpm : max_loss_ppm;
  EnergyBalance balance;
  balance.residual_wh = hub.import_wh.value() - hub.export_wh.value() - net_wh;
  // (hub import + Σ export) ≤ ~10¹³ Wh and ppm ≤ 2·10⁵: the product fits.
  balance.max_loss_wh = (hub.import_wh.value() + export_wh) * ppm / 1'000'000;
  return balance;
}

}  // namespace peergrid::matching
