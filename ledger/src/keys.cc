// VerifierKey and Signer: Ed25519 keys through OpenSSL 3's EVP API.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "peergrid/common/status.h"
#include "peergrid/ledger/note.h"

namespace peergrid::ledger {
namespace {

constexpr char kEd25519Alg = 0x01;  // signed-note signature type for Ed25519

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

uint32_t KeyId(absl::string_view name, absl::string_view public_key) {
  Hash h = Sha256(absl::StrCat(name, "\n", absl::string_view(&kEd25519Alg, 1), public_key));
  return (uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) | uint32_t{h[3]};
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> RawPublicFromSeed(absl::string_view seed) {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed), seed.size()));
  if (pkey == nullptr) return absl::InternalError("openssl: cannot load ed25519 private key");
  std::string pub(32, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(pub.data()), &len) !=
          1 ||
      len != 32) {
    return absl::InternalError("openssl: cannot derive ed25519 public key");
  }
  return pub;
}

// The Ed25519 group order L = 2^252 + 27742317777372353535851937790883648493,
// little-endian, as signatures encode S.
constexpr unsigned char kGroupOrderLe[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

// Returns a < b for two 32-byte little-endian integers.
bool LessLe(const unsigned char* a, const unsigned char* b) {
  for (int i = 31; i >= 0; --i) {
    if (a[i] != b[i]) return a[i] < b[i];
  }
  return false;
}

// The encodings (y, sign bit ignored) of the points of small order on
// edwards25519, canonical or not: with such a key a forger needs no private
// key (the identity point verifies R = identity, S = 0 on any message).
// The list libsodium uses for the same check.
constexpr unsigned char kSmallOrder[][32] = {
    // 0 (order 4)
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
    // 1 (order 1: the identity)
    {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
    // 2707385501144840649318225287225658788936804267575313519463743609750303402022 (order 8)
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
     0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
     0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    // 55188659117513257062467267217118295137698188065244968500265048394206261417927 (order 8)
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
     0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
     0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
    // p - 1 (order 2)
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    // p (non-canonical 0)
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    // p + 1 (non-canonical 1)
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

// p = 2^255 - 19, little-endian: a canonical y is below it.
constexpr unsigned char kFieldPrimeLe[32] = {
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};

}  // namespace

namespace {

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BnCtxDeleter {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

// Returns whether the little-endian y (< p, sign bit cleared) has an x on
// edwards25519: −x² + y² = 1 + d·x²·y², i.e. x² = (y² − 1) / (d·y² + 1) must
// be a square mod p = 2²⁵⁵ − 19 (RFC 8032 §5.1.3), judged by Euler's
// criterion. d·y² + 1 is never 0 mod p (−1/d is not a square).
bool OnCurve(const unsigned char y_le[32]) {
  std::unique_ptr<BN_CTX, BnCtxDeleter> ctx(BN_CTX_new());
  BnPtr p(BN_new()), y(BN_lebin2bn(y_le, 32, nullptr)), d(BN_new()), t(BN_new()), u(BN_new()),
      v(BN_new()), e(BN_new()), r(BN_new());
  if (!ctx || !p || !y || !d || !t || !u || !v || !e || !r) return false;
  // p = 2^255 − 19; d = −121665 / 121666 mod p.
  bool ok = BN_set_bit(p.get(), 255) && BN_sub_word(p.get(), 19) && BN_set_word(t.get(), 121666) &&
            BN_mod_inverse(t.get(), t.get(), p.get(), ctx.get()) && BN_set_word(d.get(), 121665) &&
            BN_mod_mul(d.get(), d.get(), t.get(), p.get(), ctx.get()) &&
            BN_mod_sub(d.get(), p.get(), d.get(), p.get(), ctx.get()) &&
            // u = y² − 1, v = d·y² + 1, x² = u / v.
            BN_mod_sqr(t.get(), y.get(), p.get(), ctx.get()) &&
            BN_mod_sub(u.get(), t.get(), BN_value_one(), p.get(), ctx.get()) &&
            BN_mod_mul(v.get(), d.get(), t.get(), p.get(), ctx.get()) &&
            BN_mod_add(v.get(), v.get(), BN_value_one(), p.get(), ctx.get()) &&
            BN_mod_inverse(v.get(), v.get(), p.get(), ctx.get()) &&
            BN_mod_mul(t.get(), u.get(), v.get(), p.get(), ctx.get());
  if (!ok) return false;
  if (BN_is_zero(t.get())) return true;  // x = 0
  // Euler: t^((p − 1) / 2) is 1 for a square.
  ok = BN_copy(e.get(), p.get()) && BN_sub_word(e.get(), 1) && BN_rshift1(e.get(), e.get()) &&
       BN_mod_exp(r.get(), t.get(), e.get(), p.get(), ctx.get());
  return ok && BN_is_one(r.get());
}

}  // namespace

absl::Status ValidateEd25519PublicKey(absl::string_view raw32) {
  if (raw32.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("ed25519 public key has ", raw32.size(), " bytes, want 32"));
  }
  unsigned char y[32];
  std::memcpy(y, raw32.data(), 32);
  y[31] &= 0x7f;  // the sign of x
  if (!LessLe(y, kFieldPrimeLe)) {
    return absl::InvalidArgumentError("ed25519 public key is not canonically encoded (y >= p)");
  }
  for (const unsigned char* point : kSmallOrder) {
    if (std::memcmp(y, point, 32) == 0) {
      return absl::InvalidArgumentError(
          "ed25519 public key is a point of small order: anyone could sign for it");
    }
  }
  // A y with no point on the curve would forge nothing (no signature
  // verifies with it), but a registry should not hold keys that are not keys.
  if (!OnCurve(y)) {
    return absl::InvalidArgumentError(
        "ed25519 public key is not a point of the curve (no x for its y)");
  }
  return absl::OkStatus();
}

namespace {
bool CanonicalScalar(absl::string_view sig64) {
  return LessLe(reinterpret_cast<const unsigned char*>(sig64.data()) + 32, kGroupOrderLe);
}
}  // namespace

absl::Status ValidateKeyName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("key name is empty");
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '+' || absl::ascii_isspace(u) || u < 0x20 || u == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key name \"", absl::CHexEscape(name), "\" contains '+', whitespace or a control char"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifierKey> VerifierKey::Parse(absl::string_view c2sp) {
  // The base64 key may itself contain '+': split at the first two only.
  std::vector<absl::string_view> parts = absl::StrSplit(c2sp, absl::MaxSplits('+', 2));
  if (parts.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("verifier key \"", c2sp, "\" is not <name>+<hex id>+<base64 key>"));
  }
  PEERGRID_RETURN_IF_ERROR(ValidateKeyName(parts[0]));
  uint32_t want_id = 0;
  if (parts[1].size() != 8 || !absl::SimpleHexAtoi(parts[1], &want_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("verifier key id \"", parts[1], "\" is not 8 hex digits"));
  }
  std::string key;
  if (!absl::Base64Unescape(parts[2], &key) || key.size() != 33 || key[0] != kEd25519Alg) {
    return absl::InvalidArgumentError(absl::StrCat(
        "verifier key \"", parts[2], "\" is not base64 of 0x01 and a 32-byte ed25519 key"));
  }
  PEERGRID_ASSIGN_OR_RETURN(VerifierKey vk, FromPublicKey(std::string(parts[0]), key.substr(1)));
  if (vk.key_id() != want_id) {
    return absl::InvalidArgumentError(absl::StrCat("verifier key id ", parts[1],
                                                   " does not match the key (want ",
                                                   absl::Hex(vk.key_id(), absl::kZeroPad8), ")"));
  }
  return vk;
}

struct VerifierKey::Loaded {
  explicit Loaded(PkeyPtr key) : pkey(std::move(key)) {}
  // Used concurrently: OpenSSL 3 allows it for an EVP_PKEY that is only
  // read (each verification has its own EVP_MD_CTX).
  const PkeyPtr pkey;
};

VerifierKey::VerifierKey(std::string name, std::string public_key, uint32_t key_id)
    : name_(std::move(name)), public_key_(std::move(public_key)), key_id_(key_id) {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key_),
                                           public_key_.size()));
  if (pkey != nullptr) loaded_ = std::make_shared<const Loaded>(std::move(pkey));
}

