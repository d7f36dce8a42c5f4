// DashMap under concurrency: 2 to 8 threads released together from a latch
// (run_together in support.hpp), on one shard (every thread contends on one
// lock and one table, which rehashes while the others wait) and on 64.
//
//   DisjointKeys            each thread owns a key range and checks every
//                           return value against its own model; the final
//                           contents are the union of the models, exactly
//   OverlappingCounters     per-key counters bumped by alter and upsert from
//                           every thread: final sums exact, reads monotonic
//   ReadersNeverSeeUnwrittenValues
//                           values encode their key and a write sequence;
//                           readers check every value they see, and that
//                           keys never erased never go missing
//   ChurnKeepsAnExactSize   insert/erase churn on shared keys; each thread
//                           sums the size changes its calls reported; the
//                           final size() is that sum, exactly
//   ForEachSeesStableEntriesExactlyOnce
//                           for_each passes during writes (and retain) see
//                           every entry present throughout exactly once
//   PackedKeysWidenWhileOthersWork
//                           keys that pack (key_packing) until each thread
//                           adds a few that do not, mid-run: every shard's
//                           table changes layout while the other threads
//                           read and write it; checked as DisjointKeys
//   CallbacksIntoOtherMapsNeverHang
//                           callbacks that call the other map, from threads
//                           working in opposite orders: every call either
//                           succeeds or is refused with would_deadlock
//
// Worker threads record failures in a failure_log; the main thread asserts.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <threadmap/dash_map.hpp>

#include "support.hpp"

