// LruLockMap: the capacity bound, LRU order, peek, TTL (fake clock),
// statistics, eviction that skips held keys, cache_full.
#include <gtest/gtest.h>

#include <thread>

#include <threadmap/lock_map.hpp>

#include "support.hpp"

namespace {

using threadmap::errc;
using Lru = threadmap::LruLockMap<uint64_t, uint64_t, threadmap_test::fixed_hash>;
using namespace std::chrono_literals;

struct fake_clock {
  std::shared_ptr<int64_t> t = std::make_shared<int64_t>(1'000'000);
  std::function<int64_t()> fn() const {
    return [t = t] { return *t; };
  }
  void advance(std::chrono::nanoseconds d) const { *t += d.count(); }
};

std::vector<uint64_t> keys_of(Lru& m) {
  std::vector<uint64_t> out;
  m.for_each([&](uint64_t k, uint64_t) { out.push_back(k); });
  std::sort(out.begin(), out.end());
  return out;
}

TEST(LruLockMap, EvictsTheLeastRecentlyUsed) {
  Lru m({.shards = 1, .capacity = 3});
  m.insert(1, 1);
  m.insert(2, 2);
  m.insert(3, 3);
  EXPECT_EQ(m.get(1), 1u);  // 1 is now the most recent; 2 the least
  m.insert(4, 4);
  EXPECT_EQ(keys_of(m), (std::vector<uint64_t>{1, 3, 4}));
  EXPECT_EQ(m.peek(3), 3u);  // peek does not promote: 3 stays the coldest
  m.insert(5, 5);
  EXPECT_EQ(keys_of(m), (std::vector<uint64_t>{1, 4, 5}));
  m.insert(4, 40);  // a store promotes
  m.insert(6, 6);
  EXPECT_EQ(keys_of(m), (std::vector<uint64_t>{4, 5, 6}));
  { auto e = m.lock(5); }  // locking promotes
  m.insert(7, 7);
  EXPECT_EQ(keys_of(m), (std::vector<uint64_t>{5, 6, 7}));
  const auto st = m.stats();
  EXPECT_EQ(st.hits, 1u);
  EXPECT_EQ(st.misses, 0u);
  EXPECT_EQ(st.evictions, 4u);
  EXPECT_FALSE(m.get(1));
  EXPECT_EQ(m.stats().misses, 1u);
  EXPECT_EQ(m.size(), 3u);
}

TEST(LruLockMap, VisitReadsInPlaceAsGetDoesAndPeekVisitAsPeek) {
  // visit() is get() without the copy: it promotes and counts; peek_visit()
  // neither promotes nor counts. A callback that calls back into the map is
  // refused, as from any callback.
  Lru m({.shards = 1, .capacity = 2});
  m.insert(1, 10);
  m.insert(2, 20);
  uint64_t seen = 0;
  EXPECT_TRUE(m.peek_visit(1, [&](const uint64_t& v) { seen = v; }));
  EXPECT_EQ(seen, 10u);
  m.insert(3, 30);  // peek_visit did not promote 1: it is evicted
  EXPECT_FALSE(m.peek_visit(1, [&](const uint64_t&) { ADD_FAILURE() << "1 was evicted"; }));
  EXPECT_TRUE(m.visit(2, [&](const uint64_t& v) { seen = v; }));
  EXPECT_EQ(seen, 20u);
  m.insert(4, 40);  // visit promoted 2: 3 is evicted
  EXPECT_EQ(keys_of(m), (std::vector<uint64_t>{2, 4}));
  EXPECT_FALSE(m.visit(3, [&](const uint64_t&) { ADD_FAILURE() << "3 was evicted"; }));
  EXPECT_EQ(m.stats().hits, 1u);
  EXPECT_EQ(m.stats().misses, 1u);
  try {
    m.visit(2, [&](const uint64_t&) { m.get(2); });
    ADD_FAILURE() << "a get from inside visit's callback must be refused";
  } catch (const threadmap::error& e) {
    EXPECT_EQ(e.code(), errc::would_deadlock);
  }
}

TEST(LruLockMap, HeldAndAwaitedEntriesAreNotEvicted) {
  Lru m({.shards = 1, .capacity = 2});
  m.insert(1, 1);
  m.insert(2, 2);
  auto held = m.lock(1);  // 1 is held (and now hot); make it cold again:
  EXPECT_EQ(m.get(2), 2u);
  m.insert(3, 3);  // 1 is the coldest but held: 2 goes
  EXPECT_EQ(keys_of(m), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(held.get(), 1u);
}

TEST(LruLockMap, FullOfHeldEntriesIsCacheFull) {
  Lru m({.shards = 2, .capacity = 2});
  auto a = m.lock(1);
  auto b = m.lock(2);
  a.set(1);
  b.set(2);
  try {
    m.insert(3, 3);
    FAIL() << "expected cache_full";
  } catch (const threadmap::error& e) {
    EXPECT_EQ(e.code(), errc::cache_full);
  }
  EXPECT_EQ(m.size(), 2u);
  EXPECT_FALSE(m.contains(3));
  b.release();
  m.insert(3, 3);  // now 2 can go
  EXPECT_EQ(keys_of(m), (std::vector<uint64_t>{1, 3}));
}

TEST(LruLockMap, CapacityIsAHardBoundWhateverTheShardCount) {
  for (size_t shards : {1u, 2u, 8u, 64u, 256u}) {
    Lru m({.shards = shards, .capacity = 10});
    for (uint64_t i = 0; i < 1000; ++i) {
      m.insert(i, i);
      ASSERT_LE(m.size(), 10u) << shards;
    }
    EXPECT_EQ(m.size(), 10u);
    EXPECT_EQ(keys_of(m).size(), 10u);
    EXPECT_EQ(m.stats().evictions, 990u);
  }
}

TEST(LruLockMap, TtlExpiresValuesWithAFakeClock) {
  fake_clock clock;
  Lru m({.shards = 1, .capacity = 10, .ttl = 100ms, .clock = clock.fn()});
  m.insert(1, 1);
  m.insert(2, 2, threadmap::this_thread_owner(), {}, 1s);  // its own TTL
  clock.advance(99ms);
  EXPECT_EQ(m.get(1), 1u);
  clock.advance(2ms);
  EXPECT_FALSE(m.get(1));  // expired: never returned
  EXPECT_FALSE(m.peek(1));
  EXPECT_FALSE(m.contains(1));
  EXPECT_EQ(m.get(2), 2u);
  EXPECT_EQ(m.stats().expirations, 1u);
  EXPECT_EQ(m.size(), 1u);
  {
    auto e = m.lock(2);
    clock.advance(2s);
    EXPECT_FALSE(e.exists());  // stale for its holder too
    e.set(22);                 // a store gives it a new lifetime
  }
  EXPECT_EQ(m.get(2), 22u);
}

TEST(LruLockMap, AModifiedEntryKeepsItsOwnTtlAPlainSetForgetsIt) {
  fake_clock clock;
  Lru m({.shards = 1, .capacity = 10, .ttl = 100ms, .clock = clock.fn()});
  const auto me = threadmap::this_thread_owner();
  auto add_one = [](threadmap::alter_entry<uint64_t>& e) {
    e.assign(e.value() + 1);
    return true;
  };
  m.insert(1, 1, me, {}, 1s);  // own TTL
  m.insert(2, 2, me, {}, 1s);  // own TTL
  m.insert(3, 3, me, {}, 1s);  // own TTL
  clock.advance(500ms);
  m.insert(4, 4);  // the map's
  m.alter(1, add_one);                    // keep_ttl: still 1 s, from now
  m.lock(2).set(22);                      // an entry's store keeps it too
  m.insert(3, 33, me, {}, threadmap::map_ttl);  // a plain set: the map's 100 ms
  m.alter(4, add_one);                    // had none: the map's
  clock.advance(101ms);
  EXPECT_EQ(m.get(1), 2u);
  EXPECT_EQ(m.get(2), 22u);
  EXPECT_FALSE(m.get(3));
  EXPECT_FALSE(m.get(4));
  clock.advance(900ms);  // 1,001 ms after the stores
  EXPECT_FALSE(m.get(1));
  EXPECT_FALSE(m.get(2));
  // A value stored where the old one had expired is a new entry: the map's TTL.
  m.insert(5, 5, me, {}, 1s);
  clock.advance(2s);
  m.alter(5, [](threadmap::alter_entry<uint64_t>& e) {
    EXPECT_FALSE(e.exists());
    e.assign(55);
    return true;
  });
  clock.advance(101ms);
  EXPECT_FALSE(m.get(5));
}

TEST(LruLockMap, ExpiredEntriesAreEvictedFirst) {
  fake_clock clock;
  Lru m({.shards = 1, .capacity = 3, .clock = clock.fn()});
  m.insert(1, 1);
  m.insert(2, 2, threadmap::this_thread_owner(), {}, 10ms);
  m.insert(3, 3);
  clock.advance(20ms);
  m.insert(4, 4);  // 1 is the coldest, but 2 has expired: 2 goes
  EXPECT_EQ(keys_of(m), (std::vector<uint64_t>{1, 3, 4}));
  EXPECT_EQ(m.stats().expirations, 1u);
  EXPECT_EQ(m.stats().evictions, 0u);
}

TEST(LruLockMap, ZeroCapacityIsRejected) {
  EXPECT_THROW(Lru({.capacity = 0}), std::invalid_argument);
  EXPECT_THROW(Lru({.shards = 3, .capacity = 1}), std::invalid_argument);
}

}  // namespace
