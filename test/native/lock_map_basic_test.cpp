// LockMap: key locks (lock, try_lock, lock_async, cancel, batch_lock), the
// entry API, reads and writes outside a lock, whole-map members.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <threadmap/lock_map.hpp>

#include "support.hpp"

namespace {

using threadmap::deadline;
using threadmap::errc;
using Map = threadmap::LockMap<uint64_t, std::string, threadmap_test::fixed_hash>;
using namespace std::chrono_literals;

errc code_of(auto&& f) {
  try {
    f();
  } catch (const threadmap::error& e) {
    return e.code();
  }
  ADD_FAILURE() << "expected a threadmap::error";
  return errc::aborted;
}

TEST(LockMapBasic, InsertGetRemoveWithoutLocks) {
  Map m({.shards = 4});
  EXPECT_FALSE(m.get(1));
  EXPECT_FALSE(m.insert(1, "a"));
  EXPECT_EQ(m.insert(1, "b"), "a");
  EXPECT_EQ(m.get(1), "b");
  EXPECT_TRUE(m.contains(1));
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.take(1), "b");
  EXPECT_FALSE(m.remove(1));
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.state_count(), 0u);  // no state outlives its last user
}

TEST(LockMapBasic, AllocatedBytesCountsAStatePerLiveKey) {
  Map m({.shards = 4});
  const std::size_t empty = m.allocated_bytes();
  EXPECT_GE(empty, 4 * sizeof(uint64_t)) << "the shards";
  m.insert(1, "a");
  const std::size_t one = m.allocated_bytes();
  EXPECT_GE(one - empty, Map::state_bytes) << "a state per key (and maybe a grown table)";
  {
    auto held = m.lock(2);  // a held key has a state too, with no value
    EXPECT_GE(m.allocated_bytes() - one, Map::state_bytes);
  }
  m.remove(1);
  EXPECT_EQ(m.state_count(), 0u);
  EXPECT_LE(m.allocated_bytes(), one - Map::state_bytes) << "the states are gone (the tables may stay)";
}

TEST(LockMapBasic, ClearGivesEmptiedTablesBack) {
  Map m({.shards = 4});
  const std::size_t empty = m.allocated_bytes();
  for (uint64_t i = 0; i < 10000; ++i) m.insert(i, "v");
  {
    // An absent key held by another owner keeps its state: its shard keeps a table.
    auto held = m.lock(20000, threadmap::owner_id{1} << 40);
    m.clear();
    EXPECT_EQ(m.size(), 0u);
    EXPECT_EQ(m.state_count(), 1u);
    EXPECT_GT(m.allocated_bytes(), empty);
    EXPECT_LT(m.allocated_bytes(), empty + 10000 * sizeof(uint64_t)) << "the three other shards' tables are freed";
  }
  EXPECT_EQ(m.state_count(), 0u);
  m.clear();
  EXPECT_EQ(m.allocated_bytes(), empty) << "every table freed";
  m.insert(5, "w");  // usable afterwards
  EXPECT_EQ(m.get(5), "w");
}

// A map that grew and then lost most of its keys gives the tables' memory
// back (remove, and retain's walk), keeps the rest, and keeps what its
// capacity option reserved.
TEST(LockMapBasic, TablesShrinkWhenMostKeysAreRemoved) {
  const uint64_t n = 40000;
  for (const bool by_retain : {false, true}) {
    Map m({.shards = 4});
    const std::size_t empty = m.allocated_bytes();
    for (uint64_t i = 0; i < n; ++i) m.insert(i, "v");
    const std::size_t full = m.allocated_bytes();
    if (by_retain) {
      EXPECT_EQ(m.retain([](const uint64_t& k, const std::string&) { return k % 100 == 0; }), n - n / 100);
    } else {
      for (uint64_t i = 0; i < n; ++i) {
        if (i % 100 != 0) {
          ASSERT_TRUE(m.remove(i));
        }
      }
    }
    // The states of the keys left, plus tables sized for them.
    EXPECT_LT(m.allocated_bytes() - empty, (full - empty) / 50) << (by_retain ? "retain" : "remove");
    EXPECT_EQ(m.size(), n / 100);
    for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(m.get(i).has_value(), i % 100 == 0) << i;
  }
  Map reserved({.shards = 4, .capacity = 1000});
  const std::size_t reserved_bytes = reserved.allocated_bytes();
  for (uint64_t i = 0; i < 1000; ++i) reserved.insert(i, "v");
  for (uint64_t i = 0; i < 1000; ++i) reserved.remove(i);
  EXPECT_EQ(reserved.allocated_bytes(), reserved_bytes) << "erasures keep what the capacity option reserved";
}

