#include "peergrid/node/hub_trader.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/matching/validation.h"
#include "peergrid/rpc/grpc_status.h"
#include "peergrid/runtime/json_log.h"
#include "peergrid/v1/admin.grpc.pb.h"

namespace peergrid::node {
namespace {

// Revise an order when the new quantity differs from the placed one by more
// than this share of it.
constexpr double kReviseShare = 0.25;

bool Differs(const matching::Order& placed, const matching::Order& fresh) {
  if (placed.side != fresh.side) return true;
  const double a = static_cast<double>(placed.quantity.value());
  const double b = static_cast<double>(fresh.quantity.value());
  return std::abs(a - b) > kReviseShare * a;
}

}  // namespace

HubTrader::HubTrader(hub::SimulatorConfig config, std::shared_ptr<grpc::Channel> channel,
                     const Clock* clock, std::optional<ledger::Signer> signer)
    : config_(std::move(config)),
      channel_(std::move(channel)),
      market_(v1::MarketService::NewStub(channel_)),
      clock_(clock),
      signer_(std::move(signer)) {}

HubTrader::~HubTrader() { Stop(); }

void HubTrader::Observe(const hub::HubSample& sample,
                        const std::vector<hub::IntervalSummary>& closed) {
  absl::MutexLock lock(&mu_);
  latest_ = sample;
  for (const hub::IntervalSummary& interval : closed) {
    for (const hub::HouseholdInterval& h : interval.households) {
      auto spec = std::find_if(
          config_.households.begin(), config_.households.end(),
          [&](const hub::HouseholdSpec& s) { return s.participant_id == h.participant_id; });
      if (spec == config_.households.end()) continue;
      const int64_t clear_sky = hub::ClearSkyPvEnergy(spec->pv, config_.site, config_.utc_offset_s,
                                                      interval.interval_start, config_.interval_s)
                                    .value();
      const double expected_load =
          hub::ExpectedLoadW(
              spec->load, static_cast<double>(interval.interval_start) + config_.interval_s / 2.0,
              config_.utc_offset_s) *
          static_cast<double>(config_.interval_s) / 3600.0;
      auto& [clearness, load_ratio] = factors_[h.participant_id];
      clearness = clear_sky > 50 ? static_cast<double>(h.pv_wh) / static_cast<double>(clear_sky)
                                 : (clearness == 0 ? 1.0 : clearness);
      load_ratio = expected_load > 1 ? static_cast<double>(h.load_wh) / expected_load : 1.0;
    }
  }
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

bool HubTrader::RefreshZone() {
  auto admin = v1::AdminService::NewStub(channel_);
  v1::Zone zone;
  grpc::Status status =
      admin->GetZone(rpc::ContextWithDeadline(absl::Seconds(5)).get(), v1::GetZoneRequest(), &zone);
  if (!status.ok() || zone.tariff().retail_price_mcu_per_kwh() <= 0) return false;
  hub::MarketView view;
  view.tariff = matching::Tariff{PriceMcuPerKwh(zone.tariff().feed_in_price_mcu_per_kwh()),
                                 PriceMcuPerKwh(zone.tariff().retail_price_mcu_per_kwh())};
  view.timing.interval_s = zone.interval_s();
  view.timing.gate_lead_s = zone.gate_lead_s();
  view.timing.horizon_s = zone.horizon_s();
  view.timing.settlement_grace_s = zone.settlement_grace_s();
  market_view_ = view;
  return true;
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
      if (have_sample && !placed_.contains(target)) {
        Place(target, Decide(target, view));
      } else if (have_sample && now_s >= revise_at && !revised_[target]) {
        revised_[target] = true;
        Revise(target, Decide(target, view));
      }
      // Forget intervals long past.
      while (!placed_.empty() && placed_.begin()->first < target - 4 * t.interval_s) {
        revised_.erase(placed_.begin()->first);
        placed_.erase(placed_.begin());
      }
    }
    stop_.WaitForNotificationWithTimeout(std::clamp(
        clock_->ToReal(absl::Seconds(5)), absl::Milliseconds(2), absl::Milliseconds(200)));
  }
}

HubTrader::Decisions HubTrader::Decide(int64_t interval_start, const hub::MarketView& market) {
  Decisions out;
  hub::HubSample sample;
  std::map<std::string, std::pair<double, double>> factors;
  {
    absl::MutexLock lock(&mu_);
    sample = *latest_;
    factors = factors_;
  }
  int64_t community_net_wh = 0;
  for (const hub::HouseholdSpec& household : config_.households) {
    auto f = factors.find(household.participant_id);
    const double clearness = f == factors.end() ? 1.0 : f->second.first;
    const double load_ratio = f == factors.end() ? 1.0 : f->second.second;
    hub::HouseholdState state;
    state.participant_id = household.participant_id;
    state.interval_start = interval_start;
    state.forecast =
        hub::ForecastHousehold(household, config_.site, config_.utc_offset_s, interval_start,
                               config_.interval_s, clearness, load_ratio);
    // The exchange's deliverable check for a household without storage.
    state.deliverable_cap =
        matching::DeliverableEnergy(PowerW(household.pv.nameplate_w), {}, config_.interval_s)
            .value_or(EnergyWh(0));
    community_net_wh += state.forecast.net().value();
    if (std::optional<matching::Order> order = household_agent_.Decide(state, market)) {
      out.orders[household.participant_id] = *order;
    }
  }
  std::map<std::string, hub::StorageState> storage;
  for (const hub::BankSpec& bank : config_.banks) {
    if (bank.owner_participant_id.empty()) continue;
    hub::StorageState& state = storage[bank.owner_participant_id];
    state.participant_id = bank.owner_participant_id;
    state.interval_start = interval_start;
    state.community_net = EnergyWh(community_net_wh);
    for (const hub::BankSample& b : sample.banks) {
      if (b.bank_id == bank.bank_id) state.banks.push_back(b);
    }
  }
  for (const auto& [id, state] : storage) {
    if (std::optional<matching::Order> order = storage_agent_.Decide(state, market)) {
      out.orders[id] = *order;
    }
  }
  return out;
}

