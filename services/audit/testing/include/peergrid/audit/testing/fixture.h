// Test and benchmark fixture (header-only; not part of the library): a
// deterministic simulated market that writes a ledger exactly as the exchange
// does (DESIGN.md §4–§7) — registrations, a tariff, orders accepted before
// gate closure (some cancelled), one clearing per interval at gate closure
// (matching::Clear on the book), one settlement per interval after the grace
// (matching::Settle on the reads), corrections for late reads, signed orders
// and key rotations on request. audit_check_fixture_ledger.h writes it to a
// real Ledger and helps tamper with it.
//
// Thread-safety: thread-compatible.
#ifndef PEERGRID_AUDIT_TESTING_FIXTURE_H_
#define PEERGRID_AUDIT_TESTING_FIXTURE_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "peergrid/common/market_time.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/ledger/note.h"
#include "peergrid/matching/auction.h"
#include "peergrid/matching/settlement.h"
#include "peergrid/v1/ledger.pb.h"

namespace peergrid::audit::testing {

struct SimOptions {
  int hubs = 2;
  int households_per_hub = 6;
  int intervals = 8;
  int64_t first_interval = 1767225600;  // 2026-01-01T00:00:00Z
  uint64_t seed = 1;
  MarketTiming timing;
  int cancel_one_in = 6;        // cancel about one order in N (0: never)
  bool sign_cancels = false;    // sign cancels too (with sign_orders' keys)
  int missing_read_one_in = 0;  // a read arrives late, about one in N (0: never)
  // Rotate the checkpoint key right after the clearing of this interval
  // (index into the intervals; -1: never).
  int rotate_after_interval = -1;
  // Participants register an Ed25519 key and sign every order (docs/API.md).
  bool sign_orders = false;
};

// One entry as the exchange would append it.
struct SimEntry {
  std::string bytes;              // serialized LedgerEntry (empty for a rotation)
  bool rotation = false;          // the writer calls Ledger::RotateKey here
  bool checkpoint_after = false;  // a clearing or settlement: sign after it
  v1::LedgerEntry::KindCase kind = v1::LedgerEntry::KIND_NOT_SET;
};

class SimulatedMarket {
 public:
  explicit SimulatedMarket(SimOptions options) : o_(std::move(options)), rng_(o_.seed) {}