TEST(LockMapBasic, LockingAnAbsentKeyInsertsThroughTheEntry) {
  Map m({.shards = 2});
  {
    auto e = m.lock(7);
    EXPECT_TRUE(e.holds());
    EXPECT_EQ(e.key(), 7u);
    EXPECT_FALSE(e.exists());
    EXPECT_FALSE(m.contains(7));
    e.set("seven");
    EXPECT_TRUE(e.exists());
    EXPECT_EQ(e.get(), "seven");
    EXPECT_EQ(m.get(7), "seven");  // readers see the holder's last store
  }
  EXPECT_EQ(m.get(7), "seven");
  {
    auto e = m.lock(8);  // locked and released without a value: no state left
  }
  EXPECT_EQ(m.state_count(), 1u);
  {
    auto e = m.lock(7);
    EXPECT_TRUE(e.remove());
    EXPECT_FALSE(e.remove());
  }
  EXPECT_EQ(m.state_count(), 0u);
}

TEST(LockMapBasic, ReleasedEntryThrowsEntryReleased) {
  Map m;
  auto e = m.lock(1);
  e.release();
  EXPECT_FALSE(e.holds());
  EXPECT_EQ(code_of([&] { e.release(); }), errc::entry_released);
  EXPECT_EQ(code_of([&] { (void)e.get(); }), errc::entry_released);
  EXPECT_EQ(code_of([&] { e.set("x"); }), errc::entry_released);
  EXPECT_FALSE(m.contains(1));
}

TEST(LockMapBasic, SameOwnerWaitingForItselfIsWouldDeadlock) {
  Map m;
  auto e = m.lock(1);
  EXPECT_EQ(code_of([&] { (void)m.lock(1); }), errc::would_deadlock);
  EXPECT_EQ(code_of([&] { (void)m.insert(1, "x"); }), errc::would_deadlock);
  EXPECT_EQ(code_of([&] { m.clear(); }), errc::would_deadlock);
  EXPECT_FALSE(m.try_lock(1));  // try_lock never waits: just "not now"
  // Another owner (e.g. another JS environment) queues instead.
  std::thread t([&] { EXPECT_EQ(code_of([&] { (void)m.lock(1, 42, deadline::after(20ms)); }), errc::lock_timeout); });
  t.join();
  EXPECT_FALSE(e.exists());
}

TEST(LockMapBasic, TimeoutLeavesNoTrace) {
  Map m;
  m.insert(3, "v");
  auto e = m.lock(3);
  std::thread t([&] {
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(code_of([&] { (void)m.lock(3, threadmap::this_thread_owner(), deadline::after(30ms)); }),
              errc::lock_timeout);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
    EXPECT_EQ(code_of([&] { (void)m.insert(3, "w", threadmap::this_thread_owner(), deadline::after(5ms)); }),
              errc::lock_timeout);
  });
  t.join();
  e.release();
  EXPECT_EQ(m.get(3), "v");  // the timed-out write changed nothing
  EXPECT_EQ(m.state_count(), 1u);
}

