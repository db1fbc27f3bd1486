#include "peergrid/audit/report.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace peergrid::audit {
namespace {

constexpr std::array<absl::string_view, kAuditCheckCount> kCheckNames = {"entry_format",
                                                                         "registration",
                                                                         "tariff",
                                                                         "order_acceptance",
                                                                         "order_signature",
                                                                         "cancellation",
                                                                         "clearing",
                                                                         "fill",
                                                                         "settlement",
                                                                         "zero_sum",
                                                                         "key_rotation",
                                                                         "checkpoint_signature",
                                                                         "tree",
                                                                         "consistency",
                                                                         "empty_intervals",
                                                                         "energy_balance"};

// Sort key in log order: entry i at 2i, a checkpoint of size n at 2n - 1
// (after entry n - 1, before entry n).
uint64_t Position(const AuditFailure& f) {
  return f.tree_size ? 2 * *f.tree_size - (*f.tree_size > 0 ? 1 : 0) : 2 * f.index;
}

std::string FailureLine(const AuditFailure& f) {
  if (f.tree_size) {
    return absl::StrCat("checkpoint ", *f.tree_size, " (first unproven entry ", f.index,
                        "): ", AuditCheckName(f.check), ": ", f.reason);
  }
  return absl::StrCat("entry ", f.index, ": ", AuditCheckName(f.check), ": ", f.reason);
}

nlohmann::ordered_json FailureJson(const AuditFailure& f) {
  nlohmann::ordered_json j = {
      {"index", f.index}, {"check", AuditCheckName(f.check)}, {"reason", f.reason}};
  if (f.tree_size) j["tree_size"] = *f.tree_size;
  return j;
}

nlohmann::ordered_json TrustedJson(const std::optional<TrustedCheckpoint>& t) {
  if (!t) return nullptr;
  return {{"origin", t->origin},
          {"tree_size", t->tree_size},
          {"root_hash", t->root_base64},
          {"verifier_key", t->verifier_key},
          {"note", t->note}};
}

std::string Kwh(int64_t wh) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f kWh", static_cast<double>(wh) / 1000.0);
  return buf;
}

}  // namespace

absl::string_view AuditCheckName(AuditCheck check) {
  size_t i = static_cast<size_t>(check);
  return i < kCheckNames.size() ? kCheckNames[i] : "unknown_check";
}

void AuditReport::Fail(AuditCheck check, uint64_t index, std::string reason,
                       std::optional<uint64_t> tree_size) {
  ++counts[static_cast<size_t>(check)].failed;
  ++failure_count;
  AuditFailure failure{check, index, tree_size, std::move(reason)};
  auto at = std::upper_bound(
      failures.begin(), failures.end(), failure,
      [](const AuditFailure& a, const AuditFailure& b) { return Position(a) < Position(b); });
  if (at == failures.end() && failures.size() >= kMaxKeptFailures) return;
  failures.insert(at, std::move(failure));
  if (failures.size() > kMaxKeptFailures) failures.pop_back();
}

bool AuditReport::HasFailure(AuditCheck check, uint64_t index) const {
  return std::any_of(failures.begin(), failures.end(),
                     [&](const AuditFailure& f) { return f.check == check && f.index == index; });
}

void AuditReport::CoverInterval(int64_t interval_start) {
  if (!first_interval || interval_start < *first_interval) first_interval = interval_start;
  if (!last_interval || interval_start > *last_interval) last_interval = interval_start;
}