std::vector<bool> HubTrader::Submit(const std::vector<matching::Order>& orders) {
  std::vector<bool> accepted(orders.size(), false);
  if (orders.empty()) return accepted;
  struct Call {
    grpc::ClientContext context;
    v1::SubmitOrderRequest request;
    v1::SubmitOrderResponse response;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls;
  absl::BlockingCounter done(static_cast<int>(orders.size()));
  for (const matching::Order& order : orders) {
    auto call = std::make_unique<Call>();
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    *call->request.mutable_order() = convert::ToProto(order);
    if (signer_) {
      call->request.set_signature(signer_->Sign(convert::OrderSigningText(call->request.order())));
      call->request.set_key_id(
          absl::StrCat(absl::Hex(signer_->verifier().key_id(), absl::kZeroPad8)));
    }
    Call* raw = call.get();
    calls.push_back(std::move(call));
    market_->async()->SubmitOrder(&raw->context, &raw->request, &raw->response,
                                  [raw, &done](grpc::Status status) {
                                    raw->status = std::move(status);
                                    done.DecrementCount();
                                  });
  }
  done.Wait();
  int64_t placed = 0, rejected = 0;
  std::string first_error;
  for (size_t i = 0; i < calls.size(); ++i) {
    const grpc::Status& s = calls[i]->status;
    accepted[i] = s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS;
    if (s.ok()) {
      ++placed;
    } else if (!accepted[i]) {
      ++rejected;
      if (first_error.empty()) first_error = s.error_message();
    }
  }
  absl::MutexLock lock(&mu_);
  stats_.placed += placed;
  stats_.rejected += rejected;
  if (!first_error.empty()) {
    runtime::LogJson("warn", "orders rejected",
                     {{"hub_id", config_.hub_id}, {"rejected", rejected}, {"first", first_error}});
  }
  return accepted;
}

std::vector<bool> HubTrader::Cancel(const std::vector<matching::Order>& orders) {
  std::vector<bool> cancelled(orders.size(), false);
  int64_t count = 0;
  for (size_t i = 0; i < orders.size(); ++i) {
    v1::CancelOrderRequest request;
    request.set_order_id(orders[i].order_id.value());
    request.set_participant_id(orders[i].participant_id.value());
    if (signer_) {
      request.set_signature(
          signer_->Sign(convert::CancelSigningText(request.order_id(), request.participant_id())));
      request.set_key_id(absl::StrCat(absl::Hex(signer_->verifier().key_id(), absl::kZeroPad8)));
    }
    v1::CancelOrderResponse response;
    cancelled[i] =
        market_->CancelOrder(rpc::ContextWithDeadline(absl::Seconds(5)).get(), request, &response)
            .ok();
    count += cancelled[i] ? 1 : 0;
  }
  absl::MutexLock lock(&mu_);
  stats_.cancelled += count;
  return cancelled;
}

void HubTrader::Place(int64_t interval_start, const Decisions& decisions) {
  std::map<std::string, Placed>& placed = placed_[interval_start];
  std::vector<matching::Order> orders;
  for (auto [participant, order] : decisions.orders) {
    order.order_id = OrderId(absl::StrCat(participant, "-", interval_start));
    orders.push_back(order);
  }
  std::vector<bool> accepted = Submit(orders);
  for (size_t i = 0; i < orders.size(); ++i) {
    placed[orders[i].participant_id.value()] = Placed{orders[i], accepted[i]};
  }
  absl::MutexLock lock(&mu_);
  ++stats_.intervals;
}

void HubTrader::Revise(int64_t interval_start, const Decisions& decisions) {
  std::map<std::string, Placed>& placed = placed_[interval_start];
  std::vector<matching::Order> cancels, fresh;
  for (auto& [participant, p] : placed) {
    if (!p.accepted) continue;
    auto it = decisions.orders.find(participant);
    if (it == decisions.orders.end() || Differs(p.order, it->second)) cancels.push_back(p.order);
  }
  // Only a cancelled order makes room for its replacement: one whose cancel
  // failed may still stand, and a second order would give the participant
  // two in one interval. It is revised again on a later pass.
  const std::vector<bool> cancelled = Cancel(cancels);
  for (size_t i = 0; i < cancels.size(); ++i) {
    if (cancelled[i]) placed.erase(cancels[i].participant_id.value());
  }
  for (auto [participant, order] : decisions.orders) {
    if (placed.contains(participant)) continue;
    order.order_id = OrderId(absl::StrCat(participant, "-", interval_start, "-r"));
    fresh.push_back(order);
  }
  std::vector<bool> accepted = Submit(fresh);
  for (size_t i = 0; i < fresh.size(); ++i) {
    placed[fresh[i].participant_id.value()] = Placed{fresh[i], accepted[i]};
  }
}

}  // namespace peergrid::node
