#include "peergrid/common/units.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace peergrid {

absl::StatusOr<int64_t> CheckedMul(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_mul_overflow(a, b, &out)) {
    return absl::OutOfRangeError(absl::StrCat("overflow: ", a, " * ", b));
  }
  return out;
}

absl::StatusOr<MoneyUcu> Amount(EnergyWh energy, PriceMcuPerKwh price) {
  int64_t out;
  if (__builtin_mul_overflow(energy.value(), price.value(), &out)) {
    return absl::OutOfRangeError(
        absl::StrCat("amount overflow: ", energy.value(), " Wh * ", price.value(), " mcu/kWh"));
  }
  return MoneyUcu(out);
}

absl::StatusOr<EnergyWh> EnergyOver(PowerW power, int64_t seconds) {
  int64_t ws;
  if (__builtin_mul_overflow(power.value(), seconds, &ws)) {
    return absl::OutOfRangeError(
        absl::StrCat("energy overflow: ", power.value(), " W over ", seconds, " s"));
  }
  // Floor division (toward negative infinity) so negative powers are symmetric.
  int64_t wh = ws / 3600;
  if (ws % 3600 != 0 && ws < 0) --wh;
  return EnergyWh(wh);
}

}  // namespace peergrid
