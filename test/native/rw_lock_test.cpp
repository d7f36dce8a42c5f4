// test/native/rw_lock_test.cpp: the shard lock (detail/rw_lock.hpp) on its own.
//
// The invariant checked: while a writer holds the lock no reader and no other
// writer does, and readers may overlap each other. Every thread records what
// it sees in plain counters guarded only by the lock under test; an exclusion
// failure shows up as a wrong count (and as a data race under TSan).
// Every test runs twice: with readers counted in the lock's word (plain) and
// in per-thread-slot counters (striped, as DashMap's shards do); threads
// pass their own index as their reader slot.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <threadmap/detail/rw_lock.hpp>

#include "support.hpp"

namespace {

using threadmap::detail::reader_slots;
using threadmap::detail::rw_lock;
using threadmap_test::failure_log;
using threadmap_test::run_together;
using threadmap_test::scaled;

using threadmap::detail::read_mode;

// A thread that takes l exclusively, notes it, and lets go.
struct background_writer {
  explicit background_writer(rw_lock& l)
      : t([this, &l] {
          l.lock();
          acquired = true;
          l.unlock();
        }) {}
  void join() { t.join(); }
  std::atomic<bool> acquired{false};
  std::thread t;
};

// With a striped reader inside (holding `m`, slot 0): a writer that comes now
// must wait for it, and gets in once the reader leaves (which this does).
void expect_a_writer_waits_for_the_striped_reader(rw_lock& l, read_mode m) {
  background_writer w(l);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(w.acquired.load()) << "a writer got in beside a striped reader";
  l.unlock_shared(0, m);
  w.join();
  EXPECT_TRUE(w.acquired.load());
}

// Striped: attaches l to slots and reads it from two slots (as two threads
// would) until BIAS is on (the next reads count in slots).
void bias(rw_lock& l, reader_slots& slots, std::size_t index) {
  slots.attach(l, index);
  read_mode m = read_mode::plain;
  for (unsigned i = 0; i < 100 && m != read_mode::striped; ++i) {
    m = l.lock_shared(i % 2);
    l.unlock_shared(i % 2, m);
  }
  ASSERT_EQ(m, read_mode::striped) << "BIAS never came on";
}

// The lock under test; striped: attached to a group of 3 (it is the middle
// one) and biased.
class RwLock : public ::testing::TestWithParam<bool> {
 protected:
  rw_lock& make() {
    if (GetParam()) bias(l_, slots_, 1);
    return l_;
  }
  read_mode expected() const { return GetParam() ? read_mode::striped : read_mode::plain; }
  reader_slots slots_{3};
  rw_lock l_;
};

INSTANTIATE_TEST_SUITE_P(Modes, RwLock, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Striped" : "Plain"; });

TEST_P(RwLock, TryLockRespectsHolders) {
  rw_lock& l = make();
  const read_mode a = l.try_lock_shared(0);
  ASSERT_EQ(a, expected());
  const read_mode b = l.try_lock_shared(1);
  EXPECT_EQ(b, expected());  // readers share
  EXPECT_FALSE(l.try_lock());  // a writer does not (and, striped, BIAS stays: it gave up)
  l.unlock_shared(0, a);
  l.unlock_shared(1, b);
  ASSERT_TRUE(l.try_lock());
  EXPECT_EQ(l.try_lock_shared(0), read_mode::none);  // a failed reader backs out cleanly...
  EXPECT_FALSE(l.try_lock());
  l.unlock();
  EXPECT_TRUE(l.try_lock());  // ...so the word is clean after the writer leaves
  l.unlock();
}

// A try_lock that fails because of a striped reader leaves BIAS on: a writer
// after it must still wait for that reader (a fast-path lock with BIAS off
// would not look at the slots). TSan found the missing BIAS as a race in
// DashMapStress.CallbacksIntoOtherMapsNeverHang.
TEST(RwLockBias, AFailedTryLockLeavesTheStripedReadersGuarded) {
  reader_slots slots(1);
  rw_lock l;
  bias(l, slots, 0);
  const read_mode m = l.lock_shared(0);
  ASSERT_EQ(m, read_mode::striped);
  EXPECT_FALSE(l.try_lock());
  expect_a_writer_waits_for_the_striped_reader(l, m);
}

// A writer asleep while it drains a striped reader; a plain reader then
// backs out (BIAS is off) and, being the last plain reader out, clears
// SLEEPERS (wake_all). The striped reader that leaves after that sees no
// SLEEPERS, so unless wake_all also bumped the drained word the writer would sleep
// for ever.
TEST(RwLockBias, AWriterDrainingStripedReadersSurvivesAPlainBackOut) {
  reader_slots slots(1);
  rw_lock l;
  bias(l, slots, 0);
  const read_mode m = l.lock_shared(0);
  ASSERT_EQ(m, read_mode::striped);
  background_writer w(l);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // past its spin: asleep on the drained word
  EXPECT_EQ(l.try_lock_shared(1), read_mode::none);  // plain (BIAS is off), backs out
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(w.acquired.load());
  l.unlock_shared(0, m);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!w.acquired.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(w.acquired.load()) << "the writer slept through the last reader's exit";
  w.join();
}

// The write sequence of optimistic readers (read_seq): odd exactly while an
// exclusive holder is inside, one step per acquisition and release, and
// untouched by shared holders and by a try_lock that gives up.
TEST(RwLockSeq, OddExactlyWhileAWriterHoldsIt) {
  reader_slots slots(1);
  rw_lock l;
  bias(l, slots, 0);
  const uint32_t v0 = l.read_seq();
  EXPECT_EQ(v0 % 2, 0u);
  l.lock();
  EXPECT_EQ(l.read_seq(), v0 + 1);
  EXPECT_FALSE(l.unchanged_since(v0));
  l.unlock();
  EXPECT_EQ(l.read_seq(), v0 + 2);
  ASSERT_TRUE(l.try_lock());
  EXPECT_EQ(l.read_seq(), v0 + 3);
  l.unlock();
  const uint32_t v1 = l.read_seq();
  EXPECT_EQ(v1, v0 + 4);
  // Readers, plain or striped, leave it alone; so does a writer that finds
  // a striped reader inside and gives up.
  bias(l, slots, 0);
  const read_mode m = l.lock_shared(0);
  ASSERT_EQ(m, read_mode::striped);
  const read_mode p = l.lock_shared(1);
  EXPECT_FALSE(l.try_lock());
  EXPECT_TRUE(l.unchanged_since(v1));
  l.unlock_shared(1, p);
  l.unlock_shared(0, m);
  EXPECT_TRUE(l.unchanged_since(v1));
  // A writer that had to wait for the readers still steps it once each way.
  background_writer w(l);
  w.join();
  EXPECT_TRUE(w.acquired.load());
  EXPECT_EQ(l.read_seq(), v1 + 2);
}

// Threads alive together hold distinct reader slot numbers; a thread that
// exits gives its number back (benchmark threads that came and went once
// left two live threads on one slot half the time).
TEST(ReaderSlots, LiveThreadsHoldDistinctNumbersAndExitedOnesAreReused) {
  using threadmap::detail::this_thread_reader_slot;
  const unsigned mine = this_thread_reader_slot();
  std::vector<unsigned> seen(4);
  std::atomic<int> arrived{0};
  {
    std::vector<std::thread> ts;
    for (std::size_t i = 0; i < seen.size(); ++i) {
      ts.emplace_back([&, i] {
        seen[i] = this_thread_reader_slot();
        arrived.fetch_add(1);
        while (arrived.load() < static_cast<int>(seen.size())) std::this_thread::yield();  // all alive at once
      });
    }
    for (auto& t : ts) t.join();
  }
  std::vector<unsigned> all = seen;
  all.push_back(mine);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "two live threads share a slot";
  unsigned next = 0;
  std::thread([&] { next = this_thread_reader_slot(); }).join();
  EXPECT_LE(next, *std::min_element(seen.begin(), seen.end())) << "an exited thread's slot was not reused";
}

// A writer turns BIAS off; a read by a second thread (slot) with no write
// in between turns it on again; one thread reading alone never does.
TEST(RwLockBias, WritesRevokeItReadsOfTwoThreadsRestoreIt) {
  reader_slots slots(1);
  rw_lock l;
  bias(l, slots, 0);
  l.lock();
  l.unlock();
  read_mode m;
  for (int i = 0; i < 100; ++i) {
    m = l.lock_shared(0);
    ASSERT_EQ(m, read_mode::plain) << "one thread alone turned BIAS on";
    l.unlock_shared(0, m);
  }
  m = l.lock_shared(1);  // a second thread: turns BIAS on (it read plainly itself)
  EXPECT_EQ(m, read_mode::plain);
  l.unlock_shared(1, m);
  m = l.lock_shared(0);
  EXPECT_EQ(m, read_mode::striped);
  l.unlock_shared(0, m);
  // A lock that is not attached never biases.
  rw_lock unattached;
  for (int i = 0; i < 100; ++i) {
    m = unattached.lock_shared(0);
    ASSERT_EQ(m, read_mode::plain);
    unattached.unlock_shared(0, m);
  }
}

TEST_P(RwLock, TryLockForTimesOutWhileHeld) {
  rw_lock& l = make();
  l.lock();
  std::thread t([&] {
    EXPECT_EQ(l.try_lock_for<false>(std::chrono::milliseconds(20), 1), read_mode::none);
    EXPECT_EQ(l.try_lock_for<true>(std::chrono::milliseconds(20)), read_mode::none);
  });
  t.join();
  l.unlock();
  EXPECT_EQ(l.try_lock_for<true>(std::chrono::milliseconds(20)), read_mode::plain);
  l.unlock();
}

// A writer blocked behind a long reader sleeps and is woken when the reader leaves.
TEST_P(RwLock, SleepingWriterIsWokenByLastReader) {
  rw_lock& l = make();
  const read_mode m = l.lock_shared(0);
  EXPECT_EQ(m, expected());
  background_writer w(l);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // long enough to pass the spin phase
  EXPECT_FALSE(w.acquired.load());
  l.unlock_shared(0, m);
  w.join();
  EXPECT_TRUE(w.acquired.load());
}

// Writer preference: a writer waiting behind a reader holds back new
// readers (WRITER_WAITING), so a stream of readers cannot starve it; once
// the reader leaves, the writer gets in before them.
TEST_P(RwLock, AWriterWaitingBehindAReaderHoldsBackNewReaders) {
  rw_lock& l = make();
  const read_mode m = l.lock_shared(0);
  background_writer w(l);
  // Wait (bounded) until the writer has announced itself: a new reader of
  // another slot is then refused although only a reader holds the lock.
  bool refused = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    const read_mode r = l.try_lock_shared(2);
    if (r == read_mode::none) {
      refused = true;
    } else {
      l.unlock_shared(2, r);
      std::this_thread::yield();
    }
  }
  EXPECT_TRUE(refused) << "a writer waiting behind a reader must hold back new readers";
  EXPECT_FALSE(w.acquired.load());
  l.unlock_shared(0, m);
  w.join();
  EXPECT_TRUE(w.acquired.load());
}

// Readers in two slots: a writer waits (asleep, past its spin) for both.
TEST_P(RwLock, WriterWaitsForTheReadersOfEverySlot) {
  rw_lock& l = make();
  const read_mode m0 = l.lock_shared(0);
  const read_mode m1 = l.lock_shared(1);
  EXPECT_EQ(m0, expected());
  EXPECT_EQ(m1, expected());
  background_writer w(l);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(w.acquired.load());
  l.unlock_shared(0, m0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(w.acquired.load());  // slot 1's reader is still inside
  l.unlock_shared(1, m1);
  w.join();
  EXPECT_TRUE(w.acquired.load());
  const read_mode m2 = l.try_lock_shared(2);  // nothing left behind in the word or the counters
  EXPECT_EQ(m2, read_mode::plain);            // (the writer revoked BIAS)
  EXPECT_FALSE(l.try_lock());
  l.unlock_shared(2, m2);
  EXPECT_TRUE(l.try_lock());
  l.unlock();
}

// A reader blocked behind a long writer sleeps and is woken when it leaves.
TEST_P(RwLock, SleepingReaderIsWokenByTheWriter) {
  rw_lock& l = make();
  l.lock();
  std::atomic<bool> acquired{false};
  std::thread r([&] {
    const read_mode m = l.lock_shared(1);
    acquired = true;
    l.unlock_shared(1, m);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(acquired.load());
  l.unlock();
  r.join();
  EXPECT_TRUE(acquired.load());
}

// Mixed readers and writers; writers bump two plain counters that readers
// check for equality (a torn view means a reader overlapped a writer).
TEST_P(RwLock, WritersExcludeEveryoneReadersShare) {
  for (std::size_t threads : {2u, 4u, 8u}) {
    reader_slots slots(1);
    rw_lock l;
    if (GetParam()) bias(l, slots, 0);
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
          const auto slot = static_cast<unsigned>(id);
          const read_mode m = l.lock_shared(slot);
          const int inside = readers_inside.fetch_add(1) + 1;
          int seen = max_readers_inside.load();
          while (inside > seen && !max_readers_inside.compare_exchange_weak(seen, inside)) {
          }
          if (a != b) failures.fail("reader saw a torn pair ", a, " ", b);
          readers_inside.fetch_sub(1);
          l.unlock_shared(slot, m);
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

// ---- stoppable waits (lock_stoppable, lock_shared_stoppable) ----

namespace stop_hook {
std::atomic<bool> stop{false};
std::atomic<int> asked{0};
bool check(void*) {
  asked.fetch_add(1);
  return stop.load();
}
// Installs the check on the calling thread for its lifetime.
struct installed {
  installed() { threadmap::detail::tl_wait_interrupt = {&check, nullptr}; }
  ~installed() { threadmap::detail::tl_wait_interrupt = {}; }
};
void reset() {
  stop = false;
  asked = 0;
}
// Waits until a stoppable sleeper has asked the check twice (it is parked).
void wait_until_parked() {
  while (asked.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}
}  // namespace stop_hook

// A writer and a reader parked behind a writer give up when told to stop,
// hold nothing, and leave the word clean: readers and writers get in after.
TEST(RwLockStoppable, ParkedWriterAndReaderGiveUpAndLeaveTheLockClean) {
  for (bool striped : {false, true}) {
    stop_hook::reset();
    reader_slots slots(1);
    rw_lock l;
    if (striped) bias(l, slots, 0);
    l.lock();
    std::atomic<int> gave_up{0};
    std::thread w([&] {
      stop_hook::installed hook;
      if (!l.lock_stoppable()) gave_up.fetch_add(1);
    });
    std::thread r([&] {
      stop_hook::installed hook;
      if (l.lock_shared_stoppable(1) == read_mode::none) gave_up.fetch_add(1);
    });
    stop_hook::wait_until_parked();
    std::this_thread::sleep_for(std::chrono::milliseconds(60));  // both parked and asking
    stop_hook::stop = true;
    w.join();
    r.join();
    EXPECT_EQ(gave_up.load(), 2) << (striped ? "striped" : "plain");
    l.unlock();
    // No WRITER_WAITING or reader count was left behind.
    const read_mode m = l.try_lock_shared(0);
    EXPECT_NE(m, read_mode::none);
    l.unlock_shared(0, m);
    EXPECT_TRUE(l.try_lock());
    l.unlock();
  }
}

// A writer that is told to stop while it drains a striped reader gives
// WRITER back and BIAS with it: a writer after it must still wait for that
// reader (as after a failed try_lock).
TEST(RwLockStoppable, AWriterStoppedWhileDrainingLeavesTheStripedReaderGuarded) {
  stop_hook::reset();
  reader_slots slots(1);
  rw_lock l;
  bias(l, slots, 0);
  const read_mode m = l.lock_shared(0);
  ASSERT_EQ(m, read_mode::striped);
  std::atomic<bool> got{true};
  std::thread w([&] {
    stop_hook::installed hook;
    got = l.lock_stoppable();
  });
  stop_hook::wait_until_parked();
  stop_hook::stop = true;
  w.join();
  EXPECT_FALSE(got.load());
  expect_a_writer_waits_for_the_striped_reader(l, m);
}

// Without a check installed, a stoppable wait is an ordinary one.
TEST(RwLockStoppable, WithoutACheckTheWaitEndsWithTheHolder) {
  rw_lock l;
  l.lock();
  std::atomic<bool> got{false};
  std::thread w([&] { got = l.lock_stoppable(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_FALSE(got.load());
  l.unlock();
  w.join();
  EXPECT_TRUE(got.load());
  l.unlock();
}
