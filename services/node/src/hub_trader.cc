#include "peergrid/node/hub_trader.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/matching/validation.h"
#include "peergrid/runtime/json_log.h"

namespace peergrid::node {
namespace {

// Revise an order when the new quantity differs from the placed one by more
// than this share of it, or its limit by more than this share of the spread.
constexpr double kReviseShare = 0.25;
constexpr double kRevisePriceShare = 0.10;
// Retries: the first after 10 s of the trader's clock, doubling to 120 s; at
// most kMaxAttempts attempts of one step.
constexpr int64_t kFirstBackoffS = 10;
constexpr int64_t kMaxBackoffS = 120;
constexpr int kMaxAttempts = 8;

bool Differs(const matching::Order& placed, const matching::Order& fresh,
             const matching::Tariff& tariff) {
  if (placed.side != fresh.side) return true;
  const double a = static_cast<double>(placed.quantity.value());
  const double b = static_cast<double>(fresh.quantity.value());
  const double spread = static_cast<double>(tariff.retail.value() - tariff.feed_in.value());
  const double dp = static_cast<double>(placed.limit_price.value() - fresh.limit_price.value());
  return std::abs(a - b) > kReviseShare * a || std::abs(dp) > kRevisePriceShare * spread;
}

// A refusal no retry can change.
bool Permanent(grpc::StatusCode code) {
  return code == grpc::StatusCode::INVALID_ARGUMENT || code == grpc::StatusCode::PERMISSION_DENIED;
}

// Whether a failed call may still have been applied (its answer was lost).
bool Ambiguous(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

int64_t BackoffS(int attempts) {
  int64_t s = kFirstBackoffS;
  for (int i = 1; i < attempts && s < kMaxBackoffS; ++i) s *= 2;
  return std::min(s, kMaxBackoffS);
}

}  // namespace

HubTrader::HubTrader(hub::SimulatorConfig config, std::shared_ptr<grpc::Channel> channel,
                     const Clock* clock, std::optional<ledger::Signer> signer)
    : config_(std::move(config)),
      channel_(std::move(channel)),
      market_(v1::MarketService::NewStub(channel_)),
      clock_(clock),
      signer_(std::move(signer)),
      forecaster_(config_.households, config_.site, config_.utc_offset_s, config_.interval_s) {}

HubTrader::~HubTrader() { Stop(); }

void HubTrader::Observe(const hub::HubSample& sample,
                        const std::vector<hub::IntervalSummary>& closed) {
  absl::MutexLock lock(&mu_);
  latest_ = sample;
  for (const hub::IntervalSummary& interval : closed) forecaster_.Observe(interval);
}

void HubTrader::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void HubTrader::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

TraderStats HubTrader::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void HubTrader::Loop() {
  int64_t refreshed_for = 0;
  while (!stop_.HasBeenNotified()) {
    const int64_t now_s = clock_->NowUnixSeconds();
    if (!market_view_ || now_s - refreshed_for >= config_.interval_s) {
      if (RefreshZone()) refreshed_for = now_s;
    }
    if (market_view_) {
      const MarketTiming& t = market_view_->timing;
      const int64_t target = t.FirstOpenInterval(now_s);
      const int64_t revise_at = t.GateClosure(target) - t.interval_s / 3;
      hub::MarketView view = *market_view_;
      view.now_unix_s = now_s;
      bool have_sample;
      {
        absl::MutexLock lock(&mu_);
        have_sample = latest_.has_value();
      }
      if (have_sample && !book_.contains(target)) {
        Place(target, Decide(target, view), view);
      } else if (have_sample && now_s >= revise_at && !revised_[target]) {
        revised_[target] = true;
        Revise(target, Decide(target, view), view);
      }
      // Retries that are due, in every interval still in the book.
      for (auto& [interval_start, slots] : book_) Advance(interval_start, view);
      // Forget intervals long past.
      while (!book_.empty() && book_.begin()->first < target - 4 * t.interval_s) {
        revised_.erase(book_.begin()->first);
        book_.erase(book_.begin());
      }
    }
    stop_.WaitForNotificationWithTimeout(std::clamp(
        clock_->ToReal(absl::Seconds(5)), absl::Milliseconds(2), absl::Milliseconds(200)));
  }
}

HubTrader::Decisions HubTrader::Decide(int64_t interval_start, const hub::MarketView& market) {
  Decisions out;
  absl::MutexLock lock(&mu_);
  const hub::HubSample& sample = *latest_;
  const hub::CommunityForecast community = forecaster_.Community(interval_start);
  for (size_t i = 0; i < config_.households.size(); ++i) {
    const hub::HouseholdSpec& household = config_.households[i];
    hub::HouseholdState state;
    state.participant_id = household.participant_id;
    state.interval_start = interval_start;
    state.forecast = forecaster_.Forecast(i, interval_start);
    state.community = community;
    // The exchange's deliverable check for a household without storage.
    state.deliverable_cap =
        matching::DeliverableEnergy(PowerW(household.pv.nameplate_w), {}, config_.interval_s)
            .value_or(EnergyWh(0));
    out.sell_cap_wh[household.participant_id] = state.deliverable_cap.value();
    if (std::optional<matching::Order> order = household_agent_.Decide(state, market)) {
      out.orders[household.participant_id] = *order;
    }
  }
  const EnergyWh deficit_ahead =
      forecaster_.DeficitAhead(interval_start, storage_agent_.strategy().lookahead_s);
  std::map<std::string, hub::StorageState> storage;
  for (const hub::BankSpec& bank : config_.banks) {
    if (bank.owner_participant_id.empty()) continue;
    hub::StorageState& state = storage[bank.owner_participant_id];
    state.participant_id = bank.owner_participant_id;
    state.interval_start = interval_start;
    state.community_net = community.net();
    state.deficit_ahead = deficit_ahead;
    state.utc_offset_s = config_.utc_offset_s;
    for (const hub::BankSample& b : sample.banks) {
      if (b.bank_id == bank.bank_id) state.banks.push_back(b);
    }
  }
  for (const auto& [id, state] : storage) {
    out.sell_cap_wh[id] = hub::StorageAgent::SellableWh(state.banks, config_.interval_s).value();
    if (std::optional<matching::Order> order = storage_agent_.Decide(state, market)) {
      out.orders[id] = *order;
    }
  }
  return out;
}

void HubTrader::Place(int64_t interval_start, const Decisions& decisions,
                      const hub::MarketView& market) {
  std::map<std::string, Slot>& slots = book_[interval_start];
  for (auto [participant, order] : decisions.orders) {
    order.order_id = OrderId(absl::StrCat(participant, "-", interval_start));
    Slot& slot = slots[participant];
    slot.pending = order;
    slot.retry_at_s = market.now_unix_s;
  }
  {
    absl::MutexLock lock(&mu_);
    ++stats_.intervals;
  }
  Advance(interval_start, market);
}

void HubTrader::Revise(int64_t interval_start, const Decisions& decisions,
                       const hub::MarketView& market) {
  std::map<std::string, Slot>& slots = book_[interval_start];
  const int64_t now_s = market.now_unix_s;
  // A cancel-first revision needs time for the cancel and the new order.
  const bool time_to_cancel_first =
      now_s <= market.timing.GateClosure(interval_start) - market.timing.interval_s / 6;
  std::vector<std::string> participants;
  for (const auto& [participant, slot] : slots) participants.push_back(participant);
  for (const auto& [participant, order] : decisions.orders) {
    if (!slots.contains(participant)) participants.push_back(participant);
  }
  for (const std::string& participant : participants) {
    auto it = decisions.orders.find(participant);
    std::optional<matching::Order> fresh;
    if (it != decisions.orders.end()) {
      fresh = it->second;
      fresh->order_id = OrderId(absl::StrCat(participant, "-", interval_start, "-r"));
    }
    Slot& slot = slots[participant];
    // Work in progress (a withdrawal, an order that may stand) finishes first;
    // an order refused for good stays refused.
    if (slot.frozen || !slot.withdraw.empty() || (slot.pending && slot.pending_maybe_recorded)) {
      continue;
    }
    slot.attempts = 0;
    slot.retry_at_s = now_s;
    slot.replaces = false;
    slot.then.reset();
    if (slot.live.empty()) {  // nothing stands: (re)place the fresh decision
      slot.pending = fresh;
      continue;
    }
    if (!fresh) {  // nothing wanted any more: cancel
      slot.pending.reset();
      slot.withdraw = std::exchange(slot.live, {});
      slot.withdraw_first = true;
      continue;
    }
    matching::Order standing = slot.live.front();
    int64_t standing_wh = 0;
    for (const matching::Order& o : slot.live) standing_wh += o.quantity.value();
    standing.quantity = EnergyWh(standing_wh);
    if (!Differs(standing, *fresh, market.tariff)) continue;
    if (standing.side == fresh->side) {
      // Place first; cancel the old order once the replacement is accepted.
      // Two SELLs must fit what the seller may deliver together: place what
      // fits now, and the rest once the old order is gone.
      const int64_t cap =
          decisions.sell_cap_wh.contains(participant) ? decisions.sell_cap_wh.at(participant) : 0;
      const int64_t room =
          fresh->side == matching::Side::kBuy ? fresh->quantity.value() : cap - standing_wh;
      if (room >= 1) {
        slot.pending = fresh;
        slot.replaces = true;
        if (room < fresh->quantity.value()) {
          slot.pending->quantity = EnergyWh(room);
          slot.then = fresh;
          slot.then->order_id = OrderId(absl::StrCat(participant, "-", interval_start, "-r2"));
          slot.then->quantity = fresh->quantity - EnergyWh(room);
        }
        continue;
      }
    }
    if (!time_to_cancel_first) continue;  // too late to cancel first: keep the old order
    slot.pending = fresh;
    slot.withdraw = std::exchange(slot.live, {});
    slot.withdraw_first = true;
  }
  Advance(interval_start, market);
}

void HubTrader::Advance(int64_t interval_start, const hub::MarketView& market) {
  auto book = book_.find(interval_start);
  if (book == book_.end()) return;
  std::map<std::string, Slot>& slots = book->second;
  const int64_t now_s = market.now_unix_s;
  if (!market.timing.GateOpen(interval_start, now_s)) {
    // The gate closed: what is still to do cannot be done.
    int64_t abandoned = 0;
    for (auto& [participant, slot] : slots) {
      abandoned +=
          (slot.pending ? 1 : 0) + (slot.then ? 1 : 0) + static_cast<int64_t>(slot.withdraw.size());
      slot.pending.reset();
      slot.then.reset();
      slot.withdraw.clear();
    }
    absl::MutexLock lock(&mu_);
    stats_.abandoned += abandoned;
    return;
  }
  std::vector<std::string> due;
  for (const auto& [participant, slot] : slots) {
    if ((slot.pending || !slot.withdraw.empty()) && slot.retry_at_s <= now_s) {
      due.push_back(participant);
    }
  }
  if (due.empty()) return;
  RunWithdrawals(slots, due, now_s);
  // Replacements accepted now let their predecessors go, which lets the
  // rest of a split SELL follow.
  const std::vector<std::string> accepted = RunSubmissions(slots, due, now_s);
  RunWithdrawals(slots, accepted, now_s);
  RunSubmissions(slots, accepted, now_s);
}

void HubTrader::RunWithdrawals(std::map<std::string, Slot>& slots,
                               const std::vector<std::string>& due, int64_t now_s) {
  std::vector<matching::Order> orders;
  std::vector<std::string> owners;
  int64_t retried = 0;
  for (const std::string& participant : due) {
    const Slot& slot = slots[participant];
    if (slot.retry_at_s > now_s) continue;
    for (const matching::Order& order : slot.withdraw) {
      orders.push_back(order);
      owners.push_back(participant);
      retried += slot.attempts > 0 ? 1 : 0;
    }
  }
  if (orders.empty()) return;
  const std::vector<grpc::Status> statuses = Cancel(orders);
  int64_t cancelled = 0, abandoned = 0;
  std::string first_error;
  for (size_t i = 0; i < orders.size(); ++i) {
    Slot& slot = slots[owners[i]];
    const grpc::StatusCode code = statuses[i].error_code();
    auto remove = [&] {
      std::erase_if(slot.withdraw,
                    [&](const matching::Order& o) { return o.order_id == orders[i].order_id; });
    };
    if (statuses[i].ok() || code == grpc::StatusCode::NOT_FOUND ||
        (code == grpc::StatusCode::FAILED_PRECONDITION && slot.cancel_maybe_done)) {
      cancelled += statuses[i].ok() ? 1 : 0;
      remove();
      continue;
    }
    if (first_error.empty()) first_error = statuses[i].error_message();
    if (Ambiguous(code)) slot.cancel_maybe_done = true;
    if (!Permanent(code) && code != grpc::StatusCode::FAILED_PRECONDITION &&
        slot.attempts + 1 < kMaxAttempts) {
      continue;  // retried after the backoff
    }
    // The order stands for good, and what was to follow it cannot: the other
    // side, or the rest of a SELL that would not fit beside it.
    ++abandoned;
    remove();
    slot.live.push_back(orders[i]);
    if (slot.withdraw_first) {
      abandoned += slot.pending ? 1 : 0;
      slot.pending.reset();
    }
  }
  for (const std::string& participant : std::set<std::string>(owners.begin(), owners.end())) {
    Slot& slot = slots[participant];
    if (slot.withdraw.empty()) {
      slot.withdraw_first = false;
      slot.cancel_maybe_done = false;
      slot.attempts = 0;
    } else {
      ++slot.attempts;
      slot.retry_at_s = now_s + BackoffS(slot.attempts);
    }
  }
  absl::MutexLock lock(&mu_);
  stats_.cancelled += cancelled;
  stats_.retried += retried;
  stats_.abandoned += abandoned;
  if (!first_error.empty()) {
    runtime::LogJson("warn", "cancels failed",
                     {{"hub_id", config_.hub_id}, {"first", first_error}});
  }
}

std::vector<std::string> HubTrader::RunSubmissions(std::map<std::string, Slot>& slots,
                                                   const std::vector<std::string>& due,
                                                   int64_t now_s) {
  std::vector<matching::Order> orders;
  std::vector<std::string> owners;
  int64_t retried = 0;
  for (const std::string& participant : due) {
    const Slot& slot = slots[participant];
    if (!slot.pending || (slot.withdraw_first && !slot.withdraw.empty()) ||
        slot.retry_at_s > now_s) {
      continue;
    }
    orders.push_back(*slot.pending);
    owners.push_back(participant);
    retried += slot.attempts > 0 ? 1 : 0;
  }
  std::vector<std::string> accepted;
  if (orders.empty()) return accepted;
  const std::vector<grpc::Status> statuses = Submit(orders);
  int64_t placed = 0, rejected = 0, abandoned = 0;
  std::string first_error;
  for (size_t i = 0; i < orders.size(); ++i) {
    Slot& slot = slots[owners[i]];
    const grpc::StatusCode code = statuses[i].error_code();
    if (statuses[i].ok() || code == grpc::StatusCode::ALREADY_EXISTS) {
      placed += statuses[i].ok() ? 1 : 0;
      // Place first, then cancel what it replaces.
      if (std::exchange(slot.replaces, false)) {
        for (matching::Order& old : std::exchange(slot.live, {})) slot.withdraw.push_back(old);
      }
      slot.live.push_back(*slot.pending);
      slot.pending = std::exchange(slot.then, std::nullopt);
      slot.withdraw_first = slot.pending.has_value();  // the rest waits for the cancel
      slot.pending_maybe_recorded = false;
      slot.attempts = 0;
      accepted.push_back(owners[i]);
      continue;
    }
    ++rejected;
    if (first_error.empty()) first_error = statuses[i].error_message();
    slot.pending_maybe_recorded = Ambiguous(code);
    if (!Permanent(code) && ++slot.attempts < kMaxAttempts) {
      slot.retry_at_s = now_s + BackoffS(slot.attempts);
      continue;
    }
    abandoned += 1 + (slot.then ? 1 : 0);
    slot.replaces = false;
    // Refused for good, or it may stand unknown to us: either way not revised.
    slot.frozen = Permanent(code) || slot.pending_maybe_recorded;
    slot.pending.reset();
    slot.then.reset();
    slot.attempts = 0;
  }
  absl::MutexLock lock(&mu_);
  stats_.placed += placed;
  stats_.rejected += rejected;
  stats_.retried += retried;
  stats_.abandoned += abandoned;
  if (!first_error.empty()) {
    runtime::LogJson("warn", "orders rejected",
                     {{"hub_id", config_.hub_id}, {"rejected", rejected}, {"first", first_error}});
  }
  return accepted;
}

}  // namespace peergrid::node
