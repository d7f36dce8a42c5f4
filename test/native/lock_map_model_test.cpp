// Seeded model-based tests: random single-thread operation sequences on a
// LockMap (against std::unordered_map) and on a one-shard LruLockMap
// (against a list-based exact LRU), compared after every operation.
#include <gtest/gtest.h>

#include <list>
#include <unordered_map>

#include <threadmap/lock_map.hpp>

#include "support.hpp"

namespace {

using threadmap_test::rng;
using threadmap_test::scaled;

TEST(LockMapModel, RandomOperationsMatchUnorderedMap) {
  for (size_t shards : {1u, 8u}) {
    threadmap::LockMap<uint64_t, uint64_t, threadmap_test::fixed_hash> m({.shards = shards});
    std::unordered_map<uint64_t, uint64_t> ref;
    rng r(threadmap_test::stream_seed(threadmap_test::test_seed(), shards));
    const size_t ops = scaled(600'000, 50'000);
    for (size_t i = 0; i < ops; ++i) {
      const uint64_t k = r.below(512), v = r.next();
      const auto it = ref.find(k);
      const std::optional<uint64_t> cur = it == ref.end() ? std::nullopt : std::optional<uint64_t>(it->second);
      switch (r.below(9)) {
        case 0: ASSERT_EQ(m.insert(k, v), cur); ref[k] = v; break;
        case 1: ASSERT_EQ(m.get(k), cur); break;
        case 2: ASSERT_EQ(m.take(k), cur); ref.erase(k); break;
        case 3: {
          auto e = m.lock(k);
          ASSERT_EQ(e.get(), cur);
          if (r.chance(1, 2)) {
            e.set(v);
            ref[k] = v;
          } else {
            ASSERT_EQ(e.remove(), cur.has_value());
            ref.erase(k);
          }
          break;
        }
        case 4: {
          auto e = m.try_lock(k);
          ASSERT_TRUE(e);
          ASSERT_EQ(e->exists(), cur.has_value());
          break;
        }
        case 5: {
          const bool added = m.alter(k, [&](threadmap::alter_entry<uint64_t>& e) {
            if (e.exists()) return false;
            e.assign(v);
            return true;
          });
          ASSERT_EQ(added, !cur.has_value());
          ref.emplace(k, v);
          break;
        }
        case 6: ASSERT_EQ(m.contains(k), cur.has_value()); break;
        case 7: {
          if (r.chance(1, 500)) {
            const uint64_t bit = r.below(2);
            const size_t removed = m.retain([&](uint64_t key, uint64_t) { return (key & 1) == bit; });
            size_t ref_removed = std::erase_if(ref, [&](const auto& kv) { return (kv.first & 1) != bit; });
            ASSERT_EQ(removed, ref_removed);
          }
          break;
        }
        default:
          if (r.chance(1, 5000)) {
            m.clear();
            ref.clear();
          }
      }
      if (i % 4096 == 0) {
        ASSERT_EQ(m.size(), ref.size());
      }
    }
    ASSERT_EQ(m.size(), ref.size());
    ASSERT_EQ(m.state_count(), ref.size());
    m.for_each([&](uint64_t k, uint64_t v) { ASSERT_EQ(ref.at(k), v); });
  }
}

// An exact LRU: most recent at the front.
struct reference_lru {
  size_t capacity;
  std::list<std::pair<uint64_t, uint64_t>> order;
  std::unordered_map<uint64_t, std::list<std::pair<uint64_t, uint64_t>>::iterator> at;
  std::optional<uint64_t> get(uint64_t k, bool promote) {
    auto it = at.find(k);
    if (it == at.end()) return std::nullopt;
    if (promote) order.splice(order.begin(), order, it->second);
    return it->second->second;
  }
  void put(uint64_t k, uint64_t v) {
    if (auto it = at.find(k); it != at.end()) {
      it->second->second = v;
      order.splice(order.begin(), order, it->second);
      return;
    }
    if (order.size() == capacity) {
      at.erase(order.back().first);
      order.pop_back();
    }
    order.emplace_front(k, v);
    at[k] = order.begin();
  }
  void erase(uint64_t k) {
    if (auto it = at.find(k); it != at.end()) {
      order.erase(it->second);
      at.erase(it);
    }
  }
};

TEST(LruLockMapModel, OneShardMatchesAnExactLru) {
  threadmap::LruLockMap<uint64_t, uint64_t, threadmap_test::fixed_hash> m({.shards = 1, .capacity = 64});
  reference_lru ref{64, {}, {}};
  rng r(threadmap_test::stream_seed(threadmap_test::test_seed(), 99));
  const size_t ops = scaled(400'000, 40'000);
  uint64_t hits = 0, misses = 0;
  for (size_t i = 0; i < ops; ++i) {
    const uint64_t k = r.below(200), v = r.next();
    switch (r.below(6)) {
      case 0:
      case 1: m.insert(k, v); ref.put(k, v); break;
      case 2: {
        auto want = ref.get(k, true);
        ++(want ? hits : misses);
        ASSERT_EQ(m.get(k), want);
        break;
      }
      case 3: ASSERT_EQ(m.peek(k), ref.get(k, false)); break;
      case 4: {
        auto e = m.lock(k);  // promotes if present
        ASSERT_EQ(e.get(), ref.get(k, true));
        if (r.chance(1, 2)) {
          e.set(v);
          ref.put(k, v);
        }
        break;
      }
      default: m.remove(k); ref.erase(k);
    }
    ASSERT_EQ(m.size(), ref.order.size());
  }
  const auto st = m.stats();
  EXPECT_EQ(st.hits, hits);
  EXPECT_EQ(st.misses, misses);
  m.for_each([&](uint64_t k, uint64_t v) { ASSERT_EQ(ref.get(k, false), v); });
}

}  // namespace