// A thread with a wait_interrupt check (the addon installs one per Node
// thread) asks it every interrupt_poll_period while it waits; once it says
// stop, the wait ends with errc::aborted and leaves no trace. Without a
// check, the same wait would last for ever (no deadline).
TEST(LockMapBasic, AnInterruptedWaitIsAbortedAndLeavesNoTrace) {
  Map m;
  m.insert(5, "v");
  auto e = m.lock(5);
  std::atomic<bool> stop{false};
  std::atomic<int> asked{0};
  struct ctx_t {
    std::atomic<bool>* stop;
    std::atomic<int>* asked;
  } ctx{&stop, &asked};
  std::thread t([&] {
    threadmap::detail::tl_wait_interrupt = {[](void* c) {
                                              auto* x = static_cast<ctx_t*>(c);
                                              x->asked->fetch_add(1);
                                              return x->stop->load();
                                            },
                                            &ctx};
    EXPECT_EQ(code_of([&] { (void)m.lock(5); }), errc::aborted);
    EXPECT_EQ(code_of([&] { (void)m.insert(5, "w"); }), errc::aborted);  // writes wait the same way
    threadmap::detail::tl_wait_interrupt = {};
  });
  while (asked.load() < 2) std::this_thread::sleep_for(1ms);  // parked, and polling
  stop.store(true);
  t.join();
  EXPECT_TRUE(e.exists());
  e.release();
  EXPECT_EQ(m.get(5), "v");  // the abandoned write changed nothing
  EXPECT_EQ(m.state_count(), 1u);
  auto again = m.try_lock(5);  // no wait of the aborted thread is left queued
  ASSERT_TRUE(again);
}

// Two threads that each hold a key the other then waits for, with no
// deadline: the wait that closes the ring gets would_deadlock at once
// (usually the main thread's, which comes 20 ms later; if the other thread
// was slower to park, its own), and the other wait is served when that
// thread lets go. Exactly one of the two fails.
TEST(LockMapBasic, ACrossThreadCycleFailsTheWaitThatClosesIt) {
  Map m;
  std::atomic<int> refused{0};
  std::atomic<bool> b_holds{false};
  auto a = std::make_optional(m.lock(1));
  std::thread t([&] {
    auto b = m.lock(2);
    b_holds.store(true);
    try {
      auto got = m.lock(1);
    } catch (const threadmap::error& e) {
      EXPECT_EQ(e.code(), errc::would_deadlock);
      refused.fetch_add(1);
    }
  });
  while (!b_holds.load()) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);  // t parks on key 1
  const auto t0 = std::chrono::steady_clock::now();
  try {
    auto got = m.lock(2);  // served only if t was the one refused
  } catch (const threadmap::error& e) {
    EXPECT_EQ(e.code(), errc::would_deadlock);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    refused.fetch_add(1);
    EXPECT_EQ(code_of([&] { (void)m.insert(2, "x"); }), errc::would_deadlock);  // a write waits the same way
  }
  a.reset();  // lets t have key 1, if it still waits
  t.join();
  EXPECT_EQ(refused.load(), 1);
  EXPECT_EQ(m.state_count(), 0u);  // no lock or wait left behind
}

// A ring of three owners over two maps: A holds m1[1] and waits for m2[2],
// B holds m2[2] and waits for m1[3], C holds m1[3] and waits for m1[1].
// Whichever of them parks last closes the ring and is refused; the other
// two are then served, so all three finish.
TEST(LockMapBasic, ACycleThroughThreeThreadsAndTwoMapsIsFound) {
  Map m1, m2;
  std::atomic<int> holding{0};
  std::atomic<int> refused{0};
  auto hold_then_wait = [&](Map& mine, uint64_t k, Map& other, uint64_t want) {
    auto e = mine.lock(k);
    holding.fetch_add(1);
    while (holding.load() < 3) std::this_thread::sleep_for(1ms);
    try {
      auto w = other.lock(want);
    } catch (const threadmap::error& err) {
      EXPECT_EQ(err.code(), errc::would_deadlock);
      refused.fetch_add(1);
    }
  };
  std::thread a([&] { hold_then_wait(m1, 1, m2, 2); });
  std::thread b([&] { hold_then_wait(m2, 2, m1, 3); });
  std::thread c([&] { hold_then_wait(m1, 3, m1, 1); });
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(refused.load(), 1);
}

