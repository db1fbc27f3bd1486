#include "peergrid/rpc/peer_identity.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace peergrid::rpc {
namespace {

constexpr absl::string_view kPrefix = "spiffe://peergrid/";
constexpr size_t kMaxIdBytes = 128;

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", text.substr(0, 128), text.size() > 128 ? "...\"" : "\"");
}

bool IdChar(char c) { return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-'; }

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kHousehold:
      return "household";
    case Role::kHub:
      return "hub";
    case Role::kOperator:
      return "operator";
    case Role::kRegulator:
      return "regulator";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

std::string PeerIdentity::ToString() const { return absl::StrCat(RoleName(role), "/", id); }

absl::StatusOr<PeerIdentity> ParseSpiffeId(absl::string_view uri) {
  if (!absl::StartsWith(uri, kPrefix)) {
    return absl::UnauthenticatedError(
        absl::StrCat("URI SAN ", Quote(uri), " is not spiffe://peergrid/<role>/<id>"));
  }
  absl::string_view rest = uri.substr(kPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) {
    return absl::UnauthenticatedError(
        absl::StrCat("URI SAN ", Quote(uri), " has no /<id> after the role"));
  }
  const absl::string_view role = rest.substr(0, slash);
  const absl::string_view id = rest.substr(slash + 1);
  PeerIdentity out;
  bool known = false;
  for (Role r : {Role::kHousehold, Role::kHub, Role::kOperator, Role::kRegulator, Role::kAdmin}) {
    if (role == RoleName(r)) {
      out.role = r;
      known = true;
    }
  }
  if (!known) {
    return absl::UnauthenticatedError(absl::StrCat(
        "URI SAN role ", Quote(role), " is not one of household, hub, operator, regulator, admin"));
  }
  if (id.empty() || id.size() > kMaxIdBytes) {
    return absl::UnauthenticatedError(
        absl::StrCat("URI SAN id ", Quote(id), " must be 1 to 128 bytes"));
  }
  for (char c : id) {
    if (!IdChar(c)) {
      return absl::UnauthenticatedError(
          absl::StrCat("URI SAN id ", Quote(id), " may hold only [A-Za-z0-9._-]"));
    }
  }
  out.id = std::string(id);
  return out;
}

absl::StatusOr<PeerIdentity> IdentityFromCertificatePem(absl::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) {
    return absl::UnauthenticatedError("client certificate does not parse as PEM X.509");
  }
  std::vector<std::string> peergrid_uris;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    absl::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                           static_cast<size_t>(ASN1_STRING_length(uri)));
    if (absl::StartsWith(text, kPrefix)) peergrid_uris.emplace_back(text);
  }
  GENERAL_NAMES_free(names);
  X509_free(cert);
  if (peergrid_uris.empty()) {
    return absl::UnauthenticatedError(
        "client certificate has no spiffe://peergrid/<role>/<id> URI SAN");
  }
  if (peergrid_uris.size() > 1) {
    return absl::UnauthenticatedError(absl::StrCat(
        "client certificate has ", peergrid_uris.size(), " spiffe://peergrid/ URI SANs (",
        Quote(peergrid_uris[0]), ", ", Quote(peergrid_uris[1]), "); exactly one is allowed"));
  }
  return ParseSpiffeId(peergrid_uris[0]);
}

PeerIdentityCache::PeerIdentityCache(size_t max_entries)
    : max_entries_(max_entries < 1 ? 1 : max_entries) {}

absl::StatusOr<PeerIdentity> PeerIdentityCache::Get(absl::string_view pem) {
  {
    absl::MutexLock lock(&mu_);
    if (auto it = current_.find(pem); it != current_.end()) return it->second;
    if (auto it = previous_.find(pem); it != previous_.end()) {
      // Recently used: back into the current generation.
      absl::StatusOr<PeerIdentity> found = it->second;
      previous_.erase(it);
      if (current_.size() >= max_entries_) previous_ = std::exchange(current_, {});
      current_.emplace(std::string(pem), found);
      return found;
    }
  }
  // Parsed without the lock: callers with other certificates are not held up
  // (two callers with one new certificate may both parse it; same answer).
  absl::StatusOr<PeerIdentity> parsed = IdentityFromCertificatePem(pem);
  absl::MutexLock lock(&mu_);
  ++parses_;
  if (current_.size() >= max_entries_) previous_ = std::exchange(current_, {});
  current_.insert_or_assign(std::string(pem), parsed);
  return parsed;
}

size_t PeerIdentityCache::size() const {
  absl::MutexLock lock(&mu_);
  return current_.size() + previous_.size();
}

uint64_t PeerIdentityCache::parses() const {
  absl::MutexLock lock(&mu_);
  return parses_;
}

absl::StatusOr<PeerIdentity> IdentityFromAuthContext(const grpc::AuthContext& context,
                                                     PeerIdentityCache* cache) {
  const std::vector<grpc::string_ref> certs = context.FindPropertyValues("x509_pem_cert");
  if (certs.empty()) {
    return absl::UnauthenticatedError("no client certificate (mutual TLS required)");
  }
  static PeerIdentityCache* const shared = new PeerIdentityCache();
  return (cache != nullptr ? cache : shared)
      ->Get(absl::string_view(certs.front().data(), certs.front().size()));
}

}  // namespace peergrid::rpc
