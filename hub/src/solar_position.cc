#include "peergrid/hub/solar_position.h"

#include <cmath>
#include <numbers>

#include "spa_terms.h"

namespace peergrid::hub {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kSunRadiusDeg = 0.26667;

double Rad(double deg) { return deg * kPi / 180.0; }
double Deg(double rad) { return rad * 180.0 / kPi; }

// Reduces an angle to [0, 360).
double Wrap360(double deg) {
  double r = std::fmod(deg, 360.0);
  return r < 0 ? r + 360.0 : r;
}

// Evaluates Σ_i (Σ_j a cos(b + c·jme)) · jme^i / 1e8 (equations 9–11 of the paper).
double EarthSeries(std::span<const std::span<const spa::EarthTerm>> series, double jme) {
  double total = 0;
  double power = 1;
  for (std::span<const spa::EarthTerm> terms : series) {
    double sum = 0;
    for (const spa::EarthTerm& t : terms) sum += t.a * std::cos(t.b + t.c * jme);
    total += sum * power;
    power *= jme;
  }
  return total / 1.0e8;
}

double Cubic(double a, double b, double c, double d, double x) {
  return ((a * x + b) * x + c) * x + d;
}

// Mean obliquity of the ecliptic, arcseconds (equation 24), u = JME / 10.
double MeanObliquityArcsec(double u) {
  static constexpr double kCoef[] = {84381.448, -4680.93, -1.55, 1999.25, -51.38, -249.67,
                                     -39.05,    7.12,     27.87, 5.79,    2.45};
  double sum = 0;
  double power = 1;
  for (double c : kCoef) {
    sum += c * power;
    power *= u;
  }
  return sum;
}

struct Nutation {
  double longitude_deg;
  double obliquity_deg;
};

// Nutation in longitude and obliquity (equations 15–23).
Nutation ComputeNutation(double jce) {
  const double x[5] = {
      Cubic(1.0 / 189474.0, -0.0019142, 445267.11148, 297.85036, jce),
      Cubic(-1.0 / 300000.0, -0.0001603, 35999.05034, 357.52772, jce),
      Cubic(1.0 / 56250.0, 0.0086972, 477198.867398, 134.96298, jce),
      Cubic(1.0 / 327270.0, -0.0036825, 483202.017538, 93.27191, jce),
      Cubic(1.0 / 450000.0, 0.0020708, -1934.136261, 125.04452, jce),
  };
  double psi = 0;
  double eps = 0;
  for (const spa::NutationTerm& t : spa::NutationTerms()) {
    double arg = 0;
    for (int j = 0; j < 5; ++j) arg += x[j] * t.y[j];
    arg = Rad(arg);
    psi += (t.a + t.b * jce) * std::sin(arg);
    eps += (t.c + t.d * jce) * std::cos(arg);
  }
  return {psi / 36000000.0, eps / 36000000.0};
}

}  // namespace

