// threadmap/detail/rw_lock.hpp: the reader-writer lock of one shard.
//
// One 32-bit word, so that a shard's lock and its table header fit in one
// cache line (a lookup touches that line once):
//
//   bit 31  WRITER          held exclusively
//   bit 30  WRITER_WAITING  a writer waits: new readers hold back, so a
//                           stream of readers cannot starve writers
//   bit 29  SLEEPERS        some thread is (or is about to be) blocked in
//                           std::atomic::wait on this word; the releaser
//                           must notify
//   bits 0-28               number of readers
//
// Waiting spins briefly (critical sections are short: a probe of one table)
// and then sleeps on the word with std::atomic::wait (a futex on Linux), so
// a thread whose lock is held for long (a JS callback under update) does not
// burn a core.
//
// Memory orders: acquisitions are acquire and releases are release, which is
// exactly what a lock needs: everything written inside a critical section
// happens-before everything read in the next one on the same lock. Plain
// loads used to decide whether to try a CAS are relaxed: they only guide the
// CAS, which re-checks the value. The SLEEPERS handshake is safe because a
// sleeper sets the bit with a CAS on the exact value it then waits on:
// if a releaser changes the word in between, wait() returns at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "config.hpp"

namespace threadmap::detail {

class rw_lock {
 public:
  rw_lock() noexcept = default;
  rw_lock(const rw_lock&) = delete;
  rw_lock& operator=(const rw_lock&) = delete;

  bool try_lock_shared() noexcept {
    // One read-modify-write, no load first: a load followed by a CAS costs two
    // coherence transactions when another core owns the line, this costs one.
    // A reader that finds a writer (or a waiting writer) backs out through
    // unlock_shared, which wakes a sleeping writer if the back-out was the
    // last reader. Writers never overwrite the reader count (unlock clears
    // only its own bits), so a transient increment is never lost.
    const uint32_t prev = word_.fetch_add(1, std::memory_order_acquire);
    if ((prev & (writer | writer_waiting)) == 0) [[likely]] return true;
    unlock_shared();
    return false;
  }

  void lock_shared() noexcept {
    if (try_lock_shared()) [[likely]] return;
    lock_shared_slow();
  }
  [[gnu::noinline, gnu::cold]] void lock_shared_slow() noexcept {
    for (int spin = 0;; ++spin) {
      uint32_t s = word_.load(std::memory_order_relaxed);
      if ((s & (writer | writer_waiting)) == 0) {
        if (word_.compare_exchange_weak(s, s + 1, std::memory_order_acquire, std::memory_order_relaxed))
          return;
        continue;
      }
      if (spin < spin_limit) {
        THREADMAP_PAUSE();
      } else {
        sleep_on(s);
      }
    }
  }

  void unlock_shared() noexcept {
    uint32_t prev = word_.fetch_sub(1, std::memory_order_release);
    // The last reader out wakes a writer that went to sleep.
    if ((prev & readers) == 1 && (prev & sleepers)) wake_all();
  }

  bool try_lock() noexcept {
    uint32_t s = word_.load(std::memory_order_relaxed);
    return (s & (writer | readers)) == 0 &&
           word_.compare_exchange_strong(s, writer | (s & sleepers), std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }

  void lock() noexcept {
    uint32_t expected = 0;  // the uncontended case, in one CAS
    if (word_.compare_exchange_strong(expected, writer, std::memory_order_acquire, std::memory_order_relaxed)) [[likely]] return;
    lock_slow();
  }
  [[gnu::noinline, gnu::cold]] void lock_slow() noexcept {
    for (int spin = 0;; ++spin) {
      uint32_t s = word_.load(std::memory_order_relaxed);
      if ((s & (writer | readers)) == 0) {
        // Taking the lock clears WRITER_WAITING; other waiting writers set it again.
        if (word_.compare_exchange_weak(s, writer | (s & sleepers), std::memory_order_acquire,
                                        std::memory_order_relaxed))
          return;
        continue;
      }
      if ((s & writer_waiting) == 0) {
        word_.compare_exchange_weak(s, s | writer_waiting, std::memory_order_relaxed);
        continue;
      }
      if (spin < spin_limit) {
        THREADMAP_PAUSE();
      } else {
        sleep_on(s);
      }
    }
  }

  void unlock() noexcept {
    // Clears WRITER and SLEEPERS only: transient reader increments (see
    // try_lock_shared) and WRITER_WAITING of another writer stay.
    uint32_t prev = word_.fetch_and(~(writer | sleepers), std::memory_order_release);
    if (prev & sleepers) [[unlikely]] notify_cold();
  }
  [[gnu::noinline, gnu::cold]] void notify_cold() noexcept { word_.notify_all(); }

  // Bounded acquisition, by spinning and yielding (used only on the rare
  // nested path, see lock_tracker.hpp). Returns whether the lock was taken.
  template <bool Exclusive>
  bool try_lock_for(std::chrono::nanoseconds limit) noexcept {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (int spin = 0;; ++spin) {
      if (Exclusive ? try_lock() : try_lock_shared()) return true;
      if (spin < spin_limit) {
        THREADMAP_PAUSE();
      } else {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::yield();
      }
    }
  }

 private:
  static constexpr uint32_t writer = 1u << 31;
  static constexpr uint32_t writer_waiting = 1u << 30;
  static constexpr uint32_t sleepers = 1u << 29;
  static constexpr uint32_t readers = sleepers - 1;
  static constexpr int spin_limit = 128;

  void sleep_on(uint32_t s) noexcept {
    if ((s & sleepers) == 0) {
      if (!word_.compare_exchange_weak(s, s | sleepers, std::memory_order_relaxed)) return;
      s |= sleepers;
    }
    word_.wait(s, std::memory_order_relaxed);
  }

  [[gnu::noinline, gnu::cold]] void wake_all() noexcept {
    // Clear SLEEPERS before waking: every woken thread re-reads the word and
    // sets the bit again if it must sleep once more. Relaxed: the bit
    // publishes no data (the caller's release already did that), and being an
    // RMW on the word it cannot be lost against a sleeper's CAS.
    word_.fetch_and(~sleepers, std::memory_order_relaxed);
    word_.notify_all();
  }

  std::atomic<uint32_t> word_{0};
};

}  // namespace threadmap::detail
