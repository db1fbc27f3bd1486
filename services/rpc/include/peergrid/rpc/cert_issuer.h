// A small X.509 certificate authority over OpenSSL (EC P-256 keys, SHA-256
// signatures), for the community's zone CA, tests, and anyone who would
// rather not type the openssl commands of docs/SECURITY.md: it makes the same
// certificates (a CA with basicConstraints CA:TRUE, leaf certificates with
// DNS/IP/URI SANs and the server or client extended key usage).
//
// Errors: Internal when OpenSSL fails, InvalidArgument for a bad IP SAN or a
// CA PEM that does not parse.
// Thread-safety: a CertIssuer is immutable after Create/Load; thread-safe.
#ifndef PEERGRID_RPC_CERT_ISSUER_H_
#define PEERGRID_RPC_CERT_ISSUER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace peergrid::rpc {

struct KeyAndCert {
  std::string key_pem;   // PKCS#8 private key
  std::string cert_pem;  // the certificate
};

struct LeafSpec {
  std::string common_name;
  std::vector<std::string> uri_sans;  // e.g. "spiffe://peergrid/household/h1"
  std::vector<std::string> dns_sans;
  std::vector<std::string> ip_sans;              // dotted IPv4 or IPv6 text
  bool server = false;                           // serverAuth EKU (else clientAuth)
  absl::Time not_before = absl::InfinitePast();  // InfinitePast: now − 1 h
  absl::Time not_after = absl::InfinitePast();   // InfinitePast: now + 825 days
};

class CertIssuer {
 public:
  // Creates a new self-signed CA named `common_name`.
  static absl::StatusOr<CertIssuer> Create(const std::string& common_name);
  // Loads a CA from its key and certificate.
  static absl::StatusOr<CertIssuer> Load(const KeyAndCert& ca);

  // Returns a new key and a certificate for it signed by this CA.
  absl::StatusOr<KeyAndCert> Issue(const LeafSpec& spec) const;

  const KeyAndCert& ca() const { return ca_; }

 private:
  explicit CertIssuer(KeyAndCert ca) : ca_(std::move(ca)) {}
  KeyAndCert ca_;
};

// Writes `contents` to `path` (mode 0600 when `secret`), replacing it.
absl::Status WriteTextFile(const std::string& path, const std::string& contents,
                           bool secret = false);

// Writes `pair` as <base>.pem (the certificate) and <base>.key (mode 0600),
// the layout every --tls-cert/--tls-key pair here uses.
absl::Status WriteKeyAndCert(const std::string& base, const KeyAndCert& pair);

}  // namespace peergrid::rpc

#endif  // PEERGRID_RPC_CERT_ISSUER_H_
