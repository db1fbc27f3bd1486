#include "peergrid/rpc/peer_identity.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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
        "URI SAN role ", Quote(role),
        " is not one of household, hub, operator, regulator, admin"));
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
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
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
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate has ", peergrid_uris.size(),
                     " spiffe://peergrid/ URI SANs (", Quote(peergrid_uris[0]), ", ",
                     Quote(peergrid_uris[1]), "); exactly one is allowed"));
  }
  return ParseSpiffeId(peergrid_uris[0]);
}

absl::StatusOr<PeerIdentity> IdentityFromAuthContext(const grpc::AuthContext& context) {
  const std::vector<grpc::string_ref> certs = context.FindPropertyValues("x509_pem_cert");
  if (certs.empty()) {
    return absl::UnauthenticatedError("no client certificate (mutual TLS required)");
  }
  const absl::string_view pem(certs.front().data(), certs.front().size());
  // Parsing is the expensive part: a connection's calls come with the same
  // certificate, so remember the last one parsed on this thread.
  thread_local std::string last_pem;
  thread_local absl::StatusOr<PeerIdentity> last_identity =
      absl::UnauthenticatedError("no certificate parsed yet");
  if (pem != last_pem) {
    last_identity = IdentityFromCertificatePem(pem);
    last_pem = std::string(pem);
  }
  return last_identity;
}

}  // namespace peergrid::rpc