// Waiting in a chain that is not a ring is not a deadlock.
TEST(LockMapBasic, AChainOfWaitsIsNotACycle) {
  Map m;
  auto a = m.lock(1);
  std::atomic<bool> parked{false};
  std::thread t([&] {
    auto b = m.lock(2);
    parked.store(true);
    EXPECT_NO_THROW((void)m.lock(1));  // waits for the main thread, which waits for nothing
  });
  while (!parked.load()) std::this_thread::sleep_for(1ms);
  std::thread u([&] {
    std::this_thread::sleep_for(20ms);
    EXPECT_NO_THROW((void)m.lock(2));  // waits for t, which waits for main: a chain
  });
  std::this_thread::sleep_for(60ms);
  a.release();
  t.join();
  u.join();
}

TEST(LockMapBasic, WritesOutsideALockWaitForTheHolder) {
  Map m;
  auto e = m.lock(5);
  std::atomic<bool> done{false};
  std::thread t([&] {
    m.insert(5, "outside");
    done = true;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(done.load());
  e.set("holder");
  EXPECT_EQ(m.get(5), "holder");  // reads do not wait
  e.release();
  t.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(m.get(5), "outside");
}

TEST(LockMapBasic, WaitersAreServedInFifoOrder) {
  Map m;
  auto e = m.lock(1);
  std::vector<int> order;
  std::mutex mu;
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&, i] {
      auto w = m.lock(1);
      std::lock_guard g(mu);
      order.push_back(i);
    });
    // Thread i queues before thread i + 1 starts.
    while (m.waiting(1) != static_cast<size_t>(i + 1)) std::this_thread::sleep_for(1ms);
  }
  e.release();
  for (auto& t : ts) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

struct test_waiter : Map::async_waiter {
  explicit test_waiter(threadmap::owner_id o) : Map::async_waiter(o) {}
  void granted(Map::entry e) noexcept override {
    if (keep) held = std::move(e);
    calls.fetch_add(1);
  }
  bool keep = true;
  Map::entry held;
  std::atomic<int> calls{0};
};

// A ring that closes at a grant, not at a wait: A has an async request
// for key 1 queued and then parks in a sync lock of key 2, which B holds;
// B parks in a sync lock of key 1, held by a third owner. When that owner
// releases key 1, it goes to A's async request: A holds 1 and waits for 2,
// B holds 2 and waits for 1, and neither wait's own check saw it. A parked
// waiter asks again (wait_graph.hpp, "Rings that close later"): one of the
// two fails with would_deadlock, and the other then gets its key.
TEST(LockMapBasic, ARingThatAnAsyncGrantClosesIsBrokenByOneWaiter) {
  Map m;
  constexpr threadmap::owner_id a = 101, b = 102, c = 103;
  auto held1 = m.lock(1, c);
  test_waiter async_a(a);
  ASSERT_FALSE(m.lock_async(1, async_a));  // queued behind c
  auto held2 = m.lock(2, b);
  std::atomic<int> failures{0}, successes{0};
  auto sync_lock = [&](uint64_t key, threadmap::owner_id owner) {
    try {
      auto e = m.lock(key, owner);
      successes.fetch_add(1);
      return std::optional<Map::entry>(std::move(e));
    } catch (const threadmap::error& e) {
      EXPECT_EQ(e.code(), threadmap::errc::would_deadlock);
      failures.fetch_add(1);
      return std::optional<Map::entry>();
    }
  };
  std::thread ta([&] {
    auto got = sync_lock(2, a);  // parks behind b
    if (!got) {
      // Backed out: give key 1 up too, once granted() has stored it (it
      // runs on the releasing thread; `calls` is bumped after the store).
      while (async_a.calls.load() == 0) std::this_thread::yield();
      async_a.held.release();
    }
  });
  while (m.waiting(2) != 1) std::this_thread::sleep_for(1ms);
  std::thread tb([&] {
    auto got = sync_lock(1, b);  // parks behind c (then a)
    held2.release();
  });
  while (m.waiting(1) != 2) std::this_thread::sleep_for(1ms);
  held1.release();  // to a's async request: the ring closes
  ta.join();
  tb.join();
  EXPECT_EQ(async_a.calls.load(), 1);
  EXPECT_EQ(failures.load(), 1);
  EXPECT_EQ(successes.load(), 1);
  if (async_a.held) async_a.held.release();
  EXPECT_TRUE(m.try_lock(1, c).has_value());
  EXPECT_TRUE(m.try_lock(2, c).has_value());
}

