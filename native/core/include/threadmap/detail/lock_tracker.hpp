// threadmap/detail/lock_tracker.hpp: which shard locks this thread holds,
// and the RAII guards through which every public entry point takes them.
//
// Why: engines run caller code under a shard lock (visit, alter, retain,
// for_each callbacks; in Node, JS callbacks of update and retain). If that
// code calls back into a map, two things can go wrong:
//   1. it needs the very lock it holds: it would wait for itself forever;
//   2. it needs another lock while holding one: two threads doing that in
//      opposite orders deadlock.
// Case 1 is detected exactly and reported as errc::would_deadlock before
// any waiting. Case 2 cannot be excluded by an order (the keys come from
// the caller), so a nested acquisition never waits unboundedly: it tries
// for at most `nested_wait_limit` and then reports errc::would_deadlock.
// A thread that holds no lock (the normal case) pays one thread-local load.
//
// The record is per OS thread (thread_local). A guard is always released by
// the thread that took it: guards are scoped objects and never leave the
// function that made them.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "../error.hpp"
#include "rw_lock.hpp"

namespace threadmap::detail {

inline constexpr std::chrono::milliseconds nested_wait_limit{200};

struct held_locks {
  static constexpr std::size_t max_depth = 32;
  const rw_lock* locks[max_depth];
  std::size_t depth = 0;
  // This thread's reader slot (rw_lock.hpp, "Striped readers"), kept here
  // so that a guard needs no second thread-local lookup. Stored plus one
  // and set on first use (0 = not yet), not by an initializer: a
  // thread_local with a dynamic initializer or a destructor would cost
  // every access a guard check. (Plus one keeps the numbers distinct.)
  unsigned reader_slot_ = 0;
  unsigned reader_slot() noexcept {
    if (reader_slot_ == 0) [[unlikely]] reader_slot_ = this_thread_reader_slot() + 1;
    return reader_slot_;
  }

  bool holds(const rw_lock* l) const noexcept {
    for (std::size_t i = 0; i < depth; ++i)
      if (locks[i] == l) return true;
    return false;
  }
  // Whether any held lock lies in [first, last): the locks of one map.
  bool holds_any_in(const void* first, const void* last) const noexcept {
    for (std::size_t i = 0; i < depth; ++i)
      if (static_cast<const void*>(locks[i]) >= first && static_cast<const void*>(locks[i]) < last) return true;
    return false;
  }
};


inline held_locks& this_thread_locks() noexcept {
  thread_local held_locks record;
  return record;
}

// Whole-map operations (clear, retain, for_each, size) visit every shard. If
// this thread already holds one of the map's locks they would reach it and
// fail halfway, after changing other shards; this check fails them before
// they start. `first`/`last` bound the map's shard array.
inline void require_no_lock_in(const void* first, const void* last) {
  const held_locks& record = this_thread_locks();
  if (record.depth != 0 && record.holds_any_in(first, last))
    throw error(errc::would_deadlock,
                "a whole-map call (clear, retain, size, iteration) from inside a callback on the same map "
                "would need the lock that callback holds");
}

// Tracked: the guard records its lock in this thread's held_locks while it
// lives. Only guards under which caller code runs need that (a callback's
// calls back into a map are what the record is checked against); the others
// only check the record on entry, which costs one thread-local load.
//
// Stoppable: a wait at depth 0 may be given up when the thread is told to
// stop (rw_lock::lock_stoppable): the constructor then throws errc::aborted
// with nothing held. Only for callers that may fail there (DashMap's
// members); a caller that must get the lock once it asks (LockMap's
// hand-over and release paths) uses the plain guards.
// Must: the acquisition cannot fail, also nested (inside a callback): no
// bounded wait, an untimed one. For the few paths that end a wait or a
// hold and cannot report a failure (a destructor, a wait's end after its
// deadline): a thread there never holds the lock it asks for, and it can
// only be waiting behind a callback of another thread whose own nested
// waits are bounded or of this kind. Such a callback holds its shard since
// before this thread queued for (or was granted) a key of it, so no two
// Must waits can each hold the other's shard (see lock_map.hpp, "Waits
// inside callbacks").
template <bool Exclusive, bool Tracked, bool Stoppable = false, bool Must = false>
class lock_guard_base {
  static_assert(!Must || (Exclusive && !Stoppable), "an untimed nested wait is only made for exclusive locks");
 public:
  explicit lock_guard_base(rw_lock& l) : lock_(l), record_(this_thread_locks()) {
    if (record_.depth == 0) [[likely]] {
      if constexpr (Stoppable) {
        const bool got = Exclusive ? lock_.lock_stoppable()
                                   : (mode_ = lock_.lock_shared_stoppable(record_.reader_slot())) != read_mode::none;
        if (!got) [[unlikely]] throw error(errc::aborted, "the thread is stopping: its wait for a shard lock was abandoned");
      } else if constexpr (Exclusive) {
        lock_.lock();
      } else {
        mode_ = lock_.lock_shared(record_.reader_slot());
      }
    } else {
      acquire_nested();
    }
    if constexpr (Tracked) record_.locks[record_.depth++] = &lock_;
  }
  ~lock_guard_base() {
    if constexpr (Tracked) {
      THREADMAP_REQUIRE(record_.depth > 0 && record_.locks[record_.depth - 1] == &lock_);
      --record_.depth;
    }
    if constexpr (Exclusive) lock_.unlock(); else lock_.unlock_shared(record_.reader_slot(), mode_);
  }
  lock_guard_base(const lock_guard_base&) = delete;
  lock_guard_base& operator=(const lock_guard_base&) = delete;

