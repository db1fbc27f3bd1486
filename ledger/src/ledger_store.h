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
// Thread-safety: pure functions.
#ifndef PEERGRID_LEDGER_SRC_LEDGER_STORE_H_
#define PEERGRID_LEDGER_SRC_LEDGER_STORE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace peergrid::ledger::store {

inline constexpr char kEntry = 'e';
inline constexpr char kNodes = 'n';
inline constexpr char kCheckpoint = 'c';
inline constexpr char kKeyHistory = 'k';
inline constexpr char kSizeKey[] = "m:size";
inline constexpr char kOriginKey[] = "m:origin";

// Views a RocksDB slice as an absl::string_view (Debian's Abseil has its own).
inline absl::string_view View(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

std::string BigEndian64(uint64_t v);
uint64_t ReadBigEndian64(absl::string_view b);  // b.size() == 8
// Returns kind followed by BigEndian64(n).
std::string Key(char kind, uint64_t n);
// Parses a Key(kind, n); false when `key` is not of that kind and shape.
bool ParseKey(absl::string_view key, char kind, uint64_t* n);

// Converts a RocksDB status: Corruption -> DataLoss, IOError/Busy/TryAgain
// -> Unavailable, NotFound -> NotFound, others -> Internal; `what` says
// what was being done.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);

// The safe settings (WAL on, paranoid checks, tolerate only a torn WAL tail,
// WALs tracked in the MANIFEST).
rocksdb::Options DbOptions(bool create_if_missing);

}  // namespace peergrid::ledger::store

#endif  // PEERGRID_LEDGER_SRC_LEDGER_STORE_H_
