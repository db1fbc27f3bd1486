#include "peergrid/ledger/hash.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace peergrid::ledger {
namespace {

// One digest context per thread, reused: EVP_MD_CTX_new and EVP_MD_fetch per
// hash would cost more than the hash of a small entry.
struct CtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

EVP_MD_CTX* ThreadCtx() {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

// Hashes the concatenation of up to three byte ranges. Failure of the
// digest primitives on a valid context is a broken invariant: crash loudly.
Hash Digest(const void* a, size_t a_len, const void* b, size_t b_len, const void* c, size_t c_len) {
  EVP_MD_CTX* ctx = ThreadCtx();
  Hash out;
  unsigned int out_len = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, a, a_len) != 1 || EVP_DigestUpdate(ctx, b, b_len) != 1 ||
      EVP_DigestUpdate(ctx, c, c_len) != 1 || EVP_DigestFinal_ex(ctx, out.data(), &out_len) != 1 ||
      out_len != out.size()) {
    std::abort();
  }
  return out;
}

}  // namespace

Hash LeafHash(absl::string_view entry) {
  static constexpr uint8_t kLeafPrefix = 0x00;
  return Digest(&kLeafPrefix, 1, entry.data(), entry.size(), nullptr, 0);
}

Hash NodeHash(const Hash& left, const Hash& right) {
  static constexpr uint8_t kNodePrefix = 0x01;
  return Digest(&kNodePrefix, 1, left.data(), left.size(), right.data(), right.size());
}

Hash EmptyRoot() {
  static const Hash root = Sha256("");
  return root;
}

Hash Sha256(absl::string_view data) {
  return Digest(data.data(), data.size(), nullptr, 0, nullptr, 0);
}

std::string HashToBase64(const Hash& hash) {
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(hash.data()), 32));
}

absl::StatusOr<Hash> HashFromBase64(absl::string_view text) {
  std::string bytes;
  if (!absl::Base64Unescape(text, &bytes)) {
    return absl::InvalidArgumentError(absl::StrCat("hash \"", text, "\" is not valid base64"));
  }
  return HashFromBytes(bytes, absl::StrCat("hash \"", text, "\""));
}

std::string HashToHex(const Hash& hash) { return absl::BytesToHexString(HashBytes(hash)); }

std::string HashBytes(const Hash& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

absl::StatusOr<Hash> HashFromBytes(absl::string_view bytes, absl::string_view field) {
  if (bytes.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " has ", bytes.size(), " bytes, want 32"));
  }
  Hash hash;
  std::memcpy(hash.data(), bytes.data(), 32);
  return hash;
}

}  // namespace peergrid::ledger
