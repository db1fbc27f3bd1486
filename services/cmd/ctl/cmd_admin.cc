// Exchange-operator commands: `peergridctl admin register-hub|register-participant|
// set-tariff|zone`.
#include <algorithm>
#include <iostream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client.h"
#include "command.h"
#include "peergrid/v1/admin.grpc.pb.h"

namespace peergrid::ctl {
namespace {

int Registered(const std::string& what, const ServerOptions& server, const grpc::Status& status,
               const v1::RegisterResponse& response) {
  if (!status.ok()) return RpcFailed(what, status);
  if (server.json) {
    PrintJson(response);
  } else {
    std::cout << what << ": recorded as ledger entry " << response.ledger_index() << "\n";
  }
  return 0;
}

// Sets `*key` from --public-key-hex (unchanged when the flag is empty); false
// after printing why when it is not 64 hex digits.
bool SetPublicKey(const std::string& hex, std::string* key) {
  if (hex.empty()) return true;
  if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), absl::ascii_isxdigit)) {
    std::cerr << "peergridctl: --public-key-hex: expected 64 hex digits (an Ed25519 public key), "
                 "got "
              << hex.size() << " characters\n";
    SetExitCode(2);
    return false;
  }
  *key = absl::HexStringToBytes(hex);
  return true;
}

void AddRegisterHub(CLI::App* admin) {
  auto server = std::make_shared<ServerOptions>();
  auto request = std::make_shared<v1::RegisterHubRequest>();
  v1::Hub* hub = request->mutable_hub();
  hub->set_reporting_period_s(5);
  CLI::App* cmd = admin->add_subcommand("register-hub", "Register a smart hub in the zone");
  AddServerOptions(cmd, server.get());
  cmd->add_option_function<std::string>(
         "--hub", [hub](const std::string& v) { hub->set_hub_id(v); }, "hub id")
      ->required();
  cmd->add_option_function<std::string>(
         "--zone", [hub](const std::string& v) { hub->set_zone_id(v); },
         "zone id (must be the exchange's)")
      ->required();
  cmd->add_option_function<std::string>(
      "--name", [hub](const std::string& v) { hub->set_display_name(v); }, "display name");
  cmd->add_option_function<double>(
      "--lat", [hub](double v) { hub->set_latitude_deg(v); }, "latitude, degrees north");
  cmd->add_option_function<double>(
      "--lon", [hub](double v) { hub->set_longitude_deg(v); }, "longitude, degrees east");
  cmd->add_option_function<int>(
      "--period", [hub](int v) { hub->set_reporting_period_s(v); },
      "reporting period, seconds (1-60; default 5)");
  auto key_hex = std::make_shared<std::string>();
  cmd->add_option("--public-key-hex", *key_hex,
                  "Ed25519 public key (64 hex digits) that signs the orders the hub places for "
                  "participants that delegate trading to it");
  cmd->callback([server, request, key_hex] {
    if (!SetPublicKey(*key_hex, request->mutable_hub()->mutable_public_key())) return;
    auto stub = v1::AdminService::NewStub(Connect(*server));
    v1::RegisterResponse response;
    grpc::Status status = stub->RegisterHub(Context(*server).get(), *request, &response);
    SetExitCode(Registered("register-hub", *server, status, response));
  });
}

void AddRegisterParticipant(CLI::App* admin) {
  auto server = std::make_shared<ServerOptions>();
  auto request = std::make_shared<v1::RegisterParticipantRequest>();
  auto kind = std::make_shared<std::string>("HOUSEHOLD");
  auto banks = std::make_shared<std::string>();
  auto key_hex = std::make_shared<std::string>();
  v1::Participant* p = request->mutable_participant();
  CLI::App* cmd =
      admin->add_subcommand("register-participant", "Register a household or shared storage");
  AddServerOptions(cmd, server.get());
  cmd->add_option_function<std::string>(
         "--participant", [p](const std::string& v) { p->set_participant_id(v); }, "participant id")
      ->required();
  cmd->add_option_function<std::string>(
         "--hub", [p](const std::string& v) { p->set_hub_id(v); },
         "the hub whose meters report for it")
      ->required();
  cmd->add_option_function<std::string>(
      "--name", [p](const std::string& v) { p->set_display_name(v); }, "display name");
  cmd->add_option("--kind", *kind, "HOUSEHOLD or SHARED_STORAGE")->capture_default_str();
  cmd->add_option_function<int64_t>(
      "--pv-w", [p](int64_t v) { p->set_pv_nameplate_w(v); }, "PV nameplate power, W");
  cmd->add_option("--banks", *banks, "comma-separated bank ids whose discharge it may sell");
  cmd->add_option("--public-key-hex", *key_hex, "Ed25519 public key (64 hex digits)");
  cmd->add_flag_function(
      "--delegates-trading", [p](int64_t n) { p->set_delegates_trading(n > 0); },
      "its hub (hub/<hub> certificate) may place and cancel its orders");
  cmd->callback([server, request, kind, banks, key_hex] {
    v1::Participant* participant = request->mutable_participant();
    v1::ParticipantKind k;
    if (!v1::ParticipantKind_Parse(*kind, &k) || k == v1::PARTICIPANT_KIND_UNSPECIFIED) {
      std::cerr << "peergridctl: --kind \"" << *kind
                << "\": expected HOUSEHOLD or SHARED_STORAGE\n";
      SetExitCode(2);
      return;
    }
    participant->set_kind(k);
    for (absl::string_view bank : absl::StrSplit(*banks, ',', absl::SkipEmpty())) {
      participant->add_storage_bank_ids(std::string(bank));
    }
    if (!SetPublicKey(*key_hex, participant->mutable_public_key())) return;
    auto stub = v1::AdminService::NewStub(Connect(*server));
    v1::RegisterResponse response;
    grpc::Status status = stub->RegisterParticipant(Context(*server).get(), *request, &response);
    SetExitCode(Registered("register-participant", *server, status, response));
  });
}