SolarPosition ComputeSolarPosition(double unix_s, const Observer& obs) {
  SolarPosition out;
  // Time scales (section 3.1): JD from Unix time, then ephemeris time.
  const double jd = unix_s / 86400.0 + 2440587.5;
  const double jde = jd + obs.delta_t_s / 86400.0;
  const double jc = (jd - 2451545.0) / 36525.0;
  const double jce = (jde - 2451545.0) / 36525.0;
  const double jme = jce / 10.0;
  out.julian_day = jd;

  // Earth heliocentric position (3.2) and geocentric sun (3.3).
  out.helio_longitude_deg = Wrap360(Deg(EarthSeries(spa::LongitudeSeries(), jme)));
  out.helio_latitude_deg = Deg(EarthSeries(spa::LatitudeSeries(), jme));
  out.radius_au = EarthSeries(spa::RadiusSeries(), jme);
  const double theta = Wrap360(out.helio_longitude_deg + 180.0);
  const double beta = -out.helio_latitude_deg;

  // Nutation (3.4), obliquity (3.5), aberration (3.6), apparent longitude (3.7).
  const Nutation nut = ComputeNutation(jce);
  out.nutation_longitude_deg = nut.longitude_deg;
  out.nutation_obliquity_deg = nut.obliquity_deg;
  out.obliquity_deg = MeanObliquityArcsec(jme / 10.0) / 3600.0 + nut.obliquity_deg;
  const double aberration = -20.4898 / (3600.0 * out.radius_au);
  const double lambda = theta + nut.longitude_deg + aberration;

  // Apparent sidereal time at Greenwich (3.8).
  const double nu0 = Wrap360(280.46061837 + 360.98564736629 * (jd - 2451545.0) +
                             jc * jc * (0.000387933 - jc / 38710000.0));
  const double eps_r = Rad(out.obliquity_deg);
  const double nu = nu0 + nut.longitude_deg * std::cos(eps_r);

  // Geocentric right ascension and declination (3.9–3.10).
  const double lambda_r = Rad(lambda);
  const double beta_r = Rad(beta);
  out.right_ascension_deg = Wrap360(
      Deg(std::atan2(std::sin(lambda_r) * std::cos(eps_r) - std::tan(beta_r) * std::sin(eps_r),
                     std::cos(lambda_r))));
  out.declination_deg = Deg(std::asin(std::sin(beta_r) * std::cos(eps_r) +
                                      std::cos(beta_r) * std::sin(eps_r) * std::sin(lambda_r)));

  // Observer local hour angle (3.11).
  out.hour_angle_deg = Wrap360(nu + obs.longitude_deg - out.right_ascension_deg);

  // Topocentric right ascension parallax and declination (3.12).
  const double phi = Rad(obs.latitude_deg);
  const double xi = Rad(8.794 / (3600.0 * out.radius_au));
  const double u = std::atan(0.99664719 * std::tan(phi));
  const double x = std::cos(u) + obs.elevation_m / 6378140.0 * std::cos(phi);
  const double y = 0.99664719 * std::sin(u) + obs.elevation_m / 6378140.0 * std::sin(phi);
  const double h = Rad(out.hour_angle_deg);
  const double delta = Rad(out.declination_deg);
  const double d_alpha =
      std::atan2(-x * std::sin(xi) * std::sin(h), std::cos(delta) - x * std::sin(xi) * std::cos(h));
  const double delta_prime = std::atan2((std::sin(delta) - y * std::sin(xi)) * std::cos(d_alpha),
                                        std::cos(delta) - x * std::sin(xi) * std::cos(h));
  const double h_prime = h - d_alpha;

  // Topocentric elevation with refraction, zenith (3.13–3.14).
  const double e0 = Deg(std::asin(std::sin(phi) * std::sin(delta_prime) +
                                  std::cos(phi) * std::cos(delta_prime) * std::cos(h_prime)));
  double refraction = 0;
  if (e0 >= -(kSunRadiusDeg + obs.atmos_refract_deg)) {
    refraction = (obs.pressure_mbar / 1010.0) * (283.0 / (273.0 + obs.temperature_c)) * 1.02 /
                 (60.0 * std::tan(Rad(e0 + 10.3 / (e0 + 5.11))));
  }
  out.zenith_deg = 90.0 - (e0 + refraction);

  // Topocentric azimuth (3.15): astronomers' (from south) + 180.
  const double gamma =
      Deg(std::atan2(std::sin(h_prime),
                     std::cos(h_prime) * std::sin(phi) - std::tan(delta_prime) * std::cos(phi)));
  out.azimuth_deg = Wrap360(gamma + 180.0);

  // Equation of time (A.1), limited to ±20 minutes.
  const double m = Wrap360(280.4664567 + 360007.6982779 * jme + 0.03032028 * jme * jme +
                           std::pow(jme, 3) / 49931.0 - std::pow(jme, 4) / 15300.0 -
                           std::pow(jme, 5) / 2000000.0);
  double eot =
      4.0 * (m - 0.0057183 - out.right_ascension_deg + nut.longitude_deg * std::cos(eps_r));
  eot = std::fmod(eot, 1440.0);
  if (eot < -20.0) eot += 1440.0;
  if (eot > 20.0) eot -= 1440.0;
  out.equation_of_time_min = eot;
  return out;
}

double IncidenceAngleDeg(const SolarPosition& sun, double tilt_deg, double surface_azimuth_deg) {
  const double z = Rad(sun.zenith_deg);
  const double tilt = Rad(tilt_deg);
  const double c =
      std::cos(z) * std::cos(tilt) +
      std::sin(z) * std::sin(tilt) * std::cos(Rad(sun.azimuth_deg - surface_azimuth_deg));
  return Deg(std::acos(c < -1 ? -1 : (c > 1 ? 1 : c)));
}

}  // namespace peergrid::hub