TEST(LockMapBasic, AsyncWaiterIsHandedTheLockOnRelease) {
  Map m;
  auto e = m.lock(9);
  test_waiter w(77);
  EXPECT_FALSE(m.lock_async(9, w));  // queued
  e.set("first");
  e.release();  // hands over: granted() runs on this thread
  EXPECT_EQ(w.calls.load(), 1);
  ASSERT_TRUE(w.held.holds());
  EXPECT_EQ(w.held.get(), "first");
  EXPECT_FALSE(m.cancel(w));  // already granted
  w.held.release();
  // Free key: lock_async locks at once and returns the entry.
  test_waiter w2(78);
  auto now = m.lock_async(9, w2);
  ASSERT_TRUE(now);
  EXPECT_EQ(w2.calls.load(), 0);
}

TEST(LockMapBasic, CancelledAsyncWaiterIsNeverGranted) {
  Map m;
  auto e = m.lock(4);
  test_waiter a(1), b(2);
  EXPECT_FALSE(m.lock_async(4, a));
  EXPECT_FALSE(m.lock_async(4, b));
  EXPECT_TRUE(m.cancel(a));
  e.release();
  EXPECT_EQ(a.calls.load(), 0);
  EXPECT_EQ(b.calls.load(), 1);
  b.held.release();
  EXPECT_EQ(m.state_count(), 0u);
}

// The queue is a ring reached through its tail: cancelling its head, a
// middle waiter, its tail and the last one left must keep the others in
// order and the count right, and an emptied queue must take new waiters.
TEST(LockMapBasic, CancelAnywhereInTheQueueKeepsTheRestInOrder) {
  Map m;
  auto e = m.lock(5);
  std::vector<std::unique_ptr<test_waiter>> w;
  for (int i = 0; i < 5; ++i) {
    w.push_back(std::make_unique<test_waiter>(100 + i));
    EXPECT_FALSE(m.lock_async(5, *w.back()));
  }
  EXPECT_EQ(m.waiting(5), 5u);
  EXPECT_TRUE(m.cancel(*w[0]));  // the head
  EXPECT_TRUE(m.cancel(*w[2]));  // a middle one
  EXPECT_TRUE(m.cancel(*w[4]));  // the tail
  EXPECT_FALSE(m.cancel(*w[4]));  // no longer queued
  EXPECT_EQ(m.waiting(5), 2u);
  test_waiter late(200);  // queued behind the new tail
  EXPECT_FALSE(m.lock_async(5, late));
  EXPECT_EQ(m.waiting(5), 3u);
  e.release();  // to w[1]
  ASSERT_EQ(w[1]->calls.load(), 1);
  EXPECT_EQ(w[3]->calls.load(), 0);
  w[1]->held.release();  // to w[3]
  ASSERT_EQ(w[3]->calls.load(), 1);
  EXPECT_EQ(late.calls.load(), 0);
  EXPECT_TRUE(m.cancel(late));  // the last one left: the queue is empty again
  EXPECT_EQ(m.waiting(5), 0u);
  test_waiter again(300);
  EXPECT_FALSE(m.lock_async(5, again));
  w[3]->held.release();  // to `again`
  EXPECT_EQ(again.calls.load(), 1);
  for (int i : {0, 2, 4}) EXPECT_EQ(w[i]->calls.load(), 0);
  again.held.release();
  EXPECT_EQ(m.state_count(), 0u);
}

TEST(LockMapBasic, DroppedGrantPassesTheLockOn) {
  Map m;
  auto e = m.lock(4);
  test_waiter a(1), b(2);
  a.keep = false;  // like a waiter whose thread has gone: drops what it is given
  EXPECT_FALSE(m.lock_async(4, a));
  EXPECT_FALSE(m.lock_async(4, b));
  e.release();
  EXPECT_EQ(a.calls.load(), 1);
  EXPECT_EQ(b.calls.load(), 1);
  EXPECT_TRUE(b.held.holds());
}

