// DashMap re-entry from callbacks: a callback (visit, alter, upsert,
// erase_if, for_each, for_each_in_shard, retain) that calls back into the
// shard it runs under gets threadmap::error(errc::would_deadlock) at once,
// never a hang; the map stays usable. Calls into other shards and other
// maps work; a nested call that would wait on another thread gives up
// after a bounded time; nesting is bounded in depth.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <threadmap/dash_map.hpp>

#include "support.hpp"

namespace {

using threadmap::alter_entry;
using threadmap::DashMap;
using threadmap::errc;
using threadmap_test::fixed_hash;

using Map = DashMap<uint64_t, uint64_t, fixed_hash>;
using Inner = std::function<void()>;

// A key (other than `not_this`) that lives in shard `shard`, and one that does not.
uint64_t key_in_shard(const Map& m, std::size_t shard, uint64_t not_this = ~uint64_t{0}) {
  for (uint64_t k = 1000;; ++k)
    if (m.shard_of(k) == shard && k != not_this) return k;
}
uint64_t key_outside_shard(const Map& m, std::size_t shard) {
  for (uint64_t k = 5000;; ++k)
    if (m.shard_of(k) != shard) return k;
}

std::map<uint64_t, uint64_t> contents(const Map& m) {
  std::map<uint64_t, uint64_t> out;
  m.for_each([&](const uint64_t& k, const uint64_t& v) { out.emplace(k, v); });
  return out;
}

// How a call ended: normally, with would_deadlock, or otherwise.
enum class outcome { returned, would_deadlock, other_error };

outcome run(const Inner& call) {
  try {
    call();
    return outcome::returned;
  } catch (const threadmap::error& e) {
    return e.code() == errc::would_deadlock ? outcome::would_deadlock : outcome::other_error;
  } catch (...) {
    return outcome::other_error;
  }
}

std::ostream& operator<<(std::ostream& os, outcome o) {
  switch (o) {
    case outcome::returned: return os << "returned";
    case outcome::would_deadlock: return os << "would_deadlock";
    case outcome::other_error: return os << "other_error";
  }
  return os;
}

// Every member that locks the shard of `k` (whole-map members lock every
// shard, so that one too), except clear, which is tested on its own since
// it empties the shards before the one it fails on.
std::vector<std::pair<std::string, std::function<void(Map&, uint64_t)>>> calls_into_shard() {
  return {
      {"find", [](Map& m, uint64_t k) { (void)m.find(k); }},
      {"contains", [](Map& m, uint64_t k) { (void)m.contains(k); }},
      {"visit", [](Map& m, uint64_t k) { m.visit(k, [](const uint64_t&) {}); }},
      {"insert", [](Map& m, uint64_t k) { m.insert(k, 1); }},
      {"try_insert", [](Map& m, uint64_t k) { m.try_insert(k, 1); }},
      {"erase", [](Map& m, uint64_t k) { m.erase(k); }},
      {"take", [](Map& m, uint64_t k) { (void)m.take(k); }},
      {"erase_if", [](Map& m, uint64_t k) { m.erase_if(k, [](const uint64_t&) { return true; }); }},
      {"alter", [](Map& m, uint64_t k) { m.alter(k, [](alter_entry<uint64_t>& e) { e.assign(1); }); }},
      {"upsert", [](Map& m, uint64_t k) { m.upsert(k, 1, [](uint64_t& v) { ++v; }); }},
      {"for_each_in_shard",
       [](Map& m, uint64_t k) { m.for_each_in_shard(m.shard_of(k), [](const uint64_t&, const uint64_t&) {}); }},
      {"for_each", [](Map& m, uint64_t) { m.for_each([](const uint64_t&, const uint64_t&) {}); }},
      {"retain", [](Map& m, uint64_t) { m.retain([](const uint64_t&, uint64_t&) { return true; }); }},
      {"size", [](Map& m, uint64_t) { (void)m.size(); }},
      {"empty", [](Map& m, uint64_t) { (void)m.empty(); }},
      {"shard_size", [](Map& m, uint64_t k) { (void)m.shard_size(m.shard_of(k)); }},
      {"shard_sizes", [](Map& m, uint64_t) { (void)m.shard_sizes(); }},
      {"allocated_bytes", [](Map& m, uint64_t) { (void)m.allocated_bytes(); }},
  };
}

// Each way of running caller code under a shard lock: runs `inside` once
// from a callback that holds the lock of `a`'s shard (`a` is present).
struct holder {
  std::string name;
  std::function<void(Map&, uint64_t a, const Inner& inside)> run;
};

std::vector<holder> holders() {
  return {
      {"visit", [](Map& m, uint64_t a, const Inner& in) { m.visit(a, [&](const uint64_t&) { in(); }); }},
      {"alter", [](Map& m, uint64_t a, const Inner& in) { m.alter(a, [&](alter_entry<uint64_t>&) { in(); }); }},
      {"upsert", [](Map& m, uint64_t a, const Inner& in) { m.upsert(a, 0, [&](uint64_t&) { in(); }); }},
      {"erase_if",
       [](Map& m, uint64_t a, const Inner& in) {
         m.erase_if(a, [&](const uint64_t&) {
           in();
           return false;
         });
       }},
      {"for_each",
       [](Map& m, uint64_t a, const Inner& in) {
         m.for_each([&](const uint64_t& k, const uint64_t&) {
           if (k == a) in();
         });
       }},
      {"for_each_in_shard",
       [](Map& m, uint64_t a, const Inner& in) {
         m.for_each_in_shard(m.shard_of(a), [&](const uint64_t& k, const uint64_t&) {
           if (k == a) in();
         });
       }},
      {"retain",
       [](Map& m, uint64_t a, const Inner& in) {
         m.retain([&](const uint64_t& k, uint64_t&) {
           if (k == a) in();
           return true;
         });
       }},
  };
}

class DashMapReentrancy : public ::testing::TestWithParam<std::size_t> {
 protected:
  const holder& h() const {
    static const std::vector<holder> all = holders();
    return all[GetParam()];
  }
  static std::size_t held_locks() { return threadmap::detail::this_thread_locks().depth; }
};

TEST_P(DashMapReentrancy, CallsIntoTheHeldShardFailWithWouldDeadlock) {
  Map m(0, 4);
  const uint64_t a = key_in_shard(m, 1);
  const uint64_t b = key_in_shard(m, 1, a);  // another key, same shard
  m.insert(a, 1);
  m.insert(b, 2);
  for (uint64_t k = 0; k < 50; ++k) m.insert(k, k);
  const auto before = contents(m);

  for (const auto& [name, call] : calls_into_shard()) {
    for (uint64_t target : {a, b}) {
      SCOPED_TRACE(h().name + " callback -> " + name + (target == a ? " (same key)" : " (same shard)"));
      int entered = 0;
      std::optional<outcome> got;
      const auto start = std::chrono::steady_clock::now();
      h().run(m, a, [&, &call = call] {
        ++entered;
        EXPECT_GE(held_locks(), 1u);
        got = run([&] { call(m, target); });
      });
      const auto took = std::chrono::steady_clock::now() - start;
      EXPECT_EQ(entered, 1);
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(*got, outcome::would_deadlock);
      // Detected from this thread's own record, not by timing out.
      EXPECT_LT(took, std::chrono::milliseconds(150));
      EXPECT_EQ(held_locks(), 0u);
    }
  }
  // Every refused call was refused before it changed anything.
  EXPECT_EQ(contents(m), before);
  // And the map is fully usable afterwards.
  EXPECT_EQ(m.insert(a, 10), std::optional<uint64_t>(1));
  EXPECT_TRUE(m.erase(b));
  EXPECT_EQ(m.size(), before.size() - 1);
}

TEST_P(DashMapReentrancy, AnUncaughtErrorPropagatesOutOfTheOuterCall) {
  Map m(0, 4);
  const uint64_t a = key_in_shard(m, 2);
  m.insert(a, 7);
  try {
    h().run(m, a, [&] { m.insert(a, 8); });
    ADD_FAILURE() << h().name << ": no error";
  } catch (const threadmap::error& e) {
    EXPECT_EQ(e.code(), errc::would_deadlock);
    EXPECT_STREQ(threadmap::errc_code(e.code()), "ERR_WOULD_DEADLOCK");
    EXPECT_NE(std::string(e.what()), "");
  }
  EXPECT_EQ(held_locks(), 0u);
  EXPECT_EQ(m.find(a), std::optional<uint64_t>(7));
  m.insert(a, 9);
  EXPECT_EQ(m.find(a), std::optional<uint64_t>(9));
}

TEST_P(DashMapReentrancy, CallsIntoOtherShardsOfTheSameMapWork) {
  Map m(0, 4);
  const uint64_t a = key_in_shard(m, 0);
  const uint64_t c = key_outside_shard(m, 0);
  m.insert(a, 1);
  std::vector<outcome> got;
  h().run(m, a, [&] {
    got.push_back(run([&] { m.insert(c, 100); }));
    got.push_back(run([&] {
      m.alter(c, [](alter_entry<uint64_t>& e) { e.assign(e.value() + 1); });
    }));
    got.push_back(run([&] {
      if (m.find(c) != std::optional<uint64_t>(101)) throw std::runtime_error("wrong value");
    }));
  });
  ASSERT_EQ(got.size(), 3u);
  for (outcome o : got) EXPECT_EQ(o, outcome::returned);
  EXPECT_EQ(m.find(c), std::optional<uint64_t>(101));
  EXPECT_EQ(held_locks(), 0u);
}

TEST_P(DashMapReentrancy, CallsIntoAnotherMapWork) {
  Map m(0, 4);
  Map other(0, 4);
  const uint64_t a = key_in_shard(m, 3);
  m.insert(a, 1);
  other.insert(a, 50);
  std::vector<outcome> got;
  h().run(m, a, [&] {
    // Same key, same shard index, but another map's lock.
    got.push_back(run([&] { other.insert(a, 51); }));
    got.push_back(run([&] {
      other.alter(a + 1, [&](alter_entry<uint64_t>& e) {
        // Two levels down: the first map's shard is still held here.
        EXPECT_EQ(run([&] { (void)m.find(a); }), outcome::would_deadlock);
        e.assign(52);
      });
    }));
    got.push_back(run([&] { other.for_each([](const uint64_t&, const uint64_t&) {}); }));
  });
  ASSERT_EQ(got.size(), 3u);
  for (outcome o : got) EXPECT_EQ(o, outcome::returned);
  EXPECT_EQ(other.find(a), std::optional<uint64_t>(51));
  EXPECT_EQ(other.find(a + 1), std::optional<uint64_t>(52));
  EXPECT_EQ(held_locks(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Callbacks, DashMapReentrancy, ::testing::Range<std::size_t>(0, 7),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           static const std::vector<holder> all = holders();
                           return all[info.param].name;
                         });

TEST(DashMapReentrancyMisc, CallbackMayCatchTheErrorAndStillDecide) {
  Map m(0, 1);
  m.insert(1, 10);
  m.alter(1, [&](alter_entry<uint64_t>& e) {
    EXPECT_EQ(run([&] { m.insert(1, 99); }), outcome::would_deadlock);
    e.assign(e.value() + 1);
  });
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(11));
}

TEST(DashMapReentrancyMisc, ClearFromACallbackFailsOnTheHeldShard) {
  Map m(0, 1);
  m.insert(1, 10);
  m.insert(2, 20);
  EXPECT_EQ(run([&] { m.visit(1, [&](const uint64_t&) { m.clear(); }); }), outcome::would_deadlock);
  EXPECT_EQ(m.size(), 2u);
  m.clear();
  EXPECT_TRUE(m.empty());
}

TEST(DashMapReentrancyMisc, NestingAcrossMapsIsBoundedInDepth) {
  // A callback of map 0 calls map 1, whose callback calls map 2, ...: each
  // level holds one more lock. The record has room for 32; the 33rd nested
  // acquisition is refused rather than overflowing it.
  constexpr std::size_t maps_n = 40;
  std::vector<std::unique_ptr<Map>> maps;
  for (std::size_t i = 0; i < maps_n; ++i) {
    maps.push_back(std::make_unique<Map>(0, 1));
    maps.back()->insert(0, i);
  }
  std::size_t deepest = 0;
  std::function<void(std::size_t)> descend = [&](std::size_t level) {
    maps[level]->visit(0, [&](const uint64_t& v) {
      EXPECT_EQ(v, level);
      deepest = level + 1;
      if (level + 1 < maps_n) descend(level + 1);
    });
  };
  try {
    descend(0);
    ADD_FAILURE() << "nested " << maps_n << " deep without an error";
  } catch (const threadmap::error& e) {
    EXPECT_EQ(e.code(), errc::would_deadlock);
  }
  EXPECT_EQ(deepest, threadmap::detail::held_locks::max_depth);
  EXPECT_EQ(threadmap::detail::this_thread_locks().depth, 0u);
  for (auto& mp : maps) EXPECT_TRUE(mp->insert(0, 1).has_value());  // every lock was released
}

// A thread that holds the shard of `key` in `m` (inside an alter callback)
// from construction until finish(), then assigns `value` and ends.
struct shard_holder {
  shard_holder(Map& m, uint64_t key, uint64_t value)
      : t([this, &m, key, value] {
          m.alter(key, [&](alter_entry<uint64_t>& e) {
            holding.count_down();
            while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            e.assign(value);
          });
        }) {
    holding.wait();
  }
  void finish() {
    release = true;
    t.join();
  }
  std::latch holding{1};
  std::atomic<bool> release{false};
  std::thread t;
};

TEST(DashMapReentrancyMisc, NestedWaitOnAnotherThreadsLockIsBounded) {
  // Thread T holds a shard of `target` (inside an alter callback) until told
  // to stop. The main thread, from inside a callback of another map, needs
  // that shard: instead of waiting without bound (which, in general, could
  // be half of a lock-order deadlock) it gives up with would_deadlock.
  Map source(0, 1);
  Map target(0, 1);
  source.insert(1, 1);
  target.insert(2, 2);
  shard_holder t(target, 2, 3);
  const auto start = std::chrono::steady_clock::now();
  const outcome got = run([&] { source.visit(1, [&](const uint64_t&) { target.insert(2, 100); }); });
  const auto waited = std::chrono::steady_clock::now() - start;
  t.finish();
  EXPECT_EQ(got, outcome::would_deadlock);
  EXPECT_GE(waited, threadmap::detail::nested_wait_limit - std::chrono::milliseconds(5));
  EXPECT_LT(waited, std::chrono::seconds(20));
  EXPECT_EQ(target.find(2), std::optional<uint64_t>(3));  // T's decision, not ours
  // T is gone and so is its lock: the map is usable.
  EXPECT_EQ(target.insert(2, 100), std::optional<uint64_t>(3));
}

TEST(DashMapReentrancyMisc, OppositeOrderNestingOnTwoThreadsDoesNotHang) {
  // The classic lock-order deadlock: thread 0 holds a's shard and wants b's,
  // thread 1 holds b's and wants a's. Both are inside callbacks, so neither
  // waits forever: at least one gives up; a success is fully applied.
  Map a(0, 1);
  Map b(0, 1);
  a.insert(0, 0);
  b.insert(0, 0);
  std::latch both_holding(2);
  outcome got[2] = {outcome::other_error, outcome::other_error};
  threadmap_test::run_together(2, [&](std::size_t i) {
    Map& mine = i == 0 ? a : b;
    Map& theirs = i == 0 ? b : a;
    mine.alter(0, [&](alter_entry<uint64_t>&) {
      both_holding.arrive_and_wait();
      got[i] = run([&] { theirs.insert(1, 10 + i); });
    });
  });
  const int refused = (got[0] == outcome::would_deadlock) + (got[1] == outcome::would_deadlock);
  const int applied = (got[0] == outcome::returned) + (got[1] == outcome::returned);
  EXPECT_GE(refused, 1);
  EXPECT_EQ(refused + applied, 2);
  // Thread 0 wrote into b, thread 1 into a.
  EXPECT_EQ(b.find(1), got[0] == outcome::returned ? std::optional<uint64_t>(10) : std::nullopt);
  EXPECT_EQ(a.find(1), got[1] == outcome::returned ? std::optional<uint64_t>(11) : std::nullopt);
}

TEST(DashMapReentrancyMisc, ErrorCodesHaveStableNames) {
  EXPECT_STREQ(threadmap::errc_code(errc::would_deadlock), "ERR_WOULD_DEADLOCK");
  EXPECT_STREQ(threadmap::errc_code(errc::lock_timeout), "ERR_LOCK_TIMEOUT");
  EXPECT_STREQ(threadmap::errc_code(errc::aborted), "ERR_ABORTED");
  EXPECT_STREQ(threadmap::errc_code(errc::invalid_handle), "ERR_INVALID_HANDLE");
  EXPECT_STREQ(threadmap::errc_code(errc::entry_released), "ERR_ENTRY_RELEASED");
  const threadmap::error e(errc::lock_timeout, "message");
  EXPECT_EQ(e.code(), errc::lock_timeout);
  EXPECT_STREQ(e.what(), "message");
}

}  // namespace

