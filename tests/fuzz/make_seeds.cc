// Writes the fuzz targets' seed corpora from real messages:
//   fuzz_make_seeds OUT_DIR   (deploy/check-fuzz.sh --seeds writes tests/fuzz/corpus)
// Each OUT_DIR/<target>/<name> is one input as that target reads it: the
// requests a client sends, reports a hub sends, a receipt the fuzz zone
// serves, an export the audit fixture writes, the sample hub config.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_zone.h"
#include "google/protobuf/util/json_util.h"
#include "peergrid/audit/testing/fixture.h"
#include "peergrid/convert/market_convert.h"
#include "peergrid/ledger/export_format.h"
#include "peergrid/matching/auction.h"
#include "peergrid/v1/admin.pb.h"
#include "peergrid/v1/audit.pb.h"
#include "peergrid/v1/operator.pb.h"

namespace peergrid::fuzz {
namespace {

std::string out_dir;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(out_dir + "/" + target);
  std::ofstream out(out_dir + "/" + target + "/" + name, std::ios::binary | std::ios::trunc);
  out << bytes;
  FuzzCheck(static_cast<bool>(out), "write a seed");
}

// A selector byte and a request, as the *_rpc targets read them.
void WriteCall(const std::string& target, const std::string& name, int method,
               const google::protobuf::Message& request) {
  Write(target, name, std::string(1, static_cast<char>(method)) + request.SerializeAsString());
}

void MarketSeeds() {
  const std::string t = "market_rpc";
  WriteCall(t, "submit_signed_sell", 0, FuzzOrder("seed-s1", "alice", v1::SELL, 500, 80'000));
  WriteCall(t, "submit_buy", 0, FuzzOrder("seed-b1", "bob", v1::BUY, 700, 150'000));
  WriteCall(t, "submit_storage_sell", 0, FuzzOrder("seed-st1", "storage", v1::SELL, 5'000, 70'000));
  v1::CancelOrderRequest cancel;
  cancel.set_order_id("fixture-buy");
  cancel.set_participant_id("bob");
  cancel.set_signature(BobSigner().Sign(convert::CancelSigningText("fixture-buy", "bob")));
  WriteCall(t, "cancel", 1, cancel);
  v1::GetOrderRequest get;
  get.set_order_id("fixture-sell");
  WriteCall(t, "get_order", 2, get);
  v1::ListOrdersRequest list;
  list.set_participant_id("alice");
  list.set_interval_start(kFuzzInterval);
  list.set_page_size(10);
  WriteCall(t, "list_orders", 3, list);
  v1::GetIntervalResultRequest result;
  result.set_interval_start(kFuzzInterval);
  WriteCall(t, "interval_result", 4, result);
  v1::GetBillRequest bill;
  bill.set_participant_id("alice");
  bill.set_from_interval_start(kFuzzNow);
  bill.set_to_interval_start(kFuzzInterval);
  WriteCall(t, "bill", 5, bill);
  v1::WatchTradesRequest watch;
  watch.set_participant_id("bob");
  watch.set_from_interval_start(kFuzzNow);
  WriteCall(t, "watch_trades", 6, watch);
  v1::RegisterHubRequest hub;
  hub.mutable_hub()->set_hub_id("hub-2");
  hub.mutable_hub()->set_zone_id(kFuzzZoneId);
  hub.mutable_hub()->set_latitude_deg(33.4);
  hub.mutable_hub()->set_longitude_deg(126.4);
  hub.mutable_hub()->set_reporting_period_s(10);
  WriteCall(t, "register_hub", 7, hub);
  v1::RegisterParticipantRequest p;
  p.mutable_participant()->set_participant_id("carol");
  p.mutable_participant()->set_hub_id("hub-1");
  p.mutable_participant()->set_kind(v1::HOUSEHOLD);
  p.mutable_participant()->set_pv_nameplate_w(4000);
  p.mutable_participant()->set_public_key(
      ledger::Signer::FromSeed("carol", std::string(32, 'c')).value().verifier().public_key());
  WriteCall(t, "register_participant", 8, p);
  v1::SetTariffRequest tariff;
  tariff.mutable_tariff()->set_feed_in_price_mcu_per_kwh(40'000);
  tariff.mutable_tariff()->set_retail_price_mcu_per_kwh(210'000);
  WriteCall(t, "set_tariff", 9, tariff);
}

void AuditSeeds() {
  const std::string t = "audit_rpc";
  v1::GetCheckpointRequest checkpoint;
  WriteCall(t, "checkpoint", 0, checkpoint);
  v1::GetEntriesRequest entries;
  entries.set_start(0);
  entries.set_end(5);
  WriteCall(t, "entries", 1, entries);
  v1::GetInclusionProofRequest by_index;
  by_index.set_index(2);
  WriteCall(t, "inclusion_index", 2, by_index);
  v1::GetInclusionProofRequest by_order;
  by_order.set_order_id("fixture-sell");
  by_order.set_tree_size(6);
  WriteCall(t, "inclusion_order", 2, by_order);
  v1::GetConsistencyProofRequest consistency;
  consistency.set_from_size(2);
  consistency.set_to_size(6);
  WriteCall(t, "consistency", 3, consistency);
  v1::GetReceiptRequest receipt;
  receipt.set_order_id("fixture-buy");
  WriteCall(t, "receipt", 4, receipt);
  WriteCall(t, "verifier_key", 5, v1::GetVerifierKeyRequest());
  WriteCall(t, "list_hubs", 6, v1::ListHubsRequest());
  v1::GetHubRequest hub;
  hub.set_hub_id("hub-1");
  WriteCall(t, "get_hub", 7, hub);
  v1::ListBatteriesRequest batteries;
  batteries.set_hub_id("hub-1");
  WriteCall(t, "batteries", 8, batteries);
  v1::GetBatteryHistoryRequest history;
  history.set_hub_id("hub-1");
  history.set_bank_id("bank-1");
  history.set_from_unix_ms(0);
  history.set_to_unix_ms(kFuzzNow * 1000);
  WriteCall(t, "battery_history", 9, history);
}

void HubReportSeeds() {
  Write("hub_report", "next", FuzzReport(2).SerializeAsString());
  v1::HubReport with_read = FuzzReport(3);
  v1::IntervalRead* read = with_read.mutable_meters(0)->add_interval_reads();
  read->set_interval_start(kFuzzNow - 900);
  read->set_import_wh(120);
  read->set_export_wh(340);
  read->set_quality(v1::OK);
  Write("hub_report", "interval_read", with_read.SerializeAsString());
  v1::HubReport unknown_hub = FuzzReport(1);
  unknown_hub.set_hub_id("hub-9");
  Write("hub_report", "other_hub", unknown_hub.SerializeAsString());
}

void NoteSeeds() {
  const ledger::Signer key =
      ledger::Signer::FromSeed("peergrid/fuzz", std::string(32, 'N')).value();
  ledger::Checkpoint checkpoint{"peergrid/fuzz", 6, ledger::LeafHash("entry")};
  const std::string text = ledger::CheckpointText(checkpoint);
  Write("note", "signed_checkpoint", ledger::SignNote(text, key).value());
  Write("note", "checkpoint_extension", text + "extension line\n");
  Write("note", "verifier_key", key.verifier().ToString());
  Write("note", "public_key_pem", key.verifier().PublicKeyPem());
  Write("note", "public_key_raw", key.verifier().public_key());
}

void ExportSeeds() {
  audit::testing::SimOptions options;
  options.hubs = 1;
  options.households_per_hub = 3;
  options.intervals = 2;
  options.sign_orders = true;
  std::string entries;
  for (const audit::testing::SimEntry& e : audit::testing::SimulatedMarket(options).Generate()) {
    if (!e.rotation) ledger::AppendEntryRecord(e.bytes, &entries);
  }
  Write("export_reader", "market", entries);
  const ledger::Signer old_key =
      ledger::Signer::FromSeed("peergrid/fuzz", std::string(32, 'L')).value();
  const ledger::Signer new_key =
      ledger::Signer::FromSeed("peergrid/fuzz", std::string(32, 'M')).value();
  std::string rotation;
  ledger::AppendEntryRecord(
      ledger::MakeKeyRotationEntry(old_key, new_key.verifier(), kFuzzNow * 1000), &rotation);
  Write("export_reader", "rotation", rotation);
}

void ReceiptSeeds() {
  for (const char* order_id : {"fixture-sell", "fixture-buy"}) {
    v1::GetReceiptRequest request;
    request.set_order_id(order_id);
    v1::Receipt receipt;
    grpc::ServerContext context;
    FuzzCheck(Zone().audit().GetReceipt(&context, &request, &receipt).ok(), "GetReceipt");
    // Selector bit 0: JSON; bit 1: key pinned.
    Write("receipt", std::string(order_id) + "_pinned", "\x02" + receipt.SerializeAsString());
    Write("receipt", std::string(order_id) + "_unpinned",
          std::string(1, '\0') + receipt.SerializeAsString());
    std::string json;
    FuzzCheck(google::protobuf::util::MessageToJsonString(receipt, &json).ok(), "receipt JSON");
    Write("receipt", std::string(order_id) + "_json", "\x03" + json);
  }
}

void HubConfigSeeds(const std::string& source_dir) {
  std::ifstream in(source_dir + "/deploy/hub-jeju.toml", std::ios::binary);
  FuzzCheck(static_cast<bool>(in), "read deploy/hub-jeju.toml");
  Write("hub_config", "hub_jeju", std::string(std::istreambuf_iterator<char>(in), {}));
  Write("hub_config", "minimal", "hub_id = \"h\"\nzone_id = \"z\"\n[households]\ncount = 2\n");
}

void OfflineMarketSeeds() {
  v1::ClearingInput clearing;
  clearing.set_interval_start(kFuzzInterval);
  clearing.mutable_tariff()->set_feed_in_price_mcu_per_kwh(50'000);
  clearing.mutable_tariff()->set_retail_price_mcu_per_kwh(200'000);
  int seq = 1;
  for (const auto& [id, who, side, qty, price] :
       std::vector<std::tuple<const char*, const char*, v1::Side, int64_t, int64_t>>{
           {"s1", "alice", v1::SELL, 1000, 90'000},
           {"s2", "carol", v1::SELL, 400, 110'000},
           {"b1", "bob", v1::BUY, 800, 120'000},
           {"b2", "dave", v1::BUY, 900, 100'000}}) {
    v1::Order* o = clearing.add_orders();
    *o = FuzzOrder(id, who, side, qty, price).order();
    o->set_seq(seq++);
  }
  Write("offline_market", "clearing", std::string(1, '\0') + clearing.SerializeAsString());
  matching::ClearingResult cleared = matching::Clear(convert::FromProto(clearing).value()).value();
  v1::SettlementInput settlement;
  settlement.set_interval_start(kFuzzInterval);
  *settlement.mutable_tariff() = clearing.tariff();
  *settlement.mutable_clearing() = convert::ToProto(cleared);
  for (const char* who : {"alice", "bob", "carol", "dave"}) {
    v1::MeterRead* read = settlement.add_meter_reads();
    read->set_participant_id(who);
    read->set_import_wh(who[0] == 'b' || who[0] == 'd' ? 900 : 0);
    read->set_export_wh(who[0] == 'a' || who[0] == 'c' ? 700 : 0);
    read->set_quality(v1::OK);
  }
  Write("offline_market", "settlement", "\x01" + settlement.SerializeAsString());
}

}  // namespace
}  // namespace peergrid::fuzz

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fuzz_make_seeds OUT_DIR SOURCE_DIR\n");
    return 2;
  }
  peergrid::fuzz::out_dir = argv[1];
  peergrid::fuzz::MarketSeeds();
  peergrid::fuzz::AuditSeeds();
  peergrid::fuzz::HubReportSeeds();
  peergrid::fuzz::NoteSeeds();
  peergrid::fuzz::ExportSeeds();
  peergrid::fuzz::ReceiptSeeds();
  peergrid::fuzz::HubConfigSeeds(argv[2]);
  peergrid::fuzz::OfflineMarketSeeds();
  return 0;
}
