#include "peergrid/runtime/broadcaster.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace peergrid::runtime {
namespace {

TEST(BroadcasterTest, DeliversInOrderFromCursor) {
  Broadcaster<int> b;
  uint64_t cursor = b.Cursor();
  b.Publish(1);
  b.Publish(2);
  std::vector<int> got;
  ASSERT_TRUE(b.WaitAfter(&cursor, absl::InfiniteFuture(), &got));
  EXPECT_EQ(got, (std::vector<int>{1, 2}));
  got.clear();
  EXPECT_TRUE(b.WaitAfter(&cursor, absl::Now(), &got));  // deadline passed: nothing new
  EXPECT_TRUE(got.empty());
}

TEST(BroadcasterTest, WakesWaiterOnPublishAndClose) {
  Broadcaster<std::string> b;
  uint64_t cursor = b.Cursor();
  std::vector<std::string> got;
  std::thread reader([&] { EXPECT_TRUE(b.WaitAfter(&cursor, absl::InfiniteFuture(), &got)); });
  b.Publish("cleared");
  reader.join();
  EXPECT_EQ(got, (std::vector<std::string>{"cleared"}));
  std::thread closer([&] { b.Close(); });
  std::vector<std::string> none;
  EXPECT_FALSE(b.WaitAfter(&cursor, absl::InfiniteFuture(), &none));
  closer.join();
}

TEST(BroadcasterTest, SlowReaderSkipsAheadPastCapacity) {
  Broadcaster<int> b(2);
  uint64_t cursor = b.Cursor();
  for (int i = 0; i < 5; ++i) b.Publish(i);
  std::vector<int> got;
  ASSERT_TRUE(b.WaitAfter(&cursor, absl::InfiniteFuture(), &got));
  EXPECT_EQ(got, (std::vector<int>{3, 4}));
  EXPECT_EQ(cursor, 5u);
}

}  // namespace
}  // namespace peergrid::runtime