namespace {
std::atomic<bool> g_stop_waiting{false};
bool stop_waiting(void*) { return g_stop_waiting.load(); }
}  // namespace

// A thread waiting for a shard that a callback holds gives up with
// errc::aborted once its wait_interrupt check says stop (in Node: the
// worker is being terminated, perhaps by a process.exit() called inside
// that very callback, which then waits for this thread). Nothing changes.
TEST(DashMapReentrancyMisc, AWaitForAShardEndsWhenTheThreadIsToldToStop) {
  Map m(0, 1);
  m.insert(1, 1);
  shard_holder holder(m, 1, 2);
  g_stop_waiting = false;
  std::atomic<int> aborted{0};
  std::thread waiter([&] {
    threadmap::detail::tl_wait_interrupt = {&stop_waiting, nullptr};
    for (auto op : {+[](Map& mp) { mp.insert(5, 5); }, +[](Map& mp) { (void)mp.find(1); }}) {
      try {
        op(m);
      } catch (const threadmap::error& e) {
        if (e.code() == errc::aborted) aborted.fetch_add(1);
      }
    }
    threadmap::detail::tl_wait_interrupt = {};
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(120));  // parked, asking
  g_stop_waiting = true;
  waiter.join();
  holder.finish();
  EXPECT_EQ(aborted.load(), 2);
  EXPECT_FALSE(m.contains(5));  // the abandoned insert changed nothing
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(2));
}
