// Fixed-width integer codecs of our RocksDB keys and values, written once.
//
// Keys hold integers big-endian, so RocksDB's bytewise order is their numeric
// order (a range scan walks them in order):
//   PutBigEndian64 / DecodeBigEndian64     uint64_t
//   PutOrderedInt64 / DecodeOrderedInt64   int64_t, big-endian with the sign
//                                          bit flipped: negatives sort first
//   KeyU64 / ParseKeyU64                   prefix + big-endian uint64_t
// Values hold integers little-endian in 8 bytes (as LevelDB's coding.h):
//   PutFixed64 / DecodeFixed64
//
// Errors: a decoder takes exactly 8 bytes (ParseKeyU64: the prefix, then 8);
// anything else is DataLoss naming the length. The bytes come from a store,
// so a wrong shape means the store is damaged, never that it may be skipped.
//
// Thread-safety: pure functions.
#ifndef PEERGRID_STORAGE_KEY_CODEC_H_
#define PEERGRID_STORAGE_KEY_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace peergrid::storage {

// Appends `v` as 8 bytes, most significant first.
void PutBigEndian64(std::string* dst, uint64_t v);
// Returns `v` as 8 bytes, most significant first.
std::string BigEndian64(uint64_t v);
// Returns the uint64_t of 8 big-endian bytes.
absl::StatusOr<uint64_t> DecodeBigEndian64(absl::string_view bytes);

// Appends `v` so that encodings compare bytewise as the numbers do.
void PutOrderedInt64(std::string* dst, int64_t v);
// Returns the int64_t of a PutOrderedInt64 encoding.
absl::StatusOr<int64_t> DecodeOrderedInt64(absl::string_view bytes);

// Returns `prefix` followed by BigEndian64(n).
std::string KeyU64(absl::string_view prefix, uint64_t n);
// Returns the n of KeyU64(prefix, n); DataLoss, naming the key's length, when
// `key` does not start with `prefix` or is not 8 bytes longer.
absl::StatusOr<uint64_t> ParseKeyU64(absl::string_view key, absl::string_view prefix);

// Appends `v` as 8 bytes, least significant first.
void PutFixed64(std::string* dst, uint64_t v);
// Returns `v` as 8 bytes, least significant first.
std::string Fixed64(uint64_t v);
// Returns the uint64_t of 8 little-endian bytes.
absl::StatusOr<uint64_t> DecodeFixed64(absl::string_view bytes);

}  // namespace peergrid::storage

#endif  // PEERGRID_STORAGE_KEY_CODEC_H_
