// The sun's position for an observer: NREL's Solar Position Algorithm (SPA),
// I. Reda and A. Andreas, "Solar Position Algorithm for Solar Radiation
// Applications", Solar Energy 76(5), 2004, pp. 577–589 (revised NREL/TP-560-34302,
// 2008). Uncertainty ±0.0003° for the years −2000 to 6000. Sunrise/sunset and
// transit are not computed (the simulator samples the position directly).
//
// Pure functions of their arguments; thread-safe.
#ifndef PEERGRID_HUB_SOLAR_POSITION_H_
#define PEERGRID_HUB_SOLAR_POSITION_H_

namespace peergrid::hub {

// Where and under what atmosphere the sun is observed.
struct Observer {
  // Geodetic latitude, degrees (north +), in [−90, 90].
  double latitude_deg = 0;
  // Longitude, degrees (east +), in [−180, 180].
  double longitude_deg = 0;
  // Elevation above sea level, metres.
  double elevation_m = 0;
  // Annual mean local pressure (millibar) and temperature (°C) for refraction.
  double pressure_mbar = 1013.25;
  double temperature_c = 15;
  // Atmospheric refraction at sunrise and sunset, degrees (SPA's 0.5667).
  double atmos_refract_deg = 0.5667;
  // ΔT = TT − UT1, seconds (about 69 s in 2020–2030).
  double delta_t_s = 69;
};

// SPA's outputs, with the intermediate values its paper tabulates so that
// tests can check every stage against the published example.
struct SolarPosition {
  double julian_day = 0;
  // Earth heliocentric longitude and latitude (degrees), radius vector (AU).
  double helio_longitude_deg = 0;
  double helio_latitude_deg = 0;
  double radius_au = 0;
  // Nutation in longitude and obliquity, true obliquity of the ecliptic (degrees).
  double nutation_longitude_deg = 0;
  double nutation_obliquity_deg = 0;
  double obliquity_deg = 0;
  // Geocentric right ascension and declination, observer hour angle (degrees).
  double right_ascension_deg = 0;
  double declination_deg = 0;
  double hour_angle_deg = 0;
  // Topocentric zenith angle with refraction (degrees, 0 = overhead).
  double zenith_deg = 0;
  // Topocentric azimuth, degrees eastward from north in [0, 360).
  double azimuth_deg = 0;
  // Equation of time, minutes (apparent − mean solar time).
  double equation_of_time_min = 0;
};

// Returns the sun's position at `unix_s` (UTC seconds, fractional allowed).
SolarPosition ComputeSolarPosition(double unix_s, const Observer& observer);

// Returns the angle of incidence (degrees, 0–180) of the sun's rays on a
// surface tilted `tilt_deg` from horizontal whose normal points to
// `surface_azimuth_deg` (eastward from north, 180 = south).
double IncidenceAngleDeg(const SolarPosition& sun, double tilt_deg, double surface_azimuth_deg);

}  // namespace peergrid::hub

#endif  // PEERGRID_HUB_SOLAR_POSITION_H_
