// Coefficient tables of the Solar Position Algorithm (Reda & Andreas 2004,
// Appendix A4): Earth periodic terms (a truncated VSOP87) and the periodic
// terms of nutation in longitude and obliquity. Private to hub/.
#ifndef PEERGRID_HUB_SRC_SPA_TERMS_H_
#define PEERGRID_HUB_SRC_SPA_TERMS_H_

#include <span>

namespace peergrid::hub::spa {

// One Earth periodic term: a · cos(b + c · JME).
struct EarthTerm {
  double a;
  double b;
  double c;
};

// One nutation term: the multipliers of X0..X4 and the coefficients
// (a + b·JCE) for Δψ and (c + d·JCE) for Δε, in 0.0001 arcseconds.
struct NutationTerm {
  int y[5];
  double a;
  double b;
  double c;
  double d;
};

// L0..L5, B0..B1, R0..R4 of Table A4.2.
std::span<const std::span<const EarthTerm>> LongitudeSeries();
std::span<const std::span<const EarthTerm>> LatitudeSeries();
std::span<const std::span<const EarthTerm>> RadiusSeries();
// The 63 rows of Table A4.3.
std::span<const NutationTerm> NutationTerms();

}  // namespace peergrid::hub::spa

#endif  // PEERGRID_HUB_SRC_SPA_TERMS_H_
