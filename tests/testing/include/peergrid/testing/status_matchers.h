// gtest matchers for absl::Status / absl::StatusOr (Debian's Abseil has none).
//
//   EXPECT_THAT(DoIt(), IsOk());
//   EXPECT_THAT(Parse("x"), StatusIs(absl::StatusCode::kInvalidArgument,
//                                    HasSubstr("quantity_wh")));
//   EXPECT_THAT(List(), IsOkAndHolds(ElementsAre(1, 2)));
//   ASSERT_OK_AND_ASSIGN(auto v, MakeIt());
#ifndef PEERGRID_TESTING_STATUS_MATCHERS_H_
#define PEERGRID_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace peergrid::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::peergrid::testing::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has code ") + std::string(absl::StatusCodeToString(code))) {
  const absl::Status& s = ::peergrid::testing::GetStatus(arg);
  *result_listener << "status is " << s;
  if (s.code() != code) return false;
  return ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

// Matches an OK absl::StatusOr<T> whose value matches `value_matcher`.
MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace peergrid::testing

#define PEERGRID_TESTING_CONCAT_INNER_(a, b) a##b
#define PEERGRID_TESTING_CONCAT_(a, b) PEERGRID_TESTING_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();      \
  lhs = std::move(statusor).value()
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(PEERGRID_TESTING_CONCAT_(statusor_, __LINE__), lhs, expr)
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::peergrid::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::peergrid::testing::IsOk())

#endif  // PEERGRID_TESTING_STATUS_MATCHERS_H_
