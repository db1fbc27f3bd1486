#include "peergrid/exchange/exchange.h"

#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "exchange_impl.h"
#include "exchange_state.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/limits.h"
#include "peergrid/common/status.h"
#include "peergrid/common/text.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/exchange/registration.h"
#include "peergrid/ledger/note.h"
#include "peergrid/matching/energy_balance.h"
#include "peergrid/matching/validation.h"
#include "peergrid/runtime/json_log.h"

namespace peergrid::exchange {
namespace {

absl::StatusOr<v1::LedgerEntry> ParseEntry(uint64_t index, const std::string& bytes) {
  v1::LedgerEntry entry;
  if (!entry.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("ledger entry ", index, " does not parse"));
  }
  return entry;
}

}  // namespace

absl::Status ValidateHub(const v1::Hub& hub, const std::string& zone_id) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("hub.hub_id", hub.hub_id()));
  if (hub.zone_id() != zone_id) {
    return absl::InvalidArgumentError(absl::StrCat("hub.zone_id ", QuoteInput(hub.zone_id()),
                                                   " is not this zone (\"", zone_id, "\")"));
  }
  PEERGRID_RETURN_IF_ERROR(ValidateDisplayName("hub.display_name", hub.display_name()));
  if (!std::isfinite(hub.latitude_deg()) || hub.latitude_deg() < -90 || hub.latitude_deg() > 90) {
    return absl::InvalidArgumentError(
        absl::StrCat("hub.latitude_deg ", hub.latitude_deg(), " is outside [-90, 90]"));
  }
  if (!std::isfinite(hub.longitude_deg()) || hub.longitude_deg() < -180 ||
      hub.longitude_deg() > 180) {
    return absl::InvalidArgumentError(
        absl::StrCat("hub.longitude_deg ", hub.longitude_deg(), " is outside [-180, 180]"));
  }
  if (hub.reporting_period_s() < limits::kMinReportingPeriodS ||
      hub.reporting_period_s() > limits::kMaxReportingPeriodS) {
    return absl::InvalidArgumentError(
        absl::StrCat("hub.reporting_period_s ", hub.reporting_period_s(), " is outside [",
                     limits::kMinReportingPeriodS, ", ", limits::kMaxReportingPeriodS, "]"));
  }
  if (hub.max_loss_ppm() < 0 || hub.max_loss_ppm() > matching::kMaxMaxLossPpm) {
    return absl::InvalidArgumentError(absl::StrCat(
        "hub.max_loss_ppm ", hub.max_loss_ppm(), " is outside [0, ", matching::kMaxMaxLossPpm,
        "] (0: the default ", matching::kDefaultMaxLossPpm, ")"));
  }
  if (!hub.public_key().empty()) {
    if (absl::Status key = ledger::ValidateEd25519PublicKey(hub.public_key()); !key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("hub.public_key: ", key.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateParticipant(const v1::Participant& p) {
  PEERGRID_RETURN_IF_ERROR(ValidateId("participant.participant_id", p.participant_id()));
  PEERGRID_RETURN_IF_ERROR(ValidateId("participant.hub_id", p.hub_id()));
  PEERGRID_RETURN_IF_ERROR(ValidateDisplayName("participant.display_name", p.display_name()));
  if (p.kind() == v1::PARTICIPANT_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError("participant.kind is unspecified");
  }
  if (p.kind() != v1::HOUSEHOLD && p.kind() != v1::SHARED_STORAGE) {
    return absl::InvalidArgumentError(
        absl::StrCat("participant.kind is ", p.kind(),
                     ": not a known value (want HOUSEHOLD or SHARED_STORAGE)"));
  }
  if (p.pv_nameplate_w() < 0 || p.pv_nameplate_w() > limits::kMaxPvNameplateW) {
    return absl::InvalidArgumentError(absl::StrCat("participant.pv_nameplate_w ",
                                                   p.pv_nameplate_w(), " is outside [0, ",
                                                   limits::kMaxPvNameplateW, "]"));
  }
  if (p.storage_bank_ids_size() > limits::kMaxBanksPerParticipant) {
    return absl::InvalidArgumentError(absl::StrCat("participant.storage_bank_ids has ",
                                                   p.storage_bank_ids_size(), " banks, more than ",
                                                   limits::kMaxBanksPerParticipant));
  }
  for (int i = 0; i < p.storage_bank_ids_size(); ++i) {
    const std::string& bank = p.storage_bank_ids(i);
    PEERGRID_RETURN_IF_ERROR(ValidateId("participant.storage_bank_ids", bank));
    for (int j = 0; j < i; ++j) {
      if (p.storage_bank_ids(j) == bank) {
        return absl::InvalidArgumentError(
            absl::StrCat("participant.storage_bank_ids names bank \"", bank, "\" twice"));
      }
    }
  }
  if (!p.public_key().empty()) {
    if (absl::Status key = ledger::ValidateEd25519PublicKey(p.public_key()); !key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("participant.public_key: ", key.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTariff(const v1::Tariff& tariff) {
  PEERGRID_ASSIGN_OR_RETURN(matching::Tariff domain, convert::FromProto(tariff));
  return domain.Validate();
}

ExchangeImpl::ExchangeImpl(ledger::Ledger* ledger, const MarketTelemetry* telemetry,
                           const Clock* clock, ExchangeOptions options)
    : ledger_(ledger),
      telemetry_(telemetry),
      clock_(clock),
      options_(std::move(options)),
      state_(std::make_unique<ExchangeState>(options_.timing.interval_s)),
      directory_(&state_->directory()),
      answer_thread_([this] {
        pthread_setname_np(pthread_self(), "order-answers");
        AnswerLoop();
      }),
      intake_thread_([this] {
        pthread_setname_np(pthread_self(), "order-intake");
        IntakeLoop();
      }) {}

ExchangeImpl::~ExchangeImpl() {
  // Every order validated is appended and answered before the exchange goes.
  intake_.Close();
  intake_thread_.join();
  committed_.Close();
  answer_thread_.join();
}

absl::StatusOr<std::unique_ptr<Exchange>> Exchange::Open(ledger::Ledger* ledger,
                                                         const MarketTelemetry* telemetry,
                                                         const Clock* clock,
                                                         ExchangeOptions options) {
  PEERGRID_RETURN_IF_ERROR(options.timing.Validate());
  auto exchange = std::make_unique<ExchangeImpl>(ledger, telemetry, clock, std::move(options));
  PEERGRID_RETURN_IF_ERROR(exchange->Replay());
  PEERGRID_RETURN_IF_ERROR(exchange->RecordSigningPolicy());
  return exchange;
}

absl::Status ExchangeImpl::Replay() {
  const uint64_t size = ledger_->Size();
  constexpr uint64_t kPage = 4096;
  absl::MutexLock lock(&mu_);
  for (uint64_t start = 0; start < size; start += kPage) {
    PEERGRID_ASSIGN_OR_RETURN(std::vector<std::string> page,
                              ledger_->GetEntries(start, std::min(size, start + kPage)));
    for (size_t i = 0; i < page.size(); ++i) {
      const uint64_t index = start + i;
      absl::StatusOr<v1::LedgerEntry> entry = ParseEntry(index, page[i]);
      absl::Status applied = entry.ok() ? state_->Apply(index, *entry) : entry.status();
      if (applied.ok()) continue;
      // One stored record never stops the exchange: skip it, say so loudly.
      state_->Skip(index);
      skipped_entries_.push_back(index);
      runtime::LogJson("error", "ledger entry skipped",
                       {{"index", index}, {"error", std::string(applied.message())}});
      RaiseLocked(MarketAlarm(
          v1::LEDGER_ENTRY_SKIPPED, "",
          absl::StrCat("ledger entry ", index, " was not applied at start: ", applied.message())));
    }
  }
  if (std::optional<int64_t> last = state_->LastCleared()) closed_through_ = *last;
  RebuildScheduleLocked();
  return absl::OkStatus();
}

absl::Status ExchangeImpl::RecordSigningPolicy() {
  {
    absl::MutexLock lock(&mu_);
    if (state_->signatures_required() == options_.require_signed_orders) return absl::OkStatus();
  }
  v1::LedgerEntry entry;
  entry.mutable_signing_policy_set()->set_require_signed_orders(options_.require_signed_orders);
  PEERGRID_ASSIGN_OR_RETURN(uint64_t index, AppendAdmin(std::move(entry)));
  runtime::LogJson("info", "signing policy recorded",
                   {{"require_signed_orders", options_.require_signed_orders ? "true" : "false"},
                    {"ledger_index", index}});
  return absl::OkStatus();
}

v1::Alarm ExchangeImpl::MarketAlarm(v1::AlarmKind kind, std::string hub_id,
                                    std::string message) const {
  v1::Alarm alarm;
  alarm.set_hub_id(std::move(hub_id));
  alarm.set_kind(kind);
  alarm.set_severity(v1::CRITICAL);
  alarm.set_message(std::move(message));
  alarm.set_raised_at_unix_ms(NowMs());
  return alarm;
}

std::function<void(const v1::Alarm&)> ExchangeImpl::RaiseLocked(v1::Alarm alarm) {
  constexpr size_t kRecentAlarms = 100;
  runtime::LogJson("warning", "market alarm",
                   {{"kind", v1::AlarmKind_Name(alarm.kind())}, {"message", alarm.message()}});
  recent_alarms_.push_back(std::move(alarm));
  if (recent_alarms_.size() > kRecentAlarms) recent_alarms_.pop_front();
  return events_.on_alarm;
}

void ExchangeImpl::Raise(v1::Alarm alarm) {
  std::function<void(const v1::Alarm&)> on_alarm;
  {
    absl::MutexLock lock(&mu_);
    on_alarm = RaiseLocked(alarm);
  }
  if (on_alarm) on_alarm(alarm);
}

std::vector<v1::Alarm> ExchangeImpl::RecentAlarms() const {
  absl::MutexLock lock(&mu_);
  return {recent_alarms_.begin(), recent_alarms_.end()};
}

void ExchangeImpl::SetEvents(ExchangeEvents events) {
  absl::MutexLock lock(&mu_);
  events_ = std::move(events);
}

int64_t ExchangeImpl::NowMs() const { return absl::ToUnixMillis(clock_->Now()); }

const HubDirectory& ExchangeImpl::directory() const { return *directory_; }

absl::Status ExchangeImpl::ApplyLocked(uint64_t index, const v1::LedgerEntry& entry) {
  // Concurrent appends become durable together (group commit) but their
  // threads get here in any order: park each entry until every entry before
  // it is applied, then wait until this one is, so the caller reads its own
  // write.
  unapplied_.emplace(index, entry);
  bool applied_any = false;
  while (!unapplied_.empty() && unapplied_.begin()->first == state_->size()) {
    absl::Status status = state_->Apply(unapplied_.begin()->first, unapplied_.begin()->second);
    if (!status.ok()) {
      // The entry is durable: a state that cannot follow its own ledger is broken.
      runtime::LogJson("error", "state diverged from the ledger", {{"error", status.ToString()}});
      std::abort();
    }
    unapplied_.erase(unapplied_.begin());
    applied_any = true;
  }
  if (applied_any) applied_.SignalAll();
  // A condition variable, not Mutex::Await: with dozens of appenders waiting,
  // Await would re-evaluate every waiter's condition on every unlock.
  while (state_->size() <= index) applied_.Wait(&mu_);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ExchangeImpl::AppendAdmin(v1::LedgerEntry entry) {
  entry.set_recorded_at_unix_ms(NowMs());
  // Only fields this exchange knows (and validated) go into the ledger.
  entry.DiscardUnknownFields();
  PEERGRID_ASSIGN_OR_RETURN(uint64_t index, ledger_->Append(entry.SerializeAsString()));
  absl::MutexLock lock(&mu_);
  PEERGRID_RETURN_IF_ERROR(ApplyLocked(index, entry));
  return index;
}

absl::StatusOr<uint64_t> ExchangeImpl::RegisterHub(const v1::Hub& hub) {
  absl::MutexLock admin(&admin_mu_);
  PEERGRID_RETURN_IF_ERROR(ValidateHub(hub, options_.zone_id));
  {
    absl::MutexLock lock(&mu_);
    if (state_->directory().FindHub(hub.hub_id()).ok()) {
      return absl::AlreadyExistsError(absl::StrCat("hub_id \"", hub.hub_id(), "\" is registered"));
    }
  }
  v1::LedgerEntry entry;
  *entry.mutable_hub_registered()->mutable_hub() = hub;
  return AppendAdmin(std::move(entry));
}

absl::StatusOr<uint64_t> ExchangeImpl::RegisterParticipant(const v1::Participant& participant) {
  absl::MutexLock admin(&admin_mu_);
  PEERGRID_RETURN_IF_ERROR(ValidateParticipant(participant));
  {
    absl::MutexLock lock(&mu_);
    PEERGRID_RETURN_IF_ERROR(state_->directory().FindHub(participant.hub_id()).status());
    if (state_->directory().FindParticipant(participant.participant_id()).ok()) {
      return absl::AlreadyExistsError(
          absl::StrCat("participant_id \"", participant.participant_id(), "\" is registered"));
    }
    // A bank's discharge is sold by one participant only: two naming it would
    // both offer the same energy.
    for (const v1::Participant& other : state_->directory().ParticipantsOf(participant.hub_id())) {
      for (const std::string& bank : other.storage_bank_ids()) {
        for (const std::string& mine : participant.storage_bank_ids()) {
          if (mine != bank) continue;
          return absl::InvalidArgumentError(absl::StrCat(
              "participant.storage_bank_ids: bank \"", bank, "\" of hub \"", participant.hub_id(),
              "\" is already named by participant \"", other.participant_id(), "\""));
        }
      }
    }
  }
  v1::LedgerEntry entry;
  *entry.mutable_participant_registered()->mutable_participant() = participant;
  return AppendAdmin(std::move(entry));
}

absl::StatusOr<uint64_t> ExchangeImpl::SetTariff(const v1::Tariff& tariff) {
  absl::MutexLock admin(&admin_mu_);
  PEERGRID_RETURN_IF_ERROR(ValidateTariff(tariff));
  v1::LedgerEntry entry;
  *entry.mutable_tariff_set()->mutable_tariff() = tariff;
  return AppendAdmin(std::move(entry));
}

v1::Zone ExchangeImpl::GetZone() const {
  v1::Zone zone;
  zone.set_zone_id(options_.zone_id);
  zone.set_interval_s(options_.timing.interval_s);
  zone.set_gate_lead_s(options_.timing.gate_lead_s);
  zone.set_horizon_s(options_.timing.horizon_s);
  zone.set_settlement_grace_s(options_.timing.settlement_grace_s);
  zone.set_ledger_size(ledger_->Size());
  zone.set_verifier_key(ledger_->verifier_key().ToString());
  zone.set_log_origin(options_.log_origin);
  zone.set_now_unix_ms(NowMs());
  absl::MutexLock lock(&mu_);
  if (state_->tariff()) *zone.mutable_tariff() = *state_->tariff();
  std::vector<v1::Hub> hubs = state_->directory().ListHubs();
  zone.set_hub_count(static_cast<int64_t>(hubs.size()));
  int64_t participants = 0;
  for (const v1::Hub& hub : hubs) {
    participants += static_cast<int64_t>(state_->directory().ParticipantsOf(hub.hub_id()).size());
  }
  zone.set_participant_count(participants);
  for (uint64_t index : skipped_entries_) zone.add_skipped_ledger_indices(index);
  if (!failures_.empty() || catch_up_) {
    zone.set_scheduler_problem(GetSchedulerHealthLocked().reason);
  }
  return zone;
}

}  // namespace peergrid::exchange
