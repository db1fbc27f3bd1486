#include "client.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "peergrid/rpc/grpc_status.h"

namespace peergrid::ctl {

void AddTlsOptions(CLI::App* cmd, rpc::ClientTlsFlags* tls) {
  cmd->add_option("--tls-cert", tls->cert_file,
                  "PEM client certificate (its spiffe://peergrid/ SAN)")
      ->envname("PEERGRID_TLS_CERT");
  cmd->add_option("--tls-key", tls->key_file, "PEM private key of --tls-cert")
      ->envname("PEERGRID_TLS_KEY");
  cmd->add_option("--ca", tls->ca_file, "PEM CA the exchange's certificate chains to")
      ->envname("PEERGRID_CA");
  cmd->add_flag("--insecure", tls->insecure,
                "plaintext to an --insecure exchange on a loopback address")
      ->envname("PEERGRID_INSECURE");
}

void AddServerOptions(CLI::App* cmd, ServerOptions* options) {
  AddTlsOptions(cmd, &options->tls);
  cmd->add_option("--server", options->server, "exchange gRPC address HOST:PORT")
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "print JSON (one object per line) instead of a table");
  cmd->add_option("--timeout", options->timeout_s, "RPC deadline, seconds")->capture_default_str();
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ConnectTo(const std::string& server,
                                                         const rpc::ClientTlsFlags& tls,
                                                         const grpc::ChannelArguments& args) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      rpc::MakeChannelCredentials(tls, server);
  if (!credentials.ok()) return credentials.status();
  return grpc::CreateCustomChannel(server, *credentials, args);
}

std::shared_ptr<grpc::Channel> Connect(const ServerOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ConnectTo(options.server, options.tls);
  if (!channel.ok()) {
    std::cerr << "peergridctl: " << channel.status().message() << "\n";
    std::exit(2);
  }
  return *std::move(channel);
}

std::unique_ptr<grpc::ClientContext> Context(const ServerOptions& options) {
  return rpc::ContextWithDeadline(
      absl::Milliseconds(static_cast<int64_t>(options.timeout_s * 1000)));
}

void PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) {
    std::cerr << "peergridctl: cannot print " << message.GetTypeName() << " as JSON\n";
    return;
  }
  std::cout << out << "\n";
}

int RpcFailed(const std::string& what, const grpc::Status& status) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  const int code = static_cast<int>(status.error_code());
  std::cerr << "peergridctl: " << what << ": " << status.error_message() << " ("
            << (code >= 0 && code <= 16 ? kNames[code] : "?") << ")\n";
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return 2;
    case grpc::StatusCode::NOT_FOUND:
      return 3;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::PERMISSION_DENIED:
      return 4;
    case grpc::StatusCode::UNAVAILABLE:
      return 5;
    default:
      return 1;
  }
}

void Table::Print() const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

std::string FormatUcu(int64_t ucu) {
  const char* sign = ucu < 0 ? "-" : "";
  const uint64_t a = ucu < 0 ? -static_cast<uint64_t>(ucu) : static_cast<uint64_t>(ucu);
  return absl::StrFormat("%s%d.%06d", sign, a / 1000000, a % 1000000);
}

std::string FormatPrice(int64_t mcu_per_kwh) {
  const char* sign = mcu_per_kwh < 0 ? "-" : "";
  const uint64_t a =
      mcu_per_kwh < 0 ? -static_cast<uint64_t>(mcu_per_kwh) : static_cast<uint64_t>(mcu_per_kwh);
  return absl::StrFormat("%s%d.%03d/kWh", sign, a / 1000, a % 1000);
}

std::string FormatWh(int64_t wh) {
  const char* sign = wh < 0 ? "-" : "";
  const uint64_t a = wh < 0 ? -static_cast<uint64_t>(wh) : static_cast<uint64_t>(wh);
  return absl::StrFormat("%s%d.%03d kWh", sign, a / 1000, a % 1000);
}

}  // namespace peergrid::ctl
