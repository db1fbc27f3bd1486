// Fuzz target: the C2SP signed-note and checkpoint parsers (ledger/note.h) —
// what an auditor, a follower and a receipt verifier read from a server. The
// input is tried as a signed note (verified with a fixed key that signed the
// seeds), as checkpoint text, as a C2SP verifier key string and as a raw
// Ed25519 public key.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "peergrid/ledger/note.h"

namespace {

const peergrid::ledger::VerifierKey& NoteKey() {
  static const peergrid::ledger::VerifierKey* const key = new peergrid::ledger::VerifierKey(
      peergrid::ledger::Signer::FromSeed("peergrid/fuzz", std::string(32, 'N')).value().verifier());
  return *key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace peergrid::ledger;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  (void)VerifyNote(input, NoteKey());
  (void)VerifyCheckpoint(input, NoteKey(), "peergrid/fuzz");
  (void)VerifyCheckpoint(input, NoteKey(), "");
  absl::StatusOr<Checkpoint> checkpoint = ParseCheckpointText(input);
  if (checkpoint.ok() && CheckpointText(*checkpoint) != input) {
    // Extension lines are dropped; anything else must round-trip.
    (void)ParseCheckpointText(CheckpointText(*checkpoint)).value();
  }
  absl::StatusOr<VerifierKey> key = VerifierKey::Parse(input);
  if (key.ok()) (void)VerifierKey::Parse(key->ToString()).value();
  (void)ValidateKeyName(input);
  (void)ValidateEd25519PublicKey(input);
  (void)VerifierKey::FromPublicKeyPem("fuzz", input);
  return 0;
}
