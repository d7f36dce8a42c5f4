// LockMap and LruLockMap under threads: batch_lock transfers keep a sum
// exact and never deadlock; sync and async waiters mixed; the LRU bound
// holds under concurrent inserts.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <threadmap/lock_map.hpp>

#include "support.hpp"

namespace {

using namespace std::chrono_literals;
using threadmap_test::failure_log;
using threadmap_test::rng;
using threadmap_test::run_together;
using threadmap_test::scaled;

using Accounts = threadmap::LockMap<uint64_t, int64_t, threadmap_test::fixed_hash>;

// 8 threads x (1M / 8) transfers between 1,000 accounts, each under
// batch_lock of its two accounts: the total never changes and every thread
// finishes (a deadlock would hang the test until ctest's timeout).
TEST(LockMapStress, BatchLockTransfersKeepTheSumExact) {
  constexpr uint64_t accounts = 1000;
  constexpr int64_t initial = 1000;
  const size_t threads = 8;
  const size_t transfers = scaled(1'000'000, 40'000);
  Accounts m({.shards = 16});
  for (uint64_t a = 0; a < accounts; ++a) m.insert(a, initial);
  failure_log failures;
  std::atomic<size_t> done{0};
  run_together(threads, [&](size_t t) {
    rng r(threadmap_test::stream_seed(threadmap_test::test_seed(), t));
    for (size_t i = 0; i < transfers / threads; ++i) {
      const uint64_t from = r.below(accounts), to = r.below(accounts);
      const int64_t amount = static_cast<int64_t>(r.below(100));
      auto held = m.batch_lock({from, to});
      if (from == to) {
        if (held.size() != 1) failures.fail("a duplicate key was locked twice");
        continue;
      }
      auto& a = held[0].key() == from ? held[0] : held[1];
      auto& b = held[0].key() == from ? held[1] : held[0];
      a.set(*a.get() - amount);
      b.set(*b.get() + amount);
    }
    done.fetch_add(1);
  });
  EXPECT_EQ(done.load(), threads);
  ASSERT_EQ(failures.count(), 0u) << failures.summary();
  int64_t total = 0;
  m.for_each([&](uint64_t, int64_t v) { total += v; });
  EXPECT_EQ(total, static_cast<int64_t>(accounts) * initial);
  EXPECT_EQ(m.state_count(), accounts);  // no state left by a lock or a waiter
}

// The same transfers with two plain lock() calls in the caller's own order
// (from, then to) and no deadline: threads meet in opposite orders all the
// time. The wait graph (detail/wait_graph.hpp) must turn each such cycle
// into a would_deadlock for one thread, which lets go and retries; so every
// thread finishes and the sum stays exact. Without it the test hangs.
TEST(LockMapStress, OppositeOrderLocksFailOneThreadInsteadOfDeadlocking) {
  constexpr uint64_t accounts = 16;  // few keys: many cycles
  constexpr int64_t initial = 1000;
  const size_t threads = 4;
  const size_t transfers = scaled(200'000, 20'000);
  Accounts m({.shards = 4});
  for (uint64_t a = 0; a < accounts; ++a) m.insert(a, initial);
  std::atomic<size_t> done{0}, refused{0};
  run_together(threads, [&](size_t t) {
    rng r(threadmap_test::stream_seed(threadmap_test::test_seed(), t));
    for (size_t i = 0; i < transfers / threads;) {
      const uint64_t from = r.below(accounts), to = r.below(accounts);
      if (from == to) continue;
      try {
        auto a = m.lock(from);
        auto b = m.lock(to);
        a.set(*a.get() - 1);
        b.set(*b.get() + 1);
        ++i;
      } catch (const threadmap::error& e) {
        if (e.code() != threadmap::errc::would_deadlock) throw;
        refused.fetch_add(1);  // `a` was released on the way out: retry
      }
    }
    done.fetch_add(1);
  });
  EXPECT_EQ(done.load(), threads);
  int64_t total = 0;
  m.for_each([&](uint64_t, int64_t v) { total += v; });
  EXPECT_EQ(total, static_cast<int64_t>(accounts) * initial);
  EXPECT_EQ(m.state_count(), accounts);
  std::printf("[          ] %zu deadlocks refused in %zu transfers\n", refused.load(), transfers);
}

// Writes outside a lock and entry writes on a few hot keys: every increment
// lands exactly once (the holder's read-modify-write is exclusive).
TEST(LockMapStress, IncrementsThroughLocksAndAlterAreExact) {
  Accounts m({.shards = 2});
  const size_t per = scaled(40'000, 4'000);
  run_together(4, [&](size_t t) {
    for (size_t i = 0; i < per; ++i) {
      const uint64_t k = i % 3;
      if ((i + t) % 2) {
        auto e = m.lock(k);
        e.set(e.get().value_or(0) + 1);
      } else {
        m.alter(k, [](threadmap::alter_entry<int64_t>& e) {
          e.assign((e.exists() ? e.value() : 0) + 1);
          return 0;
        });
      }
    }
  });
  int64_t total = 0;
  for (uint64_t k = 0; k < 3; ++k) total += m.get(k).value_or(0);
  EXPECT_EQ(total, static_cast<int64_t>(4 * per));
}

// LockMap::size() reads each shard's count without its lock unless a writer
// is in the shard (detail::sum_as_holder). While writers insert and remove
// churn keys and hold key locks, every size read lies between the stable
// keys and those plus every churn key that can be present at once, and it
// is exact once they are done.
TEST(LockMapStress, SizeWithoutLocksStaysWithinWhatTheWritersAllow) {
  constexpr uint64_t stable = 500;
  constexpr uint64_t churn = 3000;
  Accounts m({.shards = 4});
  for (uint64_t k = 0; k < stable; ++k) m.insert(k, 1);
  std::atomic<int> writers_left{2};
  failure_log failures;
  std::atomic<uint64_t> reads{0};
  const size_t rounds = scaled(20, 4);
  run_together(3, [&](size_t t) {
    if (t < 2) {
      for (size_t round = 0; round < rounds; ++round) {
        const uint64_t base = (uint64_t{1} << 20) * (t + 1);
        for (uint64_t i = 0; i < churn; ++i) m.insert(base + i, 2);
        // A held key of its own: locked states without a value do not count.
        auto e = m.lock(base + churn);
        for (uint64_t i = 0; i < churn; ++i) m.remove(base + i);
      }
      writers_left.fetch_sub(1);
      return;
    }
    reads += threadmap_test::read_count_while_writing(writers_left, failures, stable, stable + 2 * churn,
                                                      [&] { return m.size(); });
  });
  EXPECT_EQ(failures.count(), 0u) << failures.summary();
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(m.size(), stable);
}

struct counting_waiter : Accounts::async_waiter {
  counting_waiter(threadmap::owner_id o, std::atomic<int64_t>& sum) : Accounts::async_waiter(o), sum_(sum) {}
  void granted(Accounts::entry e) noexcept override {
    e.set(e.get().value_or(0) + 1);
    sum_.fetch_add(1);
    done.store(true, std::memory_order_release);
    done.notify_all();
  }  // e's destructor hands the lock on, from the releasing thread
  std::atomic<int64_t>& sum_;
  std::atomic<bool> done{false};
};

// Sync lockers, async waiters (granted on the releasing thread) and
// cancellations on one key: every grant runs exactly once, every cancel that
// returns true is never granted, and the count is exact.
TEST(LockMapStress, SyncAndAsyncWaitersAndCancelsOnOneKey) {
  Accounts m({.shards = 1});
  std::atomic<int64_t> async_grants{0};
  std::atomic<int64_t> sync_increments{0};
  const size_t rounds = scaled(20'000, 2'000);
  run_together(4, [&](size_t t) {
    rng r(threadmap_test::stream_seed(7, t));
    for (size_t i = 0; i < rounds; ++i) {
      if (t % 2 == 0) {
        auto e = m.lock(0);
        e.set(e.get().value_or(0) + 1);
        sync_increments.fetch_add(1);
      } else {
        counting_waiter w(threadmap::this_thread_owner() + 1000, async_grants);
        if (auto now = m.lock_async(0, w)) {
          now->set(now->get().value_or(0) + 1);
          async_grants.fetch_add(1);
          continue;
        }
        if (r.chance(1, 2) && m.cancel(w)) continue;  // withdrawn: never granted
        w.done.wait(false, std::memory_order_acquire);
      }
    }
  });
  EXPECT_EQ(m.get(0).value_or(0), sync_increments.load() + async_grants.load());
  EXPECT_EQ(m.waiting(0), 0u);
}

using Lru = threadmap::LruLockMap<uint64_t, uint64_t, threadmap_test::fixed_hash>;

// Waits inside callbacks (lock_map.hpp): the steps that end a wait or a
// hold cannot fail, however long another thread's callback holds the shard
// they need. Two shards: odd keys in shard 1, even keys in shard 0.
struct parity_hash {
  uint64_t operator()(uint64_t k) const noexcept { return ((k & 1) << 63) | (k * 0x9E3779B97F4A7C15ull >> 2); }
};
using ParityMap = threadmap::LockMap<uint64_t, std::string, parity_hash>;

// Key 1 in shard 1, key 4 in shard 0, key 2 (shard 0) held by this thread.
class LockMapBusyShard : public ::testing::Test {
 protected:
  LockMapBusyShard() {
    m.insert(1, "one");
    m.insert(4, "four");
    held = m.lock(2);
  }
  // Runs `in_callback` on a new thread inside a callback that holds shard
  // 1; returns once that thread's lock(2) is queued.
  template <class F>
  std::thread queue_from_callback(F in_callback) {
    std::thread a([this, in_callback] { m.visit(1, [&](const std::string&) { in_callback(); }); });
    while (m.waiting(2) != 1) std::this_thread::sleep_for(1ms);
    return a;
  }
  ParityMap m{threadmap::lock_map_options{.shards = 2}};
  std::optional<ParityMap::entry> held;
};

// A lock() from a callback times out (its nested bound) while another
// callback holds the key's shard for longer than that bound: leaving the
// queue once threw too, and left the waiter, on a dead stack frame, queued.
TEST_F(LockMapBusyShard, AWaitFromACallbackLeavesTheQueueWhenItsShardIsBusy) {
  std::atomic<int> code{-1};
  std::thread a = queue_from_callback([&] {
    try {
      auto e = m.lock(2);
    } catch (const threadmap::error& e) {
      code = static_cast<int>(e.code());
    }
  });
  std::thread b([&] { m.visit(4, [&](const std::string&) { std::this_thread::sleep_for(600ms); }); });
  a.join();
  b.join();
  EXPECT_EQ(code.load(), static_cast<int>(threadmap::errc::would_deadlock));
  EXPECT_EQ(m.waiting(2), 0u);
  held.reset();
  EXPECT_TRUE(m.try_lock(2).has_value()) << "released to nobody";
}

// A lock() from a callback is granted while readers keep the key's shard
// busy: its end once took that shard with the bounded wait, threw after the
// grant, and the key stayed locked by nobody.
TEST_F(LockMapBusyShard, AGrantToACallbackIsKeptWhenItsShardIsBusy) {
  std::atomic<bool> stop{false}, got{false};
  std::thread a = queue_from_callback([&] {
    auto e = m.lock(2);
    got = true;
  });
  std::thread b([&] {
    while (!stop) m.visit(4, [&](const std::string&) { std::this_thread::sleep_for(20ms); });
  });
  std::this_thread::sleep_for(10ms);
  held.reset();  // hands key 2 to the waiter inside the callback
  a.join();
  stop = true;
  b.join();
  EXPECT_TRUE(got.load());
  EXPECT_TRUE(m.try_lock(2).has_value()) << "the granted lock was lost";
}

// An entry dropped inside a callback while another callback holds its
// shard: the destructor waits instead of throwing (std::terminate).
TEST_F(LockMapBusyShard, AnEntryDroppedInACallbackWaitsForItsBusyShard) {
  std::atomic<bool> b_in{false};
  std::thread b([&] {
    m.visit(4, [&](const std::string&) {
      b_in = true;
      std::this_thread::sleep_for(400ms);
    });
  });
  while (!b_in) std::this_thread::sleep_for(1ms);
  m.visit(1, [&](const std::string&) { held.reset(); });
  b.join();
  EXPECT_TRUE(m.try_lock(2).has_value());
}

TEST(LruLockMapStress, SizeNeverExceedsCapacityUnderConcurrentInserts) {
  for (size_t shards : {1u, 4u, 64u}) {
    Lru m({.shards = shards, .capacity = 100});
    std::atomic<bool> stop{false};
    size_t max_seen = 0;
    std::thread watcher([&] {
      while (!stop.load()) max_seen = std::max(max_seen, m.size());
    });
    run_together(4, [&](size_t t) {
      rng r(threadmap_test::stream_seed(11, t));
      for (size_t i = 0; i < scaled(50'000, 5'000); ++i) {
        const uint64_t k = r.below(1000);
        switch (r.below(4)) {
          case 0: m.insert(k, i); break;
          case 1: (void)m.get(k); break;
          case 2: {
            auto e = m.lock(k);
            e.set(i);
            break;
          }
          default: m.remove(k);
        }
      }
    });
    stop = true;
    watcher.join();
    EXPECT_LE(max_seen, 100u) << shards << " shards";
    size_t n = 0;
    m.for_each([&](uint64_t, uint64_t) { ++n; });
    EXPECT_EQ(n, m.size());
    EXPECT_LE(n, 100u);
  }
}

}  // namespace
