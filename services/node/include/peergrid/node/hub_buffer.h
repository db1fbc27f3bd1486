// The hub's store-and-forward buffer (DESIGN.md §6): every report is written
// to a local RocksDB with sync before it is streamed, and stays there until
// the exchange acknowledges it, so an outage of any length loses nothing —
// bounded only by the disk. The buffer assigns the per-hub seq (1, 2, …),
// persisted with the report, and keeps the last report even after its ack so
// a restarted hub continues its counters (Simulator::RestoreFrom).
//
// Thread-safety: thread-safe (the report loop appends while the streamer reads
// and acknowledges).
#ifndef PEERGRID_NODE_HUB_BUFFER_H_
#define PEERGRID_NODE_HUB_BUFFER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "peergrid/v1/hub.pb.h"

namespace rocksdb {
class DB;
}

namespace peergrid::node {

struct BufferUsage {
  uint64_t pending_reports = 0;
  uint64_t pending_bytes = 0;
  uint64_t disk_free_bytes = 0;
  uint64_t disk_total_bytes = 0;
  // Share of the disk in use, 0–1.
  double disk_used_ratio() const {
    return disk_total_bytes == 0
               ? 0
               : 1.0 - static_cast<double>(disk_free_bytes) / static_cast<double>(disk_total_bytes);
  }
};

// Returns the warning level for `usage`: 0 below 80 % disk use, 1 from 80 %,
// 2 from 90 %, 3 from 95 % (the daemon logs each rise once, with the numbers).
int DiskWarningLevel(const BufferUsage& usage);

class HubBuffer {
 public:
  // Opens (creating if needed) the buffer in `dir`. Unavailable on I/O errors,
  // DataLoss if its metadata or a queue key is corrupt (naming the key).
  static absl::StatusOr<std::unique_ptr<HubBuffer>> Open(const std::string& dir);
  ~HubBuffer();

  // Gives `report` the next seq, stores it durably and returns the seq.
  // Unavailable when the write fails (e.g. the disk is full).
  absl::StatusOr<uint64_t> Append(v1::HubReport report);
  // Returns up to `max` buffered reports with seq > `after_seq`, in order;
  // DataLoss naming the key when a buffered report does not parse (it is
  // never skipped: the exchange would ack past it and it would be lost),
  // Unavailable when the buffer cannot be read.
  absl::StatusOr<std::vector<v1::HubReport>> ReadAfter(uint64_t after_seq, size_t max) const;
  // Drops every report with seq ≤ `acked_seq` (ignored if not above the last ack).
  absl::Status Ack(uint64_t acked_seq);
  // Waits (real time) until a report with seq > `after_seq` is buffered, the
  // deadline passes or Close() is called; returns whether one is there.
  bool WaitForNew(uint64_t after_seq, absl::Time deadline) const;
  // Wakes every waiter.
  void Close();

  // The seq the next Append will get, the highest acknowledged seq.
  uint64_t next_seq() const;
  uint64_t acked_seq() const;
  // The last appended report (kept after its ack), if any.
  std::optional<v1::HubReport> LastReport() const;
  BufferUsage Usage() const;

 private:
  HubBuffer(std::unique_ptr<rocksdb::DB> db, std::string dir);
  absl::Status Load();

  std::unique_ptr<rocksdb::DB> db_;
  const std::string dir_;
  mutable absl::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t acked_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, uint64_t> sizes_ ABSL_GUARDED_BY(mu_);  // pending seq → bytes
  std::optional<v1::HubReport> last_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace peergrid::node

#endif  // PEERGRID_NODE_HUB_BUFFER_H_
