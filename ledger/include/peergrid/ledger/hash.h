// RFC 9162 §2.1 Merkle tree hashing (SHA-256) and base64 for hashes.
//
//   leaf hash = SHA-256(0x00 || entry bytes)
//   node hash = SHA-256(0x01 || left || right)
//   empty tree root = SHA-256("")
//
// Thread-safety: every function is thread-safe (no shared mutable state).
// Errors: only HashFromBase64, InvalidArgument when the text is not base64 of
// exactly 32 bytes.
#ifndef PEERGRID_LEDGER_HASH_H_
#define PEERGRID_LEDGER_HASH_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace peergrid::ledger {

// A SHA-256 digest: a tree node, a leaf hash or a root.
using Hash = std::array<uint8_t, 32>;

// Returns SHA-256(0x00 || entry).
Hash LeafHash(absl::string_view entry);
// Returns SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);
// Returns SHA-256 of nothing: the root of the empty tree.
Hash EmptyRoot();
// Returns SHA-256(data), for key ids and other non-tree uses.
Hash Sha256(absl::string_view data);

// Returns the standard (padded) base64 of the 32 bytes.
std::string HashToBase64(const Hash& hash);
// Parses standard base64 of exactly 32 bytes; InvalidArgument otherwise.
absl::StatusOr<Hash> HashFromBase64(absl::string_view text);
// Returns the lowercase hex of the 32 bytes (for messages and logs).
std::string HashToHex(const Hash& hash);
// Returns the 32 bytes as a string (e.g. for storage).
std::string HashBytes(const Hash& hash);
// Copies exactly 32 bytes into a Hash; InvalidArgument naming `field` when the
// length differs.
absl::StatusOr<Hash> HashFromBytes(absl::string_view bytes, absl::string_view field = "hash");

}  // namespace peergrid::ledger

#endif  // PEERGRID_LEDGER_HASH_H_
