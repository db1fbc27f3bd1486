// Counter-based randomness for the simulator: every random quantity is a hash
// of (seed, stream, index), so the value at a time does not depend on the step
// size or on what else was drawn before. Private to hub/.
#ifndef PEERGRID_HUB_SRC_HASH_RANDOM_H_
#define PEERGRID_HUB_SRC_HASH_RANDOM_H_

#include <cmath>
#include <cstdint>
#include <numbers>

namespace peergrid::hub {

// SplitMix64's finalizer: a bijective 64-bit mix.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline uint64_t HashOf(uint64_t seed, uint64_t stream, uint64_t index) {
  return Mix64(Mix64(Mix64(seed) ^ stream) ^ index);
}

// Returns a uniform double in [0, 1).
inline double Uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  return static_cast<double>(HashOf(seed, stream, index) >> 11) * 0x1.0p-53;
}

// Returns a standard normal deviate (Box–Muller on two hashed uniforms).
inline double Normal(uint64_t seed, uint64_t stream, uint64_t index) {
  double u1 = Uniform(seed, stream, 2 * index);
  double u2 = Uniform(seed, stream, 2 * index + 1);
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Smooth value noise in [0, 1): uniform knots every `period_s`, cosine-interpolated.
inline double ValueNoise(uint64_t seed, uint64_t stream, double t_s, double period_s) {
  const double k = std::floor(t_s / period_s);
  const double f = t_s / period_s - k;
  const auto index = static_cast<uint64_t>(static_cast<int64_t>(k));
  const double a = Uniform(seed, stream, index);
  const double b = Uniform(seed, stream, index + 1);
  const double w = (1 - std::cos(std::numbers::pi * f)) / 2;
  return a + (b - a) * w;
}

// Streams (arbitrary distinct constants).
inline constexpr uint64_t kStreamCloudSlow = 0xC10D0001;
inline constexpr uint64_t kStreamCloudFast = 0xC10D0002;
inline constexpr uint64_t kStreamCloudDay = 0xC10D0003;
inline constexpr uint64_t kStreamLoadNoise = 0x10AD0001;
inline constexpr uint64_t kStreamLoadSpike = 0x10AD0002;
inline constexpr uint64_t kStreamLoadDay = 0x10AD0003;

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_SRC_HASH_RANDOM_H_