TEST(LockMapBasic, SyncLockBehindOwnAsyncWaiterIsWouldDeadlock) {
  Map m;
  std::optional<Map::entry> other;
  std::thread t([&] { other = m.lock(2); });
  t.join();
  test_waiter w(threadmap::this_thread_owner());
  EXPECT_FALSE(m.lock_async(2, w));
  EXPECT_EQ(code_of([&] { (void)m.lock(2); }), errc::would_deadlock);
  EXPECT_TRUE(m.cancel(w));
  other->release();
}

TEST(LockMapBasic, BatchLockOrdersAndDeduplicates) {
  Map m;
  auto held = m.batch_lock({5, 1, 5, 3, 1});
  EXPECT_EQ(held.size(), 3u);
  for (auto& e : held) e.set(std::to_string(e.key()));
  std::vector<uint64_t> keys = {3, 1, 5, 1};
  m.order_keys(keys);
  ASSERT_EQ(keys.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(held[i].key(), keys[i]);
  // One key held elsewhere: the batch fails at the deadline and keeps nothing.
  std::thread t([&] {
    EXPECT_EQ(code_of([&] { (void)m.batch_lock({1, 2, 3}, threadmap::this_thread_owner(), deadline::after(10ms)); }),
              errc::lock_timeout);
    EXPECT_TRUE(m.try_lock(2).has_value());
  });
  t.join();
  held.clear();
  EXPECT_EQ(m.get(5), "5");
}

TEST(LockMapBasic, AlterAppliesAfterTheCallbackAndNotOnThrow) {
  Map m;
  m.insert(1, "a");
  EXPECT_THROW(m.alter(1, [](threadmap::alter_entry<std::string>& e) -> int {
    e.assign("b");
    throw std::runtime_error("no");
  }),
               std::runtime_error);
  EXPECT_EQ(m.get(1), "a");
  int r = m.alter(1, [](threadmap::alter_entry<std::string>& e) {
    e.erase();
    return 3;
  });
  EXPECT_EQ(r, 3);
  EXPECT_FALSE(m.contains(1));
}

// try_alter never waits: a key held by anyone (this thread included) leaves
// f unrun and the map unchanged; a free key is altered as by alter().
TEST(LockMapBasic, TryAlterSkipsHeldKeysAndAltersFreeOnes) {
  Map m({.shards = 2});
  m.insert(1, "a");
  int runs = 0;
  auto assign = [&](const char* v) {
    return [&runs, v](threadmap::alter_entry<std::string>& e) {
      ++runs;
      e.assign(v);
      return 7;
    };
  };
  EXPECT_EQ(m.try_alter(1, assign("b")), 7);
  EXPECT_EQ(m.get(1), "b");
  EXPECT_EQ(m.try_alter(2, assign("new")), 7);  // an absent key is inserted
  EXPECT_EQ(m.get(2), "new");
  {
    auto held = m.lock(1);
    EXPECT_EQ(m.try_alter(1, assign("c")), std::nullopt);  // this thread's own hold too
    std::optional<int> other;
    std::thread t([&] { other = m.try_alter(1, assign("d")); });
    t.join();
    EXPECT_EQ(other, std::nullopt);
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(held.get(), "b");
  }
  {
    auto absent_held = m.lock(3);  // a held absent key: still skipped, still absent
    EXPECT_EQ(m.try_alter(3, assign("x")), std::nullopt);
  }
  EXPECT_FALSE(m.contains(3));
  EXPECT_EQ(m.try_alter(1, [](threadmap::alter_entry<std::string>& e) {
    e.erase();
    return 0;
  }), 0);
  EXPECT_FALSE(m.contains(1));
  EXPECT_EQ(m.state_count(), 1u);  // key 2's
}

TEST(LockMapBasic, RetainAndClearWaitForHeldKeys) {
  Map m({.shards = 4});
  for (uint64_t i = 0; i < 100; ++i) m.insert(i, std::to_string(i));
  std::optional<Map::entry> held;
  std::thread t([&] { held = m.lock(10); });
  t.join();
  std::thread r([&] {
    // Keeps even keys; 10 is held by someone else: retain waits for it.
    EXPECT_EQ(m.retain([](uint64_t k, const std::string&) { return k % 2 == 0; }), 50u);
  });
  std::this_thread::sleep_for(20ms);
  held->set("held");
  held->release();
  r.join();
  EXPECT_EQ(m.size(), 50u);
  EXPECT_EQ(m.get(10), "held");
  size_t n = 0;
  m.for_each([&](uint64_t k, const std::string&) {
    EXPECT_EQ(k % 2, 0u);
    ++n;
  });
  EXPECT_EQ(n, 50u);
  m.clear();
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.state_count(), 0u);
}

