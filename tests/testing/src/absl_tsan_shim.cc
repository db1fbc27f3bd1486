// A ThreadSanitizer shim for Debian's absl::Mutex: linked into the test
// executables of a PEERGRID_TSAN build only (tests/testing/CMakeLists.txt).
//
// Why: Debian 12 ships libabsl_synchronization.so built without
// -fsanitize=thread. absl::Mutex locks with its own atomics and futexes inside
// that library, so TSan sees neither the lock nor the happens-before edge it
// makes, and reports every access to data guarded by an absl::Mutex as a race
// (false positives that would drown the real ones). A TSan build of Abseil
// announces each operation to TSan itself (the __tsan_mutex_* annotations in
// absl/synchronization/mutex.cc); this file puts the same annotations back from
// outside the library.
//
// How: it defines the library's exported absl::Mutex, absl::CondVar and
// absl::Notification member functions in the test executable, which exports
// them (--export-dynamic-symbol). The dynamic linker resolves every call to
// them, including the library's own calls through its PLT (Notification::Notify
// calls Mutex::Lock) and other Abseil libraries' (flags), to the executable's
// definition. Each definition announces the operation to TSan
// (__tsan_mutex_pre_lock/post_lock/pre_unlock/post_unlock, with
// __tsan_mutex_read_lock, __tsan_mutex_try_lock and
// __tsan_mutex_try_lock_failed) and calls the library's own function, found
// with dlsym(RTLD_NEXT, <mangled name>); the library's calls to itself arrive
// nested and go straight through. Between a pre and a post TSan ignores
// the thread's accesses, so a Condition absl evaluates inside a lock or unlock
// (always with the mutex held) is not reported either.
//
// What it mirrors, exactly as Abseil's own TSan build: Await and CondVar::Wait
// are an unlock then a lock of the mutex, in the mode the caller holds it;
// CondVar::Signal and SignalAll add no edge of their own (a waiter synchronizes
// by reacquiring the mutex), so they are not interposed; Notification's edge is
// the release-store and acquire-load of its notified_yet_ flag, announced on
// that field's address so the inline HasBeenNotified() sees it too. Nothing
// else in the library is interposed, and races on data not ordered by these
// primitives are reported as before (absl_tsan_shim_test.cc checks both).
//
// The names are mangled for Abseil 20220623 in Debian's inline namespace
// `debian3`; a missing symbol aborts on first use, naming it.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "absl/base/config.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

#ifndef ABSL_HAVE_THREAD_SANITIZER
#error "absl_tsan_shim.cc belongs in -fsanitize=thread builds only (PEERGRID_TSAN)"
#endif

#define PEERGRID_SHIM_STR2(x) #x
#define PEERGRID_SHIM_STR(x) PEERGRID_SHIM_STR2(x)
static_assert(std::string_view(PEERGRID_SHIM_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME)) == "debian3",
              "the mangled names below assume Abseil's inline namespace debian3");

