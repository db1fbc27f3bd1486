// Fuzz target: the offline market files `peergridctl clear` and
// `peergridctl settle` read (a ClearingInput or a SettlementInput), through
// convert::FromProto and then matching::Clear or matching::Settle, as the
// commands run them. The first byte picks which; the rest is the proto.
#include <cstddef>
#include <cstdint>

#include "peergrid/convert/market_convert.h"
#include "peergrid/matching/auction.h"
#include "peergrid/matching/settlement.h"
#include "peergrid/v1/types.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace peergrid;
  if (size == 0) return 0;
  const uint8_t* body = data + 1;
  const int body_size = static_cast<int>(size - 1);
  if ((data[0] & 1) == 0) {
    v1::ClearingInput proto;
    if (!proto.ParseFromArray(body, body_size)) return 0;
    absl::StatusOr<matching::ClearingInput> input = convert::FromProto(proto);
    if (!input.ok()) return 0;
    absl::StatusOr<matching::ClearingResult> result = matching::Clear(*input);
    if (result.ok()) (void)convert::ToProto(*result);
  } else {
    v1::SettlementInput proto;
    if (!proto.ParseFromArray(body, body_size)) return 0;
    absl::StatusOr<matching::SettlementInput> input = convert::FromProto(proto);
    if (!input.ok()) return 0;
    absl::StatusOr<matching::SettlementResult> result = matching::Settle(*input);
    if (result.ok()) (void)convert::ToProto(*result);
  }
  return 0;
}
