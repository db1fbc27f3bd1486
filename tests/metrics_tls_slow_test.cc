// The exchange's HTTP port end to end (DESIGN §9, issue 12): a real
// peergrid-exchange with its gRPC certificate on the HTTP port, /metrics
// refused without credentials, refused to a household's certificate, served
// to the bearer token and to an admin's certificate; and a real Prometheus,
// configured from deploy/prometheus/prometheus.yml, scraping it over TLS 1.3
// with the token.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "peergrid/rpc/cert_issuer.h"
#include "peergrid/runtime/subprocess.h"
#include "peergrid/testing/paths.h"

namespace peergrid {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A TCP port free on loopback right now (for Prometheus, which takes no port 0 report).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

class MetricsTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("metrics_tls");
    auto ca = rpc::CertIssuer::Create("zone CA");
    ASSERT_TRUE(ca.ok()) << ca.status();
    Write("ca.pem", ca->ca().cert_pem);
    Issue(*ca, "exchange", "", true);
    Issue(*ca, "admin", "spiffe://peergrid/admin/ops", false);
    Issue(*ca, "household", "spiffe://peergrid/household/h1", false);
    Write("token", std::string(kToken) + "\n");

    auto exchange = runtime::Subprocess::Start(
        {::peergrid::testing::BinaryDir() + "/bin/peergrid-exchange",
         "--data-dir=" + dir_ + "/data", "--listen=127.0.0.1:0", "--http=127.0.0.1:0",
         "--port-file=" + dir_ + "/port", "--tls-cert=" + Path("exchange.pem"),
         "--tls-key=" + Path("exchange.key"), "--client-ca=" + Path("ca.pem"),
         "--metrics-token-file=" + Path("token")},
        dir_ + "/exchange.log");
    ASSERT_TRUE(exchange.ok()) << exchange.status();
    exchange_ = *std::move(exchange);
    ASSERT_TRUE(runtime::WaitForFileLine(dir_ + "/port", absl::Seconds(60)).ok())
        << ReadFile(dir_ + "/exchange.log");
    std::smatch match;
    const std::string log = ReadFile(dir_ + "/exchange.log");
    ASSERT_TRUE(std::regex_search(log, match, std::regex(R"re("http":"127\.0\.0\.1:(\d+)")re")))
        << log;
    http_port_ = std::stoi(match[1]);
    EXPECT_THAT(log, HasSubstr("\"http_tls\":\"yes\""));
  }

  void TearDown() override {
    if (exchange_) exchange_->Stop(absl::Seconds(20));
  }

  void Issue(const rpc::CertIssuer& ca, const std::string& name, const std::string& san,
             bool server) {
    rpc::LeafSpec spec;
    spec.common_name = name;
    if (server) {
      spec.ip_sans = {"127.0.0.1"};
      spec.server = true;
    } else {
      spec.uri_sans = {san};
    }
    auto leaf = ca.Issue(spec);
    ASSERT_TRUE(leaf.ok()) << leaf.status();
    ASSERT_TRUE(rpc::WriteKeyAndCert(Path(name), *leaf).ok());
  }
  void Write(const std::string& name, const std::string& contents) {
    ASSERT_TRUE(rpc::WriteTextFile(Path(name), contents).ok());
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // GET /metrics over TLS verified against the zone CA; status 0 when the
  // connection failed.
  std::pair<int, std::string> Scrape(const std::string& client = "",
                                     const std::string& authorization = "") {
    auto http = client.empty()
                    ? std::make_unique<httplib::SSLClient>("127.0.0.1", http_port_)
                    : std::make_unique<httplib::SSLClient>(
                          "127.0.0.1", http_port_, Path(client + ".pem"), Path(client + ".key"));
    http->set_ca_cert_path(Path("ca.pem").c_str());
    http->enable_server_certificate_verification(true);
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    auto result = http->Get("/metrics", headers);
    if (!result) return {0, httplib::to_string(result.error())};
    return {result->status, result->body};
  }

  static constexpr const char* kToken = "9f2c1e7a5b3d4f60a1b2c3d4e5f60718";
  std::string dir_;
  std::unique_ptr<runtime::Subprocess> exchange_;
  int http_port_ = 0;
};