TEST(LockMapBasic, CallbackCallingBackIntoItsShardIsWouldDeadlock) {
  Map m({.shards = 1});
  m.insert(1, "a");
  m.insert(2, "b");
  std::vector<errc> codes;
  m.retain([&](uint64_t, const std::string&) {
    codes.push_back(code_of([&] { (void)m.get(2); }));
    codes.push_back(code_of([&] { (void)m.lock(3); }));
    return true;
  });
  ASSERT_EQ(codes.size(), 4u);
  for (errc c : codes) EXPECT_EQ(c, errc::would_deadlock);
}

TEST(LockMapBasic, FailurePublishedReachesQueuedWaitersOnly) {
  Map m;
  auto e = m.lock(1);
  std::optional<std::string> seen_by_waiter;
  std::thread t([&] {
    auto w = m.lock(1, 99);
    seen_by_waiter = w.failure_since_queued();
  });
  while (m.waiting(1) != 1) std::this_thread::sleep_for(1ms);  // t has queued
  e.publish_failure("boom");
  e.release();
  t.join();
  EXPECT_EQ(seen_by_waiter, "boom");
  auto later = m.lock(1);  // queued after the failure: sees none
  EXPECT_FALSE(later.failure_since_queued());
}

// Published failures live in the shard's list, one per key, until nobody
// holds or awaits the key: dropping one key's must leave another key's of
// the same shard in place (and in ASan builds, free nothing twice).
TEST(LockMapBasic, EachKeyKeepsItsOwnFailureUntilItsLastWaiterLeaves) {
  Map m(threadmap::lock_map_options{.shards = 1});
  std::optional<std::string> seen[3];
  auto e1 = m.lock(1);
  auto e2 = m.lock(2);
  auto e3 = m.lock(3);
  std::thread waiters[3];
  for (uint64_t k = 1; k <= 3; ++k) {
    waiters[k - 1] = std::thread([&, k] {
      auto w = m.lock(k, 100 + k);
      seen[k - 1] = w.failure_since_queued();
    });
  }
  // Each waiter must be queued before its key's failure is published.
  for (uint64_t k = 1; k <= 3; ++k)
    while (m.waiting(k) != 1) std::this_thread::sleep_for(1ms);
  e1.publish_failure("f1");
  e2.publish_failure("f2");
  e2.publish_failure("f2 again");  // replaces key 2's, still one entry
  e3.publish_failure("f3");
  e1.release();  // key 1's waiter takes it, reads f1, leaves: f1 dropped
  waiters[0].join();
  e3.release();
  waiters[2].join();
  e2.release();
  waiters[1].join();
  EXPECT_EQ(seen[0], "f1");
  EXPECT_EQ(seen[1], "f2 again");
  EXPECT_EQ(seen[2], "f3");
  EXPECT_EQ(m.state_count(), 0u);
}

// A key's state is most of the map's memory per entry; the addon's keys are
// 16 bytes and its values 8. 56 bytes is a 64-byte malloc block.
struct key16 {
  uint64_t a, b;
  bool operator==(const key16&) const = default;
};
struct key16_hash {
  uint64_t operator()(const key16& k) const noexcept { return threadmap::hash<uint64_t>{}(k.a ^ (k.b << 1)); }
};
static_assert(threadmap::LockMap<key16, uint64_t, key16_hash>::state_bytes == 56);
static_assert(threadmap::LruLockMap<key16, uint64_t, key16_hash>::state_bytes == 56 + 32);

}  // namespace
