// The bounds every outside value must meet where it enters (DESIGN.md §9,
// "input that cannot hurt"): registrations (exchange/registration.h) and hub
// reports (hub/telemetry_rules.h). They are what is physically possible for a
// device in a community energy system, with room to spare, so that an honest
// device never meets them and a forged or broken one cannot push a number
// into settlement, the ledger or an alarm that overflows or means nothing.
// Every bound lives here, once; docs/API.md ("Limits") lists them.
//
// Thread-safety: constants and pure functions; thread-safe.
#ifndef PEERGRID_COMMON_LIMITS_H_
#define PEERGRID_COMMON_LIMITS_H_

#include <algorithm>
#include <cstdint>

namespace peergrid::limits {

// --- Strings -----------------------------------------------------------------

// Ids (hub, participant, bank, order, zone): bytes of [A-Za-z0-9._:-]. 128
// holds a UUID with a prefix and keeps ids safe in keys, labels and URIs.
inline constexpr int64_t kMaxIdBytes = 128;
// Display names: Unicode characters (UTF-8, no control characters). They are
// recorded in the append-only ledger forever, so they stay short.
inline constexpr int64_t kMaxDisplayNameChars = 128;
// An error message quotes at most this many bytes of any input value.
inline constexpr int64_t kMaxQuotedInputBytes = 128;
// An error message (gRPC status or report rejection) is cut to this length:
// a backstop should a message quote more than one value.
inline constexpr int64_t kMaxErrorMessageBytes = 1024;

// --- Registration ------------------------------------------------------------

// How often a hub reports, seconds (DESIGN.md §6: every 1–5 s; up to a
// minute for a slow link).
inline constexpr int32_t kMinReportingPeriodS = 1;
inline constexpr int32_t kMaxReportingPeriodS = 60;
// PV nameplate of one participant, W: 10 MW is above any installation
// connected at distribution level (larger plants are transmission-connected
// and do not trade in a community).
inline constexpr int64_t kMaxPvNameplateW = 10'000'000;
// Battery banks one participant may name.
inline constexpr int64_t kMaxBanksPerParticipant = 64;
// Battery banks and meters one hub report may carry (each named once): a
// hub's banks and households, with room to spare; a report is bounded in
// what it can make the exchange keep.
inline constexpr int64_t kMaxBanksPerReport = 256;
inline constexpr int64_t kMaxMetersPerReport = 10'000;

// --- Power (the "max power" of a meter) --------------------------------------

// A household's service connection, W: the largest low-voltage service
// (400 V three-phase at 360 A ≈ 250 kVA: a farm or a small business; larger
// sites connect at medium voltage). A household meter's power and interval
// energy are bounded by it, or by its PV nameplate if that is larger.
inline constexpr int64_t kMaxServiceConnectionW = 250'000;
// One battery bank's charge or discharge power, W: 10 MW is above any
// distribution-connected community battery. A storage participant's meter is
// bounded by this times the number of banks it names (at least one).
inline constexpr int64_t kMaxBankPowerW = 10'000'000;
// A hub's point of common coupling, W: a medium-voltage (22.9 kV) feeder
// carries about 10 MW; 100 MW leaves room for a hub on several.
inline constexpr int64_t kMaxHubConnectionW = 100'000'000;

// --- Energy ------------------------------------------------------------------

// A bank's usable capacity, Wh (DESIGN.md §9: energy ≤ capacity ≤ 10 GWh).
inline constexpr int64_t kMaxBankCapacityWh = 10'000'000'000;
// A monotonic lifetime counter (meter, bank, grid), Wh: 100 MW for 100 years
// is 8.8·10¹³ Wh; 10¹⁴ keeps every sum of counters far from int64 overflow.
inline constexpr int64_t kMaxCounterWh = 100'000'000'000'000;
// Equivalent full cycles of a bank: LTO cells last ~30,000; a million is
// beyond any chemistry.
inline constexpr int64_t kMaxCycleCount = 1'000'000;

// --- Electrical and thermal --------------------------------------------------

// Cell and pack temperatures, °C (DESIGN.md §9): below −50 or above 150 a
// sensor is broken or the pack is already on fire.
inline constexpr double kMinTemperatureC = -50;
inline constexpr double kMaxTemperatureC = 150;
// A bank's DC bus, V: 1500 V is the low-voltage directive's DC limit and the
// bus voltage of utility-scale storage.
inline constexpr double kMaxDcVoltageV = 1500;
// A bank's DC current, A (either sign): 10 MW at a 400 V bus is 25 kA.
inline constexpr double kMaxDcCurrentA = 50'000;
// One cell, V: no chemistry in use charges above ~4.4 V.
inline constexpr double kMaxCellVoltageV = 5;

// --- Time and sequence numbers -----------------------------------------------

// A timestamp (a report's measured_at, an interval read's end) may be at
// most this far ahead of the exchange clock, ms (DESIGN.md §9): clocks of
// hubs drift, but a report from the future would block every later one.
inline constexpr int64_t kMaxClockSkewMs = 5 * 60 * 1000;
// How far one report's seq may jump past the hub's last stored seq
// (DESIGN.md §9): a hub that buffered a week offline at one report a second
// is 604,800 reports behind; a bigger jump is a broken or hostile hub that
// would otherwise make every later seq a "duplicate".
inline constexpr uint64_t kMaxSeqAdvance = 1'000'000;

// Returns the largest power, W, a participant's meter can carry: the bound on
// its reported power and, times the interval length, on its interval reads.
// Household: its service connection or its PV nameplate, whichever is
// larger. Shared storage: kMaxBankPowerW per bank it names (at least one).
inline constexpr int64_t MeterMaxPowerW(bool shared_storage, int64_t pv_nameplate_w,
                                        int64_t bank_count) {
  if (shared_storage)
    return kMaxBankPowerW * std::clamp<int64_t>(bank_count, 1, kMaxBanksPerParticipant);
  return std::max(kMaxServiceConnectionW, std::clamp<int64_t>(pv_nameplate_w, 0, kMaxPvNameplateW));
}

// Returns the most energy, Wh, a meter of `max_power_w` can read over
// `interval_s` seconds (rounded up: a read at full power is never refused).
inline constexpr int64_t MaxIntervalEnergyWh(int64_t max_power_w, int64_t interval_s) {
  return (max_power_w * interval_s + 3599) / 3600;
}

}  // namespace peergrid::limits

#endif  // PEERGRID_COMMON_LIMITS_H_
