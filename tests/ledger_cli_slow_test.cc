// `peergridctl ledger ...` end to end, as an auditor scripts it: export,
// verify (export and data dir), proofs as JSON checked with the verifier,
// the docs' stock-openssl commands, and refusals that name the index.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "peergrid/ledger/export_format.h"
#include "peergrid/ledger/ledger.h"
#include "peergrid/ledger/verify.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::ledger {
namespace {

using ::testing::HasSubstr;

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Result Shell(const std::string& command) {
  Result r;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Ctl() { return peergrid::testing::BinaryDir() + "/bin/peergridctl"; }

std::vector<Hash> Hashes(const nlohmann::json& list) {
  std::vector<Hash> out;
  for (const auto& h : list) out.push_back(*HashFromBase64(h.get<std::string>()));
  return out;
}

class LedgerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = peergrid::testing::FreshTempDir("cli_ledger");
    out_ = peergrid::testing::FreshTempDir("cli_export");
    LedgerOptions options;
    options.origin = "peergrid/jeju-1";
    ASSERT_OK_AND_ASSIGN(auto ledger, Ledger::Open(dir_, options));
    for (int i = 0; i < 50; ++i) ASSERT_OK(ledger->Append(absl::StrCat("entry-", i)).status());
    ASSERT_OK_AND_ASSIGN(SignedCheckpoint cp, ledger->Checkpoint());
    root50_ = cp.checkpoint.root;
    for (int i = 50; i < 60; ++i) ASSERT_OK(ledger->Append(absl::StrCat("entry-", i)).status());
  }

  std::string dir_;
  std::string out_;
  Hash root50_{};
};

TEST_F(LedgerCliTest, ExportVerifyAndOpenssl) {
  Result exp = Shell(absl::StrCat(Ctl(), " ledger export --data-dir ", dir_, " --out ", out_));
  ASSERT_EQ(exp.exit_code, 0) << exp.output;
  for (const char* f : {"checkpoint", "log.pub", "log.pub.pem", "entries"}) {
    EXPECT_TRUE(std::filesystem::exists(out_ + "/" + f)) << f;
  }
  ASSERT_OK_AND_ASSIGN(ExportSummary summary, VerifyExport(out_));
  EXPECT_EQ(summary.entries, 50u);  // the latest checkpoint's size, not the log's
  EXPECT_EQ(summary.checkpoint.root, root50_);

  Result ver = Shell(absl::StrCat(Ctl(), " ledger verify --export ", out_));
  EXPECT_EQ(ver.exit_code, 0) << ver.output;
  EXPECT_THAT(ver.output, HasSubstr("ok: peergrid/jeju-1 export of 50 entries"));
  Result ver_dir = Shell(absl::StrCat(Ctl(), " ledger verify --data-dir ", dir_));
  EXPECT_EQ(ver_dir.exit_code, 0) << ver_dir.output;
  EXPECT_THAT(ver_dir.output, HasSubstr("has 60 entries"));

  // docs/LEDGER.md's commands, verbatim, with stock openssl.
  const std::string script = out_ + "/verify.sh";
  std::ofstream(script) << R"sh(set -e
name=$(cut -d+ -f1 log.pub)
sed '/^$/,$d' checkpoint > checkpoint.txt
grep "^— $name " checkpoint | cut -d' ' -f3 | base64 -d | tail -c 64 > checkpoint.sig
openssl pkeyutl -verify -pubin -inkey log.pub.pem -rawin -in checkpoint.txt -sigfile checkpoint.sig
[ "$(cut -d+ -f3- log.pub | base64 -d | tail -c 32 | base64)" = \
  "$(openssl pkey -pubin -in log.pub.pem -outform DER | tail -c 32 | base64)" ] && echo same key
)sh";
  Result ossl = Shell(absl::StrCat("cd ", out_, " && bash ", script));
  EXPECT_EQ(ossl.exit_code, 0) << ossl.output;
  EXPECT_THAT(ossl.output, HasSubstr("Signature Verified Successfully"));
  EXPECT_THAT(ossl.output, HasSubstr("same key"));
  // A changed size in the signed text fails openssl's check.
  std::string text;
  {
    std::ifstream in(out_ + "/checkpoint.txt");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(text.find("\n50\n"), 4, "\n51\n");
  std::ofstream(out_ + "/checkpoint.txt", std::ios::trunc) << text;
  Result bad = Shell(absl::StrCat("cd ", out_,
                                  " && openssl pkeyutl -verify -pubin -inkey log.pub.pem -rawin "
                                  "-in checkpoint.txt -sigfile checkpoint.sig"));
  EXPECT_NE(bad.exit_code, 0) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("Signature Verification Failure"));
}

