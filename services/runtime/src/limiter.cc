#include "peergrid/runtime/limiter.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace peergrid::runtime {

std::string QuoteForError(absl::string_view s) {
  constexpr size_t kMaxQuoted = 128;
  if (s.size() <= kMaxQuoted) return absl::StrCat("\"", s, "\"");
  return absl::StrCat("\"", s.substr(0, kMaxQuoted), "\"…");
}

OrderRateLimiter::OrderRateLimiter(const Clock* clock, Options options)
    : clock_(clock), options_(options) {}

void OrderRateLimiter::Refill(Bucket* bucket, absl::Time now) const {
  if (now <= bucket->refilled) return;  // a clock that steps back adds nothing
  const double elapsed_s = absl::ToDoubleSeconds(now - bucket->refilled);
  bucket->tokens = std::min(options_.burst, bucket->tokens + elapsed_s * options_.per_second);
  bucket->refilled = now;
}

void OrderRateLimiter::ForgetLocked(absl::Time now) {
  // A full bucket carries no state: forgetting it changes nothing.
  absl::erase_if(buckets_, [&](auto& entry) {
    Refill(&entry.second, now);
    return entry.second.tokens >= options_.burst;
  });
  if (buckets_.size() < options_.max_identities) return;
  // Still too many: forget the half that refilled longest ago.
  std::vector<absl::Time> times;
  times.reserve(buckets_.size());
  for (const auto& entry : buckets_) times.push_back(entry.second.refilled);
  auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), middle, times.end());
  const absl::Time cut = *middle;
  absl::erase_if(buckets_, [&](const auto& entry) { return entry.second.refilled <= cut; });
}

absl::Status OrderRateLimiter::Acquire(absl::string_view identity) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(identity);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_identities) ForgetLocked(now);
    it = buckets_.emplace(std::string(identity), Bucket{options_.burst, now}).first;
  }
  Bucket& bucket = it->second;
  Refill(&bucket, now);
  if (bucket.tokens < 1) {
    return absl::ResourceExhaustedError(
        absl::StrCat("identity ", QuoteForError(identity), " is over its order rate limit of ",
                     options_.per_second, "/s (burst ", options_.burst, ")"));
  }
  bucket.tokens -= 1;
  return absl::OkStatus();
}

size_t OrderRateLimiter::tracked() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

StreamSlot::StreamSlot(StreamSlot&& other) noexcept
    : limiter_(std::exchange(other.limiter_, nullptr)), identity_(std::move(other.identity_)) {}

StreamSlot& StreamSlot::operator=(StreamSlot&& other) noexcept {
  if (this != &other) {
    Release();
    limiter_ = std::exchange(other.limiter_, nullptr);
    identity_ = std::move(other.identity_);
  }
  return *this;
}

StreamSlot::~StreamSlot() { Release(); }

void StreamSlot::Release() {
  if (limiter_ != nullptr) std::exchange(limiter_, nullptr)->Release(identity_);
}

StreamLimiter::StreamLimiter(int max_per_identity) : max_per_identity_(max_per_identity) {}

absl::StatusOr<StreamSlot> StreamLimiter::Acquire(absl::string_view identity) {
  absl::MutexLock lock(&mu_);
  int& open = open_[identity];
  if (open >= max_per_identity_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "identity ", QuoteForError(identity), " already has ", open, " open streams, the limit"));
  }
  ++open;
  ++total_;
  return StreamSlot(this, std::string(identity));
}

void StreamLimiter::Release(const std::string& identity) {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(identity);
  if (it == open_.end()) return;
  --total_;
  if (--it->second == 0) open_.erase(it);
}

int StreamLimiter::open(absl::string_view identity) const {
  absl::MutexLock lock(&mu_);
  auto it = open_.find(identity);
  return it == open_.end() ? 0 : it->second;
}

int StreamLimiter::total() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

}  // namespace peergrid::runtime
