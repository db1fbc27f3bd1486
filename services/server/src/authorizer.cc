#include "peergrid/server/authorizer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "peergrid/common/status.h"
#include "peergrid/common/text.h"
#include "peergrid/rpc/grpc_status.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/audit.grpc.pb.h"
#include "peergrid/v1/hub.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"
#include "peergrid/v1/operator.grpc.pb.h"

namespace peergrid::server {
namespace {

using rpc::PeerIdentity;
using rpc::Role;

// Request values are escaped and cut (common/text.h): a message never
// carries anyone's control characters.
std::string Quote(absl::string_view text) { return QuoteInput(text); }

absl::Status Denied(absl::string_view why) { return absl::PermissionDeniedError(why); }

bool Reads(const PeerIdentity& caller) {
  return caller.role == Role::kAdmin || caller.role == Role::kRegulator;
}

absl::Status RegulatorOrAdmin(const PeerIdentity& caller, absl::string_view what) {
  if (Reads(caller)) return absl::OkStatus();
  return Denied(absl::StrCat(what, " (only regulator and admin identities)"));
}

absl::Status AdminOnly(const PeerIdentity& caller) {
  if (caller.role == Role::kAdmin) return absl::OkStatus();
  return Denied("the zone's registrations and tariff (only admin identities)");
}

}  // namespace

std::string MethodName(absl::string_view service, absl::string_view method) {
  return absl::StrCat("/", service, "/", method);
}

std::string PeerKey(const grpc::ServerContextBase& context) {
  return absl::StrCat("peer/", context.peer());
}

Authorizer::Authorizer(const exchange::HubDirectory* directory, OrderOwner owner, bool insecure)
    : directory_(directory), owner_(std::move(owner)), insecure_(insecure), table_(Table()) {}

absl::Status Authorizer::ReadParticipant(const PeerIdentity& caller, const std::string& id) const {
  if (Reads(caller)) return absl::OkStatus();
  if (caller.role == Role::kHousehold && caller.id == id) return absl::OkStatus();
  if (caller.role == Role::kHub || caller.role == Role::kOperator) {
    absl::StatusOr<v1::Participant> p = directory_->FindParticipant(id);
    if (p.ok() && p->hub_id() == caller.id &&
        (caller.role == Role::kOperator || p->delegates_trading())) {
      return absl::OkStatus();
    }
  }
  return Denied(absl::StrCat("participant ", Quote(id), "'s private data"));
}

absl::Status Authorizer::TradeFor(const PeerIdentity& caller, const std::string& id) const {
  // Not even an admin: an exchange operator never trades as a household (§9).
  if (caller.role == Role::kHousehold && caller.id == id) return absl::OkStatus();
  if (caller.role == Role::kHub) {
    absl::StatusOr<v1::Participant> p = directory_->FindParticipant(id);
    if (p.ok() && p->hub_id() == caller.id && p->delegates_trading()) return absl::OkStatus();
    return Denied(absl::StrCat("orders of participant ", Quote(id),
                               " (not registered on this hub with delegates_trading)"));
  }
  return Denied(absl::StrCat("orders of participant ", Quote(id)));
}

absl::Status Authorizer::ReadOrder(const PeerIdentity& caller, const std::string& order_id) const {
  if (Reads(caller)) return absl::OkStatus();
  absl::StatusOr<std::string> owner = owner_(order_id);
  if (!owner.ok()) return owner.status();
  if (absl::Status s = ReadParticipant(caller, *owner); !s.ok()) {
    return Denied(absl::StrCat("order ", Quote(order_id), " of participant ", Quote(*owner)));
  }
  return absl::OkStatus();
}

absl::Status Authorizer::CancelOrder(const PeerIdentity& caller, const std::string& order_id,
                                     const std::string& participant_id) const {
  if (absl::Status s = TradeFor(caller, participant_id); !s.ok()) return s;
  absl::StatusOr<std::string> owner = owner_(order_id);
  if (owner.ok() && *owner != participant_id) {
    return Denied(absl::StrCat("order ", Quote(order_id), " of participant ", Quote(*owner)));
  }
  return absl::OkStatus();
}

absl::Status Authorizer::ViewHub(const PeerIdentity& caller, const std::string& hub_id) const {
  if (Reads(caller)) return absl::OkStatus();
  if ((caller.role == Role::kOperator || caller.role == Role::kHub) && caller.id == hub_id) {
    return absl::OkStatus();
  }
  if (hub_id.empty()) return Denied("every hub (set hub_id to your own hub)");
  return Denied(absl::StrCat("hub ", Quote(hub_id)));
}

absl::Status Authorizer::ReportFor(const PeerIdentity& caller, const v1::HubReport& report) const {
  // Only the hub itself reports its meters; an admin certificate does not.
  if (caller.role != Role::kHub || caller.id != report.hub_id()) {
    return Denied(absl::StrCat("reports of hub ", Quote(report.hub_id())));
  }
  for (const v1::MeterReading& meter : report.meters()) {
    absl::StatusOr<v1::Participant> p = directory_->FindParticipant(meter.participant_id());
    if (!p.ok() || p->hub_id() != caller.id) {
      return Denied(absl::StrCat("meter participant_id ", Quote(meter.participant_id()),
                                 " (not registered on hub ", Quote(caller.id), ")"));
    }
  }
  return absl::OkStatus();
}

namespace {

// A rule over the typed request of its method.
template <typename Request, typename F>
auto Typed(F check) {
  return [check](const Authorizer& a, const PeerIdentity& caller,
                 const google::protobuf::Message& message) -> absl::Status {
    const Request* request = google::protobuf::DynamicCastToGenerated<Request>(&message);
    if (request == nullptr) {
      return absl::InternalError(absl::StrCat("authorization: request is a ", message.GetTypeName(),
                                              ", not a ", Request::descriptor()->full_name()));
    }
    return check(a, caller, *request);
  };
}

absl::Status Anyone(const Authorizer&, const PeerIdentity&, const google::protobuf::Message&) {
  return absl::OkStatus();
}

}  // namespace

std::map<std::string, Authorizer::Rule, std::less<>> Authorizer::Table() {
  const std::string market = v1::MarketService::service_full_name();
  const std::string admin = v1::AdminService::service_full_name();
  const std::string audit = v1::AuditService::service_full_name();
  const std::string hub = v1::HubService::service_full_name();
  const std::string ops = v1::OperatorService::service_full_name();
  using A = const Authorizer&;
  using C = const PeerIdentity&;
  std::map<std::string, Rule, std::less<>> t;
  // MarketService: a participant's orders, bills and trades; market-wide
  // results (every fill and bill) to regulator and admin only.
  t[MethodName(market, "SubmitOrder")] =
      Typed<v1::SubmitOrderRequest>([](A a, C c, const v1::SubmitOrderRequest& r) {
        return a.TradeFor(c, r.order().participant_id());
      });
  t[MethodName(market, "CancelOrder")] =
      Typed<v1::CancelOrderRequest>([](A a, C c, const v1::CancelOrderRequest& r) {
        return a.CancelOrder(c, r.order_id(), r.participant_id());
      });
  t[MethodName(market, "GetOrder")] = Typed<v1::GetOrderRequest>(
      [](A a, C c, const v1::GetOrderRequest& r) { return a.ReadOrder(c, r.order_id()); });
  t[MethodName(market, "ListOrders")] =
      Typed<v1::ListOrdersRequest>([](A a, C c, const v1::ListOrdersRequest& r) {
        return a.ReadParticipant(c, r.participant_id());
      });
  t[MethodName(market, "GetBill")] =
      Typed<v1::GetBillRequest>([](A a, C c, const v1::GetBillRequest& r) {
        return a.ReadParticipant(c, r.participant_id());
      });
  t[MethodName(market, "WatchTrades")] =
      Typed<v1::WatchTradesRequest>([](A a, C c, const v1::WatchTradesRequest& r) {
        if (r.participant_id().empty()) return RegulatorOrAdmin(c, "every participant's fills");
        return a.ReadParticipant(c, r.participant_id());
      });
  t[MethodName(market, "GetIntervalResult")] =
      Typed<v1::GetIntervalResultRequest>([](A, C c, const v1::GetIntervalResultRequest&) {
        return RegulatorOrAdmin(c, "an interval's fills and bills of every participant");
      });
  // AdminService: registrations and tariff; the zone's configuration to anyone.
  for (const char* m : {"RegisterHub", "RegisterParticipant", "SetTariff"}) {
    t[MethodName(admin, m)] = [](A, C c, const google::protobuf::Message&) { return AdminOnly(c); };
  }
  t[MethodName(admin, "GetZone")] = Anyone;
  // AuditService: signed checkpoints, proofs (hashes only) and the verifier
  // key to anyone; the entries themselves to regulator and admin; a receipt
  // (its order's entry) to whoever may read that order.
  for (const char* m : {"GetCheckpoint", "WatchCheckpoints", "GetInclusionProof",
                        "GetConsistencyProof", "GetVerifierKey"}) {
    t[MethodName(audit, m)] = Anyone;
  }
  t[MethodName(audit, "GetEntries")] = [](A, C c, const google::protobuf::Message&) {
    return RegulatorOrAdmin(c, "the ledger's entries");
  };
  t[MethodName(audit, "GetReceipt")] = Typed<v1::GetReceiptRequest>(
      [](A a, C c, const v1::GetReceiptRequest& r) { return a.ReadOrder(c, r.order_id()); });
  // HubService: checked on every report of the stream.
  t[MethodName(hub, "Report")] =
      Typed<v1::HubReport>([](A a, C c, const v1::HubReport& r) { return a.ReportFor(c, r); });
  // OperatorService: a hub's views to its operator (and the hub itself);
  // ListHubs is filtered to an operator's own hub by the handler.
  t[MethodName(ops, "ListHubs")] = [](A, C c, const google::protobuf::Message&) {
    if (c.role == Role::kOperator || Reads(c)) return absl::OkStatus();
    return Denied("the hub list (operator, regulator and admin identities)");
  };
  t[MethodName(ops, "GetHub")] = Typed<v1::GetHubRequest>(
      [](A a, C c, const v1::GetHubRequest& r) { return a.ViewHub(c, r.hub_id()); });
  t[MethodName(ops, "ListBatteries")] = Typed<v1::ListBatteriesRequest>(
      [](A a, C c, const v1::ListBatteriesRequest& r) { return a.ViewHub(c, r.hub_id()); });
  t[MethodName(ops, "GetBatteryHistory")] = Typed<v1::GetBatteryHistoryRequest>(
      [](A a, C c, const v1::GetBatteryHistoryRequest& r) { return a.ViewHub(c, r.hub_id()); });
  t[MethodName(ops, "WatchAlarms")] = Typed<v1::WatchAlarmsRequest>(
      [](A a, C c, const v1::WatchAlarmsRequest& r) { return a.ViewHub(c, r.hub_id()); });
  t[MethodName(ops, "ListAlarmHistory")] = Typed<v1::ListAlarmHistoryRequest>(
      [](A a, C c, const v1::ListAlarmHistoryRequest& r) { return a.ViewHub(c, r.hub_id()); });
  return t;
}

absl::Status Authorizer::CheckIdentity(const PeerIdentity& caller, absl::string_view method,
                                       const google::protobuf::Message& request) const {
  if (insecure_) {
    // --insecure (loopback only): every caller may call every method the
    // table knows, trading and reporting included. Unknown methods stay denied.
    if (table_.find(method) == table_.end()) {
      return absl::PermissionDeniedError(absl::StrCat("no authorization rule for ", method));
    }
    return absl::OkStatus();
  }
  auto rule = table_.find(method);
  if (rule == table_.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        caller.ToString(), " may not call ", Quote(method), ": it has no authorization rule"));
  }
  absl::Status status = rule->second(*this, caller, request);
  if (status.code() == absl::StatusCode::kPermissionDenied) {
    const size_t slash = method.rfind('/');
    return absl::PermissionDeniedError(absl::StrCat(
        caller.ToString(), " may not ", method.substr(slash + 1), " ", status.message()));
  }
  return status;
}

