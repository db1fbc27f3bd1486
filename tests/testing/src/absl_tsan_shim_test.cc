// The absl::Mutex ThreadSanitizer shim (absl_tsan_shim.cc) at work. Each test
// shares plain data between threads, ordered only by one Abseil primitive: in
// a PEERGRID_TSAN build a happens-before edge the shim failed to announce is a
// TSan report (deploy/check-builds.sh runs with halt_on_error=1), and the last
// two tests check that the shim is really in the path and hides no real race.
// In other builds they are ordinary tests of the primitives.
#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "absl/base/config.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

constexpr int kIncrements = 10000;

TEST(AbslTsanShimTest, MutexLockOrdersIncrements) {
  absl::Mutex mu;
  int count = 0;
  auto add = [&] {
    for (int i = 0; i < kIncrements; ++i) {
      absl::MutexLock lock(&mu);
      ++count;
    }
  };
  std::thread a(add);
  std::thread b(add);
  a.join();
  b.join();
  EXPECT_EQ(count, 2 * kIncrements);
}

TEST(AbslTsanShimTest, TryLockOrdersIncrements) {
  absl::Mutex mu;
  int count = 0;
  auto add = [&] {
    for (int i = 0; i < kIncrements; ++i) {
      while (!mu.TryLock()) std::this_thread::yield();
      ++count;
      mu.Unlock();
    }
  };
  std::thread a(add);
  std::thread b(add);
  a.join();
  b.join();
  EXPECT_EQ(count, 2 * kIncrements);
}

TEST(AbslTsanShimTest, ReaderLockSeesWriterLockWrites) {
  absl::Mutex mu;
  int first = 0;
  int second = 0;
  std::thread writer([&] {
    for (int i = 1; i <= kIncrements; ++i) {
      absl::WriterMutexLock lock(&mu);
      first = i;
      second = i;
    }
  });
  auto read = [&] {
    for (int i = 0; i < kIncrements; ++i) {
      absl::ReaderMutexLock lock(&mu);
      EXPECT_EQ(first, second);
    }
  };
  std::thread reader_a(read);
  std::thread reader_b(read);
  writer.join();
  reader_a.join();
  reader_b.join();
}

TEST(AbslTsanShimTest, LockWhenAndAwaitHandOver) {
  absl::Mutex mu;
  int stage = 0;
  int payload = 0;
  std::thread other([&] {
    absl::MutexLock lock(&mu);
    payload = 1;
    stage = 1;
    auto answered = [&] { return stage == 2; };
    mu.Await(absl::Condition(&answered));
    payload += 1;
    stage = 3;
  });
  {
    auto posted = [&] { return stage == 1; };
    absl::MutexLock lock(&mu, absl::Condition(&posted));  // LockWhen
    EXPECT_EQ(payload, 1);
    payload += 1;
    stage = 2;
    auto done = [&] { return stage == 3; };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(60)));
    EXPECT_EQ(payload, 3);
  }
  other.join();
}

TEST(AbslTsanShimTest, AwaitUnderAReaderLock) {
  absl::Mutex mu;
  bool ready = false;
  int payload = 0;
  std::thread writer([&] {
    absl::MutexLock lock(&mu);
    payload = 7;
    ready = true;
  });
  {
    absl::ReaderMutexLock lock(&mu);
    auto is_ready = [&] { return ready; };
    mu.Await(absl::Condition(&is_ready));
    EXPECT_EQ(payload, 7);
  }
  writer.join();
}

TEST(AbslTsanShimTest, CondVarWaitHandsOver) {
  absl::Mutex mu;
  absl::CondVar cv;
  int produced = 0;
  int consumed = 0;
  std::thread producer([&] {
    for (int i = 1; i <= 1000; ++i) {
      absl::MutexLock lock(&mu);
      while (consumed != produced) cv.Wait(&mu);
      produced = i;
      cv.SignalAll();
    }
  });
  for (int i = 1; i <= 1000; ++i) {
    absl::MutexLock lock(&mu);
    while (produced != i) cv.WaitWithTimeout(&mu, absl::Seconds(60));
    consumed = i;
    cv.Signal();
  }
  producer.join();
  EXPECT_EQ(consumed, 1000);
}

TEST(AbslTsanShimTest, NotificationPublishesUnguardedData) {
  absl::Notification waited;
  absl::Notification polled;
  int first = 0;
  int second = 0;
  std::thread notifier([&] {
    first = 1;
    waited.Notify();
    second = 2;
    polled.Notify();
  });
  waited.WaitForNotification();
  EXPECT_EQ(first, 1);
  // The inline HasBeenNotified() is an acquire load of the flag Notify() sets.
  while (!polled.HasBeenNotified()) std::this_thread::yield();
  EXPECT_EQ(second, 2);
  EXPECT_TRUE(polled.WaitForNotificationWithTimeout(absl::Seconds(1)));
  notifier.join();
}

#ifdef ABSL_HAVE_THREAD_SANITIZER

// The library's own calls (Notification::Notify locks its Mutex through the
// PLT) reach the shim only if the executable exports its definitions.
TEST(AbslTsanShimTest, ExecutableDefinitionsInterposeTheLibrary) {
  for (const char* name : {"_ZN4absl7debian35Mutex4LockEv", "_ZN4absl7debian35Mutex6UnlockEv",
                           "_ZN4absl7debian312Notification6NotifyEv"}) {
    void* resolved = dlsym(RTLD_DEFAULT, name);
    ASSERT_NE(resolved, nullptr) << name;
    Dl_info info;
    ASSERT_NE(dladdr(resolved, &info), 0) << name;
    EXPECT_THAT(info.dli_fname, ::testing::Not(::testing::HasSubstr("libabsl_synchronization")))
        << name << " resolves into the uninstrumented library";
  }
}

// A race beside absl::Mutex use is still a race: two threads each hold a
// different mutex while incrementing the same int.
TEST(AbslTsanShimTest, StillReportsARealRace) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const char* options = std::getenv("TSAN_OPTIONS");
  const std::string halting = std::string(options ? options : "") + ":halt_on_error=1";
  setenv("TSAN_OPTIONS", halting.c_str(), 1);
  EXPECT_DEATH(
      {
        absl::Mutex mu_a;
        absl::Mutex mu_b;
        int shared = 0;
        std::thread a([&] {
          absl::MutexLock lock(&mu_a);
          ++shared;
        });
        std::thread b([&] {
          absl::MutexLock lock(&mu_b);
          ++shared;
        });
        a.join();
        b.join();
      },
      "ThreadSanitizer: data race");
}

#endif  // ABSL_HAVE_THREAD_SANITIZER

}  // namespace
