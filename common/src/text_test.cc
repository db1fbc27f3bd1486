#include "peergrid/common/text.h"

#include <string>

#include "gtest/gtest.h"
#include "peergrid/common/ids.h"
#include "peergrid/common/limits.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid {
namespace {

using ::peergrid::testing::IsOk;
using ::peergrid::testing::StatusIs;
using ::testing::HasSubstr;

TEST(QuoteInputTest, ShortValuesAreQuotedWhole) {
  EXPECT_EQ(QuoteInput("hub-1"), "\"hub-1\"");
  EXPECT_EQ(QuoteInput("제주 허브"), "\"제주 허브\"");
}

TEST(QuoteInputTest, EscapesControlQuotesAndInvalidBytes) {
  EXPECT_EQ(QuoteInput(std::string("a\"b\\c\nd\x01") + "\xff"), "\"a\\\"b\\\\c\\nd\\u0001\\xff\"");
}

TEST(QuoteInputTest, QuotesAtMost128BytesOfAHugeValue) {
  const std::string huge(4 << 20, 'x');
  const std::string quoted = QuoteInput(huge);
  EXPECT_EQ(quoted, "\"" + std::string(128, 'x') + "\"…(4194304 bytes)");
}

TEST(QuoteInputTest, NeverCutsACharacterInTwo) {
  // 127 ASCII bytes then a 3-byte character straddling the 128-byte cut.
  const std::string value = std::string(127, 'a') + "한" + "b";
  EXPECT_EQ(QuoteInput(value), "\"" + std::string(127, 'a') + "\"…(131 bytes)");
}

TEST(CapMessageTest, CutsLongMessages) {
  EXPECT_EQ(CapMessage("short"), "short");
  const std::string capped = CapMessage(std::string(5000, 'm'));
  EXPECT_LE(capped.size(), static_cast<size_t>(limits::kMaxErrorMessageBytes));
  EXPECT_EQ(capped.substr(capped.size() - 3), "…");
}

TEST(ValidateDisplayNameTest, AcceptsUtf8UpTo128Characters) {
  EXPECT_THAT(ValidateDisplayName("hub.display_name", ""), IsOk());
  EXPECT_THAT(ValidateDisplayName("hub.display_name", "Jeju Hub 1 — 제주"), IsOk());
  std::string korean;
  for (int i = 0; i < 128; ++i) korean += "한";  // 384 bytes, 128 characters
  EXPECT_THAT(ValidateDisplayName("hub.display_name", korean), IsOk());
}

TEST(ValidateDisplayNameTest, RefusesLongControlAndInvalid) {
  EXPECT_THAT(
      ValidateDisplayName("participant.display_name", std::string(129, 'n')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("participant.display_name \"nnnn")));
  const absl::Status huge = ValidateDisplayName("hub.display_name", std::string(4 << 20, 'n'));
  EXPECT_THAT(
      huge, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than 128 characters")));
  EXPECT_LT(huge.message().size(), 300u);
  EXPECT_THAT(ValidateDisplayName("hub.display_name", "line\nbreak"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control character")));
  EXPECT_THAT(ValidateDisplayName("hub.display_name", "bell\x07"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control character")));
  EXPECT_THAT(ValidateDisplayName("hub.display_name", "c1\xc2\x85"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control character")));
  EXPECT_THAT(ValidateDisplayName("hub.display_name", "bad\xc3("),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid UTF-8")));
  EXPECT_THAT(ValidateDisplayName("hub.display_name", "overlong\xc0\xaf"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid UTF-8")));
}

TEST(ValidateIdTest, QuotesAtMost128BytesOfABadId) {
  const absl::Status s = ValidateId("hub_id", std::string(4 << 20, 'h'));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than 128")));
  EXPECT_LT(s.message().size(), 300u);
  EXPECT_THAT(ValidateId("hub_id", "a\x01"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"a\\u0001\"")));
}

}  // namespace
}  // namespace peergrid
