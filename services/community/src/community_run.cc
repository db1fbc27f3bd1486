// Community: running the day, reading the results back, stopping.
#include <signal.h>
#include <sys/wait.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "peergrid/common/status.h"
#include "peergrid/community/community.h"
#include "peergrid/rpc/grpc_status.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"
#include "peergrid/v1/operator.grpc.pb.h"

namespace peergrid::community {
namespace {

constexpr int64_t kIntervalS = 900;
constexpr int kIntervalsPerDay = 96;

}  // namespace

absl::Status Community::RunDay(const std::function<void(const IntervalProgress&)>& progress,
                               absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  const int64_t last = day_start_s_ + (kIntervalsPerDay - 1) * kIntervalS;
  int64_t reported_through = day_start_s_ - kIntervalS;
  for (;;) {
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("the day did not finish within ",
                                                      absl::FormatDuration(timeout), " (logs in ",
                                                      options_.dir, "/logs)"));
    }
    for (size_t i = 0; i < hubs_.size(); ++i) {
      if (std::optional<int> status = hubs_[i]->Poll()) {
        return absl::InternalError(absl::StrCat("hub-", i + 1, " exited (status ", *status,
                                                "); see ", options_.dir, "/logs/hub-", i + 1,
                                                ".log"));
      }
    }
    auto market = v1::MarketService::NewStub(grpc::CreateChannel(exchange_address_, credentials()));
    // Report every newly cleared interval, in order.
    for (int64_t t = reported_through + kIntervalS; t <= last; t += kIntervalS) {
      v1::GetIntervalResultRequest request;
      request.set_interval_start(t);
      v1::IntervalResult result;
      grpc::Status status = market->GetIntervalResult(
          rpc::ContextWithDeadline(absl::Seconds(5)).get(), request, &result);
      if (!status.ok() ||
          (result.phase() != v1::PHASE_CLEARED && result.phase() != v1::PHASE_SETTLED)) {
        break;
      }
      IntervalProgress p;
      p.index = static_cast<int>((t - day_start_s_) / kIntervalS) + 1;
      p.total = kIntervalsPerDay;
      p.event.set_interval_start(t);
      if (result.clearing().has_clearing_price_mcu_per_kwh()) {
        *p.event.mutable_clearing_price_mcu_per_kwh() =
            result.clearing().clearing_price_mcu_per_kwh();
      }
      p.event.set_volume_wh(result.clearing().volume_wh());
      *p.event.mutable_fills() = result.clearing().fills();
      p.event.set_ledger_index(result.clearing_index().value());
      v1::Zone zone;
      auto admin = v1::AdminService::NewStub(grpc::CreateChannel(exchange_address_, credentials()));
      if (admin
              ->GetZone(rpc::ContextWithDeadline(absl::Seconds(5)).get(), v1::GetZoneRequest(),
                        &zone)
              .ok()) {
        p.ledger_size = zone.ledger_size();
      }
      if (progress) progress(p);
      reported_through = t;
    }
    if (reported_through == last) {
      v1::GetIntervalResultRequest request;
      request.set_interval_start(last);
      v1::IntervalResult result;
      if (market
              ->GetIntervalResult(rpc::ContextWithDeadline(absl::Seconds(5)).get(), request,
                                  &result)
              .ok() &&
          result.phase() == v1::PHASE_SETTLED) {
        return absl::OkStatus();
      }
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::Status Community::WaitForCleared(int64_t interval_start, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  auto market = v1::MarketService::NewStub(grpc::CreateChannel(exchange_address_, credentials()));
  for (;;) {
    v1::GetIntervalResultRequest request;
    request.set_interval_start(interval_start);
    v1::IntervalResult result;
    if (market
            ->GetIntervalResult(rpc::ContextWithDeadline(absl::Seconds(5)).get(), request, &result)
            .ok() &&
        (result.phase() == v1::PHASE_CLEARED || result.phase() == v1::PHASE_SETTLED)) {
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "interval ", interval_start, " not cleared within ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

absl::StatusOr<DaySummary> Community::Summarize() {
  DaySummary summary;
  {
    absl::MutexLock lock(&alarm_mu_);
    summary.alarms_by_kind = alarms_raised_;
  }
  for (const auto& [kind, count] : summary.alarms_by_kind) summary.alarms_raised += count;
  auto market = v1::MarketService::NewStub(grpc::CreateChannel(exchange_address_, credentials()));
  for (int i = 0; i < kIntervalsPerDay; ++i) {
    v1::GetIntervalResultRequest request;
    request.set_interval_start(day_start_s_ + i * kIntervalS);
    v1::IntervalResult result;
    PEERGRID_RETURN_IF_ERROR(rpc::FromGrpcStatus(market->GetIntervalResult(
        rpc::ContextWithDeadline(absl::Seconds(10)).get(), request, &result)));
    if (result.phase() == v1::PHASE_CLEARED || result.phase() == v1::PHASE_SETTLED) {
      ++summary.intervals_cleared;
      summary.p2p_traded_wh += result.clearing().volume_wh();
      summary.fills += result.clearing().fills_size();
      summary.orders += result.order_count();
    }
    if (result.phase() != v1::PHASE_SETTLED) continue;
    ++summary.intervals_settled;
    int64_t sum = result.settlement().grid_ucu();
    summary.grid_line_ucu += result.settlement().grid_ucu();
    for (const v1::Bill& bill : result.settlement().bills()) {
      summary.bills_ucu += bill.bill_ucu();
      summary.baseline_ucu += bill.baseline_ucu();
      sum += bill.bill_ucu();
    }
    if (sum != 0) {
      summary.problems.push_back(absl::StrCat("interval ", request.interval_start(),
                                              ": bills + grid line = ", sum, " µcu, not 0"));
    }
  }
  auto operators =
      v1::OperatorService::NewStub(grpc::CreateChannel(exchange_address_, credentials()));
  v1::ListHubsResponse hubs;
  PEERGRID_RETURN_IF_ERROR(rpc::FromGrpcStatus(operators->ListHubs(
      rpc::ContextWithDeadline(absl::Seconds(10)).get(), v1::ListHubsRequest(), &hubs)));
  int64_t capacity_wh = 0;
  for (const v1::HubSummary& hub : hubs.hubs()) {
    v1::GetHubRequest request;
    request.set_hub_id(hub.hub().hub_id());
    v1::HubStatus status;
    PEERGRID_RETURN_IF_ERROR(rpc::FromGrpcStatus(
        operators->GetHub(rpc::ContextWithDeadline(absl::Seconds(10)).get(), request, &status)));
    for (const v1::MeterReading& meter : status.meters()) {
      summary.pv_wh += meter.pv_wh();
      summary.consumption_wh += meter.pv_wh() + meter.import_wh() - meter.export_wh();
    }
    summary.grid_import_wh += status.grid().import_wh();
    summary.grid_export_wh += status.grid().export_wh();
    for (const v1::BatteryBankReading& bank : status.banks()) {
      summary.battery_charged_wh += bank.charged_wh();
      summary.battery_discharged_wh += bank.discharged_wh();
      capacity_wh += bank.capacity_wh();
    }
  }
  if (summary.consumption_wh > 0) {
    summary.local_share = 1.0 - static_cast<double>(summary.grid_import_wh) /
                                    static_cast<double>(summary.consumption_wh);
  }
  if (capacity_wh > 0) {
    summary.battery_cycles =
        static_cast<double>(summary.battery_discharged_wh) / static_cast<double>(capacity_wh);
  }
  auto admin = v1::AdminService::NewStub(grpc::CreateChannel(exchange_address_, credentials()));
  v1::Zone zone;
  PEERGRID_RETURN_IF_ERROR(rpc::FromGrpcStatus(admin->GetZone(
      rpc::ContextWithDeadline(absl::Seconds(10)).get(), v1::GetZoneRequest(), &zone)));
  summary.ledger_size = zone.ledger_size();
  return summary;
}

absl::Status Community::Stop() {
  StopAlarmWatch();
  absl::Status status;
  for (size_t i = 0; i < hubs_.size(); ++i) {
    int s = hubs_[i]->Stop(absl::Seconds(20));
    if (!WIFEXITED(s) || WEXITSTATUS(s) != 0) {
      status.Update(absl::InternalError(absl::StrCat("hub-", i + 1, " stopped with status ", s)));
    }
  }
  hubs_.clear();
  if (exchange_ != nullptr) {
    int s = exchange_->Stop(absl::Seconds(30));
    if (!WIFEXITED(s) || WEXITSTATUS(s) != 0) {
      status.Update(absl::InternalError(absl::StrCat("the exchange stopped with status ", s)));
    }
    exchange_.reset();
  }
  return status;
}

absl::Status Community::RestartExchange(bool kill) {
  if (exchange_ != nullptr) {
    if (kill) {
      exchange_->Signal(SIGKILL);
      (void)exchange_->Wait(absl::Seconds(30));
    } else {
      exchange_->Stop(absl::Seconds(30));
    }
    exchange_.reset();
  }
  return StartExchange();  // same address, same data, same clock
}

}  // namespace peergrid::community