namespace {

using threadmap::alter_entry;
using threadmap::DashMap;
using threadmap_test::failure_log;
using threadmap_test::fixed_hash;
using threadmap_test::rng;
using threadmap_test::run_together;
using threadmap_test::scaled;
using threadmap_test::stream_seed;
using threadmap_test::test_seed;

using IntMap = DashMap<uint64_t, uint64_t, fixed_hash>;

struct stress_case {
  std::size_t threads;
  std::size_t shards;
};
void PrintTo(const stress_case& c, std::ostream* os) { *os << c.threads << " threads, " << c.shards << " shards"; }

class DashMapStress : public ::testing::TestWithParam<stress_case> {
 protected:
  std::size_t threads() const { return GetParam().threads; }
  std::size_t shards() const { return GetParam().shards; }
  // A seed per thread and per test.
  uint64_t seed(uint64_t test, std::size_t thread) const {
    return stream_seed(test_seed(), test * 1000003 + shards() * 131 + threads() * 17 + thread);
  }
};

// ---------------------------------------------------------------------------

TEST_P(DashMapStress, DisjointKeys) {
  IntMap m(0, shards());
  const uint64_t range = 4000;  // keys per thread
  const std::size_t ops = scaled(2000000, 40000) / threads();
  failure_log log;
  std::vector<std::vector<std::optional<uint64_t>>> models(threads());

  run_together(threads(), [&](std::size_t t) {
    rng r(seed(1, t));
    auto& model = models[t];
    model.assign(range, std::nullopt);
    const uint64_t base = t << 32;
    // First fill half the range, so that every table grows while the other
    // threads work on it.
    for (uint64_t i = 0; i < range; i += 2) {
      if (m.insert(base + i, i)) log.fail("thread ", t, ": fresh key ", i, " already present");
      model[i] = i;
    }
    for (std::size_t step = 0; step < ops; ++step) {
      const uint64_t i = r.below(range);
      const uint64_t k = base + i;
      const uint64_t v = r.next();
      std::optional<uint64_t>& want = model[i];
      switch (r.below(8)) {
        case 0: {
          if (m.insert(k, v) != want) log.fail("thread ", t, " step ", step, ": insert's old value, key ", i);
          want = v;
          break;
        }
        case 1: {
          if (m.try_insert(k, v) != !want.has_value()) log.fail("thread ", t, " step ", step, ": try_insert, key ", i);
          if (!want) want = v;
          break;
        }
        case 2: {
          if (m.erase(k) != want.has_value()) log.fail("thread ", t, " step ", step, ": erase, key ", i);
          want.reset();
          break;
        }
        case 3: {
          if (m.take(k) != want) log.fail("thread ", t, " step ", step, ": take, key ", i);
          want.reset();
          break;
        }
        case 4:
        case 5: {
          if (m.find(k) != want) log.fail("thread ", t, " step ", step, ": find, key ", i);
          break;
        }
        case 6: {
          std::optional<uint64_t> seen;
          m.alter(k, [&](alter_entry<uint64_t>& e) {
            if (e.exists()) seen = e.value();
            if (v & 1) e.assign(v); else e.erase();
          });
          if (seen != want) log.fail("thread ", t, " step ", step, ": alter saw, key ", i);
          if (v & 1) want = v; else want.reset();
          break;
        }
        default: {
          const bool inserted = m.upsert(k, v, [](uint64_t& x) { x ^= 0xff; });
          if (inserted == want.has_value()) log.fail("thread ", t, " step ", step, ": upsert, key ", i);
          want = want ? (*want ^ 0xff) : v;
          break;
        }
      }
    }
  });
  EXPECT_EQ(log.count(), 0u) << log.summary();

  std::size_t expected_size = 0;
  for (std::size_t t = 0; t < threads(); ++t) {
    for (uint64_t i = 0; i < range; ++i) {
      ASSERT_EQ(m.find((uint64_t{t} << 32) + i), models[t][i]) << "thread " << t << " key " << i;
      expected_size += models[t][i].has_value();
    }
  }
  EXPECT_EQ(m.size(), expected_size);
  std::size_t seen = 0;
  m.for_each([&](const uint64_t& k, const uint64_t& v) {
    ++seen;
    const std::size_t t = k >> 32;
    ASSERT_LT(t, threads());
    EXPECT_EQ(models[t][k & 0xffffffff], std::optional<uint64_t>(v));
  });
  EXPECT_EQ(seen, expected_size);
}

// ---------------------------------------------------------------------------

TEST_P(DashMapStress, OverlappingCounters) {
  IntMap m(0, shards());
  constexpr uint64_t keys = 61;
  const std::size_t ops = scaled(2000000, 40000) / threads();
  failure_log log;
  std::vector<std::vector<uint64_t>> bumps(threads(), std::vector<uint64_t>(keys));

  run_together(threads(), [&](std::size_t t) {
    rng r(seed(2, t));
    std::vector<uint64_t> last_seen(keys);  // counters only grow
    for (std::size_t step = 0; step < ops; ++step) {
      const uint64_t k = r.below(keys);
      const uint64_t dice = r.below(10);
      if (dice < 6) {
        const uint64_t now = m.alter(k, [](alter_entry<uint64_t>& e) {
          const uint64_t n = e.exists() ? e.value() + 1 : 1;
          e.assign(n);
          return n;
        });
        ++bumps[t][k];
        if (now <= last_seen[k]) log.fail("thread ", t, ": counter ", k, " went from ", last_seen[k], " to ", now);
        last_seen[k] = now;
      } else if (dice < 8) {
        m.upsert(k, 1, [](uint64_t& x) { ++x; });
        ++bumps[t][k];
        last_seen[k] += 1;  // at least one more than before: ours
      } else {
        const std::optional<uint64_t> now = m.find(k);
        const uint64_t n = now.value_or(0);
        if (n < last_seen[k]) log.fail("thread ", t, ": counter ", k, " read ", n, " after ", last_seen[k]);
        last_seen[k] = std::max(last_seen[k], n);
      }
    }
  });
  EXPECT_EQ(log.count(), 0u) << log.summary();

  std::size_t present = 0;
  for (uint64_t k = 0; k < keys; ++k) {
    uint64_t total = 0;
    for (std::size_t t = 0; t < threads(); ++t) total += bumps[t][k];
    if (total == 0) {
      EXPECT_FALSE(m.contains(k)) << k;
    } else {
      ++present;
      EXPECT_EQ(m.find(k), std::optional<uint64_t>(total)) << "counter " << k;
    }
  }
  EXPECT_EQ(m.size(), present);
}

// ---------------------------------------------------------------------------

// A counter that holders of the shard's shared lock may bump together
// (update_shared's contract): every read and write of it is atomic.
struct shared_counter {
  std::atomic<uint64_t> n{0};
  explicit shared_counter(uint64_t v = 0) noexcept : n(v) {}
  shared_counter(const shared_counter& o) noexcept : n(o.n.load(std::memory_order_relaxed)) {}
  shared_counter(shared_counter&& o) noexcept : n(o.n.load(std::memory_order_relaxed)) {}
  shared_counter& operator=(const shared_counter& o) noexcept {
    n.store(o.n.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return *this;
  }
  uint64_t get() const noexcept { return n.load(std::memory_order_relaxed); }
};

// Counters bumped in place under the shared lock (update_shared), by alter
// under the exclusive one, read by find, while other keys come and go and
// grow the tables: every bump counts, and no reader sees a counter go back.
TEST_P(DashMapStress, SharedUpdatesAddUpWithWritersAround) {
  DashMap<uint64_t, shared_counter, fixed_hash> m(0, shards());
  constexpr uint64_t keys = 37;
  const std::size_t ops = scaled(1000000, 40000) / threads();
  failure_log log;
  std::vector<std::vector<uint64_t>> bumps(threads(), std::vector<uint64_t>(keys));
  run_together(threads(), [&](std::size_t t) {
    rng r(seed(9, t));
    std::vector<uint64_t> last_seen(keys);
    const uint64_t churn = (t + 1) << 32;
    for (std::size_t step = 0; step < ops; ++step) {
      const uint64_t k = r.below(keys);
      const uint64_t dice = r.below(10);
      if (dice < 5) {
        const bool done = m.update_shared(k, [](shared_counter& c) {
          c.n.fetch_add(1, std::memory_order_relaxed);
          return true;
        });
        if (!done) m.alter(k, [](threadmap::alter_entry<shared_counter>& e) { e.assign(shared_counter(e.exists() ? e.value().get() + 1 : 1)); });
        ++bumps[t][k];
      } else if (dice < 7) {
        m.alter(k, [](threadmap::alter_entry<shared_counter>& e) { e.assign(shared_counter(e.exists() ? e.value().get() + 1 : 1)); });
        ++bumps[t][k];
      } else if (dice < 8) {
        // Keys of this thread only, inserted in runs and erased: rehashes.
        const uint64_t c = churn + r.below(4096);
        if (!m.erase(c)) m.insert(c, shared_counter(0));
      } else {
        const uint64_t n = m.find(k).value_or(shared_counter(0)).get();
        if (n < last_seen[k]) log.fail("thread ", t, ": counter ", k, " read ", n, " after ", last_seen[k]);
        last_seen[k] = std::max(last_seen[k], n);
      }
    }
  });
  EXPECT_EQ(log.count(), 0u) << log.summary();
  for (uint64_t k = 0; k < keys; ++k) {
    uint64_t total = 0;
    for (std::size_t t = 0; t < threads(); ++t) total += bumps[t][k];
    const std::optional<shared_counter> got = m.find(k);
    EXPECT_EQ(got ? got->get() : 0, total) << "counter " << k;
  }
}

// ---------------------------------------------------------------------------

// A value that names its key and the write that made it, padded past the
// small-string buffer so that every value is a heap allocation.
std::string make_value(uint64_t key, uint64_t seq) {
  return "key=" + std::to_string(key) + ";seq=" + std::to_string(seq) + ";padding-to-the-heap";
}

// Checks a value read for `key`: it must be exactly what make_value wrote
// for that key with a sequence number already handed out.
bool valid_value(uint64_t key, const std::string& v, uint64_t issued) {
  const auto at = v.find(";seq=");
  if (at == std::string::npos) return false;
  uint64_t seq = 0;
  std::size_t i = at + 5;
  if (i >= v.size() || v[i] < '0' || v[i] > '9') return false;
  for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) seq = seq * 10 + static_cast<uint64_t>(v[i] - '0');
  return seq < issued && v == make_value(key, seq);
}

TEST_P(DashMapStress, ReadersNeverSeeUnwrittenValues) {
  DashMap<uint64_t, std::string, fixed_hash> m(0, shards());
  constexpr uint64_t keys = 1024;
  constexpr uint64_t pinned = 128;  // keys [0, pinned) are never erased
  std::atomic<uint64_t> issued{0};
  auto next_value = [&](uint64_t k) { return make_value(k, issued.fetch_add(1)); };
  for (uint64_t k = 0; k < pinned; ++k) m.insert(k, next_value(k));

  const std::size_t writers = std::max<std::size_t>(1, threads() / 2);
  const std::size_t writer_ops = scaled(1000000, 20000) / writers;
  std::atomic<std::size_t> writers_left{writers};
  failure_log log;

  run_together(threads(), [&](std::size_t t) {
    rng r(seed(3, t));
    if (t < writers) {
      for (std::size_t step = 0; step < writer_ops; ++step) {
        const uint64_t k = r.below(keys);
        const uint64_t dice = r.below(k < pinned ? 3 : 7);
        switch (dice) {
          case 0: {
            auto old = m.insert(k, next_value(k));
            if (old && !valid_value(k, *old, issued.load())) log.fail("insert returned a bad old value: ", *old);
            if (k < pinned && !old) log.fail("pinned key ", k, " was missing before insert");
            break;
          }
          case 1: m.alter(k, [&](alter_entry<std::string>& e) { e.assign(next_value(k)); }); break;
          case 2: m.upsert(k, next_value(k), [&](std::string& v) { v = next_value(k); }); break;
          case 3: m.try_insert(k, next_value(k)); break;
          case 4: m.erase(k); break;
          case 5: {
            auto old = m.take(k);
            if (old && !valid_value(k, *old, issued.load())) log.fail("take returned a bad value: ", *old);
            break;
          }
          default: m.alter(k, [](alter_entry<std::string>& e) { e.erase(); }); break;
        }
      }
      writers_left.fetch_sub(1);
      return;
    }
    // A reader: runs until the writers are done, and at least a while.
    const std::size_t min_steps = scaled(5000, 500);
    for (std::size_t step = 0; step < min_steps || writers_left.load() > 0; ++step) {
      const uint64_t k = r.below(keys);
      switch (r.below(4)) {
        case 0: {
          auto v = m.find(k);
          if (v && !valid_value(k, *v, issued.load())) log.fail("find(", k, ") saw ", *v);
          if (!v && k < pinned) log.fail("find lost pinned key ", k);
          break;
        }
        case 1: {
          const bool found = m.visit(k, [&](const std::string& v) {
            if (!valid_value(k, v, issued.load())) log.fail("visit(", k, ") saw ", v);
          });
          if (!found && k < pinned) log.fail("visit lost pinned key ", k);
          break;
        }
        case 2: {
          if (!m.contains(k % pinned)) log.fail("contains lost pinned key ", k % pinned);
          break;
        }
        default: {
          if (step % 64 != 0) break;
          std::vector<char> seen(keys);
          m.for_each([&](const uint64_t& key, const std::string& v) {
            if (key >= keys || seen[key]++) log.fail("for_each saw key ", key, " twice or out of range");
            else if (!valid_value(key, v, issued.load())) log.fail("for_each saw ", key, " -> ", v);
          });
          for (uint64_t p = 0; p < pinned; ++p)
            if (!seen[p]) log.fail("for_each missed pinned key ", p);
          break;
        }
      }
    }
  });
  EXPECT_EQ(log.count(), 0u) << log.summary();
  const uint64_t total = issued.load();
  std::size_t seen = 0;
  m.for_each([&](const uint64_t& k, const std::string& v) {
    ++seen;
    EXPECT_TRUE(valid_value(k, v, total)) << k << " -> " << v;
  });
  EXPECT_EQ(seen, m.size());
  for (uint64_t k = 0; k < pinned; ++k) EXPECT_TRUE(m.contains(k)) << k;
}

// ---------------------------------------------------------------------------

TEST_P(DashMapStress, ChurnKeepsAnExactSize) {
  IntMap m(0, shards());
  constexpr uint64_t keys = 2048;
  const std::size_t ops = scaled(2000000, 40000) / threads();
  std::vector<int64_t> delta(threads());
  failure_log log;
  auto value_for = [](uint64_t k, uint64_t salt) { return (k << 20) | (salt & 0xfffff); };

  run_together(threads(), [&](std::size_t t) {
    rng r(seed(4, t));
    int64_t d = 0;
    for (std::size_t step = 0; step < ops; ++step) {
      const uint64_t k = r.below(keys);
      const uint64_t v = value_for(k, r.next());
      switch (r.below(8)) {
        case 0: d += m.insert(k, v).has_value() ? 0 : 1; break;
        case 1: d += m.try_insert(k, v) ? 1 : 0; break;
        case 2: d -= m.erase(k) ? 1 : 0; break;
        case 3: {
          auto old = m.take(k);
          if (old && (*old >> 20) != k) log.fail("take(", k, ") returned a value of key ", *old >> 20);
          d -= old ? 1 : 0;
          break;
        }
        case 4: d -= m.erase_if(k, [](const uint64_t& x) { return (x & 1) == 0; }) ? 1 : 0; break;
        case 5: d += m.upsert(k, v, [](uint64_t& x) { x ^= 1; }) ? 1 : 0; break;
        default: {
          // The callback's view is the truth at the moment the decision applies.
          const bool assign = (v & 2) != 0;
          const bool existed = m.alter(k, [&](alter_entry<uint64_t>& e) {
            if (assign) e.assign(v); else e.erase();
            return e.exists();
          });
          if (assign && !existed) d += 1;
          if (!assign && existed) d -= 1;
          break;
        }
      }
    }
    delta[t] = d;
  });
  EXPECT_EQ(log.count(), 0u) << log.summary();

  int64_t expected = 0;
  for (int64_t d : delta) expected += d;
  ASSERT_GE(expected, 0);
  EXPECT_EQ(m.size(), static_cast<std::size_t>(expected));
  std::size_t seen = 0;
  m.for_each([&](const uint64_t& k, const uint64_t& v) {
    ++seen;
    EXPECT_EQ(v >> 20, k);
  });
  EXPECT_EQ(seen, static_cast<std::size_t>(expected));
  std::size_t sum = 0;
  for (std::size_t s : m.shard_sizes()) sum += s;
  EXPECT_EQ(sum, static_cast<std::size_t>(expected));

  // Churn did not bloat the tables: no more than 4 x what the whole key
  // range needs when simply inserted (see the tombstone test in
  // dash_map_erase_test.cpp for why 4 bounds it).
  IntMap full(0, shards());
  for (uint64_t k = 0; k < keys; ++k) full.insert(k, k);
  EXPECT_LE(m.allocated_bytes(), 4 * full.allocated_bytes());
}

// ---------------------------------------------------------------------------

TEST_P(DashMapStress, ForEachSeesStableEntriesExactlyOnce) {
  IntMap m(0, shards());
  constexpr uint64_t stable = 2000;         // keys [0, stable): present throughout
  constexpr uint64_t churn_base = 1 << 20;  // keys [churn_base, churn_base + churn): come and go
  constexpr uint64_t churn = 3000;
  auto value_for = [](uint64_t k, uint64_t salt) { return (k << 24) | (salt & 0xffffff); };
  for (uint64_t k = 0; k < stable; ++k) m.insert(k, value_for(k, 0));

  const std::size_t iterators = std::max<std::size_t>(1, threads() / 2);
  const std::size_t writers = threads() - iterators;
  const std::size_t writer_ops = scaled(1500000, 20000) / std::max<std::size_t>(1, writers);
  std::atomic<std::size_t> writers_left{writers};
  std::atomic<std::size_t> passes{0};
  failure_log log;

  // With 2 threads there is one writer and one iterator; with more, the
  // first writer also calls retain, which competes for every shard's
  // exclusive lock while the iterators hold shared ones.
  run_together(threads(), [&](std::size_t t) {
    rng r(seed(5, t));
    if (t >= iterators) {
      const bool retainer = t == iterators;
      for (std::size_t step = 0; step < writer_ops; ++step) {
        const uint64_t dice = r.below(10);
        const uint64_t k = churn_base + r.below(churn);
        if (dice < 3) {
          m.insert(k, value_for(k, r.next()));
        } else if (dice < 6) {
          m.erase(k);
        } else if (dice < 8) {
          const uint64_t s = r.below(stable);  // stable keys change value, never presence
          m.alter(s, [&](alter_entry<uint64_t>& e) {
            if (!e.exists()) log.fail("stable key ", s, " missing in alter");
            e.assign(value_for(s, r.next()));
          });
        } else if (retainer && dice == 9 && step % 64 == 0) {
          m.retain([&](const uint64_t& key, uint64_t& v) { return key < stable || (v & 1) == 0; });
        } else {
          m.upsert(k, value_for(k, 1), [](uint64_t& v) { v ^= 2; });
        }
      }
      writers_left.fetch_sub(1);
      return;
    }
    // An iterator: full passes until the writers are done (at least three).
    std::vector<uint32_t> seen_stable(stable);
    std::vector<uint32_t> seen_churn(churn);
    for (uint32_t pass = 1; pass <= 3 || writers_left.load() > 0; ++pass) {
      std::fill(seen_stable.begin(), seen_stable.end(), 0);
      std::fill(seen_churn.begin(), seen_churn.end(), 0);
      auto see = [&](const uint64_t& k, const uint64_t& v) {
        if ((v >> 24) != k) log.fail("pass ", pass, ": key ", k, " has value of key ", v >> 24);
        if (k < stable) {
          ++seen_stable[k];
        } else if (k >= churn_base && k < churn_base + churn) {
          ++seen_churn[k - churn_base];
        } else {
          log.fail("pass ", pass, ": unknown key ", k);
        }
      };
      if (pass % 2) {
        m.for_each(see);
      } else {
        for (std::size_t i = 0; i < m.shard_count(); ++i) m.for_each_in_shard(i, see);
      }
      for (uint64_t k = 0; k < stable; ++k)
        if (seen_stable[k] != 1) log.fail("pass ", pass, ": stable key ", k, " seen ", seen_stable[k], " times");
      for (uint64_t i = 0; i < churn; ++i)
        if (seen_churn[i] > 1) log.fail("pass ", pass, ": churn key ", churn_base + i, " seen ", seen_churn[i], " times");
      passes.fetch_add(1);
    }
  });
  EXPECT_EQ(log.count(), 0u) << log.summary();
  EXPECT_GE(passes.load(), 3 * iterators);
  std::size_t stable_left = 0;
  m.for_each([&](const uint64_t& k, const uint64_t&) { stable_left += k < stable; });
  EXPECT_EQ(stable_left, stable);
}

// ---------------------------------------------------------------------------

TEST_P(DashMapStress, PackedKeysWidenWhileOthersWork) {
  using threadmap_test::packable_key;
  DashMap<packable_key, uint64_t, fixed_hash> m(0, shards());
  const uint64_t range = 2000;  // keys per thread; "t.i" packs, a long form does not
  const std::size_t ops = scaled(400000, 20000) / threads();
  auto key = [](std::size_t t, uint64_t i) {
    return packable_key{(i % 500 == 499 ? "a-key-that-does-not-pack-" : "") + std::to_string(t) + "." + std::to_string(i)};
  };
  failure_log log;
  std::vector<std::vector<std::optional<uint64_t>>> models(threads());
  run_together(threads(), [&](std::size_t t) {
    rng r(seed(7, t));
    auto& model = models[t];
    model.assign(range, std::nullopt);
    for (std::size_t step = 0; step < ops; ++step) {
      // The long keys (i % 500 == 499) only after the first third of the run.
      uint64_t i = r.below(range);
      if (i % 500 == 499 && step < ops / 3) --i;
      const packable_key k = key(t, i);
      const uint64_t v = r.next();
      std::optional<uint64_t>& want = model[i];
      switch (r.below(4)) {
        case 0:
          if (m.insert(k, v) != want) log.fail("thread ", t, " step ", step, ": insert's old value, key ", k.s);
          want = v;
          break;
        case 1:
          if (m.erase(k) != want.has_value()) log.fail("thread ", t, " step ", step, ": erase, key ", k.s);
          want.reset();
          break;
        default:
          if (m.find(k) != want) log.fail("thread ", t, " step ", step, ": find, key ", k.s);
          break;
      }
    }
  });
  EXPECT_EQ(log.count(), 0u) << log.summary();
  std::size_t expected_size = 0;
  for (std::size_t t = 0; t < threads(); ++t) {
    for (uint64_t i = 0; i < range; ++i) {
      ASSERT_EQ(m.find(key(t, i)), models[t][i]) << "thread " << t << " key " << key(t, i).s;
      expected_size += models[t][i].has_value();
    }
  }
  EXPECT_EQ(m.size(), expected_size);
  std::size_t seen = 0;
  m.for_each([&](const packable_key&, const uint64_t&) { ++seen; });
  EXPECT_EQ(seen, expected_size);
}

// ---------------------------------------------------------------------------

TEST_P(DashMapStress, CallbacksIntoOtherMapsNeverHang) {
  // Even threads call map b from callbacks on map a, odd threads the reverse:
  // the lock-order pattern that deadlocks with plain mutexes. A nested call
  // that cannot get its lock in time is refused with would_deadlock; every
  // call that returned must be fully applied.
  IntMap a(0, shards());
  IntMap b(0, shards());
  for (uint64_t k = 0; k < 16; ++k) {
    a.insert(k, k);
    b.insert(k, k);
  }
  const auto budget = std::chrono::milliseconds(threadmap_test::sanitized ? 600 : 300);
  std::vector<std::vector<uint64_t>> applied(threads());
  std::vector<std::size_t> refused(threads());
  failure_log log;

  // Runs for `budget`, and on past it (up to 20 s) while no call has been
  // applied yet: on a starved machine (sanitizers, a parallel build) every
  // nested wait of the first 600 ms can time out on both sides.
  std::atomic<std::size_t> any_applied{0};
  run_together(threads(), [&](std::size_t t) {
    rng r(seed(6, t));
    IntMap& outer = t % 2 ? b : a;
    IntMap& inner = t % 2 ? a : b;
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + budget;
    const auto hard_deadline = start + std::chrono::seconds(20);
    for (uint64_t i = 0;; ++i) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= hard_deadline || (now >= deadline && any_applied.load() != 0)) break;
      const uint64_t key = 1000 + (uint64_t{t} << 32) + i;  // unique to this call
      auto body = [&] { inner.insert(key, key); };
      try {
        if (r.below(2)) {
          outer.visit(r.below(16), [&](const uint64_t&) { body(); });
        } else {
          outer.alter(r.below(16), [&](alter_entry<uint64_t>&) { body(); });
        }
        applied[t].push_back(key);
        any_applied.fetch_add(1);
      } catch (const threadmap::error& e) {
        if (e.code() != threadmap::errc::would_deadlock) log.fail("unexpected error code");
        ++refused[t];
      }
    }
  });
  EXPECT_EQ(log.count(), 0u) << log.summary();

  std::size_t total_applied = 0;
  for (std::size_t t = 0; t < threads(); ++t) {
    IntMap& inner = t % 2 ? a : b;
    for (uint64_t key : applied[t]) ASSERT_EQ(inner.find(key), std::optional<uint64_t>(key)) << "thread " << t;
    total_applied += applied[t].size();
  }
  EXPECT_GT(total_applied, 0u);
  // Nothing else was added: refused calls left no trace.
  EXPECT_EQ(a.size() + b.size(), 32 + total_applied);
}

std::vector<stress_case> stress_cases() {
  std::vector<stress_case> out;
  for (std::size_t threads : {2, 4, 8})
    for (std::size_t shards : {1, 64}) out.push_back({threads, shards});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Threads, DashMapStress, ::testing::ValuesIn(stress_cases()),
                         [](const ::testing::TestParamInfo<stress_case>& info) {
                           return "threads" + std::to_string(info.param.threads) + "_shards" +
                                  std::to_string(info.param.shards);
                         });

}  // namespace
