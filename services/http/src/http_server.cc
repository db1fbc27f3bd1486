#include "peergrid/http/http_server.h"

#include <arpa/inet.h>
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
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "civetweb.h"

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

// Configures civetweb's SSL_CTX ourselves: TLS 1.3 only, our chain and key,
// client certificates requested and verified against the client CA but not
// required (a browser presents none). On failure says why in *error.
int ConfigureTls(SSL_CTX* ctx, const HttpTls& tls, std::string* error) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
    *error = "cannot require TLS 1.3: " + OpenSslError();
    return -1;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    *error =
        absl::StrCat("cannot load --tls-cert ", tls.cert_file, " (PEM): ", OpenSslError());
    return -1;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = absl::StrCat("cannot load --tls-key ", tls.key_file, " (PEM): ", OpenSslError());
    return -1;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    *error = absl::StrCat("--tls-key ", tls.key_file, " does not match --tls-cert ",
                                tls.cert_file);
    return -1;
  }
  if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
    *error = absl::StrCat("cannot load --client-ca ", tls.client_ca_file,
                                " (PEM): ", OpenSslError());
    return -1;
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
  if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_verify_depth(ctx, 4);
  return 1;  // the context is complete: civetweb loads no certificate itself
}

std::string CertificatePem(void* x509) {
  if (x509 == nullptr) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  std::string pem;
  if (PEM_write_bio_X509(bio, static_cast<X509*>(x509)) == 1) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int): OpenSSL's type
    if (size > 0) pem.assign(data, static_cast<size_t>(size));
  }
  BIO_free(bio);
  return pem;
}

void Send(mg_connection* conn, const HttpResponse& response, bool head) {
  std::string header = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                    mg_get_response_code_text(conn, response.status),
                                    "\r\nContent-Type: ", response.content_type,
                                    "\r\nContent-Length: ", response.body.size(),
                                    "\r\nCache-Control: no-store"
                                    "\r\nX-Content-Type-Options: nosniff");
  for (const auto& [name, value] : response.headers) absl::StrAppend(&header, "\r\n", name, ": ", value);
  absl::StrAppend(&header, "\r\n\r\n");
  mg_write(conn, header.data(), header.size());
  if (!head && !response.body.empty()) mg_write(conn, response.body.data(), response.body.size());
}

HttpResponse Error(int status, absl::string_view text) {
  HttpResponse response;
  response.status = status;
  response.body = absl::StrCat(text, "\n");
  return response;
}

}  // namespace

bool IsLoopbackHost(absl::string_view host) {
  if (host == "localhost") return true;
  std::string bare(absl::StripSuffix(absl::StripPrefix(host, "["), "]"));
  in_addr v4{};
  if (inet_pton(AF_INET, bare.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, bare.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) != 0;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpOptions options) {
  std::string host;
  std::string port;
  if (!SplitHostPort(options.listen, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http must be host:port, got \"", options.listen.substr(0, 128), "\""));
  }
  if (!options.tls.has_value() && !IsLoopbackHost(host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http ", options.listen.substr(0, 128),
        " is not a loopback address: plaintext HTTP (--insecure) is served on loopback only; "
        "pass --tls-cert, --tls-key and --client-ca"));
  }
  if (options.worker_threads < 1) {
    return absl::InvalidArgumentError("http worker_threads must be at least 1");
  }
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(options)));
  const HttpOptions& opts = server->options_;

  // civetweb wants "host:port" with an 's' suffix for TLS; "0.0.0.0" and "[::]" as given.
  const std::string ports = absl::StrCat(host, ":", port, opts.tls ? "s" : "");
  const std::string threads = std::to_string(opts.worker_threads);
  std::vector<const char*> config = {"listening_ports",    ports.c_str(),
                                     "num_threads",        threads.c_str(),
                                     "request_timeout_ms", "10000",
                                     "enable_keep_alive",  "yes",
                                     nullptr};

  // The context's user data is the server: init_ssl and every request get it.
  mg_callbacks callbacks{};
  callbacks.begin_request = &HttpServer::Dispatch;
  if (opts.tls) {
    callbacks.init_ssl = [](void* ssl_ctx, void* user_data) -> int {
      auto* self = static_cast<HttpServer*>(user_data);
      return ConfigureTls(static_cast<SSL_CTX*>(ssl_ctx), *self->options_.tls, &self->tls_error_);
    };
  }
  std::array<char, 256> error_text{};
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text.data(), error_text.size()};
  mg_init_data init{&callbacks, server.get(), config.data()};
  mg_init_library(opts.tls ? MG_FEATURES_TLS : 0);
  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    std::string why = server->tls_error_.empty() ? std::string(error_text.data()) : server->tls_error_;
    return absl::UnavailableError(absl::StrCat("cannot serve HTTP on --http ",
                                               opts.listen.substr(0, 128), ": ", why));
  }
  mg_server_port bound{};
  if (mg_get_server_ports(server->context_, 1, &bound) < 1) {
    return absl::UnavailableError("HTTP server started without a listening port");
  }
  server->port_ = bound.port;
  return server;
}

HttpServer::~HttpServer() {
  if (context_ != nullptr) mg_stop(context_);
}

void HttpServer::Handle(const std::string& path, HttpAccess access, HttpHandler handler) {
  absl::MutexLock lock(&mu_);
  routes_[path] = Route{access, std::move(handler)};
}

int HttpServer::Dispatch(mg_connection* conn) {
  auto* self = static_cast<HttpServer*>(mg_get_user_context_data(conn));
  self->Serve(conn);
  return 1;  // handled: civetweb serves nothing of its own (no files, no directory listing)
}

int HttpServer::Serve(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  HttpRequest request;
  request.method = info->request_method ? info->request_method : "";
  request.path = info->local_uri ? info->local_uri : "";
  request.query = info->query_string ? info->query_string : "";
  request.tls = info->is_ssl != 0;
  if (info->client_cert != nullptr) request.client_cert = CertificatePem(info->client_cert->peer_cert);
  const bool head = request.method == "HEAD";

  HttpResponse response;
  if (info->content_length > options_.max_request_body_bytes) {
    response = Error(413, "request body too large");
  } else if (request.method != "GET" && !head) {
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
        const char* authorization = mg_get_header(conn, "Authorization");
        allowed = CheckScraper(request, authorization ? authorization : "");
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
  Send(conn, response, head);
  return response.status;
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
