// Per-identity resource limits (DESIGN.md §9 "Bounded resources"): a token
// bucket of orders per identity and a count of an identity's open streams.
// An identity is an opaque string: today the participant id a request names,
// once mutual TLS is in, the certificate's identity (server/'s key function
// decides; this library does not care).
//
// Thread-safety: both classes are thread-safe.
// Errors: ResourceExhausted naming the identity (quoted, at most 128 bytes)
// and the limit.
#ifndef PEERGRID_RUNTIME_LIMITER_H_
#define PEERGRID_RUNTIME_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "peergrid/common/clock.h"

namespace peergrid::runtime {

// Returns `s` quoted for an error message, cut to its first 128 bytes
// ("…" marks a cut).
std::string QuoteForError(absl::string_view s);

// A token bucket per identity: each holds at most `burst` tokens, refilled at
// `per_second`; an order takes one.
class OrderRateLimiter {
 public:
  struct Options {
    double per_second = 20;
    double burst = 40;
    // Buckets kept at most (identities are request strings, so an attacker
    // could invent many): past this, full buckets are forgotten (which loses
    // nothing), then at least the half refilled longest ago (which gives
    // those identities a fresh burst).
    size_t max_identities = 100'000;
  };
  // `clock` is borrowed; it must outlive the limiter. per_second and burst
  // must be positive.
  OrderRateLimiter(const Clock* clock, Options options);

  // Takes one token from `identity`'s bucket; ResourceExhausted when empty.
  absl::Status Acquire(absl::string_view identity);
  // Returns the identities currently tracked (for tests and metrics).
  size_t tracked() const;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time refilled;
  };
  // Adds the tokens earned since bucket->refilled. Touches only *bucket (the
  // caller holds mu_ for the map that owns it).
  void Refill(Bucket* bucket, absl::Time now) const;
  void ForgetLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

class StreamLimiter;

// One open stream of an identity: releases its slot when destroyed.
// Movable, not copyable; a moved-from slot releases nothing.
class StreamSlot {
 public:
  StreamSlot() = default;
  StreamSlot(StreamSlot&& other) noexcept;
  StreamSlot& operator=(StreamSlot&& other) noexcept;
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;
  ~StreamSlot();

 private:
  friend class StreamLimiter;
  StreamSlot(StreamLimiter* limiter, std::string identity)
      : limiter_(limiter), identity_(std::move(identity)) {}
  void Release();

  StreamLimiter* limiter_ = nullptr;
  std::string identity_;
};

// Counts each identity's open streams, at most `max_per_identity` at once.
class StreamLimiter {
 public:
  explicit StreamLimiter(int max_per_identity);
  // Every slot must be released before the limiter is destroyed.
  ~StreamLimiter() = default;

  // Returns a slot for one more stream of `identity`; ResourceExhausted when
  // it already has max_per_identity open.
  absl::StatusOr<StreamSlot> Acquire(absl::string_view identity);
  // Returns how many streams `identity` has open.
  int open(absl::string_view identity) const;
  // Returns how many streams are open in all.
  int total() const;

 private:
  friend class StreamSlot;
  void Release(const std::string& identity);

  const int max_per_identity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> open_ ABSL_GUARDED_BY(mu_);
  int total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace peergrid::runtime

#endif  // PEERGRID_RUNTIME_LIMITER_H_
