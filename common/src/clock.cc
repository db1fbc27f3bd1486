#include "peergrid/common/clock.h"

#include <thread>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace peergrid {

void Clock::SleepUntil(absl::Time t) const {
  for (;;) {
    absl::Duration left = t - Now();
    if (left <= absl::ZeroDuration()) return;
    absl::Duration real = ToReal(left);
    if (real < absl::Microseconds(50)) real = absl::Microseconds(50);
    absl::SleepFor(real);
  }
}

ScaledClock::ScaledClock(absl::Time start, double speed) : ScaledClock(start, speed, absl::Now()) {}

ScaledClock::ScaledClock(absl::Time start, double speed, absl::Time real_anchor)
    : sim_start_(start), real_start_(real_anchor), speed_(speed < 1 ? 1 : speed) {}

absl::Time ScaledClock::Now() const { return sim_start_ + (absl::Now() - real_start_) * speed_; }

absl::Time ManualClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void ManualClock::SleepUntil(absl::Time t) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, t]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return now_ >= t; };
  mu_.Await(absl::Condition(&reached));
}

void ManualClock::Set(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

void ManualClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

absl::StatusOr<std::unique_ptr<Clock>> ParseClock(absl::string_view spec) {
  if (spec == "real") return std::make_unique<RealClock>();
  if (!absl::StartsWith(spec, "sim:")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--clock \"", spec, "\": expected \"real\" or \"sim:<speed>[@<start>]\""));
  }
  std::pair<std::string, std::string> parts =
      absl::StrSplit(spec.substr(4), absl::MaxSplits('@', 1));
  double speed = 0;
  if (!absl::SimpleAtod(parts.first, &speed) || speed < 1 || speed > 1e6) {
    return absl::InvalidArgumentError(
        absl::StrCat("--clock speed \"", parts.first, "\": expected a number in [1, 1e6]"));
  }
  absl::Time start = absl::Now();
  absl::Time anchor = absl::Now();
  std::pair<std::string, std::string> when = absl::StrSplit(parts.second, absl::MaxSplits('~', 1));
  if (!when.first.empty()) {
    int64_t unix_s = 0;
    std::string err;
    if (absl::SimpleAtoi(when.first, &unix_s)) {
      start = absl::FromUnixSeconds(unix_s);
    } else if (!absl::ParseTime(absl::RFC3339_full, when.first, &start, &err)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--clock start \"", when.first, "\": expected RFC 3339 or Unix seconds: ", err));
    }
  }
  if (!when.second.empty()) {
    int64_t anchor_ms = 0;
    if (!absl::SimpleAtoi(when.second, &anchor_ms)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--clock anchor \"", when.second, "\": expected real Unix milliseconds"));
    }
    anchor = absl::FromUnixMillis(anchor_ms);
  }
  return std::make_unique<ScaledClock>(start, speed, anchor);
}

}  // namespace peergrid