std::string AuditReportText(const AuditReport& r) {
  std::string out = absl::StrCat(r.ok() ? "AUDIT PASSED" : "AUDIT FAILED", ": ", r.source, "\n");
  absl::StrAppend(&out, "  origin            ", r.origin.empty() ? "-" : r.origin, "\n");
  absl::StrAppend(&out, "  entries           ", r.entries, "\n");
  if (r.latest) {
    absl::StrAppend(&out, "  checkpoint        size ", r.latest->tree_size, ", root ",
                    r.latest->root_base64, "\n");
  }
  absl::StrAppend(&out, "  checkpoints       ", r.checkpoints_verified, " verified, ",
                  r.key_rotations, " key rotation(s) followed\n");
  if (r.previously_trusted) {
    absl::StrAppend(&out, "  trusted before    size ", r.previously_trusted->tree_size,
                    r.state_advanced ? " (state advanced)" : " (state NOT advanced)", "\n");
  }
  absl::StrAppend(&out, "  orders            ", r.orders, " accepted, ", r.cancellations,
                  " cancelled\n");
  absl::StrAppend(&out, "  intervals         ", r.intervals_cleared, " cleared, ",
                  r.intervals_settled, " settled, ", r.corrections, " corrected");
  if (r.empty_runs > 0) {
    absl::StrAppend(&out, "; ", r.empty_intervals, " of them empty, in ", r.empty_runs, " run(s)");
  }
  if (r.first_interval) {
    auto utc = [](int64_t s) {
      return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(s), absl::UTCTimeZone());
    };
    absl::StrAppend(&out, " (", utc(*r.first_interval), " .. ", utc(*r.last_interval), " UTC)");
  }
  absl::StrAppend(&out, "\n  traded            ", Kwh(r.volume_wh), " in ", r.fills, " fills; ",
                  r.bills, " bills recomputed\n");
  absl::StrAppend(&out, "  checks (verified / failed):\n");
  for (size_t i = 0; i < kAuditCheckCount; ++i) {
    char line[96];
    std::snprintf(line, sizeof line, "    %-22s %12llu %8llu\n",
                  std::string(kCheckNames[i]).c_str(),
                  static_cast<unsigned long long>(r.counts[i].verified),
                  static_cast<unsigned long long>(r.counts[i].failed));
    out += line;
  }
  if (!r.ok()) {
    absl::StrAppend(&out, "  FIRST BAD ENTRY: ", FailureLine(r.failures.front()), "\n");
    absl::StrAppend(&out, "  failures (", r.failure_count, "):\n");
    for (const AuditFailure& f : r.failures) absl::StrAppend(&out, "    ", FailureLine(f), "\n");
    if (r.failure_count > r.failures.size()) {
      absl::StrAppend(&out, "    ... and ", r.failure_count - r.failures.size(), " more\n");
    }
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.2f", r.seconds);
  absl::StrAppend(&out, "  took              ", secs, " s\n");
  return out;
}

std::string AuditReportJson(const AuditReport& r) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kAuditCheckCount; ++i) {
    checks[std::string(kCheckNames[i])] = {{"verified", r.counts[i].verified},
                                           {"failed", r.counts[i].failed}};
  }
  nlohmann::ordered_json coverage = {{"checkpoints_verified", r.checkpoints_verified},
                                     {"key_rotations", r.key_rotations},
                                     {"orders", r.orders},
                                     {"cancellations", r.cancellations},
                                     {"intervals_cleared", r.intervals_cleared},
                                     {"intervals_settled", r.intervals_settled},
                                     {"corrections", r.corrections},
                                     {"empty_runs", r.empty_runs},
                                     {"empty_intervals", r.empty_intervals},
                                     {"fills", r.fills},
                                     {"bills", r.bills},
                                     {"volume_wh", r.volume_wh},
                                     {"first_interval", nullptr},
                                     {"last_interval", nullptr}};
  if (r.first_interval) coverage["first_interval"] = *r.first_interval;
  if (r.last_interval) coverage["last_interval"] = *r.last_interval;
  nlohmann::ordered_json failures = nlohmann::ordered_json::array();
  for (const AuditFailure& f : r.failures) failures.push_back(FailureJson(f));
  nlohmann::ordered_json j = {
      {"ok", r.ok()},
      {"source", r.source},
      {"origin", r.origin},
      {"entries", r.entries},
      {"checks", checks},
      {"coverage", coverage},
      {"checkpoint", TrustedJson(r.latest)},
      {"previously_trusted", TrustedJson(r.previously_trusted)},
      {"state_advanced", r.state_advanced},
      {"first_failure", r.failures.empty() ? nlohmann::ordered_json(nullptr) : failures.front()},
      {"failures", failures},
      {"failure_count", r.failure_count},
      {"seconds", r.seconds},
  };
  return j.dump(2) + "\n";
}

}  // namespace peergrid::audit