void AddSetTariff(CLI::App* admin) {
  auto server = std::make_shared<ServerOptions>();
  auto request = std::make_shared<v1::SetTariffRequest>();
  v1::Tariff* t = request->mutable_tariff();
  CLI::App* cmd = admin->add_subcommand("set-tariff", "Set the zone's grid prices from now on");
  AddServerOptions(cmd, server.get());
  cmd->add_option_function<int64_t>(
         "--feed-in", [t](int64_t v) { t->set_feed_in_price_mcu_per_kwh(v); },
         "what the grid pays for export, mcu/kWh")
      ->required();
  cmd->add_option_function<int64_t>(
         "--retail", [t](int64_t v) { t->set_retail_price_mcu_per_kwh(v); },
         "what the grid charges for import, mcu/kWh")
      ->required();
  cmd->callback([server, request] {
    auto stub = v1::AdminService::NewStub(Connect(*server));
    v1::RegisterResponse response;
    grpc::Status status = stub->SetTariff(Context(*server).get(), *request, &response);
    SetExitCode(Registered("set-tariff", *server, status, response));
  });
}

void AddZone(CLI::App* admin) {
  auto server = std::make_shared<ServerOptions>();
  CLI::App* cmd = admin->add_subcommand("zone", "Show the zone's configuration and counts");
  AddServerOptions(cmd, server.get());
  cmd->callback([server] {
    auto stub = v1::AdminService::NewStub(Connect(*server));
    v1::Zone zone;
    grpc::Status status = stub->GetZone(Context(*server).get(), v1::GetZoneRequest(), &zone);
    if (!status.ok()) {
      SetExitCode(RpcFailed("zone", status));
      return;
    }
    if (server->json) {
      PrintJson(zone);
      return;
    }
    Table table({"FIELD", "VALUE"});
    table.Add({"zone", zone.zone_id()});
    table.Add({"log origin", zone.log_origin()});
    table.Add({"feed-in price", FormatPrice(zone.tariff().feed_in_price_mcu_per_kwh())});
    table.Add({"retail price", FormatPrice(zone.tariff().retail_price_mcu_per_kwh())});
    table.Add({"interval", std::to_string(zone.interval_s()) + " s"});
    table.Add({"gate lead", std::to_string(zone.gate_lead_s()) + " s"});
    table.Add({"hubs", std::to_string(zone.hub_count())});
    table.Add({"participants", std::to_string(zone.participant_count())});
    table.Add({"ledger size", std::to_string(zone.ledger_size())});
    table.Add({"verifier key", zone.verifier_key()});
    table.Add({"scheduler", zone.scheduler_problem().empty() ? std::string("keeping up")
                                                             : zone.scheduler_problem()});
    if (zone.skipped_ledger_indices_size() > 0) {
      std::string skipped;
      for (uint64_t index : zone.skipped_ledger_indices()) {
        absl::StrAppend(&skipped, skipped.empty() ? "" : ",", index);
      }
      table.Add({"skipped entries", skipped});
    }
    table.Print();
  });
}

void AddAdmin(CLI::App& root) {
  CLI::App* admin = root.add_subcommand("admin",
                                        "Exchange operator: register hubs and "
                                        "participants, set the tariff");
  admin->require_subcommand(1);
  AddRegisterHub(admin);
  AddRegisterParticipant(admin);
  AddSetTariff(admin);
  AddZone(admin);
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddAdmin);
