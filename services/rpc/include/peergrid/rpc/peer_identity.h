// Who is calling: the peergrid identity of a client certificate, its URI SAN
// `spiffe://peergrid/<role>/<id>` (DESIGN.md §9).
//
// Errors: Unauthenticated when the certificate does not parse, has no
// peergrid SAN or several, or one with an unknown role or a bad id (empty,
// over 128 bytes, or other than [A-Za-z0-9._-]).
// Thread-safety: the functions and PeerIdentityCache are thread-safe.
#ifndef PEERGRID_RPC_PEER_IDENTITY_H_
#define PEERGRID_RPC_PEER_IDENTITY_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
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

// IdentityFromCertificatePem, remembered: every call of a connection (and
// every connection of one client) presents the same certificate, so it is
// parsed once, not once per RPC. Keyed by the certificate's exact PEM bytes
// (compared in full, never by a hash alone), so it never answers for a
// certificate it did not parse; the answer is a function of those bytes
// alone (the TLS handshake, not this, checks the chain and validity).
// Bounded: holds at most 2 × max_entries certificates (two generations: when
// the current one is full it becomes the previous one and the older is
// dropped; a hit in the previous generation moves back to the current).
class PeerIdentityCache {
 public:
  explicit PeerIdentityCache(size_t max_entries = 1024);

  // Returns IdentityFromCertificatePem(pem), parsing only on a miss.
  absl::StatusOr<PeerIdentity> Get(absl::string_view pem) ABSL_LOCKS_EXCLUDED(mu_);

  // Returns how many certificates are held, and how many were parsed (misses).
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t parses() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Generation = absl::flat_hash_map<std::string, absl::StatusOr<PeerIdentity>>;

  const size_t max_entries_;
  mutable absl::Mutex mu_;
  Generation current_ ABSL_GUARDED_BY(mu_);
  Generation previous_ ABSL_GUARDED_BY(mu_);
  uint64_t parses_ ABSL_GUARDED_BY(mu_) = 0;
};

// Returns the identity of the peer of an authenticated gRPC call (its
// "x509_pem_cert" property), Unauthenticated when there is none. The
// certificate is looked up in `cache`, or in one cache the process shares
// when null.
absl::StatusOr<PeerIdentity> IdentityFromAuthContext(const grpc::AuthContext& context,
                                                     PeerIdentityCache* cache = nullptr);

}  // namespace peergrid::rpc

#endif  // PEERGRID_RPC_PEER_IDENTITY_H_
