// Fuzz target: the household's receipt verifier (audit/receipt.h). The first
// byte picks the form — the binary peergrid.v1.Receipt (what GetReceipt
// returns) or a receipt file's JSON — and whether a key is pinned; the rest
// is the receipt, verified against the zone key that signed the seeds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_zone.h"
#include "google/protobuf/util/json_util.h"
#include "peergrid/audit/receipt.h"
#include "peergrid/ledger/note.h"

namespace {

// The fuzz zone's ledger key (fuzz_zone.h), which signed the seeds' receipts.
const peergrid::ledger::VerifierKey& ZoneKey() {
  static const peergrid::ledger::VerifierKey* const key =
      new peergrid::ledger::VerifierKey(peergrid::fuzz::FuzzZoneKey().verifier());
  return *key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace peergrid;
  if (size == 0) return 0;
  const bool json = (data[0] & 1) != 0;
  const bool pinned = (data[0] & 2) != 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  v1::Receipt receipt;
  if (json) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    if (!google::protobuf::util::JsonStringToMessage(body, &receipt, options).ok()) return 0;
  } else if (!receipt.ParseFromString(body)) {
    return 0;
  }
  absl::StatusOr<audit::ReceiptSummary> summary =
      audit::VerifyReceipt(receipt, pinned ? &ZoneKey() : nullptr);
  if (summary.ok()) (void)audit::ReceiptSummaryText(*summary);
  (void)audit::VerifyReceipt(receipt, &ZoneKey(), "fixture-sell");
  return 0;
}
