#include "peergrid/hub/weather.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "hash_random.h"

namespace peergrid::hub {
namespace {

double Rad(double deg) { return deg * std::numbers::pi / 180.0; }

}  // namespace

WeatherModel::WeatherModel(const WeatherConfig& config, uint64_t seed, int64_t utc_offset_s)
    : config_(config), seed_(seed), utc_offset_s_(utc_offset_s) {}

double WeatherModel::ClearSkyGhi(double zenith_deg) {
  if (zenith_deg >= 90) return 0;
  const double cos_z = std::cos(Rad(zenith_deg));
  return 1098.0 * cos_z * std::exp(-0.057 / cos_z);
}

double WeatherModel::CloudCover(double unix_s) const {
  const double local_s = unix_s + static_cast<double>(utc_offset_s_);
  const auto day = static_cast<uint64_t>(static_cast<int64_t>(std::floor(local_s / 86400.0)));
  // A day's mean moves around the configured cloudiness; hours-long banks of
  // cloud and minutes-long gaps ride on it.
  const double day_mean =
      config_.cloudiness + config_.variability * 0.5 * (Uniform(seed_, kStreamCloudDay, day) - 0.5);
  const double slow = ValueNoise(seed_, kStreamCloudSlow, local_s, 3 * 3600.0) - 0.5;
  const double fast = ValueNoise(seed_, kStreamCloudFast, local_s, 600.0) - 0.5;
  const double cover = day_mean + config_.variability * (1.0 * slow + 0.6 * fast);
  return std::clamp(cover, 0.0, 1.0);
}

Irradiance WeatherModel::IrradianceAt(double unix_s, const SolarPosition& sun) const {
  Irradiance out;
  out.cloud_cover = CloudCover(unix_s);
  const double clear = ClearSkyGhi(sun.zenith_deg);
  if (clear <= 0) return out;
  const double n = out.cloud_cover;
  out.ghi_w_m2 = clear * (1.0 - 0.75 * std::pow(n, 3.4));
  out.dhi_w_m2 = out.ghi_w_m2 * (0.3 + 0.7 * n * n);
  const double cos_z = std::cos(Rad(sun.zenith_deg));
  out.dni_w_m2 = cos_z > 0.01 ? (out.ghi_w_m2 - out.dhi_w_m2) / cos_z : 0;
  return out;
}

double WeatherModel::AmbientC(double unix_s) const {
  const double local_h = std::fmod(unix_s + static_cast<double>(utc_offset_s_), 86400.0) / 3600.0;
  // A daily cosine with its maximum at 15:00 local time.
  const double phase = (local_h - 15.0) / 24.0 * 2.0 * std::numbers::pi;
  return config_.ambient_mean_c + config_.ambient_swing_c * std::cos(phase);
}

double WeatherModel::PlaneOfArray(const Irradiance& irr, const SolarPosition& sun, double tilt_deg,
                                  double azimuth_deg) const {
  if (irr.ghi_w_m2 <= 0) return 0;
  const double cos_aoi = std::cos(Rad(IncidenceAngleDeg(sun, tilt_deg, azimuth_deg)));
  const double cos_tilt = std::cos(Rad(tilt_deg));
  const double beam = irr.dni_w_m2 * std::max(0.0, cos_aoi);
  const double sky = irr.dhi_w_m2 * (1.0 + cos_tilt) / 2.0;
  const double ground = irr.ghi_w_m2 * config_.albedo * (1.0 - cos_tilt) / 2.0;
  return beam + sky + ground;
}

}  // namespace peergrid::hub
