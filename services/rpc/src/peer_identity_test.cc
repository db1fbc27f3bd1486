#include "peergrid/rpc/peer_identity.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "peergrid/rpc/cert_issuer.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::rpc {
namespace {

using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

std::string CertWithUris(const CertIssuer& ca, std::vector<std::string> uris) {
  LeafSpec spec;
  spec.common_name = "test";
  spec.uri_sans = std::move(uris);
  absl::StatusOr<KeyAndCert> issued = ca.Issue(spec);
  EXPECT_TRUE(issued.ok()) << issued.status();
  return issued.ok() ? issued->cert_pem : "";
}

TEST(ParseSpiffeIdTest, AcceptsEveryRoleAndAnIdOfAllowedCharacters) {
  for (auto [role, name] : {std::pair{Role::kHousehold, "household"}, {Role::kHub, "hub"},
                            {Role::kOperator, "operator"}, {Role::kRegulator, "regulator"},
                            {Role::kAdmin, "admin"}}) {
    ASSERT_OK_AND_ASSIGN(PeerIdentity id,
                         ParseSpiffeId(std::string("spiffe://peergrid/") + name + "/a-Z_0.9"));
    EXPECT_EQ(id.role, role);
    EXPECT_EQ(id.id, "a-Z_0.9");
    EXPECT_EQ(id.ToString(), std::string(name) + "/a-Z_0.9");
  }
  EXPECT_OK(ParseSpiffeId("spiffe://peergrid/hub/" + std::string(128, 'x')));
}

TEST(ParseSpiffeIdTest, RefusesBadRolesAndIds) {
  EXPECT_THAT(ParseSpiffeId("spiffe://peergrid/root/x"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("role \"root\"")));
  EXPECT_THAT(ParseSpiffeId("spiffe://peergrid/household/"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("1 to 128 bytes")));
  EXPECT_THAT(ParseSpiffeId("spiffe://peergrid/household"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no /<id>")));
  EXPECT_THAT(ParseSpiffeId("spiffe://peergrid/hub/" + std::string(129, 'x')),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("1 to 128 bytes")));
  EXPECT_THAT(ParseSpiffeId("spiffe://peergrid/hub/a/b"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("[A-Za-z0-9._-]")));
  EXPECT_THAT(ParseSpiffeId("spiffe://peergrid/hub/a b"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("[A-Za-z0-9._-]")));
  EXPECT_THAT(ParseSpiffeId("spiffe://other/hub/a"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not spiffe://peergrid")));
}

TEST(IdentityFromCertificatePemTest, TakesTheOnePeergridUriSan) {
  ASSERT_OK_AND_ASSIGN(CertIssuer ca, CertIssuer::Create("test zone CA"));
  ASSERT_OK_AND_ASSIGN(
      PeerIdentity id,
      IdentityFromCertificatePem(CertWithUris(
          ca, {"https://example.org/x", "spiffe://other-domain/hub/x",
               "spiffe://peergrid/household/h1"})));
  EXPECT_EQ(id.role, Role::kHousehold);
  EXPECT_EQ(id.id, "h1");
}

TEST(IdentityFromCertificatePemTest, RefusesNoneOrSeveralPeergridSans) {
  ASSERT_OK_AND_ASSIGN(CertIssuer ca, CertIssuer::Create("test zone CA"));
  EXPECT_THAT(IdentityFromCertificatePem(CertWithUris(ca, {})),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no spiffe://peergrid")));
  EXPECT_THAT(IdentityFromCertificatePem(CertWithUris(ca, {"spiffe://example.org/hub/x"})),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no spiffe://peergrid")));
  EXPECT_THAT(IdentityFromCertificatePem(CertWithUris(
                  ca, {"spiffe://peergrid/household/h1", "spiffe://peergrid/admin/root"})),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("2 spiffe://peergrid/")));
  EXPECT_THAT(IdentityFromCertificatePem(CertWithUris(ca, {"spiffe://peergrid/root/x"})),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("role \"root\"")));
  EXPECT_THAT(IdentityFromCertificatePem("-----BEGIN CERTIFICATE-----\nAAAA\n"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("does not parse")));
}

}  // namespace
}  // namespace peergrid::rpc
