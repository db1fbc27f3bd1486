// Authorization of every RPC the exchange serves (DESIGN.md §9): one table
// from a method's full name ("/peergrid.v1.MarketService/SubmitOrder") to its
// rule, consulted by one call at the top of every handler. A rule reads the
// resource the call touches from the typed request (the order's participant,
// the owner of an order id, the hub of a report and of its meters) and checks
// it against the caller's identity (rpc/peer_identity.h). A method missing
// from the table is denied; authorizer_test checks that every method of every
// service has a rule.
//
// Who may do what is documented in docs/SECURITY.md ("What each role may
// do"); in short: household/<p> its own orders, cancels, bills, trades and
// receipts; hub/<h> its own reports (meters registered on it) and the orders
// of its participants that delegate trading; operator/<h> the views of hub
// <h>; regulator/* every read, no write; admin/* the admin service and every
// read, but never an order, a cancel or a report (those belong to their own
// identity). With --insecure every caller is admin/insecure and may call
// every method in the table.
//
// Errors: Unauthenticated when the caller has no usable identity;
// PermissionDenied naming the caller ("household/h1") and the resource.
// Thread-safety: thread-safe; the directory and the order-owner lookup must be.
#ifndef PEERGRID_SERVER_AUTHORIZER_H_
#define PEERGRID_SERVER_AUTHORIZER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "peergrid/exchange/hub_directory.h"
#include "peergrid/rpc/peer_identity.h"
#include "peergrid/v1/hub.pb.h"

namespace peergrid::server {

class Authorizer {
 public:
  // Returns the participant that owns an order id, or NotFound.
  using OrderOwner = std::function<absl::StatusOr<std::string>(const std::string& order_id)>;

  // Borrows `directory`; `insecure` makes every caller admin/insecure.
  Authorizer(const exchange::HubDirectory* directory, OrderOwner owner, bool insecure);

  // Returns the identity of the caller of `context` (admin/insecure with
  // --insecure), Unauthenticated when its certificate names none.
  absl::StatusOr<rpc::PeerIdentity> Caller(const grpc::ServerContextBase& context) const;
  // Returns the caller of `context` when it may call `method` with `request`.
  absl::StatusOr<rpc::PeerIdentity> Check(const grpc::ServerContextBase& context,
                                          absl::string_view method,
                                          const google::protobuf::Message& request) const;
  // As Check, for an identity already known (the rule alone).
  absl::Status CheckIdentity(const rpc::PeerIdentity& caller, absl::string_view method,
                             const google::protobuf::Message& request) const;
  // Returns Check's status as a grpc::Status (OK when allowed), and the
  // caller into *caller when given.
  grpc::Status Admit(const grpc::ServerContextBase* context, absl::string_view method,
                     const google::protobuf::Message& request,
                     rpc::PeerIdentity* caller = nullptr) const;

  // True with --insecure (every caller is admin/insecure).
  bool insecure() const { return insecure_; }

  // Returns the key the per-identity limits (orders, streams) count `caller`
  // under: its certificate identity ("household/h1", "hub/hub-1": a hub
  // trading for its households shares one budget), or, with --insecure,
  // where every caller is the same admin, `insecure_key`: what the request
  // names ("participant/h1", "hub/hub-1") or the caller's address
  // (PeerKey).
  std::string LimitKey(const rpc::PeerIdentity& caller, absl::string_view insecure_key) const;

  // Returns the full names of the methods the table has a rule for.
  std::vector<std::string> Methods() const;

 private:
  using Rule = std::function<absl::Status(const Authorizer&, const rpc::PeerIdentity&,
                                          const google::protobuf::Message&)>;
  static std::map<std::string, Rule, std::less<>> Table();

  // The checks the rules are made of.
  absl::Status ReadParticipant(const rpc::PeerIdentity& caller, const std::string& id) const;
  absl::Status TradeFor(const rpc::PeerIdentity& caller, const std::string& id) const;
  absl::Status ReadOrder(const rpc::PeerIdentity& caller, const std::string& order_id) const;
  absl::Status CancelOrder(const rpc::PeerIdentity& caller, const std::string& order_id,
                           const std::string& participant_id) const;
  absl::Status ViewHub(const rpc::PeerIdentity& caller, const std::string& hub_id) const;
  absl::Status ReportFor(const rpc::PeerIdentity& caller, const v1::HubReport& report) const;

  const exchange::HubDirectory* const directory_;
  const OrderOwner owner_;
  const bool insecure_;
  const std::map<std::string, Rule, std::less<>> table_;
};

// Returns "/<service full name>/<method>" for a method of `service`, e.g.
// MethodName(v1::MarketService::service_full_name(), "SubmitOrder").
std::string MethodName(absl::string_view service, absl::string_view method);

// Returns "peer/<address>" for the caller of `context` ("peer/ipv4:127.0.0.1:5000"):
// a limit key for --insecure calls that name nobody.
std::string PeerKey(const grpc::ServerContextBase& context);

}  // namespace peergrid::server

#endif  // PEERGRID_SERVER_AUTHORIZER_H_
