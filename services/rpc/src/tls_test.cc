#include "peergrid/rpc/tls.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/generic/async_generic_service.h"
#include "gtest/gtest.h"
#include "peergrid/rpc/cert_issuer.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::rpc {
namespace {

using ::peergrid::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(IsLoopbackAddressTest, KnowsLoopbackFromTheRest) {
  for (const char* yes : {"127.0.0.1:7400", "127.8.9.10:1", "localhost:7400", "[::1]:7400",
                          "localhost", "127.0.0.1", "dns:///localhost:7400", "ipv4:127.0.0.1:1"}) {
    EXPECT_TRUE(IsLoopbackAddress(yes)) << yes;
  }
  for (const char* no : {"0.0.0.0:7400", "[::]:7400", "10.0.0.1:7400", "example.org:7400",
                         "128.0.0.1:1", "localhost.example.org:1", "[::2]:1", ""}) {
    EXPECT_FALSE(IsLoopbackAddress(no)) << no;
  }
}

TEST(MakeServerCredentialsTest, InsecureOnlyOnLoopback) {
  ServerTlsFlags flags;
  flags.insecure = true;
  EXPECT_OK(MakeServerCredentials(flags, "127.0.0.1:0"));
  EXPECT_OK(MakeServerCredentials(flags, "[::1]:0"));
  EXPECT_THAT(MakeServerCredentials(flags, "0.0.0.0:7400"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("--insecure"), HasSubstr("\"0.0.0.0:7400\""))));
  ClientTlsFlags client;
  client.insecure = true;
  EXPECT_THAT(MakeChannelCredentials(client, "exchange.example.org:7400"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--server")));
}

TEST(MakeServerCredentialsTest, SaysWhatToPassWithoutFlags) {
  EXPECT_THAT(MakeServerCredentials(ServerTlsFlags{}, "127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("--tls-cert FILE --tls-key FILE and --client-ca FILE"),
                             HasSubstr("--insecure"))));
  EXPECT_THAT(MakeChannelCredentials(ClientTlsFlags{}, "127.0.0.1:1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("and --ca FILE")));
}

class TlsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::peergrid::testing::FreshTempDir("tls_files");
    ASSERT_OK_AND_ASSIGN(CertIssuer ca, CertIssuer::Create("zone CA"));
    ASSERT_OK_AND_ASSIGN(CertIssuer other, CertIssuer::Create("other CA"));
    LeafSpec server;
    server.common_name = "exchange";
    server.dns_sans = {"localhost"};
    server.ip_sans = {"127.0.0.1"};
    server.server = true;
    ASSERT_OK_AND_ASSIGN(KeyAndCert server_pair, ca.Issue(server));
    LeafSpec client;
    client.common_name = "admin";
    client.uri_sans = {"spiffe://peergrid/admin/ops"};
    ASSERT_OK_AND_ASSIGN(KeyAndCert client_pair, ca.Issue(client));
    ASSERT_OK_AND_ASSIGN(KeyAndCert stranger, other.Issue(client));
    client.not_before = absl::Now() - absl::Hours(48);
    client.not_after = absl::Now() - absl::Hours(24);
    ASSERT_OK_AND_ASSIGN(KeyAndCert expired, ca.Issue(client));
    Write("ca.pem", ca.ca().cert_pem);
    Write("server.pem", server_pair.cert_pem);
    Write("server.key", server_pair.key_pem);
    Write("client.pem", client_pair.cert_pem);
    Write("client.key", client_pair.key_pem);
    Write("stranger.pem", stranger.cert_pem);
    Write("stranger.key", stranger.key_pem);
    Write("expired.pem", expired.cert_pem);
    Write("expired.key", expired.key_pem);
    Write("garbage.pem", "not a certificate\n");
  }
  void Write(const std::string& name, const std::string& text) {
    ASSERT_OK(WriteTextFile(dir_ + "/" + name, text));
  }
  std::string P(const std::string& name) { return dir_ + "/" + name; }
  ServerTlsFlags Server() { return {P("server.pem"), P("server.key"), P("ca.pem"), false}; }

  // Returns whether a client with cert `name` completes a handshake with `server`.
  bool Connects(int port, const std::string& name) {
    ClientTlsFlags flags{P(name + ".pem"), P(name + ".key"), P("ca.pem"), false};
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
        MakeChannelCredentials(flags, "127.0.0.1");
    EXPECT_OK(creds);
    if (!creds.ok()) return false;
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), *creds);
    return channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(3));
  }

  std::string dir_;
};

TEST_F(TlsFilesTest, NamesTheFlagAndFileThatIsWrong) {
  ServerTlsFlags flags = Server();
  flags.key_file = P("missing.key");
  EXPECT_THAT(MakeServerCredentials(flags, "127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("--tls-key"), HasSubstr("missing.key"),
                             HasSubstr("cannot read"))));
  flags = Server();
  flags.client_ca_file = P("garbage.pem");
  EXPECT_THAT(MakeServerCredentials(flags, "127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("--client-ca"), HasSubstr("garbage.pem"),
                             HasSubstr("not PEM"))));
  flags = Server();
  flags.key_file = P("client.key");
  EXPECT_THAT(MakeServerCredentials(flags, "127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not the key of --tls-cert")));
  flags = Server();
  flags.cert_file.clear();
  EXPECT_THAT(MakeServerCredentials(flags, "127.0.0.1:0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls-cert is missing")));
}

TEST_F(TlsFilesTest, HandshakeNeedsAValidClientCertificateOfTheZoneCa) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<grpc::ServerCredentials> creds,
                       MakeServerCredentials(Server(), "127.0.0.1:0"));
  grpc::CallbackGenericService generic;  // unimplemented methods: only the handshake matters
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", creds, &port);
  builder.RegisterCallbackGenericService(&generic);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(Connects(port, "client"));
  EXPECT_FALSE(Connects(port, "stranger"));
  EXPECT_FALSE(Connects(port, "expired"));
  // No client certificate at all.
  grpc::SslCredentialsOptions anonymous;
  anonymous.pem_root_certs = *ReadPemFile("--ca", P("ca.pem"));
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(anonymous));
  EXPECT_FALSE(
      channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(3)));
  server->Shutdown();
}

}  // namespace
}  // namespace peergrid::rpc