TEST_F(LedgerCliTest, ProofsAreJsonThatVerifies) {
  Result incl =
      Shell(absl::StrCat(Ctl(), " ledger proof inclusion --data-dir ", dir_, " --index 7"));
  ASSERT_EQ(incl.exit_code, 0) << incl.output;
  nlohmann::json j = nlohmann::json::parse(incl.output);
  EXPECT_EQ(j["leafIdx"].get<uint64_t>(), 7u);
  EXPECT_EQ(j["treeSize"].get<uint64_t>(), 50u);  // the signed checkpoint's size by default
  EXPECT_EQ(*HashFromBase64(j["root"].get<std::string>()), root50_);
  EXPECT_EQ(*HashFromBase64(j["leafHash"].get<std::string>()), LeafHash("entry-7"));
  EXPECT_OK(VerifyInclusion(LeafHash("entry-7"), 7, 50, Hashes(j["proof"]), root50_));

  Result sized = Shell(
      absl::StrCat(Ctl(), " ledger proof inclusion --data-dir ", dir_, " --index 55 --size 60"));
  ASSERT_EQ(sized.exit_code, 0) << sized.output;
  nlohmann::json s = nlohmann::json::parse(sized.output);
  EXPECT_OK(VerifyInclusion(LeafHash("entry-55"), 55, 60, Hashes(s["proof"]),
                            *HashFromBase64(s["root"].get<std::string>())));

  Result cons = Shell(
      absl::StrCat(Ctl(), " ledger proof consistency --data-dir ", dir_, " --from 10 --to 50"));
  ASSERT_EQ(cons.exit_code, 0) << cons.output;
  nlohmann::json c = nlohmann::json::parse(cons.output);
  EXPECT_EQ(c["size1"].get<uint64_t>(), 10u);
  EXPECT_EQ(c["size2"].get<uint64_t>(), 50u);
  EXPECT_EQ(*HashFromBase64(c["root2"].get<std::string>()), root50_);
  EXPECT_OK(VerifyConsistency(10, 50, *HashFromBase64(c["root1"].get<std::string>()), root50_,
                              Hashes(c["proof"])));

  Result bad = Shell(
      absl::StrCat(Ctl(), " ledger proof inclusion --data-dir ", dir_, " --index 60 --size 60"));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.output, HasSubstr("index 60"));
}

TEST_F(LedgerCliTest, TruncatedExportIsRefusedNamingTheIndex) {
  ASSERT_EQ(
      Shell(absl::StrCat(Ctl(), " ledger export --data-dir ", dir_, " --out ", out_)).exit_code, 0);
  std::filesystem::resize_file(out_ + "/entries",
                               std::filesystem::file_size(out_ + "/entries") - 2);
  Result ver = Shell(absl::StrCat(Ctl(), " ledger verify --export ", out_));
  EXPECT_EQ(ver.exit_code, 1) << ver.output;
  EXPECT_THAT(ver.output, HasSubstr("entry 49 is truncated"));
}

TEST_F(LedgerCliTest, MissingDataDirAndEmptyLedgerAreClearErrors) {
  Result none = Shell(absl::StrCat(Ctl(), " ledger verify --data-dir ", dir_, "-does-not-exist"));
  EXPECT_NE(none.exit_code, 0);
  EXPECT_THAT(none.output, HasSubstr("no ledger in"));
  std::string empty = peergrid::testing::FreshTempDir("cli_empty");
  {
    LedgerOptions options;
    options.origin = "peergrid/empty";
    ASSERT_OK(Ledger::Open(empty, options).status());
  }
  Result exp = Shell(absl::StrCat(Ctl(), " ledger export --data-dir ", empty, " --out ", out_));
  EXPECT_NE(exp.exit_code, 0);
  EXPECT_THAT(exp.output, HasSubstr("no signed checkpoint"));
}

}  // namespace
}  // namespace peergrid::ledger
