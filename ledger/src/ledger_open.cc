// LedgerImpl: opening, key set-up and the checks that make Open refuse a
// broken log (DataLoss naming the first bad index).
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "key_file.h"
#include "ledger_impl.h"
#include "ledger_store.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/storage/key_codec.h"
#include "peergrid/storage/rocks_status.h"
#include "rocksdb/write_batch.h"

namespace peergrid::ledger {
namespace {

constexpr size_t kRebuildChunk = 4096;

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir,
                                                     const LedgerOptions& options) {
  if (dir.empty()) return absl::InvalidArgumentError("ledger dir is empty");
  if (options.max_batch_entries == 0 || options.max_batch_bytes == 0) {
    return absl::InvalidArgumentError("max_batch_entries and max_batch_bytes must be positive");
  }
  if (options.max_entry_bytes == 0 || options.max_entry_bytes > kMaxEntryBytes) {
    return absl::InvalidArgumentError(absl::StrCat("max_entry_bytes ", options.max_entry_bytes,
                                                   " is not in [1, ", kMaxEntryBytes, "]"));
  }
  auto ledger = std::make_unique<LedgerImpl>(dir, options);
  PEERGRID_RETURN_IF_ERROR(ledger->Init());
  return ledger;
}

absl::Status LedgerImpl::Init() {
  PEERGRID_RETURN_IF_ERROR(OpenDb());
  PEERGRID_RETURN_IF_ERROR(LoadMeta());
  PEERGRID_RETURN_IF_ERROR(SetUpKey());
  PEERGRID_RETURN_IF_ERROR(RebuildTree());
  PEERGRID_RETURN_IF_ERROR(CheckNodes());
  PEERGRID_RETURN_IF_ERROR(CheckKeyHistoryEntries());
  return CheckLatestCheckpoint();
}

absl::Status LedgerImpl::OpenDb() {
  rocksdb::DB* db = nullptr;
  rocksdb::Status s;
  if (options_.read_only) {
    if (!FileExists(dir_ + "/CURRENT")) {
      return absl::NotFoundError(absl::StrCat("no ledger in ", dir_));
    }
    s = rocksdb::DB::OpenForReadOnly(store::DbOptions(false), dir_, &db);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir_, ": ", ec.message()));
    s = rocksdb::DB::Open(store::DbOptions(true), dir_, &db);
  }
  db_.reset(db);
  if (s.IsIOError() && s.ToString().find("LOCK") != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat("ledger ", dir_, " is open elsewhere (", s.ToString(), ")"));
  }
  return storage::FromRocks(s, absl::StrCat("opening ledger ", dir_));
}

absl::Status LedgerImpl::LoadMeta() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), store::kOriginKey, &value);
  if (s.IsNotFound()) {
    if (options_.read_only) return absl::NotFoundError(absl::StrCat("no ledger in ", dir_));
    if (options_.origin.empty() || options_.origin.find('\n') != std::string::npos) {
      return absl::InvalidArgumentError(
          "origin must be a non-empty single line to create a ledger");
    }
    origin_ = options_.origin;
  } else {
    PEERGRID_RETURN_IF_ERROR(storage::FromRocks(s, "reading the ledger origin"));
    origin_ = value;
    if (!options_.origin.empty() && options_.origin != origin_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "origin \"", options_.origin, "\" does not match the ledger's origin \"", origin_, "\""));
    }
  }
  s = db_->Get(rocksdb::ReadOptions(), store::kSizeKey, &value);
  if (s.IsNotFound()) return absl::OkStatus();
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(s, "reading the tree size"));
  absl::StatusOr<uint64_t> size = storage::DecodeBigEndian64(value);
  if (!size.ok()) {
    return absl::DataLossError(absl::StrCat("stored tree size (key ", store::kSizeKey,
                                            ") is not 8 bytes: ", size.status().message()));
  }
  committed_.store(*size);
  return absl::OkStatus();
}

