#include "peergrid/server/authorizer.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "peergrid/testing/status_matchers.h"
#include "peergrid/v1/admin.grpc.pb.h"
#include "peergrid/v1/audit.grpc.pb.h"
#include "peergrid/v1/hub.grpc.pb.h"
#include "peergrid/v1/market.grpc.pb.h"
#include "peergrid/v1/operator.grpc.pb.h"

namespace peergrid::server {
namespace {

using ::peergrid::testing::StatusIs;
using rpc::PeerIdentity;
using rpc::Role;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr const char* kServices[] = {"peergrid.v1.MarketService", "peergrid.v1.AdminService",
                                     "peergrid.v1.AuditService", "peergrid.v1.HubService",
                                     "peergrid.v1.OperatorService"};

TEST(AuthorizerTableTest, EveryMethodOfEveryServiceHasARule) {
  exchange::InMemoryHubDirectory directory;
  Authorizer authorizer(&directory, nullptr, false);
  const std::vector<std::string> known = authorizer.Methods();
  size_t methods = 0;
  for (const char* name : kServices) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i, ++methods) {
      const std::string full = MethodName(service->full_name(), service->method(i)->name());
      EXPECT_THAT(known, ::testing::Contains(full)) << full << " has no authorization rule";
    }
  }
  EXPECT_EQ(known.size(), methods) << "the table has a rule for a method no service has";
}

class AuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* hub : {"hub-1", "hub-2"}) {
      v1::Hub h;
      h.set_hub_id(hub);
      ASSERT_OK(directory_.AddHub(h));
    }
    auto add = [&](const char* id, const char* hub, bool delegates) {
      v1::Participant p;
      p.set_participant_id(id);
      p.set_hub_id(hub);
      p.set_delegates_trading(delegates);
      ASSERT_OK(directory_.AddParticipant(p));
    };
    add("h1", "hub-1", true);
    add("h2", "hub-1", false);
    add("h3", "hub-2", true);
  }

  absl::Status Call(const PeerIdentity& who, const char* service, const char* method,
                    const google::protobuf::Message& request) {
    return authorizer_.CheckIdentity(who, MethodName(service, method), request);
  }

  exchange::InMemoryHubDirectory directory_;
  std::map<std::string, std::string> owners_ = {{"o1", "h1"}, {"o2", "h2"}, {"o3", "h3"}};
  Authorizer authorizer_{&directory_,
                         [this](const std::string& id) -> absl::StatusOr<std::string> {
                           auto it = owners_.find(id);
                           if (it == owners_.end()) return absl::NotFoundError(id);
                           return it->second;
                         },
                         false};
};

const PeerIdentity kH1{Role::kHousehold, "h1"};
const PeerIdentity kH2{Role::kHousehold, "h2"};
const PeerIdentity kHub1{Role::kHub, "hub-1"};
const PeerIdentity kHub2{Role::kHub, "hub-2"};
const PeerIdentity kOp1{Role::kOperator, "hub-1"};
const PeerIdentity kReg{Role::kRegulator, "ofgem"};
const PeerIdentity kAdmin{Role::kAdmin, "ops"};
constexpr const char* kMarket = "peergrid.v1.MarketService";

v1::SubmitOrderRequest Submit(const char* participant) {
  v1::SubmitOrderRequest r;
  r.mutable_order()->set_participant_id(participant);
  return r;
}

TEST_F(AuthorizerTest, OrdersOnlyForYourselfOrYourDelegatingHouseholds) {
  EXPECT_OK(Call(kH1, kMarket, "SubmitOrder", Submit("h1")));
  EXPECT_THAT(Call(kH1, kMarket, "SubmitOrder", Submit("h2")),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("household/h1 may not SubmitOrder"),
                             HasSubstr("participant \"h2\""))));
  EXPECT_OK(Call(kHub1, kMarket, "SubmitOrder", Submit("h1")));
  EXPECT_THAT(Call(kHub1, kMarket, "SubmitOrder", Submit("h2")),  // does not delegate
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("delegates_trading")));
  EXPECT_THAT(Call(kHub2, kMarket, "SubmitOrder", Submit("h1")),  // another hub's household
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("hub/hub-2")));
  for (const PeerIdentity& who : {kOp1, kReg}) {
    EXPECT_THAT(Call(who, kMarket, "SubmitOrder", Submit("h1")),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(who.ToString())));
  }
  // The exchange's operator never trades as a household.
  EXPECT_THAT(Call(kAdmin, kMarket, "SubmitOrder", Submit("h2")),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("admin/ops")));
}

