// The files of a regulator's mirror (`peergridctl audit follow --out DIR`):
//
//   DIR/entries            every verified entry, export format (4-byte BE length + bytes)
//   DIR/checkpoint         the latest verified checkpoint (signed note)
//   DIR/log.pub, .pem      the key that signed it (so DIR is also a ledger export)
//   DIR/checkpoints        every verified checkpoint note, in order (length-prefixed)
//   DIR/follow-state.json  {"anchor_key", "tree_size", "root_hash"}: what is verified
//   DIR/report.json        the running audit report of the mirrored entries
//   DIR/fork-<size>/       evidence of a fork: trusted.note, offending.note, reason.txt
//
// Entries are appended before they are verified; follow-state.json names how
// many are verified, and Open truncates anything beyond it (a crash or a
// refused sync), so the mirror only ever holds verified entries.
//
// Thread-safety: thread-compatible.
// Errors: Unavailable for I/O failures (naming the file), DataLoss for a
// mirror whose files disagree, FailedPrecondition when fork evidence exists.
#ifndef PEERGRID_AUDIT_FOLLOW_STORE_H_
#define PEERGRID_AUDIT_FOLLOW_STORE_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "peergrid/ledger/note.h"

namespace peergrid::audit::internal {

class MirrorStore {
 public:
  // Opens (creating) the mirror in `dir` for the trust anchor `anchor`, and
  // replays what it holds: `on_checkpoint` for every stored checkpoint note
  // (first), then `on_entry` for every verified entry in order.
  static absl::StatusOr<MirrorStore> Open(
      const std::string& dir, const ledger::VerifierKey& anchor,
      const std::function<void(const std::string& note)>& on_checkpoint,
      const std::function<void(uint64_t index, const std::string& entry)>& on_entry);

  MirrorStore(MirrorStore&&) noexcept;
  MirrorStore& operator=(MirrorStore&&) noexcept;
  ~MirrorStore();

  uint64_t verified_size() const { return verified_size_; }
  const std::string& dir() const { return dir_; }

  // Appends an entry after the verified ones (not yet verified).
  absl::Status Append(const std::string& entry);
  // Makes the appended entries verified up to `tree_size`, with `note` (signed
  // by `key`, root `root_base64`) as the latest checkpoint. Syncs everything.
  absl::Status Commit(uint64_t tree_size, const std::string& note, const std::string& root_base64,
                      const ledger::VerifierKey& key);
  // Drops the entries appended since the last Commit.
  absl::Status Rollback();
  // Writes the running report.
  absl::Status WriteReport(const std::string& json);
  // Writes fork evidence into DIR/fork-<tree_size>/ and returns that path.
  absl::StatusOr<std::string> WriteEvidence(uint64_t tree_size, const std::string& trusted_note,
                                            const std::string& offending_note,
                                            const std::string& reason);

 private:
  MirrorStore(std::string dir, std::string anchor_key, std::FILE* entries, uint64_t verified_size,
              uint64_t verified_bytes);

  std::string dir_;
  std::string anchor_key_;
  std::FILE* entries_ = nullptr;
  uint64_t verified_size_ = 0;
  uint64_t verified_bytes_ = 0;  // length of DIR/entries holding the verified entries
};

}  // namespace peergrid::audit::internal

#endif  // PEERGRID_AUDIT_FOLLOW_STORE_H_