absl::StatusOr<PeerIdentity> Authorizer::Caller(const grpc::ServerContextBase& context) const {
  if (insecure_) return PeerIdentity{Role::kAdmin, "insecure"};
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return absl::UnauthenticatedError("no client certificate");
  return rpc::IdentityFromAuthContext(*auth);
}

absl::StatusOr<PeerIdentity> Authorizer::Check(const grpc::ServerContextBase& context,
                                               absl::string_view method,
                                               const google::protobuf::Message& request) const {
  PEERGRID_ASSIGN_OR_RETURN(PeerIdentity caller, Caller(context));
  if (absl::Status s = CheckIdentity(caller, method, request); !s.ok()) return s;
  return caller;
}

grpc::Status Authorizer::Admit(const grpc::ServerContextBase* context, absl::string_view method,
                               const google::protobuf::Message& request,
                               PeerIdentity* caller) const {
  absl::StatusOr<PeerIdentity> who = Check(*context, method, request);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  if (caller != nullptr) *caller = *std::move(who);
  return grpc::Status::OK;
}

std::string Authorizer::LimitKey(const PeerIdentity& caller, absl::string_view insecure_key) const {
  return insecure_ ? std::string(insecure_key) : caller.ToString();
}

std::vector<std::string> Authorizer::Methods() const {
  std::vector<std::string> out;
  for (const auto& [name, rule] : table_) out.push_back(name);
  return out;
}

}  // namespace peergrid::server
