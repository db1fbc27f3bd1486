// Template definitions for units.h; include units.h instead.
#ifndef PEERGRID_COMMON_UNITS_INL_H_
#define PEERGRID_COMMON_UNITS_INL_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace peergrid {

template <typename Tag>
absl::StatusOr<Quantity<Tag>> CheckedAdd(Quantity<Tag> a, Quantity<Tag> b) {
  int64_t out;
  if (__builtin_add_overflow(a.value(), b.value(), &out)) {
    return absl::OutOfRangeError(
        absl::StrCat("overflow: ", a.value(), Tag::kSuffix, " + ", b.value(), Tag::kSuffix));
  }
  return Quantity<Tag>(out);
}

template <typename Tag>
absl::StatusOr<Quantity<Tag>> CheckedSub(Quantity<Tag> a, Quantity<Tag> b) {
  int64_t out;
  if (__builtin_sub_overflow(a.value(), b.value(), &out)) {
    return absl::OutOfRangeError(
        absl::StrCat("overflow: ", a.value(), Tag::kSuffix, " - ", b.value(), Tag::kSuffix));
  }
  return Quantity<Tag>(out);
}

}  // namespace peergrid

#endif  // PEERGRID_COMMON_UNITS_INL_H_
