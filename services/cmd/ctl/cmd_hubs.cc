// Operator commands over OperatorService (DESIGN.md §6):
//   peergridctl hubs [--hub ID]          hubs with freshness, or one hub's meters
//   peergridctl batteries [--hub ID]     every bank's latest state and alarms
//   peergridctl alarms [--hub ID] [--watch]   active alarms, or stream transitions
//   peergridctl alarms --history [--hub ID] [--limit N]   stored transitions, oldest first
// Each takes --server ADDR, --json and --timeout (client.h).
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "client.h"
#include "command.h"
#include "peergrid/v1/operator.grpc.pb.h"

namespace peergrid::ctl {
namespace {

std::string Ms(int64_t unix_ms) {
  if (unix_ms == 0) return "never";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

const char* Severity(v1::AlarmSeverity s) { return s == v1::CRITICAL ? "CRITICAL" : "WARNING"; }

int ListHubs(const ServerOptions& server, const std::string& hub_id) {
  auto stub = v1::OperatorService::NewStub(Connect(server));
  if (!hub_id.empty()) {
    v1::GetHubRequest req;
    req.set_hub_id(hub_id);
    v1::HubStatus status;
    grpc::Status s = stub->GetHub(Context(server).get(), req, &status);
    if (!s.ok()) return RpcFailed("hubs", s);
    if (server.json) {
      PrintJson(status);
      return 0;
    }
    const v1::HubSummary& sum = status.summary();
    std::cout << absl::StrFormat("hub %s (zone %s): %s, last seq %d, last report %s\n",
                                 sum.hub().hub_id(), sum.hub().zone_id(),
                                 sum.stale() ? "STALE" : "fresh", sum.last_seq(),
                                 Ms(sum.last_report_unix_ms()));
    std::cout << absl::StrFormat("grid %d W, import %s, export %s\n", status.grid().power_w(),
                                 FormatWh(status.grid().import_wh()),
                                 FormatWh(status.grid().export_wh()));
    Table t({"PARTICIPANT", "POWER_W", "PV_W", "LOAD_W", "IMPORT", "EXPORT", "PV"});
    for (const v1::MeterReading& m : status.meters()) {
      t.Add({m.participant_id(), absl::StrCat(m.power_w()), absl::StrCat(m.pv_power_w()),
             absl::StrCat(m.load_power_w()), FormatWh(m.import_wh()), FormatWh(m.export_wh()),
             FormatWh(m.pv_wh())});
    }
    t.Print();
    return 0;
  }
  v1::ListHubsResponse resp;
  grpc::Status s = stub->ListHubs(Context(server).get(), {}, &resp);
  if (!s.ok()) return RpcFailed("hubs", s);
  if (server.json) {
    PrintJson(resp);
    return 0;
  }
  Table t({"HUB", "ZONE", "STATE", "LAST_SEQ", "LAST_REPORT", "METERS", "BANKS", "ALARMS"});
  for (const v1::HubSummary& h : resp.hubs()) {
    t.Add({h.hub().hub_id(), h.hub().zone_id(), h.stale() ? "STALE" : "fresh",
           absl::StrCat(h.last_seq()), Ms(h.last_report_unix_ms()), absl::StrCat(h.meter_count()),
           absl::StrCat(h.bank_count()), absl::StrCat(h.active_alarm_count())});
  }
  t.Print();
  return 0;
}

int ListBatteries(const ServerOptions& server, const std::string& hub_id) {
  auto stub = v1::OperatorService::NewStub(Connect(server));
  v1::ListBatteriesRequest req;
  req.set_hub_id(hub_id);
  v1::ListBatteriesResponse resp;
  grpc::Status s = stub->ListBatteries(Context(server).get(), req, &resp);
  if (!s.ok()) return RpcFailed("batteries", s);
  if (server.json) {
    PrintJson(resp);
    return 0;
  }
  Table t({"HUB", "BANK", "SOC%", "SOH%", "POWER_W", "TEMP_MAX_C", "CYCLES", "STATE", "ALARMS"});
  for (const v1::BatteryStatus& b : resp.batteries()) {
    const v1::BatteryBankReading& r = b.bank();
    std::string alarms;
    for (const v1::Alarm& a : b.active_alarms()) {
      absl::StrAppend(&alarms, alarms.empty() ? "" : ",", v1::AlarmKind_Name(a.kind()), "/",
                      Severity(a.severity()));
    }
    t.Add({b.hub_id(), absl::StrCat(r.bank_id(), r.second_life() ? " (2nd life)" : ""),
           absl::StrFormat("%.1f", r.soc_pct()), absl::StrFormat("%.1f", r.soh_pct()),
           absl::StrCat(r.power_w()), absl::StrFormat("%.1f", r.cell_temp_max_c()),
           absl::StrCat(r.cycle_count()),
           absl::StrCat(v1::ChargeState_Name(r.charge_state()), b.stale() ? " STALE" : ""),
           alarms.empty() ? "-" : alarms});
  }
  t.Print();
  return 0;
}

void PrintAlarmEvent(const v1::AlarmEvent& e, bool json) {
  if (json) return PrintJson(e);
  const v1::Alarm& a = e.alarm();
  std::cout << absl::StrFormat("%s %-9s %-8s %s%s%s %s: %s\n", Ms(e.at_unix_ms()),
                               v1::AlarmTransition_Name(e.transition()), Severity(a.severity()),
                               a.hub_id(), a.bank_id().empty() ? "" : "/", a.bank_id(),
                               v1::AlarmKind_Name(a.kind()), a.message())
            << std::flush;
}

// Prints the stored alarm transitions, one a line: when, what and why.
int AlarmHistory(const ServerOptions& server, const std::string& hub_id, int32_t limit) {
  auto stub = v1::OperatorService::NewStub(Connect(server));
  v1::ListAlarmHistoryRequest req;
  req.set_hub_id(hub_id);
  req.set_limit(limit);
  v1::ListAlarmHistoryResponse resp;
  grpc::Status s = stub->ListAlarmHistory(Context(server).get(), req, &resp);
  if (!s.ok()) return RpcFailed("alarms --history", s);
  if (server.json) {
    PrintJson(resp);
    return 0;
  }
  Table t({"SEQ", "AT", "TRANSITION", "SEVERITY", "HUB", "BANK", "KIND", "VALUE", "THRESHOLD",
           "SINCE", "MESSAGE"});
  for (const v1::AlarmHistoryEntry& entry : resp.entries()) {
    const v1::AlarmEvent& e = entry.event();
    const v1::Alarm& a = e.alarm();
    t.Add({absl::StrCat(entry.seq()), Ms(e.at_unix_ms()), v1::AlarmTransition_Name(e.transition()),
           Severity(a.severity()), a.hub_id(), a.bank_id().empty() ? "-" : a.bank_id(),
           v1::AlarmKind_Name(a.kind()), absl::StrFormat("%.2f", a.value()),
           absl::StrFormat("%.2f", a.threshold()), Ms(a.condition_since_unix_ms()), a.message()});
  }
  t.Print();
  std::cout << absl::StrFormat("%d transitions (the exchange keeps the last %d per hub)\n",
                               resp.entries_size(), resp.retained_per_hub());
  return 0;
}

int Alarms(const ServerOptions& server, const std::string& hub_id, bool watch) {
  auto stub = v1::OperatorService::NewStub(Connect(server));
  if (!watch) {
    // The active alarms of every (or one) hub, from GetHub.
    v1::ListHubsResponse hubs;
    grpc::Status s = stub->ListHubs(Context(server).get(), {}, &hubs);
    if (!s.ok()) return RpcFailed("alarms", s);
    for (const v1::HubSummary& h : hubs.hubs()) {
      if (!hub_id.empty() && h.hub().hub_id() != hub_id) continue;
      v1::GetHubRequest greq;
      greq.set_hub_id(h.hub().hub_id());
      v1::HubStatus status;
      s = stub->GetHub(Context(server).get(), greq, &status);
      if (!s.ok()) return RpcFailed("alarms", s);
      for (const v1::Alarm& a : status.active_alarms()) {
        v1::AlarmEvent active;
        *active.mutable_alarm() = a;
        active.set_transition(v1::ACTIVE);
        active.set_at_unix_ms(a.raised_at_unix_ms());
        PrintAlarmEvent(active, server.json);
      }
    }
    return 0;
  }
  v1::WatchAlarmsRequest req;
  req.set_hub_id(hub_id);
  req.set_include_active(true);
  grpc::ClientContext ctx;  // no deadline: streams until interrupted
  auto reader = stub->WatchAlarms(&ctx, req);
  v1::AlarmEvent e;
  while (reader->Read(&e)) PrintAlarmEvent(e, server.json);
  grpc::Status s = reader->Finish();
  return s.ok() ? 0 : RpcFailed("alarms --watch", s);
}

void AddHubs(CLI::App& root) {
  auto* cmd = root.add_subcommand("hubs", "List hubs and their freshness (or one hub's meters)");
  auto server = std::make_shared<ServerOptions>();
  auto hub = std::make_shared<std::string>();
  AddServerOptions(cmd, server.get());
  cmd->add_option("--hub", *hub, "show this hub's grid and meters");
  cmd->callback([server, hub] { SetExitCode(ListHubs(*server, *hub)); });
}

void AddBatteries(CLI::App& root) {
  auto* cmd = root.add_subcommand("batteries", "List battery banks: SoC, SoH, power, alarms");
  auto server = std::make_shared<ServerOptions>();
  auto hub = std::make_shared<std::string>();
  AddServerOptions(cmd, server.get());
  cmd->add_option("--hub", *hub, "only this hub's banks");
  cmd->callback([server, hub] { SetExitCode(ListBatteries(*server, *hub)); });
}

void AddAlarms(CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "alarms", "Show active alarms, stream them with --watch, or list past ones with --history");
  auto server = std::make_shared<ServerOptions>();
  auto hub = std::make_shared<std::string>();
  auto watch = std::make_shared<bool>(false);
  auto history = std::make_shared<bool>(false);
  auto limit = std::make_shared<int32_t>(100);
  AddServerOptions(cmd, server.get());
  cmd->add_option("--hub", *hub, "only this hub's alarms");
  auto* watch_flag = cmd->add_flag("--watch", *watch, "stream alarm transitions until interrupted");
  cmd->add_flag("--history", *history,
                "list the stored transitions (raised, escalated, cleared), oldest first")
      ->excludes(watch_flag);
  cmd->add_option("--limit", *limit, "with --history: the newest this many (at most 10000)")
      ->check(CLI::Range(1, 10'000));
  cmd->callback([server, hub, watch, history, limit] {
    SetExitCode(*history ? AlarmHistory(*server, *hub, *limit) : Alarms(*server, *hub, *watch));
  });
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddHubs);
PEERGRID_CTL_COMMAND(peergrid::ctl::AddBatteries);
PEERGRID_CTL_COMMAND(peergrid::ctl::AddAlarms);
