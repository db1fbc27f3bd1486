#include "peergrid/telemetry/telemetry_store.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/common/status.h"
#include "peergrid/convert/hub_convert.h"
#include "peergrid/hub/telemetry_rules.h"
#include "peergrid/storage/key_codec.h"
#include "peergrid/storage/rocks_status.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace peergrid::telemetry {
namespace {

// Key layout (ids never contain '/'; integers big-endian so keys sort by value):
//   m/<hub>                        meta: last_seq, last_received_ms, latest_seq
//   r/<hub>/<seq>                  received_ms (8 bytes LE) + HubReport bytes
//   i/<interval_start>/<participant>  IntervalRead bytes
//   s/<interval_start>/<hub>/<bank>   IntervalRead bytes of a bank meter
//   g/<interval_start>/<hub>          IntervalRead bytes of the grid connection
//   b/<hub>/<bank>/<bucket_ms>     count, Σ power (8 bytes LE each) + BatteryHistoryPoint bytes
//   e/…, a/…                       the alarm history and active alarms (alarm_log.h)
// A stored value that does not decode is DataLoss naming its key (as above,
// integers in decimal), never skipped.

// Returns the little-endian uint64_t at bytes[offset, offset + 8); the
// caller has checked the length.
uint64_t FixedAt(absl::string_view bytes, size_t offset) {
  return storage::DecodeFixed64(bytes.substr(offset, 8)).value();
}

std::string MetaKey(const std::string& hub) { return absl::StrCat("m/", hub); }
std::string ReportPrefix(const std::string& hub) { return absl::StrCat("r/", hub, "/"); }
std::string ReportKey(const std::string& hub, uint64_t seq) {
  return storage::KeyU64(ReportPrefix(hub), seq);
}
std::string ReadPrefix(int64_t interval_start, const char* table = "i/") {
  std::string k = table;
  storage::PutOrderedInt64(&k, interval_start);
  k.push_back('/');
  return k;
}
constexpr char kBankReads[] = "s/";
constexpr char kGridReads[] = "g/";
std::string HistoryPrefix(const std::string& hub, const std::string& bank) {
  return absl::StrCat("b/", hub, "/", bank, "/");
}
std::string HistoryKey(const std::string& hub, const std::string& bank, int64_t bucket_ms) {
  std::string k = HistoryPrefix(hub, bank);
  storage::PutOrderedInt64(&k, bucket_ms);
  return k;
}

// The keys as messages name them.
std::string ReportKeyName(const std::string& hub, uint64_t seq) {
  return absl::StrCat(ReportPrefix(hub), seq);
}
std::string HistoryKeyName(const std::string& hub, const std::string& bank, int64_t bucket_ms) {
  return absl::StrCat(HistoryPrefix(hub, bank), bucket_ms);
}
// Names a history key read back from the store (its bucket may not decode).
std::string HistoryKeyName(const std::string& hub, const std::string& bank, absl::string_view key) {
  const std::string prefix = HistoryPrefix(hub, bank);
  absl::StatusOr<int64_t> bucket_ms = storage::DecodeOrderedInt64(key.substr(prefix.size()));
  if (!bucket_ms.ok()) return absl::StrCat(prefix, "<", key.size() - prefix.size(), " bytes>");
  return HistoryKeyName(hub, bank, *bucket_ms);
}

// Decodes a stored report (received_ms, then the HubReport).
absl::StatusOr<HubSnapshot> DecodeReport(const std::string& hub, uint64_t seq,
                                         absl::string_view value) {
  HubSnapshot snap;
  if (value.size() < 8 ||
      !snap.report.ParseFromArray(value.data() + 8, static_cast<int>(value.size() - 8))) {
    return absl::DataLossError(absl::StrCat("stored report ", seq, " of hub ", hub, " (key ",
                                            ReportKeyName(hub, seq), ", ", value.size(),
                                            " bytes) does not parse"));
  }
  snap.received_at_unix_ms = static_cast<int64_t>(FixedAt(value, 0));
  return snap;
}

struct Bucket {
  int64_t count = 0;
  int64_t power_sum = 0;
  v1::BatteryHistoryPoint point;
};

std::string EncodeBucket(const Bucket& b) {
  std::string v;
  storage::PutFixed64(&v, static_cast<uint64_t>(b.count));
  storage::PutFixed64(&v, static_cast<uint64_t>(b.power_sum));
  b.point.AppendToString(&v);
  return v;
}
// Decodes the history bucket stored under the key named `key_name`.
absl::StatusOr<Bucket> DecodeBucket(absl::string_view v, absl::string_view key_name) {
  Bucket b;
  if (v.size() < 16 || !b.point.ParseFromArray(v.data() + 16, static_cast<int>(v.size() - 16))) {
    return absl::DataLossError(absl::StrCat("battery history bucket ", key_name, " (", v.size(),
                                            " bytes) does not decode"));
  }
  b.count = static_cast<int64_t>(FixedAt(v, 0));
  b.power_sum = static_cast<int64_t>(FixedAt(v, 8));
  return b;
}

}  // namespace