TEST_F(MetricsTlsTest, MetricsNeedTheTokenOrAnAdminCertificate) {
  auto [anonymous, anonymous_body] = Scrape();
  EXPECT_EQ(anonymous, 401) << anonymous_body;
  EXPECT_THAT(anonymous_body, Not(HasSubstr("peergrid_ledger_size")));

  auto [wrong, wrong_body] = Scrape("", "Bearer 9f2c1e7a5b3d4f60a1b2c3d4e5f60719");
  EXPECT_EQ(wrong, 401) << wrong_body;

  auto [household, household_body] = Scrape("household");
  EXPECT_EQ(household, 403) << household_body;
  EXPECT_THAT(household_body, HasSubstr("household/h1"));

  auto [token, token_body] = Scrape("", absl::StrCat("Bearer ", kToken));
  EXPECT_EQ(token, 200) << token_body;
  EXPECT_THAT(token_body, HasSubstr("peergrid_ledger_size"));

  auto [admin, admin_body] = Scrape("admin");
  EXPECT_EQ(admin, 200) << admin_body;
  EXPECT_THAT(admin_body, HasSubstr("peergrid_ledger_size"));

  // Plaintext on the TLS port gets nothing.
  httplib::Client plain("127.0.0.1", http_port_);
  plain.set_read_timeout(5, 0);
  auto result = plain.Get("/metrics");
  EXPECT_TRUE(!result || result->status != 200);
}

TEST_F(MetricsTlsTest, PrometheusScrapesWithTheShippedConfig) {
  if (access("/usr/bin/prometheus", X_OK) != 0) GTEST_SKIP() << "prometheus not installed";
  // The shipped config, pointed at this run's files and exchange.
  std::string config =
      ReadFile(std::string(PEERGRID_SOURCE_DIR) + "/deploy/prometheus/prometheus.yml");
  ASSERT_THAT(config, HasSubstr("credentials_file: /etc/prometheus/peergrid-metrics.token"));
  config = absl::StrReplaceAll(
      config, {{"/etc/peergrid/tls/ca.pem", Path("ca.pem")},
               {"/etc/prometheus/peergrid-metrics.token", Path("token")},
               {"/usr/share/peergrid/prometheus/",
                std::string(PEERGRID_SOURCE_DIR) + "/deploy/prometheus/"},
               {"server_name: exchange.peergrid.internal", "server_name: 127.0.0.1"},
               {"exchange.peergrid.internal:9400", absl::StrCat("127.0.0.1:", http_port_)},
               {"scrape_interval: 15s", "scrape_interval: 1s"}});
  Write("prometheus.yml", config);
  const int port = FreePort();
  auto prometheus =
      runtime::Subprocess::Start({"/usr/bin/prometheus", "--config.file=" + Path("prometheus.yml"),
                                  "--storage.tsdb.path=" + Path("tsdb"),
                                  absl::StrCat("--web.listen-address=127.0.0.1:", port)},
                                 dir_ + "/prometheus.log");
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();

  // Prometheus's own view of the target: up, after a scrape or two.
  httplib::Client api("127.0.0.1", port);
  std::string targets;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    auto result = api.Get("/api/v1/targets");
    if (result && result->status == 200) {
      targets = result->body;
      if (targets.find("\"health\":\"up\"") != std::string::npos) break;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_THAT(targets, HasSubstr("\"health\":\"up\"")) << ReadFile(dir_ + "/prometheus.log");
  auto query = api.Get("/api/v1/query?query=peergrid_ledger_size");
  ASSERT_TRUE(query);
  EXPECT_THAT(query->body, HasSubstr("peergrid-exchange"));
  (*prometheus)->Stop(absl::Seconds(10));
}

}  // namespace
}  // namespace peergrid
