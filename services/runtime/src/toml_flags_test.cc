#include "peergrid/runtime/toml_flags.h"

#include <fstream>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

ABSL_FLAG(std::string, tt_listen, "127.0.0.1:1", "test flag");
ABSL_FLAG(int64_t, tt_market_gate_lead_s, 300, "test flag");
ABSL_FLAG(bool, tt_insecure, false, "test flag");

namespace peergrid::runtime {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

std::string WriteConfig(const std::string& text) {
  std::string path = ::peergrid::testing::FreshTempDir("toml") + "/config.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(TomlFlagsTest, SetsFlagsButCommandLineWins) {
  std::string path = WriteConfig(
      "tt_listen = \"0.0.0.0:7400\"\ntt_insecure = true\n[tt_market]\ngate_lead_s = 600\n");
  absl::SetFlag(&FLAGS_tt_market_gate_lead_s, 300);
  absl::SetFlag(&FLAGS_tt_listen, "127.0.0.1:9");
  ASSERT_THAT(ApplyTomlFlags(path, {"prog", "--tt_listen=127.0.0.1:9"}), IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_tt_listen), "127.0.0.1:9");  // explicit
  EXPECT_EQ(absl::GetFlag(FLAGS_tt_market_gate_lead_s), 600);
  EXPECT_TRUE(absl::GetFlag(FLAGS_tt_insecure));
}

TEST(TomlFlagsTest, ErrorsNameTheKey) {
  EXPECT_THAT(ApplyTomlFlags(WriteConfig("tt_no_such_flag = 1\n"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"tt_no_such_flag\"")));
  EXPECT_THAT(ApplyTomlFlags(WriteConfig("tt_market_gate_lead_s = \"soon\"\n"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tt_market_gate_lead_s")));
  EXPECT_THAT(ApplyTomlFlags(WriteConfig("tt_listen = \n"), {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config")));
}

TEST(TomlFlagsTest, NormalizeFlagNamesTurnsDashesIntoUnderscores) {
  std::vector<std::string> in = {"prog",        "--data-dir", "./a-b",    "--max-message-bytes=1-2",
                                 "sub-command", "--",         "--keep-me"};
  std::vector<char*> argv;
  for (std::string& s : in) argv.push_back(s.data());
  EXPECT_EQ(NormalizeFlagNames(static_cast<int>(argv.size()), argv.data()),
            (std::vector<std::string>{"prog", "--data_dir", "./a-b", "--max_message_bytes=1-2",
                                      "sub-command", "--", "--keep-me"}));
}

}  // namespace
}  // namespace peergrid::runtime