  // Returns the whole log in index order.
  std::vector<SimEntry> Generate() {
    const int64_t t0 = o_.timing.GateClosure(o_.first_interval) * 1000 - 3'600'000;
    for (int h = 0; h < o_.hubs; ++h) {
      Push({t0, 0, Event::kHub, h, 0});
      for (int p = 0; p < o_.households_per_hub; ++p) {
        Push({t0 + 1 + p, 0, Event::kParticipant, h, p});
      }
    }
    Push({t0 + 1000, 0, Event::kTariff, 0, 0});
    for (int i = 0; i < o_.intervals; ++i) {
      const int64_t start = o_.first_interval + i * o_.timing.interval_s;
      const int64_t gate_ms = o_.timing.GateClosure(start) * 1000;
      for (int h = 0; h < o_.hubs; ++h) {
        for (int p = 0; p < o_.households_per_hub; ++p) {
          if (Rand(8) == 0) continue;  // sits this interval out
          Push({gate_ms - 1 - static_cast<int64_t>(Rand(600'000)), start, Event::kOrder, h, p});
        }
      }
      Push({gate_ms, start, Event::kClear, 0, 0});
      if (i == o_.rotate_after_interval) Push({gate_ms, start, Event::kRotate, 0, 0});
      Push({o_.timing.SettlementDue(start) * 1000, start, Event::kSettle, 0, 0});
      if (o_.missing_read_one_in > 0) {
        Push({o_.timing.SettlementDue(start) * 1000 + 1'800'000, start, Event::kCorrect, 0, 0});
      }
    }
    while (!events_.empty()) {
      Event e = events_.top();
      events_.pop();
      Process(e);
    }
    return std::move(out_);
  }

  // Ids the generator uses (tests name them).
  static std::string HubId(int h) { return absl::StrCat("hub-", h); }
  static std::string ParticipantId(int h, int p) { return absl::StrCat("h", h, "-p", p); }
  // The key household (h, p) signs its orders with.
  static ledger::Signer ParticipantSigner(int h, int p) {
    std::string seed = ParticipantId(h, p);
    seed.resize(32, '.');
    return ledger::Signer::FromSeed(ParticipantId(h, p), seed).value();
  }
  static v1::Tariff Tariff() {
    v1::Tariff t;
    t.set_feed_in_price_mcu_per_kwh(60'000);
    t.set_retail_price_mcu_per_kwh(180'000);
    return t;
  }

 private:
  struct Event {
    enum Type { kHub, kParticipant, kTariff, kCancel, kOrder, kClear, kRotate, kSettle, kCorrect };
    int64_t at_ms;
    int64_t interval;
    Type type;
    int a, b;
    std::string order_id = {};  // kCancel
    uint64_t tie = 0;           // insertion order, for equal times and types
  };
  struct Later {
    bool operator()(const Event& x, const Event& y) const {
      return std::tie(x.at_ms, x.type, x.tie) > std::tie(y.at_ms, y.type, y.tie);
    }
  };

  void Push(Event e) {
    e.tie = next_tie_++;
    events_.push(std::move(e));
  }
  struct Interval {
    std::vector<matching::Order> book;  // seq order, cancelled removed
    uint64_t clearing_index = 0;
    matching::ClearingResult clearing;
    uint64_t latest_settlement = 0;
    std::vector<matching::MeterRead> reads;       // as settled
    std::vector<matching::MeterRead> late_reads;  // arrive for the correction
  };

  uint64_t Rand(uint64_t n) { return rng_() % n; }

  void Emit(int64_t at_ms, v1::LedgerEntry entry, bool checkpoint_after = false) {
    entry.set_recorded_at_unix_ms(at_ms);
    out_.push_back({entry.SerializeAsString(), false, checkpoint_after, entry.kind_case()});
  }

  void Process(const Event& e) {
    v1::LedgerEntry entry;
    switch (e.type) {
      case Event::kHub: {
        v1::Hub* hub = entry.mutable_hub_registered()->mutable_hub();
        hub->set_hub_id(HubId(e.a));
        hub->set_zone_id("jeju-1");
        hub->set_reporting_period_s(5);
        return Emit(e.at_ms, entry);
      }
      case Event::kParticipant: {
        v1::Participant* p = entry.mutable_participant_registered()->mutable_participant();
        p->set_participant_id(ParticipantId(e.a, e.b));
        p->set_hub_id(HubId(e.a));
        p->set_kind(v1::HOUSEHOLD);
        p->set_pv_nameplate_w(e.b % 2 == 0 ? 5000 : 0);
        if (o_.sign_orders) p->set_public_key(ParticipantSigner(e.a, e.b).verifier().public_key());
        return Emit(e.at_ms, entry);
      }
      case Event::kTariff:
        *entry.mutable_tariff_set()->mutable_tariff() = Tariff();
        return Emit(e.at_ms, entry);
      case Event::kOrder:
        return Order(e);
      case Event::kCancel:
        return Cancel(e);
      case Event::kClear:
        return Clear(e.at_ms, e.interval);
      case Event::kRotate:
        out_.push_back({"", true, false, v1::LedgerEntry::kKeyRotated});
        return;
      case Event::kSettle:
        return Settle(e.at_ms, e.interval, false);
      case Event::kCorrect:
        return Settle(e.at_ms, e.interval, true);
    }
  }

  void Order(const Event& e) {
    v1::LedgerEntry entry;
    v1::OrderAccepted* accepted = entry.mutable_order_accepted();
    v1::Order* order = accepted->mutable_order();
    const std::string id = absl::StrCat("o-", e.interval, "-", e.a, "-", e.b);
    order->set_order_id(id);
    order->set_participant_id(ParticipantId(e.a, e.b));
    // Prosumers (even p) sell around midday-ish intervals, everyone else buys.
    const bool sell = e.b % 2 == 0 && Rand(3) != 0;
    order->set_side(sell ? v1::SELL : v1::BUY);
    order->set_quantity_wh(100 + static_cast<int64_t>(Rand(1900)));
    order->set_limit_price_mcu_per_kwh(60'000 + static_cast<int64_t>(Rand(120'001)));
    order->set_interval_start(e.interval);
    accepted->set_accepted_at_unix_ms(e.at_ms);
    if (o_.sign_orders) {
      accepted->set_signature(ParticipantSigner(e.a, e.b).Sign(convert::OrderSigningText(*order)));
    }
    const uint64_t seq = out_.size();
    Emit(e.at_ms, entry);
    v1::Order sequenced = *order;  // the recorded seq is the entry's index
    sequenced.set_seq(seq);
    matching::Order domain = convert::FromProto(sequenced).value();
    intervals_[e.interval].book.push_back(domain);
    const int64_t gate_ms = o_.timing.GateClosure(e.interval) * 1000;
    if (o_.cancel_one_in > 0 && Rand(o_.cancel_one_in) == 0 && e.at_ms + 1 < gate_ms) {
      Push({e.at_ms + 1 + static_cast<int64_t>(Rand(gate_ms - e.at_ms - 1)), e.interval,
            Event::kCancel, e.a, e.b, id});
    }
  }

  void Cancel(const Event& e) {
    std::vector<matching::Order>& book = intervals_[e.interval].book;
    auto it = std::find_if(book.begin(), book.end(), [&](const matching::Order& o) {
      return o.order_id.value() == e.order_id;
    });
    if (it == book.end()) return;
    v1::LedgerEntry entry;
    v1::OrderCancelled* cancel = entry.mutable_order_cancelled();
    cancel->set_order_id(e.order_id);
    cancel->set_participant_id(it->participant_id.value());
    cancel->set_interval_start(e.interval);
    cancel->set_order_seq(it->seq);
    if (o_.sign_cancels) {
      cancel->set_signature(ParticipantSigner(e.a, e.b).Sign(
          convert::CancelSigningText(e.order_id, cancel->participant_id())));
    }
    book.erase(it);
    Emit(e.at_ms, entry);
  }

  void Clear(int64_t at_ms, int64_t start) {
    Interval& interval = intervals_[start];
    interval.clearing = matching::Clear(start, interval.book).value();
    v1::LedgerEntry entry;
    *entry.mutable_interval_cleared()->mutable_result() = convert::ToProto(interval.clearing);
    entry.mutable_interval_cleared()->set_order_count(static_cast<int64_t>(interval.book.size()));
    interval.clearing_index = out_.size();
    Emit(at_ms, entry, /*checkpoint_after=*/true);
  }

  void MakeReads(Interval* interval) {
    std::map<std::string, int64_t> contracted;  // S - B
    for (const matching::Fill& f : interval->clearing.fills) {
      contracted[f.seller.value()] += f.quantity.value();
      contracted[f.buyer.value()] -= f.quantity.value();
    }
    for (int h = 0; h < o_.hubs; ++h) {
      for (int p = 0; p < o_.households_per_hub; ++p) {
        const std::string id = ParticipantId(h, p);
        const int64_t net = contracted[id] + static_cast<int64_t>(Rand(401)) - 200;
        const int64_t base = static_cast<int64_t>(Rand(150));
        matching::MeterRead read{
            peergrid::ParticipantId(id), EnergyWh(std::max<int64_t>(-net, 0) + base),
            EnergyWh(std::max<int64_t>(net, 0) + base), matching::ReadQuality::kOk};
        if (o_.missing_read_one_in > 0 && Rand(o_.missing_read_one_in) == 0) {
          interval->late_reads.push_back(read);
        } else {
          interval->reads.push_back(read);
        }
      }
    }
    std::sort(interval->reads.begin(), interval->reads.end(),
              [](const auto& x, const auto& y) { return x.participant_id < y.participant_id; });
  }

  void Settle(int64_t at_ms, int64_t start, bool correction) {
    Interval& interval = intervals_[start];
    if (!correction) {
      MakeReads(&interval);
    } else {
      if (interval.late_reads.empty()) return;
      interval.reads = matching::MergeReads(interval.reads, interval.late_reads).value();
      interval.late_reads.clear();
    }
    matching::SettlementResult result =
        matching::Settle(start, convert::FromProto(Tariff()).value(), interval.clearing,
                         interval.reads)
            .value();
    v1::IntervalSettled settled;
    settled.set_interval_start(start);
    *settled.mutable_tariff() = Tariff();
    for (const matching::MeterRead& r : interval.reads) {
      v1::MeterRead* read = settled.add_meter_reads();
      read->set_participant_id(r.participant_id.value());
      read->set_import_wh(r.import_wh.value());
      read->set_export_wh(r.export_wh.value());
      read->set_quality(v1::OK);
    }
    *settled.mutable_result() = convert::ToProto(result);
    settled.set_clearing_index(interval.clearing_index);
    v1::LedgerEntry entry;
    if (correction) {
      entry.mutable_settlement_corrected()->set_corrects_index(interval.latest_settlement);
      *entry.mutable_settlement_corrected()->mutable_settlement() = settled;
    } else {
      *entry.mutable_interval_settled() = settled;
    }
    interval.latest_settlement = out_.size();
    Emit(at_ms, entry, /*checkpoint_after=*/true);
  }

  SimOptions o_;
  std::mt19937_64 rng_;
  std::priority_queue<Event, std::vector<Event>, Later> events_;
  uint64_t next_tie_ = 0;
  std::vector<SimEntry> out_;
  std::map<int64_t, Interval> intervals_;
};

}  // namespace peergrid::audit::testing

#endif  // PEERGRID_AUDIT_TESTING_FIXTURE_H_
