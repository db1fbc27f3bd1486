#include "peergrid/http/http_server.h"

#include <array>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "openssl/ssl.h"
#include "peergrid/rpc/cert_issuer.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::http {
namespace {

using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

struct Reply {
  int status = 0;  // 0 when the connection or the handshake failed
  std::string body;
  std::string error;  // why, when status == 0
};

// One GET over a fresh connection: TLS when `ca_file` is set (verifying the
// server against it), with a client certificate when `client` names a pair
// (<client>.pem and <client>.key).
Reply Get(int port, const std::string& path, const std::string& ca_file = "",
          const std::string& client = "", const std::string& authorization = "") {
  std::unique_ptr<httplib::ClientImpl> http;
  if (ca_file.empty()) {
    http = std::make_unique<httplib::ClientImpl>("127.0.0.1", port);
  } else {
    auto tls = client.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", port)
                              : std::make_unique<httplib::SSLClient>(
                                    "127.0.0.1", port, client + ".pem", client + ".key");
    tls->set_ca_cert_path(ca_file.c_str());
    tls->enable_server_certificate_verification(true);
    http = std::move(tls);
  }
  http->set_connection_timeout(5, 0);
  http->set_read_timeout(5, 0);
  httplib::Headers headers;
  if (!authorization.empty()) headers.emplace("Authorization", authorization);
  Reply reply;
  httplib::Result result = http->Get(path.c_str(), headers);
  if (!result) {
    reply.error = httplib::to_string(result.error());
    return reply;
  }
  reply.status = result->status;
  reply.body = result->body;
  return reply;
}

class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("http_test_", ::testing::UnitTest::GetInstance()->random_seed(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto ca = rpc::CertIssuer::Create("zone CA");
    ASSERT_TRUE(ca.ok()) << ca.status();
    auto other = rpc::CertIssuer::Create("another CA");
    ASSERT_TRUE(other.ok()) << other.status();
    Write("ca.pem", ca->ca().cert_pem);
    Write("other-ca.pem", other->ca().cert_pem);

    rpc::LeafSpec server_spec;
    server_spec.common_name = "exchange";
    server_spec.ip_sans = {"127.0.0.1"};
    server_spec.server = true;
    auto server = ca->Issue(server_spec);
    ASSERT_TRUE(server.ok()) << server.status();
    ASSERT_TRUE(rpc::WriteKeyAndCert(Path("server"), *server).ok());

    Client(*ca, "admin", "spiffe://peergrid/admin/prometheus");
    Client(*ca, "household", "spiffe://peergrid/household/h1");
    Client(*other, "stranger", "spiffe://peergrid/admin/prometheus");
    rpc::LeafSpec expired;
    expired.common_name = "expired";
    expired.uri_sans = {"spiffe://peergrid/admin/old"};
    expired.not_before = absl::Now() - absl::Hours(48);
    expired.not_after = absl::Now() - absl::Hours(24);
    auto old = ca->Issue(expired);
    ASSERT_TRUE(old.ok()) << old.status();
    ASSERT_TRUE(rpc::WriteKeyAndCert(Path("expired"), *old).ok());
  }

  void Client(const rpc::CertIssuer& ca, const std::string& name, const std::string& san) {
    rpc::LeafSpec spec;
    spec.common_name = san;
    spec.uri_sans = {san};
    auto leaf = ca.Issue(spec);
    ASSERT_TRUE(leaf.ok()) << leaf.status();
    ASSERT_TRUE(rpc::WriteKeyAndCert(Path(name), *leaf).ok());
  }

  void Write(const std::string& name, const std::string& contents) {
    ASSERT_TRUE(rpc::WriteTextFile(Path(name), contents).ok());
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  HttpOptions TlsOptions() const {
    HttpOptions options;
    options.listen = "127.0.0.1:0";
    options.tls = HttpTls{Path("server.pem"), Path("server.key"), Path("ca.pem")};
    options.metrics_token = "s3cret-token-of-the-scraper";
    return options;
  }

  static void AddRoutes(HttpServer& server) {
    server.Handle("/metrics", HttpAccess::kScraper, [](const HttpRequest&) {
      HttpResponse response;
      response.body = "peergrid_up 1\n";
      return response;
    });
    server.Handle("/", HttpAccess::kPublic, [](const HttpRequest& request) {
      HttpResponse response;
      response.body = request.client_cert.empty() ? "hello, browser" : "hello, certificate";
      return response;
    });
  }

  std::filesystem::path dir_;
};

TEST_F(HttpsTest, BrowserWithoutCertificateGetsPublicPagesOverTls) {
  auto server = HttpServer::Start(TlsOptions());
  ASSERT_TRUE(server.ok()) << server.status();
  AddRoutes(**server);
  Reply reply = Get((*server)->port(), "/", Path("ca.pem"));
  EXPECT_EQ(reply.status, 200) << reply.error;
  EXPECT_EQ(reply.body, "hello, browser");
}

TEST_F(HttpsTest, MetricsNeedATokenOrAClientCertificate) {
  auto server = HttpServer::Start(TlsOptions());
  ASSERT_TRUE(server.ok()) << server.status();
  AddRoutes(**server);
  const int port = (*server)->port();

  Reply anonymous = Get(port, "/metrics", Path("ca.pem"));
  EXPECT_EQ(anonymous.status, 401) << anonymous.error;
  EXPECT_THAT(anonymous.body, ::testing::Not(HasSubstr("peergrid_up")));

  Reply wrong = Get(port, "/metrics", Path("ca.pem"), "", "Bearer s3cret-token-of-the-scrapex");
  EXPECT_EQ(wrong.status, 401) << wrong.error;
  Reply basic = Get(port, "/metrics", Path("ca.pem"), "", "Basic YWRtaW46YWRtaW4=");
  EXPECT_EQ(basic.status, 401) << basic.error;

  Reply token = Get(port, "/metrics", Path("ca.pem"), "", "Bearer s3cret-token-of-the-scraper");
  EXPECT_EQ(token.status, 200) << token.error;
  EXPECT_EQ(token.body, "peergrid_up 1\n");

  Reply certificate = Get(port, "/metrics", Path("ca.pem"), Path("admin"));
  EXPECT_EQ(certificate.status, 200) << certificate.error;
  EXPECT_EQ(certificate.body, "peergrid_up 1\n");
}

TEST_F(HttpsTest, ScraperCertificateCheckDecidesWhichIdentitiesMayScrape) {
  HttpOptions options = TlsOptions();
  options.scraper_certificate_check = [](absl::string_view pem) -> absl::Status {
    if (pem.find("-----BEGIN CERTIFICATE-----") == absl::string_view::npos) {
      return absl::InternalError("no PEM handed to the check");
    }
    return absl::PermissionDeniedError("household certificates may not scrape");
  };
  auto server = HttpServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  AddRoutes(**server);
  Reply reply = Get((*server)->port(), "/metrics", Path("ca.pem"), Path("household"));
  EXPECT_EQ(reply.status, 403) << reply.error;
  EXPECT_THAT(reply.body, HasSubstr("household certificates may not scrape"));
}

TEST_F(HttpsTest, CertificatesFromAnotherCaOrExpiredAreRefusedAtTheHandshake) {
  auto server = HttpServer::Start(TlsOptions());
  ASSERT_TRUE(server.ok()) << server.status();
  AddRoutes(**server);
  const int port = (*server)->port();
  EXPECT_EQ(Get(port, "/metrics", Path("ca.pem"), Path("stranger")).status, 0);
  EXPECT_EQ(Get(port, "/metrics", Path("ca.pem"), Path("expired")).status, 0);
  // The server's own certificate does not chain to another CA: a client that trusts only it
  // refuses.
  EXPECT_EQ(Get(port, "/", Path("other-ca.pem")).status, 0);
}

TEST_F(HttpsTest, TlsBelow13IsRefused) {
  auto server = HttpServer::Start(TlsOptions());
  ASSERT_TRUE(server.ok()) << server.status();
  AddRoutes(**server);
  httplib::SSLClient old("127.0.0.1", (*server)->port());
  old.set_ca_cert_path(Path("ca.pem").c_str());
  old.enable_server_certificate_verification(true);
  ASSERT_EQ(SSL_CTX_set_max_proto_version(old.ssl_context(), TLS1_2_VERSION), 1);
  EXPECT_FALSE(old.Get("/"));
  // The same client allowed TLS 1.3 gets in.
  ASSERT_EQ(SSL_CTX_set_max_proto_version(old.ssl_context(), TLS1_3_VERSION), 1);
  auto result = old.Get("/");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST_F(HttpsTest, PlaintextIsNotServedOnATlsPort) {
  auto server = HttpServer::Start(TlsOptions());
  ASSERT_TRUE(server.ok()) << server.status();
  AddRoutes(**server);
  EXPECT_NE(Get((*server)->port(), "/").status, 200);
}

TEST_F(HttpsTest, UnknownPathsAndOtherMethodsAreRefused) {
  auto server = HttpServer::Start(TlsOptions());
  ASSERT_TRUE(server.ok()) << server.status();
  AddRoutes(**server);
  EXPECT_EQ(Get((*server)->port(), "/etc/passwd", Path("ca.pem")).status, 404);
  EXPECT_EQ(Get((*server)->port(), "/metrics/../", Path("ca.pem")).status, 404);
  httplib::SSLClient client("127.0.0.1", (*server)->port());
  client.set_ca_cert_path(Path("ca.pem").c_str());
  client.enable_server_certificate_verification(true);
  auto post = client.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
}

TEST_F(HttpsTest, StartNamesTheBadFile) {
  HttpOptions options = TlsOptions();
  options.tls->key_file = Path("missing.key");
  EXPECT_THAT(HttpServer::Start(options).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("--tls-key")));
  options = TlsOptions();
  options.tls->key_file = Path("server.pem");  // a certificate, not a key
  EXPECT_THAT(HttpServer::Start(options).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("--tls-key")));
  options = TlsOptions();
  options.tls->client_ca_file = Path("nope.pem");
  EXPECT_THAT(HttpServer::Start(options).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("--client-ca")));
}

TEST(HttpPlaintextTest, ServedOnLoopbackOnlyAndEveryCallerMayScrape) {
  HttpOptions options;
  options.listen = "0.0.0.0:0";
  EXPECT_THAT(HttpServer::Start(options).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("loopback")));
  options.listen = "127.0.0.1:0";
  auto server = HttpServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Handle("/metrics", HttpAccess::kScraper, [](const HttpRequest&) {
    HttpResponse response;
    response.body = "peergrid_up 1\n";
    return response;
  });
  Reply reply = Get((*server)->port(), "/metrics");
  EXPECT_EQ(reply.status, 200) << reply.error;
}

}  // namespace
}  // namespace peergrid::http