namespace {

// Returns the next definition of `mangled` after this executable's: the library's.
template <typename Fn>
Fn Real(const char* mangled) {
  void* sym = dlsym(RTLD_NEXT, mangled);
  if (sym == nullptr) {
    std::fprintf(stderr, "absl_tsan_shim: %s not found after the executable: %s\n", mangled,
                 dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(sym);
}

// How deep this thread is in shim calls. The library's functions call each
// other through its PLT, so those calls reach the shim too (AwaitWithTimeout
// calls AwaitWithDeadline, Notification::Notify calls Mutex::Lock): only the
// outermost call announces its operation, nested ones go straight through.
thread_local int t_depth = 0;

class ShimCall {
 public:
  ShimCall() : nested_(t_depth++ > 0) {}
  ~ShimCall() { --t_depth; }
  ShimCall(const ShimCall&) = delete;
  ShimCall& operator=(const ShimCall&) = delete;
  bool nested() const { return nested_; }

 private:
  const bool nested_;
};

// The mutexes this thread holds in shared (reader) mode. Await and CondVar::Wait
// release and reacquire the mutex in the mode the caller holds it, and TSan must
// be told that mode; absl reads it from the private mutex word, the shim
// remembers it instead.
constexpr int kMaxShared = 32;
thread_local const absl::Mutex* t_shared[kMaxShared];
thread_local int t_num_shared = 0;

void AddShared(const absl::Mutex* mu) {
  if (t_num_shared == kMaxShared) {
    std::fprintf(stderr, "absl_tsan_shim: more than %d reader locks held by one thread\n",
                 kMaxShared);
    std::abort();
  }
  t_shared[t_num_shared++] = mu;
}

void RemoveShared(const absl::Mutex* mu) {
  for (int i = t_num_shared - 1; i >= 0; --i) {
    if (t_shared[i] == mu) {
      t_shared[i] = t_shared[--t_num_shared];
      return;
    }
  }
}

// Returns the TSan mode flags of the lock this thread holds on `mu`.
unsigned HeldFlags(const absl::Mutex* mu) {
  for (int i = 0; i < t_num_shared; ++i) {
    if (t_shared[i] == mu) return __tsan_mutex_read_lock;
  }
  return 0;
}

// Announces that a blocking or try lock of `mu` in `flags` mode is done.
void PostLock(absl::Mutex* mu, unsigned flags, bool locked = true) {
  __tsan_mutex_post_lock(mu, flags | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  if (locked && (flags & __tsan_mutex_read_lock)) AddShared(mu);
}

// Announces that Await or CondVar::Wait releases the caller's hold on `mu`;
// returns the mode it is held in, for EndWait.
unsigned BeginWait(absl::Mutex* mu) {
  const unsigned flags = HeldFlags(mu);
  __tsan_mutex_pre_unlock(mu, flags);
  return flags;
}

// Announces that the wait is over and `mu` is held again in `flags` mode.
void EndWait(absl::Mutex* mu, unsigned flags) {
  __tsan_mutex_post_unlock(mu, flags);
  __tsan_mutex_pre_lock(mu, flags);
  __tsan_mutex_post_lock(mu, flags, 0);
}

// Notification's layout, to find its flag: absl::Notification is a Mutex then
// the atomic flag it publishes with a release store.
struct NotificationLayout {
  absl::Mutex mutex;
  std::atomic<bool> notified_yet;
};
static_assert(sizeof(NotificationLayout) == sizeof(absl::Notification));

void* NotifiedFlag(const absl::Notification* n) {
  return const_cast<char*>(reinterpret_cast<const char*>(n)) +
         offsetof(NotificationLayout, notified_yet);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

// ABSL_NO_THREAD_SAFETY_ANALYSIS throughout: these are the lock's own
// implementation, which clang's -Wthread-safety cannot follow (the real lock is
// taken by a function called through a pointer).

Mutex::~Mutex() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<void (*)(Mutex*)>("_ZN4absl7debian35MutexD2Ev");
  real(this);
  __tsan_mutex_destroy(this, __tsan_mutex_not_static);
}

void Mutex::Lock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<void (*)(Mutex*)>("_ZN4absl7debian35Mutex4LockEv");
  const ShimCall call;
  if (call.nested()) return real(this);
  __tsan_mutex_pre_lock(this, 0);
  real(this);
  PostLock(this, 0);
}

void Mutex::ReaderLock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<void (*)(Mutex*)>("_ZN4absl7debian35Mutex10ReaderLockEv");
  const ShimCall call;
  if (call.nested()) return real(this);
  __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  real(this);
  PostLock(this, __tsan_mutex_read_lock);
}

bool Mutex::TryLock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<bool (*)(Mutex*)>("_ZN4absl7debian35Mutex7TryLockEv");
  const ShimCall call;
  if (call.nested()) return real(this);
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool locked = real(this);
  PostLock(this, __tsan_mutex_try_lock, locked);
  return locked;
}

bool Mutex::ReaderTryLock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<bool (*)(Mutex*)>("_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const ShimCall call;
  if (call.nested()) return real(this);
  __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock | __tsan_mutex_try_lock);
  const bool locked = real(this);
  PostLock(this, __tsan_mutex_read_lock | __tsan_mutex_try_lock, locked);
  return locked;
}

void Mutex::Unlock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<void (*)(Mutex*)>("_ZN4absl7debian35Mutex6UnlockEv");
  const ShimCall call;
  if (call.nested()) return real(this);
  __tsan_mutex_pre_unlock(this, 0);
  real(this);
  __tsan_mutex_post_unlock(this, 0);
}

void Mutex::ReaderUnlock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<void (*)(Mutex*)>("_ZN4absl7debian35Mutex12ReaderUnlockEv");
  const ShimCall call;
  if (call.nested()) return real(this);
  RemoveShared(this);
  __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
  real(this);
  __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
}

// The LockWhen family returns holding the mutex, whether or not the condition
// became true before the timeout.

