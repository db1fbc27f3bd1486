// A queue that one consumer thread drains in batches: it takes everything
// queued so far (up to a bound) in one go, so a burst costs one wake-up.
//
// Thread-safety: thread-safe; any number of producers, one consumer.
#ifndef PEERGRID_RUNTIME_DRAIN_QUEUE_H_
#define PEERGRID_RUNTIME_DRAIN_QUEUE_H_

#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace peergrid::runtime {

template <typename T>
class DrainQueue {
 public:
  void Push(T item) {
    absl::MutexLock lock(&mu_);
    items_.push_back(std::move(item));
  }

  // Blocks until there are items or the queue is closed; moves up to `max`
  // of the oldest items into *out (which it clears first). Returns false only
  // when the queue is closed and empty: the consumer is done.
  bool PopBatch(size_t max, std::vector<T>* out) {
    out->clear();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &DrainQueue::Ready));
    if (items_.empty()) return false;
    if (items_.size() <= max) {
      out->swap(items_);
    } else {
      out->assign(std::make_move_iterator(items_.begin()),
                  std::make_move_iterator(items_.begin() + static_cast<std::ptrdiff_t>(max)));
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(max));
    }
    return true;
  }

  // No more items will come; the consumer drains what is queued, then stops.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

 private:
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_ || !items_.empty(); }

  mutable absl::Mutex mu_;
  std::vector<T> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace peergrid::runtime

#endif  // PEERGRID_RUNTIME_DRAIN_QUEUE_H_