absl::StatusOr<VerifierKey> VerifierKey::FromPublicKey(std::string name, absl::string_view raw32) {
  PEERGRID_RETURN_IF_ERROR(ValidateKeyName(name));
  PEERGRID_RETURN_IF_ERROR(ValidateEd25519PublicKey(raw32));
  uint32_t id = KeyId(name, raw32);
  return VerifierKey(std::move(name), std::string(raw32), id);
}

absl::StatusOr<VerifierKey> VerifierKey::FromPublicKeyPem(std::string name, absl::string_view pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (pkey == nullptr || EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("public key pem is not an ed25519 SubjectPublicKeyInfo");
  }
  std::string pub(32, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(pub.data()), &len) !=
          1 ||
      len != 32) {
    return absl::InvalidArgumentError("public key pem: cannot read the ed25519 key");
  }
  return FromPublicKey(std::move(name), pub);
}

std::string VerifierKey::ToString() const {
  return absl::StrCat(
      name_, "+", absl::Hex(key_id_, absl::kZeroPad8), "+",
      absl::Base64Escape(absl::StrCat(absl::string_view(&kEd25519Alg, 1), public_key_)));
}

std::string VerifierKey::PublicKeyPem() const {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key_),
                                           public_key_.size()));
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (pkey == nullptr || bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) {
    std::abort();  // a 32-byte key always encodes
  }
  return BioContents(bio.get());
}