struct TelemetryStore::HubState {
  absl::Mutex ingest_mu;   // serializes Ingest for this hub, held across the write
  mutable absl::Mutex mu;  // guards the fields below against readers
  uint64_t last_seq = 0;
  uint64_t latest_seq = 0;
  int64_t last_received_ms = 0;  // of the last batch, duplicates included (not staleness)
  std::optional<HubSnapshot> latest;
  hub::HubSample latest_sample;
  // Open history buckets per bank (touched only under ingest_mu).
  std::map<std::string, std::pair<int64_t, Bucket>> buckets;
};

absl::StatusOr<std::unique_ptr<TelemetryStore>> TelemetryStore::Open(const std::string& dir,
                                                                     TelemetryOptions options) {
  PEERGRID_RETURN_IF_ERROR(options.timing.Validate());
  PEERGRID_RETURN_IF_ERROR(hub::ValidateAlarmRules(options.alarms.bank_rules));
  for (const auto& [bank, rules] : options.alarms.overrides) {
    if (absl::Status s = hub::ValidateAlarmRules(rules); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bank ", bank.second, " of hub ", bank.first, ": ", s.message()));
    }
  }
  if (options.alarm_history_per_hub < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alarm_history_per_hub is ", options.alarm_history_per_hub, ": expected at least 1"));
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.write_buffer_size = 64 << 20;
  rocksdb::DB* raw = nullptr;
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(rocksdb::DB::Open(db_options, dir, &raw),
                                              absl::StrCat("open telemetry ", dir)));
  std::unique_ptr<TelemetryStore> store(
      new TelemetryStore(std::unique_ptr<rocksdb::DB>(raw), std::move(options)));
  PEERGRID_RETURN_IF_ERROR(store->Load());
  return store;
}

TelemetryStore::TelemetryStore(std::unique_ptr<rocksdb::DB> db, TelemetryOptions options)
    : db_(std::move(db)),
      options_(std::move(options)),
      monitor_(options_.alarms, options_.timing.stale_after_periods) {}

TelemetryStore::~TelemetryStore() = default;

absl::Status TelemetryStore::Load() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("m/"); it->Valid() && it->key().starts_with("m/"); it->Next()) {
    const std::string hub_id = it->key().ToString().substr(2);
    const std::string meta = it->value().ToString();
    if (meta.size() != 24) {
      return absl::DataLossError(absl::StrCat("bad meta for hub ", hub_id, " (key ",
                                              MetaKey(hub_id), " holds ", meta.size(),
                                              " bytes, not 24)"));
    }
    HubState& st = StateFor(hub_id);
    absl::MutexLock lock(&st.mu);
    st.last_received_ms = static_cast<int64_t>(FixedAt(meta, 8));
    st.latest_seq = FixedAt(meta, 16);
    // The hub's seq is its latest stored report's. (Stores written before
    // rejected reports stopped moving it may hold a higher first field: a
    // rejected seq 2^64-1 would make every later report a "duplicate".)
    st.last_seq = std::min(FixedAt(meta, 0), st.latest_seq);
    if (st.latest_seq == 0) continue;
    std::string value;
    PEERGRID_RETURN_IF_ERROR(storage::FromRocks(
        db_->Get(rocksdb::ReadOptions(), ReportKey(hub_id, st.latest_seq), &value),
        absl::StrCat("read latest report of ", hub_id)));
    PEERGRID_ASSIGN_OR_RETURN(HubSnapshot snap, DecodeReport(hub_id, st.latest_seq, value));
    st.latest_sample = convert::FromProto(snap.report);
    st.latest = std::move(snap);
  }
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan telemetry meta"));
  return RestoreAlarms();
}

absl::Status TelemetryStore::RestoreAlarms() {
  PEERGRID_ASSIGN_OR_RETURN(
      alarm_log_, AlarmLog::Open(db_.get(), {.history_per_hub = options_.alarm_history_per_hub,
                                             .sync = options_.sync}));
  std::vector<std::pair<hub::HubSample, int64_t>> latest;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, st] : hubs_) {
      absl::MutexLock state_lock(&st->mu);
      if (st->latest) latest.emplace_back(st->latest_sample, st->latest->received_at_unix_ms);
    }
  }
  monitor_.AttachLog(alarm_log_.get());
  monitor_.Restore(latest, alarm_log_->stored_active());
  return absl::OkStatus();
}

