// Test fixture base (header-only; not part of the library) for the audit
// tests against a server: the first half of a simulated market written to a
// real RocksDB ledger "a" signed with a test key, served by a
// FixtureAuditService on a real loopback gRPC server. Tests append the
// second half, fork the log, or make the service misbehave.
#ifndef PEERGRID_AUDIT_TESTING_FIXTURE_SERVED_H_
#define PEERGRID_AUDIT_TESTING_FIXTURE_SERVED_H_

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "peergrid/audit/testing/fixture.h"
#include "peergrid/audit/testing/fixture_ledger.h"
#include "peergrid/audit/testing/fixture_service.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::audit::testing {

class ServedLedgerTest : public ::testing::Test {
 protected:
  // `name` names the scratch directory; `key_fill` picks the test key.
  ServedLedgerTest(std::string name, char key_fill)
      : name_(std::move(name)), key_(TestSigner(key_fill)) {}

  // Generates the market and serves its first half; call from SetUp.
  void Serve(const SimOptions& options) {
    dir_ = peergrid::testing::FreshTempDir(name_);
    std::ofstream(dir_ + "/key.pem") << key_.Pkcs8Pem();
    sim_ = SimulatedMarket(options).Generate();
    half_ = sim_.size() / 2;
    a_ = OpenLedger("a");
    ASSERT_OK(WriteLedger(Slice(0, half_), a_.get()));
    service_ = std::make_unique<FixtureAuditService>(a_.get());
    server_ = std::make_unique<LoopbackServer>(service_.get());
    stub_ = server_->Stub();
  }

  // Opens (creating) ledger `name` under the scratch directory, with the key.
  std::unique_ptr<ledger::Ledger> OpenLedger(const std::string& name) {
    ledger::LedgerOptions options;
    options.origin = kTestOrigin;
    options.key_file = dir_ + "/key.pem";
    auto log = ledger::Ledger::Open(dir_ + "/" + name, options);
    EXPECT_OK(log);
    return log.ok() ? *std::move(log) : nullptr;
  }
  // Returns the simulated entries [from, to).
  std::vector<SimEntry> Slice(size_t from, size_t to) const {
    return {sim_.begin() + static_cast<int64_t>(from), sim_.begin() + static_cast<int64_t>(to)};
  }
  // Returns ledger "b": the first `size` entries, same key and market, but
  // entry 1 differs — a fork of "a".
  std::unique_ptr<ledger::Ledger> Fork(size_t size) {
    std::vector<SimEntry> forked = Slice(0, size);
    forked[1] = Edited(forked[1], [](v1::LedgerEntry& e) {
      e.set_recorded_at_unix_ms(e.recorded_at_unix_ms() + 1);
    });
    auto b = OpenLedger("b");
    EXPECT_OK(WriteLedger(forked, b.get()));
    return b;
  }

  const std::string name_;
  std::string dir_;
  ledger::Signer key_;
  std::vector<SimEntry> sim_;
  size_t half_ = 0;
  std::unique_ptr<ledger::Ledger> a_;
  std::unique_ptr<FixtureAuditService> service_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<v1::AuditService::Stub> stub_;
};

}  // namespace peergrid::audit::testing

#endif  // PEERGRID_AUDIT_TESTING_FIXTURE_SERVED_H_
