#include "peergrid/runtime/subprocess.h"

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "peergrid/testing/paths.h"
#include "peergrid/testing/status_matchers.h"

namespace peergrid::runtime {
namespace {

using ::peergrid::testing::StatusIs;

TEST(SubprocessTest, RunsToCompletionWithOutputInTheLog) {
  const std::string dir = ::peergrid::testing::FreshTempDir("sub");
  ASSERT_OK_AND_ASSIGN(auto child,
                       Subprocess::Start({"/bin/sh", "-c", "echo hello; exit 3"}, dir + "/log"));
  ASSERT_OK_AND_ASSIGN(int status, child->Wait(absl::Seconds(30)));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  std::ifstream log(dir + "/log");
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_EQ(text.str(), "hello\n");
}

TEST(SubprocessTest, SigkillEndsAChildThatIgnoresSigterm) {
  ASSERT_OK_AND_ASSIGN(
      auto child,
      Subprocess::Start({"/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done"}, ""));
  EXPECT_FALSE(child->Poll().has_value());
  EXPECT_THAT(child->Wait(absl::Milliseconds(20)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::HasSubstr("still running")));
  int status = child->Stop(absl::Milliseconds(200));
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(SubprocessTest, MissingBinaryIsNotFound) {
  EXPECT_THAT(Subprocess::Start({"/no/such/binary"}, ""),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("/no/such/binary")));
}

TEST(SubprocessTest, WaitForFileLineSeesAWholeLine) {
  const std::string dir = ::peergrid::testing::FreshTempDir("sub");
  ASSERT_OK_AND_ASSIGN(
      auto child,
      Subprocess::Start({"/bin/sh", "-c",
                         "sleep 0.05; printf 4242 > " + dir + "/port.tmp; echo >> " + dir +
                             "/port.tmp; mv " + dir + "/port.tmp " + dir + "/port"},
                        ""));
  ASSERT_OK_AND_ASSIGN(std::string line, WaitForFileLine(dir + "/port", absl::Seconds(30)));
  EXPECT_EQ(line, "4242");
  EXPECT_THAT(WaitForFileLine(dir + "/absent", absl::Milliseconds(10)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::HasSubstr("absent")));
  ASSERT_OK(child->Wait(absl::Seconds(30)).status());
}

}  // namespace
}  // namespace peergrid::runtime
