#include "peergrid/http/http_server.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "httplib.h"
#include "peergrid/rpc/tls.h"

namespace peergrid::http {
namespace {

// The first OpenSSL error on this thread, for messages; clears the queue.
std::string OpenSslError() {
  std::array<char, 256> text{};
  unsigned long code = ERR_get_error();  // NOLINT(runtime/int): OpenSSL's type
  ERR_clear_error();
  if (code == 0) return "unknown error";
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

// Splits "host:port" / "[v6]:port"; the host keeps its brackets.
bool SplitHostPort(absl::string_view listen, std::string* host, std::string* port) {
  size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos || colon + 1 == listen.size()) return false;
  *host = std::string(listen.substr(0, colon));
  *port = std::string(listen.substr(colon + 1));
  for (char c : *port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Configures the server's SSL_CTX: TLS 1.3 only, our chain and key,
// client certificates requested and verified against the client CA but not
// required (a browser presents none). On failure says why in *error.
bool ConfigureTls(SSL_CTX* ctx, const HttpTls& tls, std::string* error) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
    *error = "cannot require TLS 1.3: " + OpenSslError();
    return false;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    *error = absl::StrCat("cannot load --tls-cert ", tls.cert_file, " (PEM): ", OpenSslError());
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = absl::StrCat("cannot load --tls-key ", tls.key_file, " (PEM): ", OpenSslError());
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    *error = absl::StrCat("--tls-key ", tls.key_file, " does not match --tls-cert ", tls.cert_file);
    return false;
  }
  if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
    *error =
        absl::StrCat("cannot load --client-ca ", tls.client_ca_file, " (PEM): ", OpenSslError());
    return false;
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
  if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_verify_depth(ctx, 4);
  return true;
}

// The PEM of the peer's certificate when the handshake verified one.
std::string VerifiedPeerPem(const SSL* ssl) {
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return "";
  std::string pem;
  if (BIO* bio = BIO_new(BIO_s_mem()); bio != nullptr) {
    if (PEM_write_bio_X509(bio, cert) == 1) {
      char* data = nullptr;
      long size = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int): OpenSSL's type
      if (size > 0) pem.assign(data, static_cast<size_t>(size));
    }
    BIO_free(bio);
  }
  X509_free(cert);
  return pem;
}

HttpResponse Error(int status, absl::string_view text) {
  HttpResponse response;
  response.status = status;
  response.body = absl::StrCat(text, "\n");
  return response;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpOptions options) {
  std::string host;
  std::string port;
  if (!SplitHostPort(options.listen, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http must be host:port, got \"", options.listen.substr(0, 128), "\""));
  }
  if (!options.tls.has_value() && !rpc::IsLoopbackAddress(host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http ", options.listen.substr(0, 128),
        " is not a loopback address: plaintext HTTP (--insecure) is served on loopback only; "
        "pass --tls-cert, --tls-key and --client-ca"));
  }
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(options)));
  HttpServer* self = server.get();
  const HttpOptions& opts = self->options_;
  if (opts.tls) {
    self->server_ = std::make_unique<httplib::SSLServer>([self](SSL_CTX& ctx) {
      return ConfigureTls(&ctx, *self->options_.tls, &self->tls_error_);
    });
    if (!self->server_->is_valid()) {
      return absl::UnavailableError(absl::StrCat(
          "cannot serve HTTPS on --http ", opts.listen.substr(0, 128), ": ", self->tls_error_));
    }
  } else {
    self->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& http = *self->server_;
  // A slow or idle client holds a worker thread: bound how long.
  http.set_read_timeout(10, 0);
  http.set_write_timeout(10, 0);
  http.set_keep_alive_timeout(5);
  http.set_keep_alive_max_count(100);
  http.set_payload_max_length(static_cast<size_t>(opts.max_request_body_bytes));
  auto serve = [self](const httplib::Request& in, httplib::Response& out) { self->Serve(in, out); };
  // Every method and path comes to Serve, which answers 404/405 itself.
  http.Get(".*", serve);
  http.Post(".*", serve);
  http.Put(".*", serve);
  http.Delete(".*", serve);
  http.Patch(".*", serve);
  http.Options(".*", serve);

  const std::string bind_host(absl::StripSuffix(absl::StripPrefix(host, "["), "]"));
  int port_number = 0;
  if (!absl::SimpleAtoi(port, &port_number) || port_number < 0 || port_number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http port must be 0-65535, got \"", port.substr(0, 16), "\""));
  }
  if (port_number == 0) {
    self->port_ = http.bind_to_any_port(bind_host);
  } else if (http.bind_to_port(bind_host, port_number)) {
    self->port_ = port_number;
  }
  if (self->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on --http ", opts.listen.substr(0, 128), " (address in use or not local?)"));
  }
  self->listener_ = std::thread([self] { self->server_->listen_after_bind(); });
  return server;
}

