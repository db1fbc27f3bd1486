// A bounded, in-memory event log that many streaming RPCs follow: Publish()
// appends an event with the next sequence number; WaitAfter() blocks until an
// event newer than the caller's cursor exists, the deadline passes, or the
// broadcaster is closed (on shutdown). Slow readers that fall more than
// `capacity` events behind skip ahead (streams replay history from the
// exchange's state first, so nothing durable depends on this buffer).
// Thread-safety: thread-safe.
#ifndef PEERGRID_RUNTIME_BROADCASTER_H_
#define PEERGRID_RUNTIME_BROADCASTER_H_

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace peergrid::runtime {

template <typename T>
class Broadcaster {
 public:
  explicit Broadcaster(size_t capacity = 4096) : capacity_(capacity) {}

  // Appends an event and wakes every waiter.
  void Publish(T event) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(event));
    ++next_seq_;
    if (events_.size() > capacity_) events_.pop_front();
  }

  // Wakes every waiter for good; WaitAfter returns false from now on.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  // Returns the sequence number the next event will get (a cursor that sees
  // only future events).
  uint64_t Cursor() const {
    absl::MutexLock lock(&mu_);
    return next_seq_;
  }

  // Waits until events at or after `*cursor` exist (or `deadline`), moves them
  // into `out`, and advances the cursor. Returns false once closed.
  bool WaitAfter(uint64_t* cursor, absl::Time deadline, std::vector<T>* out) {
    absl::MutexLock lock(&mu_);
    auto ready = [this, cursor]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || next_seq_ > *cursor; };
    mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
    if (closed_) return false;
    const uint64_t first = next_seq_ - events_.size();
    if (*cursor < first) *cursor = first;
    for (uint64_t s = *cursor; s < next_seq_; ++s) out->push_back(events_[s - first]);
    *cursor = next_seq_;
    return true;
  }

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<T> events_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace peergrid::runtime

#endif  // PEERGRID_RUNTIME_BROADCASTER_H_
