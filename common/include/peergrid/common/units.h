// Strong integer unit types for everything that is traded, settled or ledgered
// (DESIGN.md §3): energy in watt-hours, power in watts, prices in
// milli-currency-units per kWh, money in micro-currency-units.
//
// amount_ucu = energy_wh × price_mcu_per_kwh, exactly: 1 Wh at 1 mcu/kWh is
// 1e-3 cu / 1000 = 1e-6 cu = 1 µcu.
//
// All arithmetic that can overflow is checked: the Checked* functions return
// OutOfRange naming the operands instead of wrapping. The plain operators are
// for values already known to be small (they still crash on overflow rather
// than wrap). Thread-safety: values; trivially thread-compatible.
#ifndef PEERGRID_COMMON_UNITS_H_
#define PEERGRID_COMMON_UNITS_H_

#include <compare>
#include <cstdint>
#include <ostream>

#include "absl/status/statusor.h"

namespace peergrid {

// A strong integer quantity: the Tag makes EnergyWh and PowerW distinct types.
template <typename Tag>
class Quantity {
 public:
  constexpr Quantity() = default;
  constexpr explicit Quantity(int64_t value) : value_(value) {}

  constexpr int64_t value() const { return value_; }

  friend constexpr auto operator<=>(Quantity, Quantity) = default;

  // Crashes on overflow (a broken invariant); use CheckedAdd on untrusted data.
  friend Quantity operator+(Quantity a, Quantity b) {
    int64_t out;
    if (__builtin_add_overflow(a.value_, b.value_, &out)) __builtin_trap();
    return Quantity(out);
  }
  friend Quantity operator-(Quantity a, Quantity b) {
    int64_t out;
    if (__builtin_sub_overflow(a.value_, b.value_, &out)) __builtin_trap();
    return Quantity(out);
  }
  Quantity operator-() const { return Quantity(0) - *this; }
  Quantity& operator+=(Quantity o) { return *this = *this + o; }
  Quantity& operator-=(Quantity o) { return *this = *this - o; }

  friend std::ostream& operator<<(std::ostream& os, Quantity q) {
    return os << q.value_ << Tag::kSuffix;
  }

 private:
  int64_t value_ = 0;
};

struct EnergyWhTag {
  static constexpr const char* kSuffix = " Wh";
};
struct PowerWTag {
  static constexpr const char* kSuffix = " W";
};
struct PriceMcuPerKwhTag {
  static constexpr const char* kSuffix = " mcu/kWh";
};
struct MoneyUcuTag {
  static constexpr const char* kSuffix = " ucu";
};

using EnergyWh = Quantity<EnergyWhTag>;
using PowerW = Quantity<PowerWTag>;
using PriceMcuPerKwh = Quantity<PriceMcuPerKwhTag>;
using MoneyUcu = Quantity<MoneyUcuTag>;

// Returns a + b, or OutOfRange when the sum does not fit in int64.
template <typename Tag>
absl::StatusOr<Quantity<Tag>> CheckedAdd(Quantity<Tag> a, Quantity<Tag> b);
// Returns a - b, or OutOfRange when the difference does not fit in int64.
template <typename Tag>
absl::StatusOr<Quantity<Tag>> CheckedSub(Quantity<Tag> a, Quantity<Tag> b);

// Returns energy × price as money (µcu), or OutOfRange on overflow.
absl::StatusOr<MoneyUcu> Amount(EnergyWh energy, PriceMcuPerKwh price);

// Returns the energy a constant power delivers over `seconds`
// (floor(power_w × seconds / 3600)), or OutOfRange on overflow.
absl::StatusOr<EnergyWh> EnergyOver(PowerW power, int64_t seconds);

// Returns a × b or OutOfRange on overflow.
absl::StatusOr<int64_t> CheckedMul(int64_t a, int64_t b);

}  // namespace peergrid

#include "peergrid/common/units_inl.h"  // IWYU pragma: export

#endif  // PEERGRID_COMMON_UNITS_H_
