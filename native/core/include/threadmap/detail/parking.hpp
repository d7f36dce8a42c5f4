// threadmap/detail/parking.hpp: a timed wait on a 32-bit atomic word.
//
// std::atomic::wait has no timeout, and a lock wait with a deadline needs
// one. On Linux this is the futex system call (private to the process,
// which is all a map needs: every waiter and waker is in this process). On
// other systems it falls back to a sleep loop that polls the word.
//
// Contract: wait_until(word, expected, at) returns when the word may differ
// from `expected`, or at the deadline; it may return early (spurious
// wake-ups, signals), so callers re-check the word in a loop. It returns
// false only if the deadline has passed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>
#endif

namespace threadmap::detail {

using park_clock = std::chrono::steady_clock;

// A thread's way out of a long wait. The core knows nothing of who runs
// it; a host whose threads can be told to stop (Node terminates a worker,
// or stops every worker when the process exits, and joins them) installs a
// check on each such thread. Waits for a key's lock that may last longer
// than interrupt_poll_period wake up that often and call it; when it says
// true the wait is abandoned (errc::aborted), so that the thread can leave
// instead of keeping its joiner, and with it the process, waiting. Called
// only on the owning thread, with no shard lock held.
struct wait_interrupt {
  bool (*interrupted)(void* ctx) = nullptr;
  void* ctx = nullptr;
};
inline thread_local wait_interrupt tl_wait_interrupt;
inline constexpr std::chrono::milliseconds interrupt_poll_period{50};

inline bool wait_until(std::atomic<uint32_t>& word, uint32_t expected, park_clock::time_point at) noexcept {
  const bool forever = at == park_clock::time_point::max();
  const auto now = park_clock::now();
  if (!forever && now >= at) return false;
#if defined(__linux__)
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex needs a plain 32-bit word");
  timespec ts{};
  if (!forever) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(at - now).count();
    ts.tv_sec = static_cast<time_t>(left / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(left % 1'000'000'000);
  }
  // FUTEX_WAIT's timeout is relative; the caller's loop re-computes it after
  // an early return.
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, forever ? nullptr : &ts,
          nullptr, 0);
#else
  if (word.load(std::memory_order_acquire) == expected) std::this_thread::sleep_for(std::chrono::microseconds(50));
#endif
  return forever || park_clock::now() < at || word.load(std::memory_order_acquire) != expected;
}

// Wakes every thread waiting on `word` in wait_until (after the caller
// changed it).
inline void wake_all(std::atomic<uint32_t>& word) noexcept {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
  (void)word;  // the fallback polls
#endif
}

}  // namespace threadmap::detail