HttpServer::HttpServer(HttpOptions options) : options_(std::move(options)) {}

HttpServer::~HttpServer() {
  if (server_ != nullptr) server_->stop();
  if (listener_.joinable()) listener_.join();
}

void HttpServer::Handle(const std::string& path, HttpAccess access, HttpHandler handler) {
  absl::MutexLock lock(&mu_);
  routes_[path] = Route{access, std::move(handler)};
}

void HttpServer::Serve(const httplib::Request& in, httplib::Response& out) {
  HttpRequest request;
  request.method = in.method;
  request.path = in.path;
  request.tls = options_.tls.has_value();
  if (request.tls) request.client_cert = VerifiedPeerPem(in.ssl);
  if (const size_t q = in.target.find('?'); q != std::string::npos) {
    request.query = in.target.substr(q + 1);
  }

  HttpResponse response;
  if (request.method != "GET" && request.method != "HEAD") {
    response = Error(405, "only GET and HEAD are served here");
    response.headers["Allow"] = "GET, HEAD";
  } else {
    std::optional<Route> route;
    {
      absl::MutexLock lock(&mu_);
      auto it = routes_.find(request.path);
      if (it != routes_.end()) route = it->second;
    }
    if (!route) {
      response = Error(404, "not found");
    } else {
      absl::Status allowed = absl::OkStatus();
      if (route->access == HttpAccess::kScraper) {
        allowed = CheckScraper(request, in.get_header_value("Authorization"));
      }
      if (absl::IsUnauthenticated(allowed)) {
        response = Error(401, allowed.message());
        response.headers["WWW-Authenticate"] = "Bearer realm=\"peergrid\"";
      } else if (!allowed.ok()) {
        response = Error(403, allowed.message());
      } else {
        response = route->handler(request);
      }
    }
  }
  out.status = response.status;
  out.set_header("Cache-Control", "no-store");
  out.set_header("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : response.headers) out.set_header(name, value);
  out.set_content(response.body, response.content_type);
}

absl::Status HttpServer::CheckScraper(const HttpRequest& request,
                                      absl::string_view authorization) const {
  if (!authorization.empty()) {
    absl::string_view token = authorization;
    if (!absl::ConsumePrefix(&token, "Bearer ") || options_.metrics_token.empty()) {
      return absl::UnauthenticatedError("this path takes a bearer token or a client certificate");
    }
    // Constant time in the token's content: the comparison leaks only length.
    if (token.size() != options_.metrics_token.size() ||
        CRYPTO_memcmp(token.data(), options_.metrics_token.data(), token.size()) != 0) {
      return absl::UnauthenticatedError("bearer token not accepted");
    }
    return absl::OkStatus();
  }
  if (!request.client_cert.empty()) {
    if (!options_.scraper_certificate_check) return absl::OkStatus();
    return options_.scraper_certificate_check(request.client_cert);
  }
  if (!request.tls) return absl::OkStatus();  // --insecure on loopback: every caller is admin
  return absl::UnauthenticatedError("this path takes a bearer token or a client certificate");
}

}  // namespace peergrid::http
