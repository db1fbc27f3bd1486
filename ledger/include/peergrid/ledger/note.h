// C2SP signed notes (c2sp.org/signed-note) carrying C2SP tlog checkpoints
// (c2sp.org/tlog-checkpoint), signed with Ed25519 through OpenSSL 3's EVP API.
//
//   checkpoint text:  "<origin>\n<tree size>\n<base64 root>\n"
//   signed note:      text "\n" then one line per signature:
//                     "— <key name> <base64(4-byte key id || 64-byte signature)>\n"
//   key id:           first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)
//   verifier key:     "<name>+<8 hex digits key id>+<base64(0x01 || public key)>"
//
// Thread-safety: VerifierKey and Signer are immutable values, safe to share
// between threads; the free functions are thread-safe.
// Errors: InvalidArgument for malformed text, keys or names (the message
// names the field); PermissionDenied when a signature does not verify or the
// note has no signature by the expected key; Internal when OpenSSL fails.
#ifndef PEERGRID_LEDGER_NOTE_H_
#define PEERGRID_LEDGER_NOTE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "peergrid/ledger/hash.h"

namespace peergrid::ledger {

// The body of a C2SP tlog checkpoint (extension lines are not produced;
// parsing accepts and ignores them).
struct Checkpoint {
  std::string origin;
  uint64_t tree_size = 0;
  Hash root{};

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// Returns "<origin>\n<tree_size>\n<base64 root>\n".
std::string CheckpointText(const Checkpoint& checkpoint);
// Parses checkpoint text (origin, decimal size without leading zeros, base64
// 32-byte root, optional non-empty extension lines), each line ending in '\n'.
absl::StatusOr<Checkpoint> ParseCheckpointText(absl::string_view text);

// Returns an error unless `name` is a valid signed-note key name: non-empty,
// no '+', no whitespace or control characters.
absl::Status ValidateKeyName(absl::string_view name);

// An Ed25519 verifier key with its C2SP name and key id.
// Returns OK iff `raw32` is an acceptable Ed25519 public key: 32 bytes, y
// canonically encoded (< p), and not a point of small order (with which a
// signature can be forged without any private key). A y off the curve is
// not refused here; no signature verifies with it.
// InvalidArgument says which rule failed.
absl::Status ValidateEd25519PublicKey(absl::string_view raw32);

class VerifierKey {
 public:
  // Parses "<name>+<hex key id>+<base64(0x01 || key)>"; checks the key id.
  static absl::StatusOr<VerifierKey> Parse(absl::string_view c2sp);
  // Builds the key named `name` from a raw 32-byte Ed25519 public key;
  // refuses what ValidateEd25519PublicKey refuses.
  static absl::StatusOr<VerifierKey> FromPublicKey(std::string name, absl::string_view raw32);
  // Builds the key named `name` from a SubjectPublicKeyInfo PEM Ed25519 key.
  static absl::StatusOr<VerifierKey> FromPublicKeyPem(std::string name, absl::string_view pem);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  // The raw 32-byte public key.
  const std::string& public_key() const { return public_key_; }

  // Returns the C2SP verifier key string.
  std::string ToString() const;
  // Returns the public key as a SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY").
  std::string PublicKeyPem() const;
  // Returns true iff `sig64` is a valid 64-byte Ed25519 signature of
  // `message` with a canonical S (S < L). Thread-safe; a key (and its
  // copies) loads the public key into OpenSSL once, not once per signature.
  bool VerifySignature(absl::string_view message, absl::string_view sig64) const;

  friend bool operator==(const VerifierKey& a, const VerifierKey& b) {
    return a.name_ == b.name_ && a.public_key_ == b.public_key_;
  }

 private:
  struct Loaded;  // the key as OpenSSL holds it (keys.cc)

  VerifierKey(std::string name, std::string public_key, uint32_t key_id);

  std::string name_;
  std::string public_key_;
  uint32_t key_id_ = 0;
  std::shared_ptr<const Loaded> loaded_;  // null if OpenSSL refused the key: nothing verifies
};

// An Ed25519 private key with its C2SP key name. The private seed is wiped
// from memory when the Signer is destroyed.
class Signer {
 public:
  // Generates a fresh key from OpenSSL's CSPRNG.
  static absl::StatusOr<Signer> Generate(std::string name);
  // Reads a PKCS#8 PEM ("BEGIN PRIVATE KEY") Ed25519 private key.
  static absl::StatusOr<Signer> FromPkcs8Pem(std::string name, absl::string_view pem);
  // Builds the key from its raw 32-byte RFC 8032 secret seed.
  static absl::StatusOr<Signer> FromSeed(std::string name, absl::string_view seed32);

  Signer(const Signer&) = default;
  Signer(Signer&&) = default;
  Signer& operator=(const Signer&) = default;
  Signer& operator=(Signer&&) = default;
  ~Signer();

  // Returns the 64-byte Ed25519 signature of `message` (deterministic).
  std::string Sign(absl::string_view message) const;
  const VerifierKey& verifier() const { return verifier_; }
  // Returns the private key as PKCS#8 PEM (unencrypted: protect the file).
  std::string Pkcs8Pem() const;

 private:
  Signer(std::string seed, VerifierKey verifier)
      : seed_(std::move(seed)), verifier_(std::move(verifier)) {}

  std::string seed_;
  VerifierKey verifier_;
};

// Returns the signed note: `text` (non-empty, ending in '\n'), a blank line
// and one signature line by `signer`.
absl::StatusOr<std::string> SignNote(absl::string_view text, const Signer& signer);

// Verifies the note's signature line for `key` (lines of other keys are
// ignored) and returns the text. PermissionDenied when there is no line for
// `key` or its signature is wrong; InvalidArgument when the note is malformed.
absl::StatusOr<std::string> VerifyNote(absl::string_view note, const VerifierKey& key);

// Verifies the note with `key` and parses its checkpoint; when
// `expected_origin` is non-empty the origin must equal it (PermissionDenied
// otherwise).
absl::StatusOr<Checkpoint> VerifyCheckpoint(absl::string_view note, const VerifierKey& key,
                                            absl::string_view expected_origin);

}  // namespace peergrid::ledger

#endif  // PEERGRID_LEDGER_NOTE_H_
