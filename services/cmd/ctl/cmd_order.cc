// Household commands: `peergridctl order place|cancel|list`, `trades`, `bill`.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client.h"
#include "command.h"
#include "peergrid/audit/state.h"
#include "peergrid/convert/signing_text.h"
#include "peergrid/ledger/note.h"
#include "peergrid/v1/market.grpc.pb.h"

namespace peergrid::ctl {
namespace {

std::string Time(int64_t unix_s) {
  return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(unix_s), absl::UTCTimeZone());
}

struct PlaceOptions {
  ServerOptions server;
  v1::SubmitOrderRequest request;
  std::string side;
  std::string key_file;
};

struct CancelOptions {
  ServerOptions server;
  v1::CancelOrderRequest request;
  std::string key_file;
};

// Signs `text` with the participant's Ed25519 private key (PKCS#8 PEM, as
// `openssl genpkey -algorithm ed25519` writes it); false after printing why.
bool SignWith(const std::string& key_file, const std::string& participant_id,
              const std::string& text, std::string* signature) {
  absl::StatusOr<std::string> pem = audit::ReadWholeFile(key_file);
  absl::StatusOr<ledger::Signer> signer = pem.ok()
                                              ? ledger::Signer::FromPkcs8Pem(participant_id, *pem)
                                              : absl::StatusOr<ledger::Signer>(pem.status());
  if (!signer.ok()) {
    std::cerr << "peergridctl: --key " << key_file << ": " << signer.status().message() << "\n";
    return false;
  }
  *signature = signer->Sign(text);
  return true;
}

int Place(PlaceOptions& o) {
  v1::Side side;
  if (!v1::Side_Parse(o.side, &side) || side == v1::SIDE_UNSPECIFIED) {
    std::cerr << "peergridctl: --side \"" << o.side << "\": expected BUY or SELL\n";
    return 2;
  }
  o.request.mutable_order()->set_side(side);
  if (!o.key_file.empty() &&
      !SignWith(o.key_file, o.request.order().participant_id(),
                convert::OrderSigningText(o.request.order()), o.request.mutable_signature())) {
    return 2;
  }
  auto stub = v1::MarketService::NewStub(Connect(o.server));
  v1::SubmitOrderResponse response;
  grpc::Status status = stub->SubmitOrder(Context(o.server).get(), o.request, &response);
  if (!status.ok()) return RpcFailed("order place", status);
  if (o.server.json) {
    PrintJson(response);
  } else {
    std::cout << "accepted order " << o.request.order().order_id() << " as ledger entry "
              << response.seq() << "\n";
  }
  return 0;
}

int Cancel(CancelOptions& o) {
  const ServerOptions& server = o.server;
  v1::CancelOrderRequest& request = o.request;
  if (!o.key_file.empty() &&
      !SignWith(o.key_file, request.participant_id(),
                convert::CancelSigningText(request.order_id(), request.participant_id()),
                request.mutable_signature())) {
    return 2;
  }
  auto stub = v1::MarketService::NewStub(Connect(server));
  v1::CancelOrderResponse response;
  grpc::Status status = stub->CancelOrder(Context(server).get(), request, &response);
  if (!status.ok()) return RpcFailed("order cancel", status);
  if (server.json) {
    PrintJson(response);
  } else {
    std::cout << "cancelled order " << request.order_id() << " (ledger entry "
              << response.ledger_index() << ")\n";
  }
  return 0;
}

int List(const ServerOptions& server, v1::ListOrdersRequest request) {
  auto stub = v1::MarketService::NewStub(Connect(server));
  Table table({"ORDER", "INTERVAL (UTC)", "SIDE", "QTY", "LIMIT", "FILLED", "STATUS", "SEQ"});
  for (;;) {
    v1::ListOrdersResponse response;
    grpc::Status status = stub->ListOrders(Context(server).get(), request, &response);
    if (!status.ok()) return RpcFailed("order list", status);
    for (const v1::OrderState& s : response.orders()) {
      if (server.json) {
        PrintJson(s);
        continue;
      }
      table.Add({s.order().order_id(), Time(s.order().interval_start()),
                 v1::Side_Name(s.order().side()), FormatWh(s.order().quantity_wh()),
                 FormatPrice(s.order().limit_price_mcu_per_kwh()), FormatWh(s.filled_wh()),
                 v1::OrderStatus_Name(s.status()), absl::StrCat(s.order().seq())});
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  if (!server.json) table.Print();
  return 0;
}

int Trades(const ServerOptions& server, const v1::WatchTradesRequest& request, bool follow) {
  auto stub = v1::MarketService::NewStub(Connect(server));
  grpc::ClientContext context;
  if (!follow) {
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(static_cast<int64_t>(server.timeout_s * 1000)));
  }
  auto reader = stub->WatchTrades(&context, request);
  v1::TradeEvent event;
  Table table({"INTERVAL (UTC)", "PRICE", "VOLUME", "BUYER", "SELLER", "QTY", "AMOUNT"});
  int64_t last_interval = 0;
  while (reader->Read(&event)) {
    if (server.json) {
      PrintJson(event);
      continue;
    }
    const std::string price = event.has_clearing_price_mcu_per_kwh()
                                  ? FormatPrice(event.clearing_price_mcu_per_kwh().value())
                                  : "-";
    if (event.fills().empty()) {
      table.Add({Time(event.interval_start()), price, FormatWh(event.volume_wh()), "", "", "", ""});
    }
    for (const v1::Fill& f : event.fills()) {
      table.Add({Time(event.interval_start()), price, FormatWh(event.volume_wh()), f.buyer_id(),
                 f.seller_id(), FormatWh(f.quantity_wh()), FormatUcu(f.amount_ucu())});
    }
    last_interval = event.interval_start();
    if (follow) {
      table.Print();
      table = Table({"INTERVAL (UTC)", "PRICE", "VOLUME", "BUYER", "SELLER", "QTY", "AMOUNT"});
    }
  }
  grpc::Status status = reader->Finish();
  if (!server.json && !follow) table.Print();
  // Without --follow the deadline ends the replay: that is the normal end.
  if (!status.ok() && !(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && !follow)) {
    return RpcFailed("trades", status);
  }
  (void)last_interval;
  return 0;
}

int Bill(const ServerOptions& server, const v1::GetBillRequest& request) {
  auto stub = v1::MarketService::NewStub(Connect(server));
  v1::GetBillResponse response;
  grpc::Status status = stub->GetBill(Context(server).get(), request, &response);
  if (!status.ok()) return RpcFailed("bill", status);
  if (server.json) {
    PrintJson(response);
    return 0;
  }
  Table table({"INTERVAL (UTC)", "BOUGHT", "SOLD", "IMPORT", "EXPORT", "BILL", "BASELINE",
               "SAVINGS", "NOTE"});
  for (const v1::IntervalBill& b : response.bills()) {
    table.Add({Time(b.interval_start()), FormatWh(b.bill().bought_wh()),
               FormatWh(b.bill().sold_wh()), FormatWh(b.bill().import_wh()),
               FormatWh(b.bill().export_wh()), FormatUcu(b.bill().bill_ucu()),
               FormatUcu(b.bill().baseline_ucu()), FormatUcu(b.bill().savings_ucu()),
               b.bill().estimated() ? "estimated" : (b.corrected() ? "corrected" : "")});
  }
  table.Print();
  std::cout << "total: pays " << FormatUcu(response.total_bill_ucu())
            << " (grid only: " << FormatUcu(response.total_baseline_ucu()) << ", saved "
            << FormatUcu(response.total_savings_ucu()) << "); bought "
            << FormatWh(response.total_bought_wh()) << ", sold "
            << FormatWh(response.total_sold_wh()) << " peer to peer\n";
  return 0;
}

void AddOrder(CLI::App& root) {
  CLI::App* order = root.add_subcommand("order", "Place, cancel or list a household's orders");
  order->require_subcommand(1);

  auto place = std::make_shared<PlaceOptions>();
  CLI::App* p = order->add_subcommand("place", "Place a BUY or SELL order for one interval");
  AddServerOptions(p, &place->server);
  v1::Order* o = place->request.mutable_order();
  p->add_option_function<std::string>(
       "--id", [o](const std::string& v) { o->set_order_id(v); }, "order id, unique in the zone")
      ->required();
  p->add_option_function<std::string>(
       "--participant", [o](const std::string& v) { o->set_participant_id(v); }, "participant id")
      ->required();
  p->add_option("--side", place->side, "BUY or SELL")->required();
  p->add_option_function<int64_t>(
       "--quantity-wh", [o](int64_t v) { o->set_quantity_wh(v); }, "energy, Wh")
      ->required();
  p->add_option_function<int64_t>(
       "--limit-price", [o](int64_t v) { o->set_limit_price_mcu_per_kwh(v); },
       "limit price, milli-currency-units per kWh (150.000/kWh = 150000)")
      ->required();
  p->add_option_function<int64_t>(
       "--interval", [o](int64_t v) { o->set_interval_start(v); }, "interval start, Unix seconds")
      ->required();
  p->add_option("--key", place->key_file,
                "sign the order with this Ed25519 private key (PKCS#8 PEM; docs/API.md)");
  p->callback([place] { SetExitCode(Place(*place)); });

  auto cancel_options = std::make_shared<CancelOptions>();
  v1::CancelOrderRequest* cancel = &cancel_options->request;
  CLI::App* c = order->add_subcommand("cancel", "Cancel an open order before gate closure");
  AddServerOptions(c, &cancel_options->server);
  c->add_option_function<std::string>(
       "--id", [cancel](const std::string& v) { cancel->set_order_id(v); }, "order id")
      ->required();
  c->add_option_function<std::string>(
       "--participant", [cancel](const std::string& v) { cancel->set_participant_id(v); },
       "participant id (must own the order)")
      ->required();
  c->add_option("--key", cancel_options->key_file,
                "sign the cancel with this Ed25519 private key (PKCS#8 PEM; docs/API.md)");
  c->callback([cancel_options] { SetExitCode(Cancel(*cancel_options)); });

  auto list_server = std::make_shared<ServerOptions>();
  auto list = std::make_shared<v1::ListOrdersRequest>();
  CLI::App* l = order->add_subcommand("list", "List a participant's orders, newest first");
  AddServerOptions(l, list_server.get());
  l->add_option_function<std::string>(
       "--participant", [list](const std::string& v) { list->set_participant_id(v); },
       "participant id")
      ->required();
  l->add_option_function<int64_t>(
      "--interval", [list](int64_t v) { list->set_interval_start(v); },
      "only this interval start (Unix seconds)");
  l->callback([list_server, list] { SetExitCode(List(*list_server, *list)); });
}

void AddTrades(CLI::App& root) {
  auto server = std::make_shared<ServerOptions>();
  auto request = std::make_shared<v1::WatchTradesRequest>();
  auto follow = std::make_shared<bool>(false);
  CLI::App* cmd = root.add_subcommand("trades", "Show cleared intervals and fills");
  AddServerOptions(cmd, server.get());
  cmd->add_option_function<std::string>(
      "--participant", [request](const std::string& v) { request->set_participant_id(v); },
      "only this participant's fills");
  request->set_from_interval_start(1);
  cmd->add_option_function<int64_t>(
      "--from", [request](int64_t v) { request->set_from_interval_start(v); },
      "first interval start, Unix seconds (default: all)");
  cmd->add_flag("--follow", *follow, "keep streaming new clearings");
  cmd->callback([server, request, follow] { SetExitCode(Trades(*server, *request, *follow)); });
}

void AddBill(CLI::App& root) {
  auto server = std::make_shared<ServerOptions>();
  auto request = std::make_shared<v1::GetBillRequest>();
  CLI::App* cmd = root.add_subcommand("bill", "Show a participant's bills and savings");
  AddServerOptions(cmd, server.get());
  cmd->add_option_function<std::string>(
         "--participant", [request](const std::string& v) { request->set_participant_id(v); },
         "participant id")
      ->required();
  cmd->add_option_function<int64_t>(
      "--from", [request](int64_t v) { request->set_from_interval_start(v); },
      "first interval start, Unix seconds");
  cmd->add_option_function<int64_t>(
      "--to", [request](int64_t v) { request->set_to_interval_start(v); },
      "last interval start, Unix seconds");
  cmd->callback([server, request] { SetExitCode(Bill(*server, *request)); });
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddOrder);
PEERGRID_CTL_COMMAND(peergrid::ctl::AddTrades);
PEERGRID_CTL_COMMAND(peergrid::ctl::AddBill);