TEST_F(AuthorizerTest, ADenialQuotesTheRequestEscaped) {
  const absl::Status denied = Call(kH1, kMarket, "SubmitOrder", Submit("h2\x1b[31m\nRED"));
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied,
                               HasSubstr("participant \"h2\\u001b[31m\\nRED\"")));
  EXPECT_EQ(std::string(denied.message()).find('\x1b'), std::string::npos);
}

TEST_F(AuthorizerTest, CancelAndReadLookUpTheOrdersOwner) {
  v1::CancelOrderRequest cancel;
  cancel.set_order_id("o2");
  cancel.set_participant_id("h1");  // claims to own h2's order
  EXPECT_THAT(Call(kH1, kMarket, "CancelOrder", cancel),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("order \"o2\"")));
  cancel.set_order_id("o1");
  EXPECT_OK(Call(kH1, kMarket, "CancelOrder", cancel));
  v1::GetOrderRequest get;
  get.set_order_id("o2");
  EXPECT_THAT(Call(kH1, kMarket, "GetOrder", get),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("participant \"h2\"")));
  EXPECT_OK(Call(kH2, kMarket, "GetOrder", get));
  EXPECT_OK(Call(kOp1, kMarket, "GetOrder", get));  // h2's hub's operator
  EXPECT_OK(Call(kReg, kMarket, "GetOrder", get));
  v1::GetReceiptRequest receipt;
  receipt.set_order_id("o3");
  EXPECT_THAT(Call(kH1, "peergrid.v1.AuditService", "GetReceipt", receipt),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_OK(Call(kHub2, "peergrid.v1.AuditService", "GetReceipt", receipt));
}

