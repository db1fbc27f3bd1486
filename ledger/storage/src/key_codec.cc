#include "peergrid/storage/key_codec.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace peergrid::storage {
namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

absl::Status WrongLength(absl::string_view what, size_t size) {
  return absl::DataLossError(absl::StrCat(what, " is ", size, " bytes, not 8"));
}

}  // namespace

void PutBigEndian64(std::string* dst, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    dst->push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string BigEndian64(uint64_t v) {
  std::string out;
  PutBigEndian64(&out, v);
  return out;
}

absl::StatusOr<uint64_t> DecodeBigEndian64(absl::string_view bytes) {
  if (bytes.size() != 8) return WrongLength("big-endian uint64", bytes.size());
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

void PutOrderedInt64(std::string* dst, int64_t v) {
  PutBigEndian64(dst, static_cast<uint64_t>(v) ^ kSignBit);
}

absl::StatusOr<int64_t> DecodeOrderedInt64(absl::string_view bytes) {
  if (bytes.size() != 8) return WrongLength("ordered int64", bytes.size());
  absl::StatusOr<uint64_t> flipped = DecodeBigEndian64(bytes);
  if (!flipped.ok()) return flipped.status();
  return static_cast<int64_t>(*flipped ^ kSignBit);
}

std::string KeyU64(absl::string_view prefix, uint64_t n) {
  std::string key(prefix);
  PutBigEndian64(&key, n);
  return key;
}

absl::StatusOr<uint64_t> ParseKeyU64(absl::string_view key, absl::string_view prefix) {
  if (!absl::StartsWith(key, prefix) || key.size() != prefix.size() + 8) {
    return absl::DataLossError(absl::StrCat("key of ", key.size(), " bytes is not \"",
                                            absl::CEscape(prefix), "\" and a big-endian uint64"));
  }
  return DecodeBigEndian64(key.substr(prefix.size()));
}

void PutFixed64(std::string* dst, uint64_t v) {
  for (int shift = 0; shift < 64; shift += 8)
    dst->push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string Fixed64(uint64_t v) {
  std::string out;
  PutFixed64(&out, v);
  return out;
}

absl::StatusOr<uint64_t> DecodeFixed64(absl::string_view bytes) {
  if (bytes.size() != 8) return WrongLength("fixed64 value", bytes.size());
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

}  // namespace peergrid::storage