TelemetryStore::HubState& TelemetryStore::StateFor(const std::string& hub_id) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<HubState>& st = hubs_[hub_id];
  if (st == nullptr) st = std::make_unique<HubState>();
  return *st;
}

const TelemetryStore::HubState* TelemetryStore::FindState(const std::string& hub_id) const {
  absl::MutexLock lock(&mu_);
  auto it = hubs_.find(hub_id);
  return it == hubs_.end() ? nullptr : it->second.get();
}

absl::StatusOr<std::vector<IngestResult>> TelemetryStore::Ingest(
    const std::string& hub_id, absl::Span<const v1::HubReport* const> reports, int64_t now_unix_ms,
    absl::Span<const absl::Status> prechecks, const MeterMaxPowerFn& meter_max_power_w) {
  HubState& st = StateFor(hub_id);
  absl::MutexLock ingest(&st.ingest_mu);
  std::vector<IngestResult> results;
  results.reserve(reports.size());
  rocksdb::WriteBatch batch;
  uint64_t last = st.last_seq;
  uint64_t latest_seq = st.latest_seq;
  std::optional<hub::HubSample> batch_last;
  const v1::HubReport* batch_latest = nullptr;
  std::vector<std::pair<uint64_t, int64_t>> batch_measured;  // (seq, measured) stored now
  auto buckets = st.buckets;
  std::string value;
  const hub::SampleContext context{options_.timing.interval_s, now_unix_ms, meter_max_power_w};
  for (size_t i = 0; i < reports.size(); ++i) {
    const v1::HubReport* r = reports[i];
    IngestResult res;
    res.seq = r->seq();
    if (r->seq() != 0 && r->seq() <= last) {
      // Seen before: a duplicate if it is the same report, else the seq went back.
      int64_t stored_measured = -1;
      auto b = std::find_if(batch_measured.begin(), batch_measured.end(),
                            [&](const auto& e) { return e.first == r->seq(); });
      if (b != batch_measured.end()) {
        stored_measured = b->second;
      } else {
        const rocksdb::Status got =
            db_->Get(rocksdb::ReadOptions(), ReportKey(hub_id, r->seq()), &value);
        if (got.ok()) {
          PEERGRID_ASSIGN_OR_RETURN(HubSnapshot stored, DecodeReport(hub_id, r->seq(), value));
          stored_measured = stored.report.measured_at_unix_ms();
        } else if (!got.IsNotFound()) {  // NotFound: the seq was rejected, nothing stored
          return storage::FromRocks(
              got, absl::StrCat("read stored report ", ReportKeyName(hub_id, r->seq())));
        }
      }
      if (stored_measured >= 0 && stored_measured != r->measured_at_unix_ms()) {
        res.outcome = IngestResult::Outcome::kRejected;
        res.rejection = absl::FailedPreconditionError(
            absl::StrCat("seq ", r->seq(), " goes backwards: hub \"", hub_id, "\" is at seq ", last,
                         " and stored seq ", r->seq(), " measured at ", stored_measured, ", not ",
                         r->measured_at_unix_ms()));
      } else {
        res.outcome = IngestResult::Outcome::kDuplicate;
      }
      results.push_back(std::move(res));
      continue;
    }
    hub::HubSample sample = convert::FromProto(*r);
    absl::Status ok = i < prechecks.size() ? prechecks[i] : absl::OkStatus();
    if (ok.ok()) ok = hub::ValidateSeqAdvance(r->seq(), last);
    if (ok.ok()) ok = hub::ValidateSample(sample, context);
    const hub::HubSample* prev =
        batch_last ? &*batch_last : (st.latest ? &st.latest_sample : nullptr);
    if (ok.ok() && prev != nullptr) ok = hub::ValidateAgainstPrevious(sample, *prev);
    // A rejected report never moves the hub's seq: only a stored one does.
    if (!ok.ok()) {
      res.outcome = IngestResult::Outcome::kRejected;
      res.rejection = std::move(ok);
      results.push_back(std::move(res));
      continue;
    }
    value.clear();
    storage::PutFixed64(&value, static_cast<uint64_t>(now_unix_ms));
    r->AppendToString(&value);
    batch.Put(ReportKey(hub_id, r->seq()), value);
    for (const v1::MeterReading& m : r->meters()) {
      for (const v1::IntervalRead& read : m.interval_reads()) {
        batch.Put(absl::StrCat(ReadPrefix(read.interval_start()), m.participant_id()),
                  read.SerializeAsString());
      }
    }
    for (const v1::BatteryBankReading& b : r->banks()) {
      for (const v1::IntervalRead& read : b.interval_reads()) {
        batch.Put(
            absl::StrCat(ReadPrefix(read.interval_start(), kBankReads), hub_id, "/", b.bank_id()),
            read.SerializeAsString());
      }
    }
    for (const v1::IntervalRead& read : r->grid().interval_reads()) {
      batch.Put(absl::StrCat(ReadPrefix(read.interval_start(), kGridReads), hub_id),
                read.SerializeAsString());
    }
    const int64_t res_ms = int64_t{options_.history_resolution_s} * 1000;
    const int64_t bucket_ms = r->measured_at_unix_ms() / res_ms * res_ms;
    for (const v1::BatteryBankReading& b : r->banks()) {
      auto [it, fresh] = buckets.try_emplace(b.bank_id());
      if (fresh || it->second.first != bucket_ms) {
        it->second = {bucket_ms, Bucket{}};
        std::string old;
        const std::string name = HistoryKeyName(hub_id, b.bank_id(), bucket_ms);
        const rocksdb::Status got =
            db_->Get(rocksdb::ReadOptions(), HistoryKey(hub_id, b.bank_id(), bucket_ms), &old);
        if (got.ok()) {
          PEERGRID_ASSIGN_OR_RETURN(it->second.second, DecodeBucket(old, name));
        } else if (!got.IsNotFound()) {
          return storage::FromRocks(got, absl::StrCat("read battery history ", name));
        }
      }
      Bucket& k = it->second.second;
      v1::BatteryHistoryPoint& p = k.point;
      p.set_soc_min_pct_in_bucket(k.count == 0 ? b.soc_pct()
                                               : std::min(p.soc_min_pct_in_bucket(), b.soc_pct()));
      p.set_soc_max_pct_in_bucket(k.count == 0 ? b.soc_pct()
                                               : std::max(p.soc_max_pct_in_bucket(), b.soc_pct()));
      ++k.count;
      k.power_sum += b.power_w();
      p.set_time_unix_ms(bucket_ms);
      p.set_soc_pct(b.soc_pct());
      p.set_soh_pct(b.soh_pct());
      p.set_power_w(k.power_sum / k.count);
      p.set_cell_temp_max_c(b.cell_temp_max_c());
      p.set_dc_voltage_v(b.dc_voltage_v());
      p.set_cycle_count(b.cycle_count());
      batch.Put(HistoryKey(hub_id, b.bank_id(), bucket_ms), EncodeBucket(k));
    }
    last = r->seq();
    batch_measured.emplace_back(r->seq(), r->measured_at_unix_ms());
    batch_last = std::move(sample);
    batch_latest = r;
    latest_seq = r->seq();
    results.push_back(std::move(res));
  }
  std::string meta;
  storage::PutFixed64(&meta, last);
  storage::PutFixed64(&meta, static_cast<uint64_t>(now_unix_ms));
  storage::PutFixed64(&meta, latest_seq);
  batch.Put(MetaKey(hub_id), meta);
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(db_->Write(write_options, &batch),
                                              absl::StrCat("store reports of hub ", hub_id)));
  st.buckets = std::move(buckets);
  {
    absl::MutexLock lock(&st.mu);
    st.last_seq = last;
    st.latest_seq = latest_seq;
    st.last_received_ms = now_unix_ms;
    if (batch_latest != nullptr) {
      st.latest = HubSnapshot{*batch_latest, now_unix_ms};
      st.latest_sample = std::move(*batch_last);
    }
  }
  if (batch_latest != nullptr) {
    monitor_.Observe(st.latest_sample, now_unix_ms);  // only this thread writes it (ingest_mu)
  }
  return results;
}

