// DashMap's optimistic reads (read_optimistic, which the addon's fast get
// and has try first): they take no lock, race with writers by design and
// must either answer exactly what a locked read would have answered at
// some moment during the call, or say unavailable.
//
// Single thread: they agree with a model after every step and are never
// unavailable when no writer runs. Threads: values are 16 bytes written
// as a pair (a, ~a) that names its key, so a torn or misattributed value
// shows; keys that are never erased must never read as absent, also while
// their tables grow, rehash in place, widen from packed keys or are
// cleared and refilled (the freed tables are read under ASan's eye).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include <threadmap/dash_map.hpp>

#include "support.hpp"

namespace {

using threadmap::DashMap;
using threadmap::optimistic_read;
using threadmap_test::failure_log;
using threadmap_test::fixed_hash;
using threadmap_test::packable_key;
using threadmap_test::rng;
using threadmap_test::run_together;
using threadmap_test::scaled;

// A value that names its key and cannot be torn unseen: b == ~a, and a's
// high bits are the key.
struct pair_value {
  uint64_t a = 0;
  uint64_t b = ~uint64_t{0};
  static pair_value of(uint64_t key, uint64_t gen) {
    const uint64_t a = key << 24 | (gen & 0xFFFFFF);
    return {a, ~a};
  }
  bool names(uint64_t key) const { return b == ~a && (a >> 24) == key; }
};

template <class Map, class K>
std::optional<pair_value> read(const Map& m, const K& key, optimistic_read& r) {
  pair_value out;
  r = m.read_optimistic(key, [&](const pair_value& v) {
    out = v;
    return true;
  });
  if (r == optimistic_read::found) return out;
  return std::nullopt;
}

TEST(DashMapOptimistic, AgreesWithAModelAndIsNeverUnavailableAlone) {
  DashMap<uint64_t, pair_value, fixed_hash> m(0, 8);
  std::unordered_map<uint64_t, pair_value> model;
  rng r(threadmap_test::test_seed() ^ 0x0971);
  const std::size_t steps = scaled(300'000);
  for (std::size_t i = 0; i < steps; ++i) {
    const uint64_t k = r.below(4096);
    switch (r.below(10)) {
      case 0: case 1: case 2: case 3:
        m.insert(k, pair_value::of(k, i));
        model[k] = pair_value::of(k, i);
        break;
      case 4: case 5:
        m.erase(k);
        model.erase(k);
        break;
      case 6:
        if (r.below(2000) == 0) {
          m.clear();
          model.clear();
        }
        break;
      default:
        break;
    }
    optimistic_read got;
    const std::optional<pair_value> v = read(m, k, got);
    const auto it = model.find(k);
    ASSERT_NE(got, optimistic_read::unavailable) << "step " << i;
    ASSERT_EQ(got == optimistic_read::found, it != model.end()) << "step " << i;
    if (v) {
      ASSERT_EQ(v->a, it->second.a) << "step " << i;
    }
    ASSERT_EQ(m.contains(k), it != model.end());
  }
}

TEST(DashMapOptimistic, PackedTablesReadOptimisticallyWideOnesOnlyIfTheKeySaysSo) {
  // packable_key opts into packing but not into optimistic_key: its packed
  // shards read optimistically, its widened ones under the lock.
  DashMap<packable_key, uint64_t, fixed_hash> m(0, 1);
  const auto probe = [&](const std::string& s) {
    return m.read_optimistic(packable_key{s}, [](const uint64_t&) { return true; });
  };
  m.insert(packable_key{"short"}, 1);
  EXPECT_EQ(probe("short"), optimistic_read::found);
  EXPECT_EQ(probe("other"), optimistic_read::absent);
  // A key that cannot pack is absent from a packed table, without a look.
  EXPECT_EQ(probe("much longer"), optimistic_read::absent);
  m.insert(packable_key{"much longer"}, 2);  // widens the only shard
  EXPECT_EQ(probe("short"), optimistic_read::unavailable);
  EXPECT_EQ(m.find(packable_key{"short"}), std::optional<uint64_t>(1));
  m.clear();  // packed again
  m.insert(packable_key{"short"}, 3);
  EXPECT_EQ(probe("short"), optimistic_read::found);

  // A key type with neither opt-in never reads optimistically.
  DashMap<std::string, uint64_t, fixed_hash> s(0, 1);
  s.insert("x", 1);
  EXPECT_EQ(s.read_optimistic("x", [](const uint64_t&) { return true; }), optimistic_read::unavailable);
  EXPECT_EQ(s.find("x"), std::optional<uint64_t>(1));

  // A copy that declines makes the read unavailable.
  DashMap<uint64_t, uint64_t, fixed_hash> u(0, 1);
  u.insert(7, 70);
  EXPECT_EQ(u.read_optimistic(7, [](const uint64_t&) { return false; }), optimistic_read::unavailable);
  EXPECT_EQ(u.read_optimistic(8, [](const uint64_t&) { return false; }), optimistic_read::absent);
}

TEST(DashMapOptimistic, InsideACallbackTheLockedRulesDecide) {
  DashMap<uint64_t, uint64_t, fixed_hash> m(0, 1);
  m.insert(1, 10);
  m.insert(2, 20);
  // The only shard is held shared by visit: a nested read of it is refused
  // as it always was, not answered optimistically.
  m.visit(1, [&](const uint64_t&) {
    EXPECT_EQ(m.read_optimistic(2, [](const uint64_t&) { return true; }), optimistic_read::unavailable);
    EXPECT_THROW((void)m.find(2), threadmap::error);
  });
}

// Writers churn a map whose stable keys are never erased; readers must
// never see a stable key absent and never see a value that does not name
// its key.
TEST(DashMapOptimistic, StableKeysNeverReadAbsentWhileTablesGrowAndRehash) {
  constexpr uint64_t stable = 2000;
  constexpr uint64_t churn_base = 1 << 20;
  // Per writer and round: with 2 writers, a shard's table grows to about
  // 13 times the stable keys it keeps, so erasing the churn shrinks it.
  constexpr uint64_t churn = 12000;
  DashMap<uint64_t, pair_value, fixed_hash> m(0, 4);
  for (uint64_t k = 0; k < stable; ++k) m.insert(k, pair_value::of(k, 0));
  std::atomic<bool> stop{false};
  std::atomic<int> writers_left{2};
  failure_log failures;
  std::atomic<uint64_t> found{0}, unavailable{0};
  const std::size_t rounds = scaled(40);
  run_together(4, [&](std::size_t t) {
    rng r(threadmap_test::test_seed() + t);
    if (t < 2) {
      // Each round grows the churn set well past the tables' size, then
      // erases it (tombstones, rehashes in place, and, once a table is
      // at most 1/8 full, a rebuild smaller), updating stable values all
      // along.
      for (std::size_t round = 0; round < rounds; ++round) {
        const uint64_t base = churn_base * (t + 1) + round * 100'000;
        for (uint64_t i = 0; i < churn; ++i) {
          m.insert(base + i, pair_value::of(base + i, round));
          const uint64_t s = r.below(stable);
          m.insert(s, pair_value::of(s, round * churn + i));
        }
        for (uint64_t i = 0; i < churn; ++i) m.erase(base + i);
      }
      writers_left.fetch_sub(1);
      return;
    }
    uint64_t mine_found = 0, mine_unavailable = 0;
    while (writers_left.load(std::memory_order_relaxed) > 0) {
      const bool want_stable = r.below(2) == 0;
      const uint64_t k = want_stable ? r.below(stable) : churn_base * (1 + r.below(2)) + r.below(rounds) * 100'000 + r.below(churn);
      optimistic_read got;
      const std::optional<pair_value> v = read(m, k, got);
      if (got == optimistic_read::unavailable) {
        ++mine_unavailable;
        continue;
      }
      if (want_stable && got == optimistic_read::absent) failures.add("stable key " + std::to_string(k) + " read absent");
      if (v) {
        ++mine_found;
        if (!v->names(k)) failures.add("key " + std::to_string(k) + " read a value that is not its own");
      }
    }
    found += mine_found;
    unavailable += mine_unavailable;
  });
  EXPECT_EQ(failures.count(), 0u) << failures.summary();
  EXPECT_GT(found.load(), 0u);
  // Most reads find no writer in their shard (4 shards, 2 writers).
  EXPECT_LT(unavailable.load(), found.load());
  for (uint64_t k = 0; k < stable; ++k) ASSERT_TRUE(m.find(k).has_value());
  // The tables did shrink back (else the readers never met a rebuild
  // smaller). A rebuild happens at 1/8 load and leaves room for twice the
  // entries left, and the erasures that follow leave fewer: up to about 5
  // times a fresh table's bytes, against about 15 without the rebuilds.
  DashMap<uint64_t, pair_value, fixed_hash> only_stable(0, 4);
  for (uint64_t k = 0; k < stable; ++k) only_stable.insert(k, pair_value::of(k, 0));
  EXPECT_LE(m.allocated_bytes(), 8 * only_stable.allocated_bytes());
}

// One small table whose few slots a writer fills with different keys over
// and over, and a second writer that rewrites values in place: a reader
// that trusted a read a writer overlapped would see another key's value or
// half of one. Without the sequence check after the lookup, this fails.
// One reader uses read_optimistic, the other find() and contains().
TEST(DashMapOptimistic, ReusedSlotsAndRewrittenValuesAreNeverMisread) {
  DashMap<uint64_t, pair_value, fixed_hash> m(0, 1);
  std::atomic<int> writers_left{2};
  failure_log failures;
  std::atomic<uint64_t> found{0};
  const std::size_t rounds = scaled(200'000);
  run_together(4, [&](std::size_t t) {
    rng r(threadmap_test::test_seed() + 31 * t);
    if (t == 0) {
      // Keys 1..6 come and go, taking each other's slots.
      for (std::size_t round = 0; round < rounds; ++round) {
        const uint64_t k = 1 + r.below(6);
        if (!m.erase(k)) m.insert(k, pair_value::of(k, round));
      }
      writers_left.fetch_sub(1);
      return;
    }
    if (t == 1) {
      // Key 7 stays; its 16-byte value is rewritten all the time.
      for (std::size_t round = 0; round < 4 * rounds; ++round) m.insert(7, pair_value::of(7, round));
      writers_left.fetch_sub(1);
      return;
    }
    // Thread 2 reads through read_optimistic itself; thread 3 through
    // find() and contains(), which try it first and fall back to the lock.
    uint64_t mine = 0;
    bool seen_7 = false;
    while (writers_left.load(std::memory_order_relaxed) > 0) {
      const uint64_t k = 1 + r.below(7);
      std::optional<pair_value> v;
      if (t == 2) {
        optimistic_read got;
        v = read(m, k, got);
      } else {
        v = m.find(k);
        if (k == 7 && seen_7 && !m.contains(7)) failures.fail("key 7 read absent after it was present");
      }
      if (v) {
        ++mine;
        if (k == 7) seen_7 = true;  // key 7 is never erased
        if (!v->names(k)) failures.fail("key ", k, " read a = ", v->a, ", b = ", v->b);
      }
    }
    found += mine;
  });
  EXPECT_EQ(failures.count(), 0u) << failures.summary();
  EXPECT_GT(found.load(), 0u);
}

// Tables are freed and reallocated under the readers (clear), and packed
// tables widen and pack again: every value read must still name its key.
TEST(DashMapOptimistic, ClearAndWidenUnderReaders) {
  DashMap<packable_key, pair_value, fixed_hash> m(0, 2);
  std::atomic<int> writers_left{1};
  failure_log failures;
  std::atomic<uint64_t> found{0};
  const std::size_t rounds = scaled(200);
  run_together(3, [&](std::size_t t) {
    rng r(threadmap_test::test_seed() + 17 * t);
    if (t == 0) {
      for (std::size_t round = 0; round < rounds; ++round) {
        for (uint64_t i = 0; i < 2000; ++i) m.insert(packable_key{std::to_string(i)}, pair_value::of(i, round));
        // A key too long to pack widens its shard's table mid-round.
        m.insert(packable_key{"a key too long to pack"}, pair_value::of(0xFFFFFF, round));
        for (uint64_t i = 0; i < 500; ++i) m.insert(packable_key{std::to_string(i)}, pair_value::of(i, round + 1));
        m.clear();
      }
      writers_left.fetch_sub(1);
      return;
    }
    uint64_t mine = 0;
    while (writers_left.load(std::memory_order_relaxed) > 0) {
      const uint64_t k = r.below(2000);
      optimistic_read got;
      const std::optional<pair_value> v = read(m, packable_key{std::to_string(k)}, got);
      if (v) {
        ++mine;
        if (!v->names(k)) failures.add("key " + std::to_string(k) + " read a value that is not its own");
      }
    }
    found += mine;
  });
  EXPECT_EQ(failures.count(), 0u) << failures.summary();
  EXPECT_GT(found.load(), 0u);
}

// size() and shard_size() read each shard's count without its lock unless a
// writer is in the shard (detail::sum_as_holder). Writers insert and erase
// churn keys, which grows, rehashes and shrinks their tables (a rehash
// empties the table's count and refills it); the stable keys stay. A count
// trusted without the sequence check would read such a rehash's zero and
// fall below the stable keys. Every size read must lie between the stable
// keys and those plus all churn keys that can be present at once, and the
// size is exact once the writers are done.
TEST(DashMapOptimistic, SizeWithoutLocksStaysWithinWhatTheWritersAllow) {
  constexpr uint64_t stable = 2000;
  constexpr uint64_t churn = 12000;
  constexpr std::size_t shards = 4;
  DashMap<uint64_t, pair_value, fixed_hash> m(0, shards);
  for (uint64_t k = 0; k < stable; ++k) m.insert(k, pair_value::of(k, 0));
  std::atomic<int> writers_left{2};
  failure_log failures;
  std::atomic<uint64_t> reads{0};
  const std::size_t rounds = scaled(40);
  run_together(4, [&](std::size_t t) {
    if (t < 2) {
      for (std::size_t round = 0; round < rounds; ++round) {
        const uint64_t base = (uint64_t{1} << 20) * (t + 1) + round * 100'000;
        for (uint64_t i = 0; i < churn; ++i) m.insert(base + i, pair_value::of(base + i, round));
        for (uint64_t i = 0; i < churn; ++i) m.erase(base + i);
      }
      writers_left.fetch_sub(1);
      return;
    }
    reads += threadmap_test::read_count_while_writing(writers_left, failures, stable, stable + 2 * churn, [&] {
      if (t == 2) return m.size();
      std::size_t sum = 0;
      for (std::size_t i = 0; i < shards; ++i) sum += m.shard_size(i);
      return sum;
    });
  });
  EXPECT_EQ(failures.count(), 0u) << failures.summary();
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(m.size(), stable);
}

}  // namespace
