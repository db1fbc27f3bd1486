// Transport security for every gRPC port (DESIGN.md §9): mutual TLS from PEM
// files named by flags, or, with --insecure, plaintext on a loopback address
// only. The exchange takes --tls-cert --tls-key --client-ca; the hub and
// peergridctl take --tls-cert --tls-key --ca.
//
// gRPC 1.51 offers no way to set the TLS version from C++: both ends run on
// OpenSSL 3 and negotiate TLS 1.3 (docs/SECURITY.md).
//
// Errors: InvalidArgument naming the flag and the file when a file is
// missing, unreadable or not PEM, when TLS flags are incomplete, when none are
// given without --insecure (saying what to pass), and when --insecure meets a
// non-loopback address.
// Thread-safety: the functions are thread-safe.
#ifndef PEERGRID_RPC_TLS_H_
#define PEERGRID_RPC_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace peergrid::rpc {

// A server's --tls-cert, --tls-key, --client-ca and --insecure.
struct ServerTlsFlags {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  bool insecure = false;
};

// A client's --tls-cert, --tls-key, --ca and --insecure.
struct ClientTlsFlags {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  bool insecure = false;
};

// Returns true when the host of HOST:PORT (or a bare host) is loopback:
// 127.0.0.0/8, [::1] or localhost.
bool IsLoopbackAddress(absl::string_view address);

// Returns credentials that require and verify a client certificate chaining
// to --client-ca, or insecure ones when flags.insecure and `listen` is
// loopback.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFlags& flags, absl::string_view listen);

// Returns credentials presenting --tls-cert/--tls-key and trusting --ca, or
// insecure ones when flags.insecure and `target` is loopback.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ClientTlsFlags& flags, absl::string_view target);

// Returns the contents of a PEM file, or InvalidArgument naming `flag` and
// `path` when it is missing, unreadable or holds no PEM block.
absl::StatusOr<std::string> ReadPemFile(absl::string_view flag, const std::string& path);

}  // namespace peergrid::rpc

#endif  // PEERGRID_RPC_TLS_H_
