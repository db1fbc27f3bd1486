#include "peergrid/hub/solar_position.h"

#include <cmath>

#include "gtest/gtest.h"

namespace peergrid::hub {
namespace {

// The worked example of Reda & Andreas (2004/2008), Table A5.1 and NREL's
// spa_tester: Golden, Colorado, 17 October 2003 12:30:30 local time (UTC−7).
Observer GoldenObserver() {
  Observer o;
  o.latitude_deg = 39.742476;
  o.longitude_deg = -105.1786;
  o.elevation_m = 1830.14;
  o.pressure_mbar = 820;
  o.temperature_c = 11;
  o.atmos_refract_deg = 0.5667;
  o.delta_t_s = 67;
  return o;
}
constexpr double kGoldenUnixS = 1066419030;  // 2003-10-17T19:30:30Z

TEST(SolarPositionTest, MatchesThePapersWorkedExample) {
  const SolarPosition p = ComputeSolarPosition(kGoldenUnixS, GoldenObserver());
  EXPECT_NEAR(p.julian_day, 2452930.312847, 1e-6);
  EXPECT_NEAR(p.helio_longitude_deg, 24.0182616917, 1e-8);
  EXPECT_NEAR(p.helio_latitude_deg, -0.0001011219, 1e-9);
  EXPECT_NEAR(p.radius_au, 0.9965422974, 1e-9);
  EXPECT_NEAR(p.nutation_longitude_deg, -0.00399840, 1e-8);
  EXPECT_NEAR(p.nutation_obliquity_deg, 0.00166657, 1e-8);
  EXPECT_NEAR(p.obliquity_deg, 23.440465, 1e-6);
  EXPECT_NEAR(p.right_ascension_deg, 202.22741, 1e-5);
  EXPECT_NEAR(p.declination_deg, -9.31434, 1e-5);
  EXPECT_NEAR(p.hour_angle_deg, 11.105902, 1e-6);
  EXPECT_NEAR(p.zenith_deg, 50.11162, 1e-5);
  EXPECT_NEAR(p.azimuth_deg, 194.34024, 1e-5);
  // The example's surface: slope 30°, azimuth rotation −10° from south.
  EXPECT_NEAR(IncidenceAngleDeg(p, 30, 170), 25.18700, 1e-5);
}

TEST(SolarPositionTest, JejuSunIsUpAtNoonAndDownAtMidnight) {
  Observer jeju;
  jeju.latitude_deg = 33.5;
  jeju.longitude_deg = 126.5;
  // 2026-06-21: local solar noon at 126.5°E is about 03:34 UTC.
  const double midnight_local = 1781967600;  // 2026-06-21T00:00+09:00
  const SolarPosition noon = ComputeSolarPosition(1782012840, jeju);
  const SolarPosition night = ComputeSolarPosition(midnight_local, jeju);
  EXPECT_LT(noon.zenith_deg, 33.5 - 23.4 + 1);  // near the solstice: zenith ≈ lat − decl
  EXPECT_GT(noon.zenith_deg, 33.5 - 23.4 - 1);
  EXPECT_GT(night.zenith_deg, 90);
  // In the morning the sun is in the east, in the afternoon in the west.
  EXPECT_LT(ComputeSolarPosition(1782012840 - 3 * 3600, jeju).azimuth_deg, 180);
  EXPECT_GT(ComputeSolarPosition(1782012840 + 3 * 3600, jeju).azimuth_deg, 180);
}

TEST(SolarPositionTest, IncidenceOnAHorizontalSurfaceIsTheZenith) {
  const SolarPosition p = ComputeSolarPosition(kGoldenUnixS, GoldenObserver());
  EXPECT_NEAR(IncidenceAngleDeg(p, 0, 123), p.zenith_deg, 1e-9);
}

}  // namespace
}  // namespace peergrid::hub
