// `peergridctl alert-rules [--stale-after-periods N]`: prints the Prometheus
// alert rules generated from the battery monitor's rule table
// (hub/alarm_rules.h, server/alert_rules.h). deploy/prometheus/
// peergrid-alerts.yml is this output with the defaults; deploy/check-deploy.sh
// fails when they differ.
#include <iostream>
#include <memory>

#include "absl/status/statusor.h"
#include "command.h"
#include "peergrid/common/market_time.h"
#include "peergrid/hub/alarm_rules.h"
#include "peergrid/server/alert_rules.h"

namespace peergrid::ctl {
namespace {

int PrintAlertRules(int32_t stale_after_periods) {
  absl::StatusOr<std::string> rules =
      server::PrometheusAlertRules(hub::DefaultBankAlarmRules(), stale_after_periods);
  if (!rules.ok()) return ReportStatus(rules.status());
  std::cout << *rules;
  return 0;
}

void AddAlertRules(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand(
      "alert-rules", "Print the Prometheus alert rules generated from the alarm rules table");
  auto periods = std::make_shared<int32_t>(MarketTiming().stale_after_periods);
  cmd->add_option("--stale-after-periods", *periods,
                  "the zone's --stale-after-periods (only the HUB_STALE summary names it)")
      ->check(CLI::Range(1, 1000));
  cmd->callback([periods] { SetExitCode(PrintAlertRules(*periods)); });
}

}  // namespace
}  // namespace peergrid::ctl

PEERGRID_CTL_COMMAND(peergrid::ctl::AddAlertRules);
