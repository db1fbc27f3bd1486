// Who is calling: the peergrid identity of a client certificate, its URI SAN
// `spiffe://peergrid/<role>/<id>` (DESIGN.md §9).
//
// Errors: Unauthenticated when the certificate does not parse, has no
// peergrid SAN or several, or one with an unknown role or a bad id (empty,
// over 128 bytes, or other than [A-Za-z0-9._-]).
// Thread-safety: the functions are thread-safe.
#ifndef PEERGRID_RPC_PEER_IDENTITY_H_
#define PEERGRID_RPC_PEER_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/auth_context.h"

namespace peergrid::rpc {

enum class Role { kHousehold, kHub, kOperator, kRegulator, kAdmin };

// Returns "household", "hub", "operator", "regulator" or "admin".
absl::string_view RoleName(Role role);

struct PeerIdentity {
  Role role = Role::kAdmin;
  std::string id;

  // Returns "<role>/<id>", as in the SAN.
  std::string ToString() const;
};

// Returns the identity named by a SPIFFE id "spiffe://peergrid/<role>/<id>".
absl::StatusOr<PeerIdentity> ParseSpiffeId(absl::string_view uri);

// Returns the identity of a PEM certificate from its URI SANs: exactly one
// must start with "spiffe://peergrid/".
absl::StatusOr<PeerIdentity> IdentityFromCertificatePem(absl::string_view pem);

// Returns the identity of the peer of an authenticated gRPC call (its
// "x509_pem_cert" property), Unauthenticated when there is none.
absl::StatusOr<PeerIdentity> IdentityFromAuthContext(const grpc::AuthContext& context);

}  // namespace peergrid::rpc

#endif  // PEERGRID_RPC_PEER_IDENTITY_H_
