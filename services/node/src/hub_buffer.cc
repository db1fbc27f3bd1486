#include "peergrid/node/hub_buffer.h"

#include <sys/statvfs.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/common/status.h"
#include "peergrid/storage/key_codec.h"
#include "peergrid/storage/rocks_status.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace peergrid::node {
namespace {

// Keys: q/<seq big-endian> → report bytes; meta/next, meta/acked → 8 bytes
// little-endian (storage/key_codec.h); meta/last → the last appended report's
// bytes.
constexpr char kNextKey[] = "meta/next";
constexpr char kAckedKey[] = "meta/acked";
constexpr char kLastKey[] = "meta/last";

constexpr char kQueuePrefix[] = "q/";

std::string QueueKey(uint64_t seq) { return storage::KeyU64(kQueuePrefix, seq); }

// Returns the seq of a queue key; DataLoss naming the buffer otherwise.
absl::StatusOr<uint64_t> QueueSeq(const std::string& dir, const rocksdb::Slice& key) {
  absl::StatusOr<uint64_t> seq = storage::ParseKeyU64(storage::View(key), kQueuePrefix);
  if (!seq.ok()) {
    return absl::DataLossError(absl::StrCat("hub buffer ", dir, ": ", seq.status().message()));
  }
  return seq;
}

// Reads the fixed64 `what` ("next seq") stored under `key` into *seq, which
// stays as it is when the key is absent (a new buffer).
absl::Status ReadSeq(rocksdb::DB* db, const std::string& dir, const char* key,
                     absl::string_view what, uint64_t* seq) {
  std::string v;
  const rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &v);
  if (s.IsNotFound()) return absl::OkStatus();
  PEERGRID_RETURN_IF_ERROR(
      storage::FromRocks(s, absl::StrCat("read ", key, " of hub buffer ", dir)));
  absl::StatusOr<uint64_t> decoded = storage::DecodeFixed64(v);
  if (!decoded.ok()) {
    return absl::DataLossError(absl::StrCat("hub buffer ", dir, ": key ", key, " holds no ", what,
                                            " (", decoded.status().message(), "), so ", what,
                                            " 0 would be assumed"));
  }
  *seq = *decoded;
  return absl::OkStatus();
}

}  // namespace

int DiskWarningLevel(const BufferUsage& usage) {
  const double used = usage.disk_used_ratio();
  if (used >= 0.95) return 3;
  if (used >= 0.90) return 2;
  if (used >= 0.80) return 1;
  return 0;
}

absl::StatusOr<std::unique_ptr<HubBuffer>> HubBuffer::Open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(rocksdb::DB::Open(options, dir, &raw),
                                              absl::StrCat("open hub buffer ", dir)));
  std::unique_ptr<HubBuffer> buffer(new HubBuffer(std::unique_ptr<rocksdb::DB>(raw), dir));
  PEERGRID_RETURN_IF_ERROR(buffer->Load());
  return buffer;
}

HubBuffer::HubBuffer(std::unique_ptr<rocksdb::DB> db, std::string dir)
    : db_(std::move(db)), dir_(std::move(dir)) {}

HubBuffer::~HubBuffer() { Close(); }

absl::Status HubBuffer::Load() {
  absl::MutexLock lock(&mu_);
  PEERGRID_RETURN_IF_ERROR(ReadSeq(db_.get(), dir_, kNextKey, "next seq", &next_seq_));
  PEERGRID_RETURN_IF_ERROR(ReadSeq(db_.get(), dir_, kAckedKey, "acked seq", &acked_seq_));
  if (next_seq_ == 0 || acked_seq_ >= next_seq_) {
    return absl::DataLossError(absl::StrCat("hub buffer ", dir_, ": next seq ", next_seq_,
                                            " is not above acked seq ", acked_seq_));
  }
  std::string v;
  const rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), kLastKey, &v);
  if (got.ok()) {
    v1::HubReport last;
    if (!last.ParseFromString(v)) {
      return absl::DataLossError(absl::StrCat("hub buffer ", dir_,
                                              ": last report does not parse (key ", kLastKey, ", ",
                                              v.size(), " bytes)"));
    }
    last_ = std::move(last);
  } else if (!got.IsNotFound()) {
    return storage::FromRocks(got, absl::StrCat("read ", kLastKey, " of hub buffer ", dir_));
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kQueuePrefix); it->Valid() && it->key().starts_with(kQueuePrefix); it->Next()) {
    PEERGRID_ASSIGN_OR_RETURN(const uint64_t seq, QueueSeq(dir_, it->key()));
    if (seq <= acked_seq_) continue;  // an Ack's delete that did not reach the disk
    sizes_[seq] = it->value().size();
    pending_bytes_ += it->value().size();
  }
  return storage::FromRocks(it->status(), "scan hub buffer");
}

