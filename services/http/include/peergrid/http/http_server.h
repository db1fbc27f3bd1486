// The exchange's HTTP port (DESIGN.md §9), over cpp-httplib: TLS 1.3 with the zone's server
// certificate, client certificates optional at the handshake (browsers hold
// none) and verified against the zone's client CA when presented. Routes are
// exact paths; each says who may read it. `/metrics` is for a scraper with a
// client certificate the check accepts, or with the configured bearer token.
//
//   HttpOptions options;
//   options.listen = "0.0.0.0:9464";
//   options.tls = HttpTls{"server.pem", "server.key", "client-ca.pem"};
//   options.metrics_token = "…";  // from --metrics-token-file
//   PEERGRID_ASSIGN_OR_RETURN(auto server, HttpServer::Start(options));
//   server->Handle("/metrics", HttpAccess::kScraper, [&](const HttpRequest&) {...});
//
// Plaintext (options.tls empty) is for --insecure daemons on loopback only:
// Start refuses any other address. Thread-safe; handlers run on the server's
// worker threads and must be thread-safe themselves.
//
// (Not civetweb: Debian's civetweb 1.15 resolves SSL_get_peer_certificate,
// which OpenSSL 3 no longer exports, and crashes on the first TLS connection.)
#ifndef PEERGRID_HTTP_HTTP_SERVER_H_
#define PEERGRID_HTTP_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace peergrid::http {

struct HttpTls {
  std::string cert_file;       // PEM chain: the server certificate first
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM: CA(s) that sign client certificates
};

struct HttpOptions {
  // host:port; port 0 picks a free one (see HttpServer::port()).
  std::string listen = "127.0.0.1:9464";
  // Unset: plaintext, allowed only when `listen` is a loopback address.
  std::optional<HttpTls> tls;
  // Bearer token that grants kScraper routes; empty: none does.
  std::string metrics_token;
  // Decides whether a verified client certificate (PEM) may read kScraper
  // routes, e.g. by its SPIFFE role. Unset: any certificate the client CA
  // signed may.
  std::function<absl::Status(absl::string_view cert_pem)> scraper_certificate_check;
  // Requests with a larger body are refused with 413 before a handler runs.
  int64_t max_request_body_bytes = 64 * 1024;
};

struct HttpRequest {
  std::string method;       // "GET", …
  std::string path;         // without the query string
  std::string query;        // after '?', undecoded
  std::string client_cert;  // PEM of the verified client certificate, or empty
  bool tls = false;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;
};

enum class HttpAccess {
  kPublic,   // anyone who can reach the port
  kScraper,  // a bearer token (Authorization: Bearer …) or an accepted client certificate
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // Binds and starts serving. Errors name the option at fault: a missing or
  // unreadable certificate or key, a key that does not match the
  // certificate, plaintext on a non-loopback address, a port in use.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpOptions options);
  ~HttpServer();  // stops serving and waits for running handlers
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves GET (and HEAD) on `path` exactly. A later call for the same path replaces the handler.
  void Handle(const std::string& path, HttpAccess access, HttpHandler handler);

  int port() const { return port_; }
  bool tls() const { return options_.tls.has_value(); }

 private:
  explicit HttpServer(HttpOptions options);
  // Answers one request (any method, any path).
  void Serve(const httplib::Request& in, httplib::Response& out);
  // Why the request may not read a kScraper route, or OK.
  absl::Status CheckScraper(const HttpRequest& request, absl::string_view authorization) const;

  struct Route {
    HttpAccess access;
    HttpHandler handler;
  };

  const HttpOptions options_;
  int port_ = 0;
  std::string tls_error_;  // why TLS setup failed during Start, for its message
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  mutable absl::Mutex mu_;
  std::map<std::string, Route> routes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace peergrid::http

#endif  // PEERGRID_HTTP_HTTP_SERVER_H_
