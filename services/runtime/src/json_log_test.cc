#include "peergrid/runtime/json_log.h"

#include <cstdint>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace peergrid::runtime {
namespace {

TEST(JsonLogTest, EscapesControlAndQuoteCharacters) {
  EXPECT_EQ(JsonEscape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
}

TEST(JsonLogTest, WritesOneParseableLinePerCall) {
  ::testing::internal::CaptureStderr();
  LogJson("info", "cleared \"interval\"",
          {{"interval", int64_t{1782000000}}, {"zone", "jeju-1"}, {"ratio", 0.25}});
  std::string out = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  nlohmann::json line = nlohmann::json::parse(out);
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["msg"], "cleared \"interval\"");
  EXPECT_EQ(line["interval"], 1782000000);
  EXPECT_EQ(line["zone"], "jeju-1");
  EXPECT_DOUBLE_EQ(line["ratio"].get<double>(), 0.25);
  EXPECT_TRUE(line.contains("ts"));
}

}  // namespace
}  // namespace peergrid::runtime
