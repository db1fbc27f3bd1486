#include "peergrid/rpc/tls.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "grpcpp/security/server_credentials.h"

namespace peergrid::rpc {
namespace {

constexpr absl::string_view kWhatToPass =
    "pass --tls-cert FILE --tls-key FILE and %s FILE (PEM, docs/SECURITY.md), or --insecure "
    "for plaintext on a loopback address";

// Returns the host of "HOST:PORT", "[V6]:PORT", a bare host, or a gRPC target
// with a "dns:///", "ipv4:" or "ipv6:" scheme.
std::string HostOf(absl::string_view address) {
  for (absl::string_view scheme : {"dns:///", "dns:", "ipv4:", "ipv6:"}) {
    if (absl::StartsWith(address, scheme)) {
      address.remove_prefix(scheme.size());
      break;
    }
  }
  if (absl::StartsWith(address, "[")) {
    const size_t end = address.find(']');
    return std::string(address.substr(1, end == absl::string_view::npos ? end : end - 1));
  }
  const size_t colon = address.find(':');
  if (colon != absl::string_view::npos && address.find(':', colon + 1) == absl::string_view::npos) {
    return std::string(address.substr(0, colon));
  }
  return std::string(address);  // a bare host (possibly IPv6 without brackets)
}

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", text.substr(0, 128), "\"");
}

absl::Status ParsesAsCertificate(absl::string_view flag, const std::string& path,
                                 const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", Quote(path), ": not a PEM certificate"));
  }
  X509_free(cert);
  return absl::OkStatus();
}

// Checks that the key parses and belongs to the certificate.
absl::Status KeyMatchesCertificate(const ServerTlsFlags& names, const std::string& cert_pem,
                                   const std::string& key_pem) {
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key ", Quote(names.key_file), ": not a PEM private key"));
  }
  bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  const bool matches = cert != nullptr && X509_check_private_key(cert, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!matches) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-key ", Quote(names.key_file),
                                                   " is not the key of --tls-cert ",
                                                   Quote(names.cert_file)));
  }
  return absl::OkStatus();
}

struct LoadedPair {
  std::string cert;
  std::string key;
  std::string ca;
};

// Loads and checks cert, key and CA; `ca_flag` is "--client-ca" or "--ca".
absl::StatusOr<LoadedPair> LoadFiles(const ServerTlsFlags& names, absl::string_view ca_flag) {
  const bool any = !names.cert_file.empty() || !names.key_file.empty() ||
                   !names.client_ca_file.empty();
  if (!any) {
    return absl::InvalidArgumentError(absl::StrReplaceAll(kWhatToPass, {{"%s", ca_flag}}));
  }
  for (auto [flag, value] : {std::pair<absl::string_view, const std::string*>{
                                 "--tls-cert", &names.cert_file},
                             {"--tls-key", &names.key_file},
                             {ca_flag, &names.client_ca_file}}) {
    if (value->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, " is missing: mutual TLS needs --tls-cert, --tls-key and ", ca_flag));
    }
  }
  LoadedPair out;
  auto read = [](absl::string_view flag, const std::string& path,
                 std::string* into) -> absl::Status {
    absl::StatusOr<std::string> pem = ReadPemFile(flag, path);
    if (!pem.ok()) return pem.status();
    *into = *std::move(pem);
    return absl::OkStatus();
  };
  if (absl::Status s = read("--tls-cert", names.cert_file, &out.cert); !s.ok()) return s;
  if (absl::Status s = read("--tls-key", names.key_file, &out.key); !s.ok()) return s;
  if (absl::Status s = read(ca_flag, names.client_ca_file, &out.ca); !s.ok()) return s;
  if (absl::Status s = ParsesAsCertificate("--tls-cert", names.cert_file, out.cert); !s.ok()) {
    return s;
  }
  if (absl::Status s = ParsesAsCertificate(ca_flag, names.client_ca_file, out.ca); !s.ok()) {
    return s;
  }
  if (absl::Status s = KeyMatchesCertificate(names, out.cert, out.key); !s.ok()) return s;
  return out;
}

absl::Status InsecureAllowed(absl::string_view flag, absl::string_view address) {
  if (IsLoopbackAddress(address)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--insecure is allowed only on a loopback address (127.0.0.0/8, [::1], "
                   "localhost), not ",
                   flag, " ", Quote(address)));
}

}  // namespace

bool IsLoopbackAddress(absl::string_view address) {
  const std::string host = HostOf(address);
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
  }
  return false;
}

absl::StatusOr<std::string> ReadPemFile(absl::string_view flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", Quote(path), ": cannot read: ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string pem = text.str();
  if (pem.find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", Quote(path), ": not PEM"));
  }
  return pem;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFlags& flags, absl::string_view listen) {
  if (flags.insecure) {
    if (absl::Status s = InsecureAllowed("--listen", listen); !s.ok()) return s;
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<LoadedPair> files = LoadFiles(flags, "--client-ca");
  if (!files.ok()) return files.status();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = files->ca;
  options.pem_key_cert_pairs.push_back({files->key, files->cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTlsFlags& flags, absl::string_view target) {
  if (flags.insecure) {
    if (absl::Status s = InsecureAllowed("--server", target); !s.ok()) return s;
    return grpc::InsecureChannelCredentials();
  }
  ServerTlsFlags names{flags.cert_file, flags.key_file, flags.ca_file, false};
  absl::StatusOr<LoadedPair> files = LoadFiles(names, "--ca");
  if (!files.ok()) return files.status();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = files->ca;
  options.pem_private_key = files->key;
  options.pem_cert_chain = files->cert;
  return grpc::SslCredentials(options);
}

}  // namespace peergrid::rpc