absl::StatusOr<HubSnapshot> TelemetryStore::Latest(const std::string& hub_id) const {
  const HubState* st = FindState(hub_id);
  if (st != nullptr) {
    absl::MutexLock lock(&st->mu);
    if (st->latest) return *st->latest;
  }
  return absl::NotFoundError(absl::StrCat("hub_id \"", hub_id, "\" has not reported"));
}

absl::StatusOr<std::map<std::string, v1::IntervalRead>> TelemetryStore::IntervalReads(
    int64_t interval_start) const {
  std::map<std::string, v1::IntervalRead> out;
  const std::string prefix = ReadPrefix(interval_start);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string participant_id = it->key().ToString().substr(prefix.size());
    v1::IntervalRead read;
    if (!read.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("interval read i/", interval_start, "/",
                                              participant_id, " (", it->value().size(),
                                              " bytes) does not parse"));
    }
    out.emplace(std::move(participant_id), std::move(read));
  }
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(
      it->status(), absl::StrCat("read the interval reads of ", interval_start)));
  return out;
}

absl::StatusOr<exchange::HubMeterReads> TelemetryStore::HubReads(int64_t interval_start) const {
  exchange::HubMeterReads out;
  for (const char* table : {kBankReads, kGridReads}) {
    const std::string prefix = ReadPrefix(interval_start, table);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const std::string name = it->key().ToString().substr(prefix.size());
      v1::IntervalRead read;
      if (!read.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(absl::StrCat("interval read ", table, interval_start, "/", name,
                                                " (", it->value().size(),
                                                " bytes) does not parse"));
      }
      if (table == kGridReads) {
        out.grid.emplace(name, std::move(read));
        continue;
      }
      const size_t slash = name.find('/');
      if (slash == std::string::npos) {
        return absl::DataLossError(
            absl::StrCat("bank read key ", table, interval_start, "/", name, " names no bank"));
      }
      out.banks.emplace(std::make_pair(name.substr(0, slash), name.substr(slash + 1)),
                        std::move(read));
    }
    PEERGRID_RETURN_IF_ERROR(storage::FromRocks(
        it->status(), absl::StrCat("read the hub meter reads of ", interval_start)));
  }
  return out;
}

