#include "peergrid/rpc/peer_identity.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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
  for (auto [role, name] : {std::pair{Role::kHousehold, "household"},
                            {Role::kHub, "hub"},
                            {Role::kOperator, "operator"},
                            {Role::kRegulator, "regulator"},
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
  ASSERT_OK_AND_ASSIGN(PeerIdentity id,
                       IdentityFromCertificatePem(
                           CertWithUris(ca, {"https://example.org/x", "spiffe://other-domain/hub/x",
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

// Certificates of household/h0 … household/h<n-1>.
std::vector<std::string> HouseholdCerts(const CertIssuer& ca, int n) {
  std::vector<std::string> pems;
  for (int i = 0; i < n; ++i) {
    pems.push_back(CertWithUris(ca, {absl::StrCat("spiffe://peergrid/household/h", i)}));
  }
  return pems;
}

TEST(PeerIdentityCacheTest, ParsesEachCertificateOnce) {
  ASSERT_OK_AND_ASSIGN(CertIssuer ca, CertIssuer::Create("test zone CA"));
  const std::vector<std::string> pems = HouseholdCerts(ca, 2);
  const std::string no_san = CertWithUris(ca, {});
  PeerIdentityCache cache(8);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 2; ++i) {
      ASSERT_OK_AND_ASSIGN(PeerIdentity id, cache.Get(pems[i]));
      EXPECT_EQ(id.ToString(), absl::StrCat("household/h", i));
    }
    // A refusal is remembered too, and stays a refusal.
    EXPECT_THAT(cache.Get(no_san),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no spiffe")));
  }
  EXPECT_EQ(cache.parses(), 3u);
  EXPECT_EQ(cache.size(), 3u);
}

TEST(PeerIdentityCacheTest, AnswersOnlyForTheExactBytesItParsed) {
  ASSERT_OK_AND_ASSIGN(CertIssuer ca, CertIssuer::Create("test zone CA"));
  const std::string pem = HouseholdCerts(ca, 1)[0];
  PeerIdentityCache cache(8);
  ASSERT_OK(cache.Get(pem));
  // One byte of the body changed: not the cached certificate.
  std::string forged = pem;
  const size_t body = forged.find('\n') + 40;
  forged[body] = forged[body] == 'A' ? 'B' : 'A';
  absl::StatusOr<PeerIdentity> other = cache.Get(forged);
  EXPECT_EQ(cache.parses(), 2u);
  EXPECT_EQ(other.status(), IdentityFromCertificatePem(forged).status());
  if (other.ok()) {
    EXPECT_EQ(other->ToString(), IdentityFromCertificatePem(forged)->ToString());
  }
  // A prefix of it is another string too.
  EXPECT_THAT(cache.Get(pem.substr(0, pem.size() / 2)),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("does not parse")));
  ASSERT_OK_AND_ASSIGN(PeerIdentity id, cache.Get(pem));
  EXPECT_EQ(id.ToString(), "household/h0");
}

TEST(PeerIdentityCacheTest, HoldsAtMostTwoGenerationsAndReparsesWhatItDropped) {
  ASSERT_OK_AND_ASSIGN(CertIssuer ca, CertIssuer::Create("test zone CA"));
  const std::vector<std::string> pems = HouseholdCerts(ca, 20);
  PeerIdentityCache cache(4);
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(PeerIdentity id, cache.Get(pems[i]));
    EXPECT_EQ(id.ToString(), absl::StrCat("household/h", i));
    EXPECT_LE(cache.size(), 8u);
  }
  EXPECT_EQ(cache.parses(), 20u);
  // h0 was dropped long ago: parsed again, and right.
  ASSERT_OK_AND_ASSIGN(PeerIdentity first, cache.Get(pems[0]));
  EXPECT_EQ(first.ToString(), "household/h0");
  EXPECT_EQ(cache.parses(), 21u);
  // The most recent ones are still held.
  ASSERT_OK(cache.Get(pems[19]));
  EXPECT_EQ(cache.parses(), 21u);
}

TEST(PeerIdentityCacheTest, ManyThreadsAlwaysGetTheirOwnCertificatesIdentity) {
  ASSERT_OK_AND_ASSIGN(CertIssuer ca, CertIssuer::Create("test zone CA"));
  const std::vector<std::string> pems = HouseholdCerts(ca, 6);
  PeerIdentityCache cache(2);  // smaller than the working set: entries churn
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 300; ++n) {
        const int i = (t + n) % 6;
        absl::StatusOr<PeerIdentity> id = cache.Get(pems[i]);
        if (!id.ok() || id->ToString() != absl::StrCat("household/h", i)) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 4u);
}

}  // namespace
}  // namespace peergrid::rpc