void Mutex::LockWhen(const Condition& cond) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  const ShimCall call;
  if (call.nested()) return real(this, cond);
  __tsan_mutex_pre_lock(this, 0);
  real(this, cond);
  PostLock(this, 0);
}

void Mutex::ReaderLockWhen(const Condition& cond) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(
      "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  const ShimCall call;
  if (call.nested()) return real(this, cond);
  __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  real(this, cond);
  PostLock(this, __tsan_mutex_read_lock);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond,
                                Duration timeout) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const ShimCall call;
  if (call.nested()) return real(this, cond, timeout);
  __tsan_mutex_pre_lock(this, 0);
  const bool became_true = real(this, cond, timeout);
  PostLock(this, 0);
  return became_true;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond,
                                      Duration timeout) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const ShimCall call;
  if (call.nested()) return real(this, cond, timeout);
  __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  const bool became_true = real(this, cond, timeout);
  PostLock(this, __tsan_mutex_read_lock);
  return became_true;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond,
                                 Time deadline) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const ShimCall call;
  if (call.nested()) return real(this, cond, deadline);
  __tsan_mutex_pre_lock(this, 0);
  const bool became_true = real(this, cond, deadline);
  PostLock(this, 0);
  return became_true;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond,
                                       Time deadline) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const ShimCall call;
  if (call.nested()) return real(this, cond, deadline);
  __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  const bool became_true = real(this, cond, deadline);
  PostLock(this, __tsan_mutex_read_lock);
  return became_true;
}

// The Await family: as in absl, a condition already true returns at once with
// the mutex held throughout; otherwise the mutex is released while waiting.

void Mutex::Await(const Condition& cond) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  const ShimCall call;
  if (call.nested()) return real(this, cond);
  if (cond.Eval()) return;
  const unsigned flags = BeginWait(this);
  real(this, cond);
  EndWait(this, flags);
}

bool Mutex::AwaitWithTimeout(const Condition& cond,
                             Duration timeout) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const ShimCall call;
  if (call.nested()) return real(this, cond, timeout);
  if (cond.Eval()) return true;
  const unsigned flags = BeginWait(this);
  const bool became_true = real(this, cond, timeout);
  EndWait(this, flags);
  return became_true;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const ShimCall call;
  if (call.nested()) return real(this, cond, deadline);
  if (cond.Eval()) return true;
  const unsigned flags = BeginWait(this);
  const bool became_true = real(this, cond, deadline);
  EndWait(this, flags);
  return became_true;
}

// CondVar waits: an unlock of `mu`, then a lock once woken (or timed out).

void CondVar::Wait(Mutex* mu) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real =
      Real<void (*)(CondVar*, Mutex*)>("_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  const ShimCall call;
  if (call.nested()) return real(this, mu);
  const unsigned flags = BeginWait(mu);
  real(this, mu);
  EndWait(mu, flags);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Duration)>(
      "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  const ShimCall call;
  if (call.nested()) return real(this, mu, timeout);
  const unsigned flags = BeginWait(mu);
  const bool timed_out = real(this, mu, timeout);
  EndWait(mu, flags);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Time)>(
      "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  const ShimCall call;
  if (call.nested()) return real(this, mu, deadline);
  const unsigned flags = BeginWait(mu);
  const bool timed_out = real(this, mu, deadline);
  EndWait(mu, flags);
  return timed_out;
}

// Notification: everything before Notify() happens before a wait that returns
// notified (and before a HasBeenNotified() that returns true).

void Notification::Notify() {
  static const auto real = Real<void (*)(Notification*)>("_ZN4absl7debian312Notification6NotifyEv");
  const ShimCall call;
  if (call.nested()) return real(this);
  __tsan_release(NotifiedFlag(this));
  real(this);
}

void Notification::WaitForNotification() const {
  static const auto real =
      Real<void (*)(const Notification*)>("_ZNK4absl7debian312Notification19WaitForNotificationEv");
  const ShimCall call;
  if (call.nested()) return real(this);
  real(this);
  __tsan_acquire(NotifiedFlag(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static const auto real = Real<bool (*)(const Notification*, Duration)>(
      "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const ShimCall call;
  if (call.nested()) return real(this, timeout);
  const bool notified = real(this, timeout);
  if (notified) __tsan_acquire(NotifiedFlag(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static const auto real = Real<bool (*)(const Notification*, Time)>(
      "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  const ShimCall call;
  if (call.nested()) return real(this, deadline);
  const bool notified = real(this, deadline);
  if (notified) __tsan_acquire(NotifiedFlag(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