absl::StatusOr<uint64_t> HubBuffer::Append(v1::HubReport report) {
  absl::MutexLock lock(&mu_);
  const uint64_t seq = next_seq_;
  report.set_seq(seq);
  const std::string bytes = report.SerializeAsString();
  rocksdb::WriteBatch batch;
  batch.Put(QueueKey(seq), bytes);
  batch.Put(kLastKey, bytes);
  batch.Put(kNextKey, storage::Fixed64(seq + 1));
  rocksdb::WriteOptions options;
  options.sync = true;
  PEERGRID_RETURN_IF_ERROR(
      storage::FromRocks(db_->Write(options, &batch), absl::StrCat("buffer report seq ", seq)));
  next_seq_ = seq + 1;
  sizes_[seq] = bytes.size();
  pending_bytes_ += bytes.size();
  last_ = std::move(report);
  return seq;
}

absl::StatusOr<std::vector<v1::HubReport>> HubBuffer::ReadAfter(uint64_t after_seq,
                                                                size_t max) const {
  std::vector<v1::HubReport> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(QueueKey(after_seq + 1));
       it->Valid() && it->key().starts_with(kQueuePrefix) && out.size() < max; it->Next()) {
    PEERGRID_ASSIGN_OR_RETURN(const uint64_t seq, QueueSeq(dir_, it->key()));
    v1::HubReport r;
    if (!r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("hub buffer ", dir_, ": buffered report ",
                                              kQueuePrefix, seq, " (", it->value().size(),
                                              " bytes) does not parse"));
    }
    out.push_back(std::move(r));
  }
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(
      it->status(), absl::StrCat("read hub buffer ", dir_, " after seq ", after_seq)));
  return out;
}

absl::Status HubBuffer::Ack(uint64_t acked_seq) {
  absl::MutexLock lock(&mu_);
  if (acked_seq <= acked_seq_) return absl::OkStatus();
  acked_seq = std::min(acked_seq, next_seq_ - 1);
  rocksdb::WriteBatch batch;
  batch.DeleteRange(QueueKey(0), QueueKey(acked_seq + 1));
  batch.Put(kAckedKey, storage::Fixed64(acked_seq));
  // No sync: losing an ack on a crash only means resending (the exchange
  // drops duplicates).
  PEERGRID_RETURN_IF_ERROR(
      storage::FromRocks(db_->Write(rocksdb::WriteOptions(), &batch),
                         absl::StrCat("drop acked reports up to seq ", acked_seq)));
  acked_seq_ = acked_seq;
  while (!sizes_.empty() && sizes_.begin()->first <= acked_seq) {
    pending_bytes_ -= sizes_.begin()->second;
    sizes_.erase(sizes_.begin());
  }
  return absl::OkStatus();
}

bool HubBuffer::WaitForNew(uint64_t after_seq, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto ready = [this, after_seq]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || next_seq_ > after_seq + 1;
  };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  return next_seq_ > after_seq + 1;
}

void HubBuffer::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

uint64_t HubBuffer::next_seq() const {
  absl::MutexLock lock(&mu_);
  return next_seq_;
}

uint64_t HubBuffer::acked_seq() const {
  absl::MutexLock lock(&mu_);
  return acked_seq_;
}

std::optional<v1::HubReport> HubBuffer::LastReport() const {
  absl::MutexLock lock(&mu_);
  return last_;
}

BufferUsage HubBuffer::Usage() const {
  BufferUsage u;
  {
    absl::MutexLock lock(&mu_);
    u.pending_reports = sizes_.size();
    u.pending_bytes = pending_bytes_;
  }
  struct statvfs fs;
  if (statvfs(dir_.c_str(), &fs) == 0) {
    u.disk_free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    u.disk_total_bytes = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  }
  return u;
}

}  // namespace peergrid::node
