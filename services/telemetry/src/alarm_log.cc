#include "peergrid/telemetry/alarm_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "peergrid/common/status.h"
#include "peergrid/convert/hub_convert.h"
#include "peergrid/storage/key_codec.h"
#include "peergrid/storage/rocks_status.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace peergrid::telemetry {
namespace {

constexpr char kHistory[] = "e/";
constexpr char kActive[] = "a/";
constexpr size_t kPrefixLen = 2;

std::string HistoryPrefix(absl::string_view hub) { return absl::StrCat(kHistory, hub, "/"); }
std::string HistoryKey(absl::string_view hub, uint64_t seq) {
  return storage::KeyU64(HistoryPrefix(hub), seq);
}
std::string ActiveKey(const hub::Alarm& a) {
  return absl::StrFormat("%s%s/%s/%02d", kActive, a.hub_id, a.bank_id, static_cast<int>(a.kind));
}
// Names a key in messages (its seq, if any, in decimal).
std::string KeyName(absl::string_view key) {
  if (key.size() > kPrefixLen + 9 && key.substr(0, kPrefixLen) == kHistory &&
      key[key.size() - 9] == '/') {
    absl::StatusOr<uint64_t> seq = storage::DecodeBigEndian64(key.substr(key.size() - 8));
    if (seq.ok()) return absl::StrCat(key.substr(0, key.size() - 8), *seq);
  }
  return std::string(key);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AlarmLog>> AlarmLog::Open(rocksdb::DB* db, AlarmLogOptions options) {
  if (options.history_per_hub < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alarm history_per_hub is ", options.history_per_hub, ": expected at least 1"));
  }
  std::unique_ptr<AlarmLog> log(new AlarmLog(db, options));
  PEERGRID_RETURN_IF_ERROR(log->Load());
  return log;
}

absl::Status AlarmLog::Load() {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kActive); it->Valid() && it->key().starts_with(kActive); it->Next()) {
    v1::AlarmEvent event;
    if (!event.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("active alarm ", it->key().ToString(), " (",
                                              it->value().size(), " bytes) does not parse"));
    }
    stored_active_.push_back(convert::FromProto(event));
  }
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(it->status(), "scan the active alarms"));
  for (it->Seek(kHistory); it->Valid() && it->key().starts_with(kHistory); it->Next()) {
    const absl::string_view key = storage::View(it->key());
    if (key.size() < kPrefixLen + 9 || key[key.size() - 9] != '/') {
      return absl::DataLossError(absl::StrCat("alarm history key ", KeyName(key), " has no seq"));
    }
    const std::string hub_id(key.substr(kPrefixLen, key.size() - 9 - kPrefixLen));
    PEERGRID_ASSIGN_OR_RETURN(const uint64_t seq, storage::ParseKeyU64(key, HistoryPrefix(hub_id)));
    seqs_[hub_id].push_back(seq);
    last_seq_ = std::max(last_seq_, seq);
  }
  return storage::FromRocks(it->status(), "scan the alarm history");
}

absl::Status AlarmLog::Append(absl::Span<const hub::AlarmEvent> events) {
  if (events.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  rocksdb::WriteBatch batch;
  uint64_t seq = last_seq_;
  // The retained seqs of the hubs these events touch, applied once stored.
  std::map<std::string, std::deque<uint64_t>> seqs;
  for (const hub::AlarmEvent& e : events) {
    if (!seqs.contains(e.alarm.hub_id)) {
      auto kept = seqs_.find(e.alarm.hub_id);
      seqs[e.alarm.hub_id] = kept == seqs_.end() ? std::deque<uint64_t>() : kept->second;
    }
  }
  for (const hub::AlarmEvent& e : events) {
    v1::AlarmHistoryEntry entry;
    entry.set_seq(++seq);
    convert::ToProto(e, entry.mutable_event());
    batch.Put(HistoryKey(e.alarm.hub_id, seq), entry.SerializeAsString());
    if (e.transition == hub::AlarmTransition::kCleared) {
      batch.Delete(ActiveKey(e.alarm));
    } else {
      batch.Put(ActiveKey(e.alarm), entry.event().SerializeAsString());
    }
    std::deque<uint64_t>& kept = seqs[e.alarm.hub_id];
    kept.push_back(seq);
    while (kept.size() > static_cast<size_t>(options_.history_per_hub)) {
      batch.Delete(HistoryKey(e.alarm.hub_id, kept.front()));
      kept.pop_front();
    }
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  PEERGRID_RETURN_IF_ERROR(
      storage::FromRocks(db_->Write(write_options, &batch), "store alarm transitions"));
  last_seq_ = seq;
  for (auto& [hub_id, kept] : seqs) seqs_[hub_id] = std::move(kept);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::AlarmHistoryEntry>> AlarmLog::History(const std::string& hub_id,
                                                                     int32_t limit) const {
  absl::MutexLock lock(&mu_);
  // The newest `limit` seqs of the hubs asked for, then each hub's from its oldest in that window.
  std::vector<uint64_t> window;
  for (const auto& [id, kept] : seqs_) {
    if (hub_id.empty() || id == hub_id) window.insert(window.end(), kept.begin(), kept.end());
  }
  std::sort(window.begin(), window.end());
  if (window.size() > static_cast<size_t>(std::max(limit, 0))) {
    window.erase(window.begin(), window.end() - std::max(limit, 0));
  }
  std::vector<v1::AlarmHistoryEntry> out;
  if (window.empty()) return out;
  const uint64_t oldest = window.front();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (const auto& [id, kept] : seqs_) {
    if (!hub_id.empty() && id != hub_id) continue;
    const std::string prefix = HistoryPrefix(id);
    for (it->Seek(HistoryKey(id, oldest)); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      v1::AlarmHistoryEntry entry;
      if (!entry.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(absl::StrCat("alarm history entry ",
                                                KeyName(storage::View(it->key())), " (",
                                                it->value().size(), " bytes) does not parse"));
      }
      out.push_back(std::move(entry));
    }
    PEERGRID_RETURN_IF_ERROR(
        storage::FromRocks(it->status(), absl::StrCat("read the alarm history of ", id)));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.seq() < b.seq(); });
  return out;
}

}  // namespace peergrid::telemetry
