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

TEST(TomlFlagsTest, AControlCharacterIsRefusedBeforeTomlxxSeesIt) {
  EXPECT_THAT(
      ApplyTomlFlags(WriteConfig(std::string("[\0x]\ntt_listen = \"a\"\n", 21)), {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control character 0x00 at byte 1")));
  EXPECT_THAT(CheckTomlText("a = 1\x7f", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("f: control character 0x7f")));
  EXPECT_THAT(CheckTomlText("a = 1\t# ok\r\n", "f"), IsOk());
}

// Found by tests/fuzz/hub_config_fuzz.cc: toml++'s whitespace test reaches
// __builtin_unreachable on U+00B1 after a key.
TEST(TomlFlagsTest, NonAsciiIsRefusedOutsideStringsAndComments) {
  EXPECT_THAT(CheckTomlText("_ \u00b140 = 1\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("f: non-ASCII byte outside a string or comment 0xc2 at byte 2")));
  EXPECT_THAT(CheckTomlText("a = \"\u00b140\u00b0 \\\" # \u00e9\" # \u00b1 south\n"
                            "b = '\u00e9' # '\n"
                            "c = \"\"\"\n\u00e9 \"\" \u00b1\"\"\"\n"
                            "d = \'\'\'\u00e9\'\'\'\n",
                            "f"),
              IsOk());
  EXPECT_THAT(CheckTomlText("a = 1 \u00e9\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at byte 6")));
  EXPECT_THAT(CheckTomlText("c = \"\"\"x \\\n  \u00b1\"\"\"\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("non-ASCII byte after a line-ending backslash")));
  // A table header must start with a key (toml++ asserted on "[}ite]").
  EXPECT_THAT(CheckTomlText("a = 1\n  [}ite]\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("table header that does not start with a key: 0x7d at byte 9")));
  EXPECT_THAT(
      CheckTomlText("[[ banks ]]\nx = 1\n[ \"q\" . r ]\na = [\n  [1, 2],\n  [{ b = 1 }],\n]\n"
                    "[[banks]] # [}\n",
                    "f"),
      IsOk());
  // A quote in the middle of a bare value is scanned as the value by toml++.
  EXPECT_THAT(CheckTomlText("hub_i= 4\"Jhd;\u015erg\"\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("quote that does not start a key or value: 0x22 at byte 8")));
  EXPECT_THAT(CheckTomlText("\"k\".'l' = { m = \"\u00e9\", n = [\"a\",'b'] }\n", "f"), IsOk());
  // A terminator where an array element is due made toml++ assert.
  EXPECT_THAT(CheckTomlText("h= [[[ [[[}}}\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0x7d at byte 10")));
  EXPECT_THAT(CheckTomlText("h = [1, , 2]\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("array element missing before 0x2c at byte 8")));
  EXPECT_THAT(CheckTomlText("h = [ [1, 2], [], [ { a = [3,] } ], ]\n", "f"), IsOk());
  EXPECT_THAT(CheckTomlText("a = \"\\\x01\"\n", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control character 0x01")));
  const std::string missing = ::peergrid::testing::FreshTempDir("toml") + "/absent.toml";
  EXPECT_THAT(ApplyTomlFlags(missing, {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("config " + missing)));
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