absl::Status LedgerImpl::SetUpKey() {
  {
    absl::MutexLock lock(&keys_mu_);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(store::Key(store::kKeyHistory, 0)); it->Valid(); it->Next()) {
      uint64_t from = 0;
      if (!store::ParseKey(storage::View(it->key()), store::kKeyHistory, &from)) break;
      absl::StatusOr<VerifierKey> key = VerifierKey::Parse(storage::View(it->value()));
      if (!key.ok()) {
        return absl::DataLossError(
            absl::StrCat("stored key for sizes from ", from, ": ", key.status().message()));
      }
      keys_.emplace(from, *std::move(key));
    }
    PEERGRID_RETURN_IF_ERROR(storage::FromRocks(it->status(), "reading the key history"));
  }
  absl::MutexLock sign_lock(&sign_mu_);  // lock order: sign_mu_, then keys_mu_
  absl::MutexLock keys_lock(&keys_mu_);
  if (options_.read_only) {
    if (keys_.empty()) return absl::DataLossError("ledger has no verifier key");
    return absl::OkStatus();
  }
  key_file_ = options_.key_file.empty() ? dir_ + "/log-key.pem" : options_.key_file;
  if (keys_.empty()) {
    // A new log: take the key file, or generate it.
    std::string name = options_.key_name.empty() ? origin_ : options_.key_name;
    absl::StatusOr<std::string> pem = ReadSmallFile(key_file_);
    if (pem.ok()) {
      PEERGRID_ASSIGN_OR_RETURN(Signer signer, Signer::FromPkcs8Pem(name, *pem));
      signer_.emplace(std::move(signer));
    } else if (absl::IsNotFound(pem.status())) {
      PEERGRID_ASSIGN_OR_RETURN(Signer signer, Signer::Generate(name));
      PEERGRID_RETURN_IF_ERROR(WritePrivateFile(key_file_, signer.Pkcs8Pem()));
      signer_.emplace(std::move(signer));
    } else {
      return pem.status();
    }
    rocksdb::WriteBatch batch;
    batch.Put(store::Key(store::kKeyHistory, 0), signer_->verifier().ToString());
    batch.Put(store::kOriginKey, origin_);
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    PEERGRID_RETURN_IF_ERROR(
        storage::FromRocks(db_->Write(write_options, &batch), "writing the log key"));
    keys_.emplace(0, signer_->verifier());
    return absl::OkStatus();
  }
  const VerifierKey& current = keys_.rbegin()->second;
  PEERGRID_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(key_file_));
  PEERGRID_ASSIGN_OR_RETURN(Signer signer, Signer::FromPkcs8Pem(current.name(), pem));
  if (!(signer.verifier() == current)) {
    // A rotation may have been recorded before its key file was renamed.
    std::string next = key_file_ + ".next";
    absl::StatusOr<std::string> next_pem = ReadSmallFile(next);
    absl::StatusOr<Signer> next_signer =
        next_pem.ok() ? Signer::FromPkcs8Pem(current.name(), *next_pem) : next_pem.status();
    if (!next_signer.ok() || !(next_signer->verifier() == current)) {
      return absl::FailedPreconditionError(
          absl::StrCat("key file ", key_file_, " holds ", signer.verifier().ToString(),
                       ", but the log's key is ", current.ToString()));
    }
    PEERGRID_RETURN_IF_ERROR(DurableRename(next, key_file_));
    signer = *std::move(next_signer);
  }
  signer_.emplace(std::move(signer));
  return absl::OkStatus();
}