uint64_t TelemetryStore::LastSeq(const std::string& hub_id) const {
  const HubState* st = FindState(hub_id);
  if (st == nullptr) return 0;
  absl::MutexLock lock(&st->mu);
  return st->last_seq;
}

bool TelemetryStore::IsStale(const std::string& hub_id, int32_t reporting_period_s,
                             int64_t now_unix_ms) const {
  const HubState* st = FindState(hub_id);
  if (st == nullptr) return true;
  absl::MutexLock lock(&st->mu);
  if (!st->latest) return true;
  return hub::IsHubStale(st->latest->received_at_unix_ms, 0, now_unix_ms, reporting_period_s,
                         options_.timing.stale_after_periods);
}

absl::StatusOr<std::vector<v1::BatteryHistoryPoint>> TelemetryStore::History(
    const std::string& hub_id, const std::string& bank_id, int64_t from_unix_ms,
    int64_t to_unix_ms) const {
  std::vector<v1::BatteryHistoryPoint> out;
  const bool all = from_unix_ms == 0 && to_unix_ms == 0;
  const int64_t res_ms = int64_t{options_.history_resolution_s} * 1000;
  const std::string prefix = HistoryPrefix(hub_id, bank_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->Seek(all ? prefix : HistoryKey(hub_id, bank_id, from_unix_ms / res_ms * res_ms));
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    PEERGRID_ASSIGN_OR_RETURN(
        Bucket b, DecodeBucket(storage::View(it->value()),
                               HistoryKeyName(hub_id, bank_id, storage::View(it->key()))));
    if (!all && b.point.time_unix_ms() > to_unix_ms) break;
    out.push_back(std::move(b.point));
  }
  PEERGRID_RETURN_IF_ERROR(
      storage::FromRocks(it->status(), absl::StrCat("read the battery history of ", prefix)));
  return out;
}

absl::StatusOr<std::vector<uint64_t>> TelemetryStore::StoredSeqs(const std::string& hub_id) const {
  std::vector<uint64_t> out;
  const std::string prefix = ReportPrefix(hub_id);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    absl::StatusOr<uint64_t> seq = storage::ParseKeyU64(storage::View(it->key()), prefix);
    if (!seq.ok()) {
      return absl::DataLossError(
          absl::StrCat("stored report key under ", prefix, ": ", seq.status().message()));
    }
    out.push_back(*seq);
  }
  PEERGRID_RETURN_IF_ERROR(
      storage::FromRocks(it->status(), absl::StrCat("read the stored reports of ", prefix)));
  return out;
}

absl::StatusOr<std::vector<v1::AlarmHistoryEntry>> TelemetryStore::AlarmHistory(
    const std::string& hub_id, int32_t limit) const {
  return alarm_log_->History(hub_id, limit);
}

std::vector<std::string> TelemetryStore::ReportingHubs() const {
  std::vector<std::string> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [id, st] : hubs_) {
    absl::MutexLock state_lock(&st->mu);
    if (st->latest) out.push_back(id);
  }
  return out;
}

}  // namespace peergrid::telemetry
