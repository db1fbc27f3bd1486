// Shared plumbing of peergridctl's online commands: connecting to a server,
// printing messages as tables or JSON, and reporting RPC failures.
#ifndef PEERGRID_SERVICES_CTL_CLIENT_H_
#define PEERGRID_SERVICES_CTL_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "peergrid/rpc/tls.h"

namespace peergrid::ctl {

// Options every online command shares.
struct ServerOptions {
  std::string server = "127.0.0.1:7400";
  bool json = false;
  double timeout_s = 10;
  rpc::ClientTlsFlags tls;
};

// Adds --tls-cert, --tls-key, --ca (also from $PEERGRID_TLS_CERT,
// $PEERGRID_TLS_KEY, $PEERGRID_CA) and --insecure ($PEERGRID_INSECURE=1).
void AddTlsOptions(CLI::App* cmd, rpc::ClientTlsFlags* tls);

// Adds --server, --json, --timeout and the TLS options to `cmd`.
void AddServerOptions(CLI::App* cmd, ServerOptions* options);

// Returns a channel to `server` over mutual TLS (or plaintext with
// --insecure, loopback only); InvalidArgument naming the flag and file when
// the TLS files are wrong or missing.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectTo(
    const std::string& server, const rpc::ClientTlsFlags& tls,
    const grpc::ChannelArguments& args = grpc::ChannelArguments());

// Returns a channel to options.server; prints the error and exits 2 when the
// TLS flags are wrong (ConnectTo).
std::shared_ptr<grpc::Channel> Connect(const ServerOptions& options);

// Returns a client context with the command's deadline.
std::unique_ptr<grpc::ClientContext> Context(const ServerOptions& options);

// Prints `message` as one JSON object (proto field names) followed by a newline.
void PrintJson(const google::protobuf::Message& message);

// Prints "peergridctl: <what>: <message> (<CODE>)" and returns the exit code:
// 2 for INVALID_ARGUMENT, 3 for NOT_FOUND, 4 for FAILED_PRECONDITION or
// PERMISSION_DENIED, 5 for UNAVAILABLE, 1 otherwise.
int RpcFailed(const std::string& what, const grpc::Status& status);

// A plain-text table with aligned columns.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// Formats µcu as currency units with 6 decimals ("-1.250000"), mcu/kWh as
// currency/kWh with 3 decimals, Wh as "1.234 kWh".
std::string FormatUcu(int64_t ucu);
std::string FormatPrice(int64_t mcu_per_kwh);
std::string FormatWh(int64_t wh);

}  // namespace peergrid::ctl

#endif  // PEERGRID_SERVICES_CTL_CLIENT_H_
