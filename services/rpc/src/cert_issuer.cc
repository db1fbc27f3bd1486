#include "peergrid/rpc/cert_issuer.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace peergrid::rpc {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;
using Bio = std::unique_ptr<BIO, Free>;

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("openssl: ", what, " failed"));
}

absl::StatusOr<Key> NewKey() {
  Key key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("EC P-256 key generation");
  return key;
}

std::string ToPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string ToPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// Adds extension `nid` = `value` (openssl config syntax) to `cert`.
absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (ext == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("certificate extension ", OBJ_nid2sn(nid),
                                                   " = \"", value.substr(0, 128),
                                                   "\" does not parse"));
  }
  if (X509_add_ext(cert, ext.get(), -1) != 1) return OpenSslError("X509_add_ext");
  return absl::OkStatus();
}

// Returns an unsigned certificate for `key` with subject CN, random serial and validity.
absl::StatusOr<Cert> NewCert(EVP_PKEY* key, const std::string& common_name, absl::Time not_before,
                             absl::Time not_after) {
  Cert cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return OpenSslError("RAND_bytes");
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(not_after));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  if (X509_set_pubkey(cert.get(), key) != 1) return OpenSslError("X509_set_pubkey");
  return cert;
}

absl::StatusOr<Key> ReadKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) return absl::InvalidArgumentError("CA key is not a PEM private key");
  return key;
}

absl::StatusOr<Cert> ReadCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return absl::InvalidArgumentError("CA certificate is not PEM X.509");
  return cert;
}

}  // namespace

absl::StatusOr<CertIssuer> CertIssuer::Create(const std::string& common_name) {
  absl::StatusOr<Key> key = NewKey();
  if (!key.ok()) return key.status();
  const absl::Time now = absl::Now();
  absl::StatusOr<Cert> cert =
      NewCert(key->get(), common_name, now - absl::Hours(1), now + absl::Hours(24 * 3650));
  if (!cert.ok()) return cert.status();
  X509_set_issuer_name(cert->get(), X509_get_subject_name(cert->get()));
  for (auto [nid, value] : {std::pair<int, std::string>{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_subject_key_identifier, "hash"}}) {
    if (absl::Status s = AddExtension(cert->get(), cert->get(), nid, value); !s.ok()) return s;
  }
  if (X509_sign(cert->get(), key->get(), EVP_sha256()) == 0) return OpenSslError("X509_sign");
  return CertIssuer(KeyAndCert{ToPem(key->get()), ToPem(cert->get())});
}

absl::StatusOr<CertIssuer> CertIssuer::Load(const KeyAndCert& ca) {
  absl::StatusOr<Key> key = ReadKey(ca.key_pem);
  if (!key.ok()) return key.status();
  absl::StatusOr<Cert> cert = ReadCert(ca.cert_pem);
  if (!cert.ok()) return cert.status();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    return absl::InvalidArgumentError("CA key is not the key of the CA certificate");
  }
  return CertIssuer(ca);
}

absl::StatusOr<KeyAndCert> CertIssuer::Issue(const LeafSpec& spec) const {
  absl::StatusOr<Key> ca_key = ReadKey(ca_.key_pem);
  if (!ca_key.ok()) return ca_key.status();
  absl::StatusOr<Cert> ca_cert = ReadCert(ca_.cert_pem);
  if (!ca_cert.ok()) return ca_cert.status();
  absl::StatusOr<Key> key = NewKey();
  if (!key.ok()) return key.status();
  const absl::Time now = absl::Now();
  const absl::Time not_before =
      spec.not_before == absl::InfinitePast() ? now - absl::Hours(1) : spec.not_before;
  const absl::Time not_after =
      spec.not_after == absl::InfinitePast() ? now + absl::Hours(24 * 825) : spec.not_after;
  absl::StatusOr<Cert> cert = NewCert(key->get(), spec.common_name, not_before, not_after);
  if (!cert.ok()) return cert.status();
  X509_set_issuer_name(cert->get(), X509_get_subject_name(ca_cert->get()));
  std::vector<std::string> sans;
  for (const std::string& uri : spec.uri_sans) sans.push_back("URI:" + uri);
  for (const std::string& dns : spec.dns_sans) sans.push_back("DNS:" + dns);
  for (const std::string& ip : spec.ip_sans) sans.push_back("IP:" + ip);
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
      {NID_ext_key_usage, spec.server ? "serverAuth" : "clientAuth"},
      {NID_authority_key_identifier, "keyid"}};
  if (!sans.empty()) extensions.push_back({NID_subject_alt_name, absl::StrJoin(sans, ",")});
  for (const auto& [nid, value] : extensions) {
    if (absl::Status s = AddExtension(cert->get(), ca_cert->get(), nid, value); !s.ok()) return s;
  }
  if (X509_sign(cert->get(), ca_key->get(), EVP_sha256()) == 0) return OpenSslError("X509_sign");
  return KeyAndCert{ToPem(key->get()), ToPem(cert->get())};
}

absl::Status WriteKeyAndCert(const std::string& base, const KeyAndCert& pair) {
  if (absl::Status s = WriteTextFile(base + ".pem", pair.cert_pem); !s.ok()) return s;
  return WriteTextFile(base + ".key", pair.key_pem, /*secret=*/true);
}

absl::Status WriteTextFile(const std::string& path, const std::string& contents, bool secret) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (secret) ::chmod(tmp.c_str(), 0600);
    out << contents;
    out.close();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write \"", path, "\""));
  }
  std::error_code error;
  std::filesystem::rename(tmp, path, error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot write \"", path, "\""));
  return absl::OkStatus();
}

}  // namespace peergrid::rpc