 private:
  [[gnu::noinline, gnu::cold]] void acquire_nested() {
    if constexpr (Must) {
      THREADMAP_REQUIRE(!record_.holds(&lock_));  // its callers' precondition
      lock_.lock();
      return;
    }
    if (record_.holds(&lock_))
      throw error(errc::would_deadlock,
                  "this thread already holds the lock this call needs (a map call from inside a "
                  "callback on the same part of the map)");
    if (Tracked && record_.depth == held_locks::max_depth)
      throw error(errc::would_deadlock, "too many nested map calls from inside callbacks");
    mode_ = lock_.template try_lock_for<Exclusive>(nested_wait_limit, record_.reader_slot());
    if (mode_ == read_mode::none)
      throw error(errc::would_deadlock,
                  "a map call from inside a callback waited too long for a second lock; waiting "
                  "longer could deadlock");
  }

  rw_lock& lock_;
  held_locks& record_;
  read_mode mode_ = read_mode::plain;  // how a shared lock was taken (rw_lock.hpp)
};

// A read (shared) or write (exclusive) lock on one shard, for members that
// run no caller code while they hold it.
using shared_access = lock_guard_base<false, false>;
using exclusive_access = lock_guard_base<true, false>;
// An exclusive lock whose acquisition cannot fail (see Must above).
using must_exclusive_access = lock_guard_base<true, false, false, true>;
// The same, recorded, for members that run caller code (callbacks) under it.
using shared_callback_access = lock_guard_base<false, true>;
using exclusive_callback_access = lock_guard_base<true, true>;
// The four again, stoppable (see lock_guard_base).
using stoppable_shared_access = lock_guard_base<false, false, true>;
using stoppable_exclusive_access = lock_guard_base<true, false, true>;
using stoppable_shared_callback_access = lock_guard_base<false, true, true>;
using stoppable_exclusive_callback_access = lock_guard_base<true, true, true>;

// The sum of read(shard) over shards [first, first + n), each read as a
// holder of the shard's `lock` would read it, for data that only the lock's
// exclusive holders change (a shard's entry count): without the lock when
// no writer is inside (the lock's write sequence, see rw_lock::read_seq;
// read() runs between the two checks and must only load words with
// relaxed atomic loads, since it races with writers), otherwise under the
// lock's shared side (stoppable, as the members that call this). So the
// sum is exact when no writer runs, and otherwise adds counts read at
// slightly different moments, as a sum under one lock at a time would.
// A thread inside one of our callbacks always takes the locks, so that the
// re-entry rules (above) apply to it as to every call, whichever way the
// race with a writer goes. Whatever read() loads must stay allocated while
// the map does (it is read with no pin). The thread's lock record is
// looked up once: in the addon a thread_local costs a __tls_get_addr call,
// which per shard was most of size()'s time.
template <class Shard, class Read>
std::size_t sum_as_holder(const Shard* first, std::size_t n, Read&& read) {
  const bool in_callback = this_thread_locks().depth != 0;
  std::size_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const Shard& s = first[i];
    if (!in_callback) {
      const uint32_t v = s.lock.read_seq();
      if (!(v & 1)) {
        THREADMAP_IGNORE_READS_BEGIN();
        const std::size_t x = read(s);
        THREADMAP_IGNORE_READS_END();
        if (s.lock.unchanged_since(v)) {
          sum += x;
          continue;
        }
      }
    }
    stoppable_shared_access guard(s.lock);
    sum += read(s);
  }
  return sum;
}

}  // namespace threadmap::detail
