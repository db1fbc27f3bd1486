// The injected clock (DESIGN.md §3). Everything that needs "now" takes a
// Clock&; the pure libraries take times as arguments instead.
//
// RealClock: wall time. ScaledClock: a simulated clock that starts at a given
// simulated time and runs `speed` times faster than real time, so a whole day
// runs in minutes. ManualClock: tests set and advance it by hand.
//
// Thread-safety: all implementations are thread-safe.
#ifndef PEERGRID_COMMON_CLOCK_H_
#define PEERGRID_COMMON_CLOCK_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace peergrid {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time on this clock.
  virtual absl::Time Now() const = 0;
  // Returns how much real time passes while this clock advances by `d`.
  virtual absl::Duration ToReal(absl::Duration d) const = 0;
  // Blocks the caller until this clock reads at least `t` (or returns at once).
  virtual void SleepUntil(absl::Time t) const;
  // Returns Now() as whole Unix seconds.
  int64_t NowUnixSeconds() const { return absl::ToUnixSeconds(Now()); }
};

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  absl::Duration ToReal(absl::Duration d) const override { return d; }
};

class ScaledClock final : public Clock {
 public:
  // Starts reading `start` now and advances `speed` simulated seconds per real
  // second. `speed` must be ≥ 1.
  ScaledClock(absl::Time start, double speed);
  // Reads `start` at real time `real_anchor` (which may be in the past or the
  // future), so that several processes given the same anchor share one
  // simulated time.
  ScaledClock(absl::Time start, double speed, absl::Time real_anchor);
  absl::Time Now() const override;
  absl::Duration ToReal(absl::Duration d) const override { return d / speed_; }
  double speed() const { return speed_; }

 private:
  const absl::Time sim_start_;
  const absl::Time real_start_;
  const double speed_;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override;
  absl::Duration ToReal(absl::Duration) const override { return absl::ZeroDuration(); }
  // Waits (really) until another thread advances the clock to `t`.
  void SleepUntil(absl::Time t) const override;
  void Set(absl::Time t);
  void Advance(absl::Duration d);

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// Parses a --clock flag value: "real", or "sim:<speed>[@<start>[~<anchor>]]"
// where <speed> is the speed-up factor, <start> an RFC 3339 time or Unix
// seconds (default: now), and <anchor> the real Unix time in milliseconds at
// which the simulated clock reads <start> (default: when parsed). Processes
// given the same spec with an anchor share one simulated time.
// Example: "sim:600@2026-06-21T00:00:00Z~1790000000000".
absl::StatusOr<std::unique_ptr<Clock>> ParseClock(absl::string_view spec);

}  // namespace peergrid

#endif  // PEERGRID_COMMON_CLOCK_H_
