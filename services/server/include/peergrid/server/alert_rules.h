// The Prometheus alert rules of the exchange, generated from the battery
// monitor's rule table (hub/alarm_rules.h), so the monitor and Prometheus
// apply one set of thresholds, bands and dwells. `peergridctl alert-rules`
// prints them; deploy/prometheus/peergrid-alerts.yml is that output, and
// deploy/check-deploy.sh (and alert_rules_test) fail when it differs.
//
// Each table rule with an `alert` name becomes
//   - alert: <alert>
//     expr: M <raise> or (M <clear> and ignoring(alertname, alertstate, severity)
//           ALERTS{alertname="<alert>"})
//     for: <dwell>                      (omitted for 0)
// where M is the metric of the rule's quantity scaled to it (SoC and SoH are
// ratios 0–1 on /metrics, percentages in the table): it fires past the raise
// threshold after the dwell and keeps firing until M is back past the clear
// threshold, as the monitor does. HUB_STALE is `peergrid_hub_stale == 1`: the
// exchange computes that gauge with the monitor's own rule (hub::IsHubStale).
// The ledger and availability rules at the end are not monitor thresholds.
//
// Thread-safety: pure functions.
#ifndef PEERGRID_SERVER_ALERT_RULES_H_
#define PEERGRID_SERVER_ALERT_RULES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "peergrid/hub/alarm_rules.h"

namespace peergrid::server {

// Metric names that both /metrics (exchange_metrics.cc) and the rules use.
inline constexpr char kSocMetric[] = "peergrid_ess_state_of_charge_ratio";
inline constexpr char kSohMetric[] = "peergrid_ess_state_of_health_ratio";
inline constexpr char kCellTempMaxMetric[] = "peergrid_ess_cell_temperature_max_celsius";
inline constexpr char kHubStaleMetric[] = "peergrid_hub_stale";

// Returns the rules file for `bank_rules` and the HUB_STALE rule of
// `stale_after_periods`. InvalidArgument when the rules are invalid
// (hub::ValidateAlarmRules) or a rule names an alert for a quantity the
// exchange exports no metric of.
absl::StatusOr<std::string> PrometheusAlertRules(absl::Span<const hub::AlarmRule> bank_rules,
                                                 int32_t stale_after_periods);

}  // namespace peergrid::server

#endif  // PEERGRID_SERVER_ALERT_RULES_H_
