// Strong string identifiers: a ParticipantId cannot be passed where a HubId is
// expected. Ids are non-empty, at most 128 bytes of [A-Za-z0-9._:-]
// (ValidateId), so they are safe in file names, metric labels and URIs.
// Thread-safety: values; thread-compatible.
#ifndef PEERGRID_COMMON_IDS_H_
#define PEERGRID_COMMON_IDS_H_

#include <compare>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace peergrid {

template <typename Tag>
class Id {
 public:
  Id() = default;
  explicit Id(std::string value) : value_(std::move(value)) {}

  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend auto operator<=>(const Id&, const Id&) = default;
  friend bool operator==(const Id&, const Id&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const Id& id) {
    return H::combine(std::move(h), id.value_);
  }
  friend std::ostream& operator<<(std::ostream& os, const Id& id) { return os << id.value_; }

 private:
  std::string value_;
};

using ParticipantId = Id<struct ParticipantIdTag>;
using HubId = Id<struct HubIdTag>;
using ZoneId = Id<struct ZoneIdTag>;
using OrderId = Id<struct OrderIdTag>;
using BankId = Id<struct BankIdTag>;

// Returns OK when `value` is a valid id, else InvalidArgument naming `field`.
absl::Status ValidateId(absl::string_view field, absl::string_view value);

}  // namespace peergrid

#endif  // PEERGRID_COMMON_IDS_H_