bool VerifierKey::VerifySignature(absl::string_view message, absl::string_view sig64) const {
  // S >= L is refused here, whatever the library beneath does (RFC 8032 §5.1.7).
  if (sig64.size() != 64 || !CanonicalScalar(sig64)) return false;
  if (loaded_ == nullptr) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, loaded_->pkey.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), Bytes(sig64), sig64.size(), Bytes(message), message.size()) ==
         1;
}

absl::StatusOr<Signer> Signer::Generate(std::string name) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return absl::InternalError("openssl: ed25519 key generation failed");
  }
  PkeyPtr pkey(raw);
  std::string seed(32, '\0');
  size_t len = seed.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(), reinterpret_cast<unsigned char*>(seed.data()),
                                   &len) != 1 ||
      len != 32) {
    return absl::InternalError("openssl: cannot read the generated ed25519 key");
  }
  absl::StatusOr<Signer> signer = FromSeed(std::move(name), seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return signer;
}

absl::StatusOr<Signer> Signer::FromPkcs8Pem(std::string name, absl::string_view pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (pkey == nullptr) {
    return absl::InvalidArgumentError("private key pem is not a readable PKCS#8 key");
  }
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("private key pem is not an ed25519 key");
  }
  std::string seed(32, '\0');
  size_t len = seed.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(), reinterpret_cast<unsigned char*>(seed.data()),
                                   &len) != 1 ||
      len != 32) {
    return absl::InvalidArgumentError("private key pem: cannot read the ed25519 seed");
  }
  absl::StatusOr<Signer> signer = FromSeed(std::move(name), seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return signer;
}

absl::StatusOr<Signer> Signer::FromSeed(std::string name, absl::string_view seed32) {
  if (seed32.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("ed25519 seed has ", seed32.size(), " bytes, want 32"));
  }
  PEERGRID_ASSIGN_OR_RETURN(std::string pub, RawPublicFromSeed(seed32));
  PEERGRID_ASSIGN_OR_RETURN(VerifierKey verifier, VerifierKey::FromPublicKey(std::move(name), pub));
  return Signer(std::string(seed32), std::move(verifier));
}

Signer::~Signer() {
  if (!seed_.empty()) OPENSSL_cleanse(seed_.data(), seed_.size());
}

std::string Signer::Sign(absl::string_view message) const {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed_), seed_.size()));
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  size_t len = sig.size();
  if (pkey == nullptr || ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(message),
                     message.size()) != 1 ||
      len != 64) {
    std::abort();  // signing with a valid key cannot fail
  }
  return sig;
}

std::string Signer::Pkcs8Pem() const {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(seed_), seed_.size()));
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (pkey == nullptr || bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    std::abort();  // a valid key always encodes
  }
  return BioContents(bio.get());
}

}  // namespace peergrid::ledger
