// test/native/rw_lock_test.cpp: the shard lock (detail/rw_lock.hpp) on its own.
//
// The invariant checked: while a writer holds the lock no reader and no other
// writer does, and readers may overlap each other. Every thread records what
// it sees in plain counters guarded only by the lock under test; an exclusion
// failure shows up as a wrong count (and as a data race under TSan).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <threadmap/detail/rw_lock.hpp>

#include "support.hpp"

namespace {

using threadmap::detail::rw_lock;
using threadmap_test::failure_log;
using threadmap_test::run_together;
using threadmap_test::scaled;

TEST(RwLock, TryLockRespectsHolders) {
  rw_lock l;
  ASSERT_TRUE(l.try_lock_shared());
  EXPECT_TRUE(l.try_lock_shared());  // readers share
  EXPECT_FALSE(l.try_lock());        // a writer does not
  l.unlock_shared();
  l.unlock_shared();
  ASSERT_TRUE(l.try_lock());
  EXPECT_FALSE(l.try_lock_shared());  // a failed reader backs out cleanly...
  EXPECT_FALSE(l.try_lock());
  l.unlock();
  EXPECT_TRUE(l.try_lock());  // ...so the word is clean after the writer leaves
  l.unlock();
}

TEST(RwLock, TryLockForTimesOutWhileHeld) {
  rw_lock l;
  l.lock();
  std::thread t([&] {
    EXPECT_FALSE(l.try_lock_for<false>(std::chrono::milliseconds(20)));
    EXPECT_FALSE(l.try_lock_for<true>(std::chrono::milliseconds(20)));
  });
  t.join();
  l.unlock();
  EXPECT_TRUE(l.try_lock_for<true>(std::chrono::milliseconds(20)));
  l.unlock();
}

// A writer blocked behind a long reader sleeps and is woken when the reader leaves.
TEST(RwLock, SleepingWriterIsWokenByLastReader) {
  rw_lock l;
  l.lock_shared();
  std::atomic<bool> acquired{false};
  std::thread w([&] {
    l.lock();
    acquired = true;
    l.unlock();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // long enough to pass the spin phase
  EXPECT_FALSE(acquired.load());
  l.unlock_shared();
  w.join();
  EXPECT_TRUE(acquired.load());
}

// Mixed readers and writers; writers bump two plain counters that readers
// check for equality (a torn view means a reader overlapped a writer).
TEST(RwLock, WritersExcludeEveryoneReadersShare) {
  for (std::size_t threads : {2u, 4u, 8u}) {
    rw_lock l;
    uint64_t a = 0, b = 0;  // guarded by l
    std::atomic<int> readers_inside{0};
    std::atomic<int> max_readers_inside{0};
    failure_log failures;
    const std::size_t iterations = scaled(100000);
    run_together(threads, [&](std::size_t id) {
      for (std::size_t i = 0; i < iterations; ++i) {
        if ((i + id) % 4 == 0) {
          l.lock();
          if (readers_inside.load(std::memory_order_relaxed) != 0) failures.fail("writer saw a reader inside");
          ++a;
          ++b;
          l.unlock();
        } else {
          l.lock_shared();
          const int inside = readers_inside.fetch_add(1) + 1;
          int seen = max_readers_inside.load();
          while (inside > seen && !max_readers_inside.compare_exchange_weak(seen, inside)) {
          }
          if (a != b) failures.fail("reader saw a torn pair ", a, " ", b);
          readers_inside.fetch_sub(1);
          l.unlock_shared();
        }
      }
    });
    ASSERT_EQ(failures.count(), 0u) << failures.summary();
    std::size_t writes = 0;
    for (std::size_t id = 0; id < threads; ++id)
      for (std::size_t i = 0; i < iterations; ++i) writes += (i + id) % 4 == 0;
    EXPECT_EQ(a, writes) << threads << " threads";
    EXPECT_EQ(b, writes);
  }
}

}  // namespace
