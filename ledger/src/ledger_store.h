// How the ledger lays itself out in RocksDB (one column family; keys are a
// one-byte kind and a big-endian 64-bit number, so they sort by number):
//
//   'e' index        -> entry bytes, exactly as appended
//   'n' first_index  -> nodes record of one write batch: for each of its
//                       entries, the leaf hash then the hashes of the
//                       subtrees the leaf completes (32 bytes each)
//   'c' tree_size    -> the signed note of the checkpoint at that size
//   'k' from_size    -> C2SP verifier key in force for checkpoints of
//                       size >= from_size (0: the first key; i+1: the key a
//                       KeyRotated entry at index i introduced)
//   "m:size"         -> tree size (8 bytes, big-endian)
//   "m:origin"       -> the log's origin
//
// The integer codecs and the rocksdb::Status conversion are the shared ones of
// peergrid/storage/ (key_codec.h, rocks_status.h).
//
// Thread-safety: pure functions.
#ifndef PEERGRID_LEDGER_SRC_LEDGER_STORE_H_
#define PEERGRID_LEDGER_SRC_LEDGER_STORE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "rocksdb/options.h"

namespace peergrid::ledger::store {

inline constexpr char kEntry = 'e';
inline constexpr char kNodes = 'n';
inline constexpr char kCheckpoint = 'c';
inline constexpr char kKeyHistory = 'k';
inline constexpr char kSizeKey[] = "m:size";
inline constexpr char kOriginKey[] = "m:origin";

// Returns kind followed by the big-endian n (storage::KeyU64).
std::string Key(char kind, uint64_t n);
// Parses a Key(kind, n); false when `key` is not of that kind and shape.
bool ParseKey(absl::string_view key, char kind, uint64_t* n);

// The safe settings (WAL on, paranoid checks, tolerate only a torn WAL tail,
// WALs tracked in the MANIFEST).
rocksdb::Options DbOptions(bool create_if_missing);

}  // namespace peergrid::ledger::store

#endif  // PEERGRID_LEDGER_SRC_LEDGER_STORE_H_
