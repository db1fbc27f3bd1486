// Weather for the simulator: clear-sky irradiance from the sun's position,
// seeded cloud cover, ambient temperature, and the irradiance on a tilted PV
// plane. Models (all published, all simple):
//   clear-sky GHI     Haurwitz (1945): 1098 · cos z · exp(−0.057 / cos z) W/m²;
//   clouds            Kasten & Czeplak (1980): GHI = GHI_clear · (1 − 0.75 N^3.4),
//                     diffuse fraction 0.3 + 0.7 N² (N = cloud cover 0–1);
//   plane of array    Liu & Jordan isotropic sky with ground reflection.
// Cloud cover is value noise over two time scales (hours and minutes) around a
// per-day mean, hashed from the seed: the same seed and time give the same
// sky, independently of the simulation step.
//
// Thread-safety: immutable after construction; thread-safe.
#ifndef PEERGRID_HUB_WEATHER_H_
#define PEERGRID_HUB_WEATHER_H_

#include <cstdint>

#include "peergrid/hub/solar_position.h"

namespace peergrid::hub {

struct WeatherConfig {
  // Mean cloud cover, 0 (clear) to 1 (overcast).
  double cloudiness = 0.3;
  // How much the cover varies around the mean (0: constant).
  double variability = 0.5;
  // Daily mean and half-swing of the ambient temperature, °C (minimum at 05:00,
  // maximum at 15:00 local time).
  double ambient_mean_c = 20;
  double ambient_swing_c = 4;
  // Ground reflectance for the plane-of-array model.
  double albedo = 0.2;
};

struct Irradiance {
  double ghi_w_m2 = 0;  // global horizontal
  double dni_w_m2 = 0;  // direct normal
  double dhi_w_m2 = 0;  // diffuse horizontal
  double cloud_cover = 0;
};

class WeatherModel {
 public:
  WeatherModel(const WeatherConfig& config, uint64_t seed, int64_t utc_offset_s);

  // Returns Haurwitz's clear-sky GHI for a zenith angle (0 below the horizon).
  static double ClearSkyGhi(double zenith_deg);

  // Returns the cloud cover (0–1) at `unix_s`.
  double CloudCover(double unix_s) const;
  // Returns the irradiance at `unix_s` for the sun at `sun`.
  Irradiance IrradianceAt(double unix_s, const SolarPosition& sun) const;
  // Returns the ambient temperature, °C.
  double AmbientC(double unix_s) const;
  // Returns the irradiance on a plane tilted `tilt_deg` facing `azimuth_deg`
  // (eastward from north), W/m².
  double PlaneOfArray(const Irradiance& irr, const SolarPosition& sun, double tilt_deg,
                      double azimuth_deg) const;

  const WeatherConfig& config() const { return config_; }

 private:
  WeatherConfig config_;
  uint64_t seed_;
  int64_t utc_offset_s_;
};

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_WEATHER_H_