TEST_F(AuthorizerTest, BillsAreForTheHouseholdItsOperatorRegulatorAndAdmin) {
  v1::GetBillRequest bill;
  bill.set_participant_id("h2");
  EXPECT_OK(Call(kH2, kMarket, "GetBill", bill));
  EXPECT_OK(Call(kOp1, kMarket, "GetBill", bill));
  EXPECT_OK(Call(kReg, kMarket, "GetBill", bill));
  EXPECT_OK(Call(kAdmin, kMarket, "GetBill", bill));
  EXPECT_THAT(Call(kH1, kMarket, "GetBill", bill),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(Call(kHub1, kMarket, "GetBill", bill),  // h2 does not delegate to its hub
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(Call({Role::kOperator, "hub-2"}, kMarket, "GetBill", bill),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  v1::WatchTradesRequest all;
  EXPECT_THAT(Call(kH1, kMarket, "WatchTrades", all),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("every participant")));
  all.set_participant_id("h1");
  EXPECT_OK(Call(kH1, kMarket, "WatchTrades", all));
  EXPECT_THAT(Call(kH1, kMarket, "GetIntervalResult", v1::GetIntervalResultRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_OK(Call(kReg, kMarket, "GetIntervalResult", v1::GetIntervalResultRequest()));
}

TEST_F(AuthorizerTest, AdminWritesAreAdminOnlyAndRegulatorsReadEverything) {
  for (const PeerIdentity& who : {kH1, kHub1, kOp1, kReg}) {
    EXPECT_THAT(Call(who, "peergrid.v1.AdminService", "RegisterHub", v1::RegisterHubRequest()),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(who.ToString())));
    EXPECT_THAT(Call(who, "peergrid.v1.AdminService", "SetTariff", v1::SetTariffRequest()),
                StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
    EXPECT_OK(Call(who, "peergrid.v1.AdminService", "GetZone", v1::GetZoneRequest()));
    EXPECT_OK(Call(who, "peergrid.v1.AuditService", "GetVerifierKey", v1::GetVerifierKeyRequest()));
  }
  EXPECT_OK(Call(kAdmin, "peergrid.v1.AdminService", "RegisterHub", v1::RegisterHubRequest()));
  EXPECT_OK(Call(kReg, "peergrid.v1.AuditService", "GetEntries", v1::GetEntriesRequest()));
  EXPECT_THAT(Call(kH1, "peergrid.v1.AuditService", "GetEntries", v1::GetEntriesRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
}

TEST_F(AuthorizerTest, HubsReportForThemselvesAndTheirOwnMeters) {
  v1::HubReport report;
  report.set_hub_id("hub-1");
  report.add_meters()->set_participant_id("h1");
  EXPECT_OK(Call(kHub1, "peergrid.v1.HubService", "Report", report));
  EXPECT_THAT(Call(kHub2, "peergrid.v1.HubService", "Report", report),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("hub \"hub-1\"")));
  EXPECT_THAT(Call(kOp1, "peergrid.v1.HubService", "Report", report),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(Call(kAdmin, "peergrid.v1.HubService", "Report", report),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("admin/ops")));
  report.add_meters()->set_participant_id("h3");  // registered on hub-2
  EXPECT_THAT(
      Call(kHub1, "peergrid.v1.HubService", "Report", report),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("meter participant_id \"h3\"")));
  report.mutable_meters(1)->set_participant_id("nobody");
  EXPECT_THAT(Call(kHub1, "peergrid.v1.HubService", "Report", report),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("\"nobody\"")));
}

TEST(InsecureAuthorizerTest, EveryCallerMayDoWhatTheTableKnowsAndNothingElse) {
  exchange::InMemoryHubDirectory directory;
  Authorizer insecure(
      &directory,
      [](const std::string& id) -> absl::StatusOr<std::string> { return absl::NotFoundError(id); },
      /*insecure=*/true);
  grpc::ServerContext context;  // no TLS, no certificate
  v1::SubmitOrderRequest submit;
  submit.mutable_order()->set_participant_id("anyone");
  auto caller = insecure.Check(context, "/peergrid.v1.MarketService/SubmitOrder", submit);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->ToString(), "admin/insecure");
  EXPECT_THAT(insecure.Check(context, "/peergrid.v1.MarketService/DropTables", submit).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("DropTables")));
  v1::HubReport report;
  report.set_hub_id("any-hub");
  EXPECT_TRUE(insecure.Check(context, "/peergrid.v1.HubService/Report", report).ok());
}

TEST_F(AuthorizerTest, OperatorsSeeTheirOwnHub) {
  constexpr const char* kOps = "peergrid.v1.OperatorService";
  v1::GetHubRequest get;
  get.set_hub_id("hub-1");
  EXPECT_OK(Call(kOp1, kOps, "GetHub", get));
  EXPECT_OK(Call(kHub1, kOps, "GetHub", get));
  EXPECT_THAT(Call({Role::kOperator, "hub-2"}, kOps, "GetHub", get),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("operator/hub-2")));
  EXPECT_THAT(Call(kH1, kOps, "GetHub", get),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(Call(kOp1, kOps, "ListBatteries", v1::ListBatteriesRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("every hub")));
  EXPECT_OK(Call(kReg, kOps, "WatchAlarms", v1::WatchAlarmsRequest()));
  v1::ListAlarmHistoryRequest history;
  history.set_hub_id("hub-1");
  EXPECT_OK(Call(kOp1, kOps, "ListAlarmHistory", history));
  EXPECT_OK(Call(kReg, kOps, "ListAlarmHistory", v1::ListAlarmHistoryRequest()));
  EXPECT_THAT(Call(kOp1, kOps, "ListAlarmHistory", v1::ListAlarmHistoryRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("every hub")));
  EXPECT_OK(Call(kOp1, kOps, "ListHubs", v1::ListHubsRequest()));
  EXPECT_THAT(Call(kH1, kOps, "ListHubs", v1::ListHubsRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
}

TEST_F(AuthorizerTest, AMethodWithoutARuleIsDenied) {
  EXPECT_THAT(authorizer_.CheckIdentity(kAdmin, "/peergrid.v1.MarketService/DropTables",
                                        v1::GetZoneRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no authorization rule")));
  // A request of the wrong type never passes a typed rule.
  EXPECT_THAT(
      Call(kH1, kMarket, "SubmitOrder", v1::GetZoneRequest()),
      StatusIs(absl::StatusCode::kInternal, HasSubstr("not a peergrid.v1.SubmitOrderRequest")));
}

}  // namespace
}  // namespace peergrid::server