absl::Status LedgerImpl::RebuildTree() {
  const uint64_t size = committed_.load();
  std::vector<Hash> chunk;
  chunk.reserve(kRebuildChunk);
  uint64_t index = 0;
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  for (it->Seek(store::Key(store::kEntry, 0)); it->Valid(); it->Next()) {
    uint64_t got = 0;
    if (!store::ParseKey(storage::View(it->key()), store::kEntry, &got)) break;
    if (got >= size) {
      return absl::DataLossError(
          absl::StrCat("entry ", got, " is stored beyond the tree size ", size));
    }
    if (got != index) return absl::DataLossError(absl::StrCat("entry ", index, " is missing"));
    chunk.push_back(LeafHash(storage::View(it->value())));
    ++index;
    if (chunk.size() == kRebuildChunk) {
      tree_.Append(chunk, nullptr);
      chunk.clear();
    }
  }
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(it->status(), absl::StrCat("reading entry ", index)));
  tree_.Append(chunk, nullptr);
  if (index < size) {
    return absl::DataLossError(absl::StrCat("entry ", index, " is missing (tree size ", size, ")"));
  }
  return absl::OkStatus();
}

absl::Status LedgerImpl::CheckNodes() {
  const uint64_t size = committed_.load();
  uint64_t next = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(store::Key(store::kNodes, 0)); it->Valid(); it->Next()) {
    uint64_t first = 0;
    if (!store::ParseKey(storage::View(it->key()), store::kNodes, &first)) break;
    if (first != next) {
      return absl::DataLossError(
          absl::StrCat("merkle nodes of entry ", std::min(first, next), " are missing"));
    }
    absl::string_view record = storage::View(it->value());
    bool packed_ok = true;
    uint64_t end = tree_.FirstMismatch(first, record, &packed_ok);
    if (!packed_ok) {
      return absl::DataLossError(
          absl::StrCat("merkle nodes record from entry ", first, " is malformed at entry ", end));
    }
    uint64_t record_end = first;
    for (size_t bytes = 0; bytes < record.size();) {
      bytes += size_t{32} * MerkleTree::NodesForLeaf(record_end++);
    }
    if (end != record_end) {
      return absl::DataLossError(absl::StrCat(
          "entry ", end, " does not match its stored merkle nodes (entry or nodes corrupted)"));
    }
    next = record_end;
  }
  PEERGRID_RETURN_IF_ERROR(storage::FromRocks(it->status(), "reading merkle nodes"));
  if (next != size) {
    return absl::DataLossError(absl::StrCat("merkle nodes of entry ", next, " are missing"));
  }
  return absl::OkStatus();
}

absl::Status LedgerImpl::CheckKeyHistoryEntries() const {
  std::map<uint64_t, VerifierKey> keys;
  {
    absl::MutexLock lock(&keys_mu_);
    keys = keys_;
  }
  const VerifierKey* previous = nullptr;
  for (const auto& [from, key] : keys) {
    if (from == 0) {
      previous = &key;
      continue;
    }
    if (previous == nullptr || from > committed_.load()) {
      return absl::DataLossError(
          absl::StrCat("key history entry for size ", from, " has no matching key rotation entry"));
    }
    PEERGRID_ASSIGN_OR_RETURN(std::string entry, GetEntry(from - 1));
    absl::StatusOr<std::optional<KeyRotation>> rotation = ParseKeyRotation(entry);
    if (!rotation.ok() || !rotation->has_value() || !((*rotation)->old_key == *previous) ||
        !((*rotation)->new_key == key)) {
      return absl::DataLossError(
          absl::StrCat("entry ", from - 1, " is not the key rotation to ", key.ToString()));
    }
    previous = &key;
  }
  return absl::OkStatus();
}

absl::Status LedgerImpl::CheckLatestCheckpoint() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(store::Key(store::kCheckpoint, UINT64_MAX));
  uint64_t size = 0;
  if (!it->Valid() || !store::ParseKey(storage::View(it->key()), store::kCheckpoint, &size)) {
    return storage::FromRocks(it->status(), "reading the latest checkpoint");
  }
  PEERGRID_ASSIGN_OR_RETURN(SignedCheckpoint cp,
                            ParseStoredCheckpoint(size, it->value().ToString()));
  PEERGRID_RETURN_IF_ERROR(CheckAgainstTree(cp));
  absl::MutexLock lock(&sign_mu_);
  latest_ = std::move(cp);
  return absl::OkStatus();
}

}  // namespace peergrid::ledger
