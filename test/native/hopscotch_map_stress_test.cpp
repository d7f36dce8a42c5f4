// HopscotchMap under concurrency (bodies in lockfree_suite.hpp): disjoint
// keys checked exactly, shared counters (compute and CAS loops) exact,
// readers that validate every value while the table grows and shrinks
// (and entries are displaced under them), and a linearizability check of
// small recorded histories.
#include <memory>

#include <gtest/gtest.h>
#include <threadmap/hopscotch_map.hpp>

#include "hopscotch_storages.hpp"
#include "lockfree_suite.hpp"

namespace {

using threadmap::HopscotchMap;
using threadmap_test::fixed_hash;
using threadmap_test::scaled;
template <class Map>
class HopscotchMapStress : public ::testing::Test {};
TYPED_TEST_SUITE(HopscotchMapStress, threadmap_test::hopscotch_storages, threadmap_test::hopscotch_storage_name);

TYPED_TEST(HopscotchMapStress, DisjointKeys) {
  for (std::size_t threads : {2, 4}) {
    TypeParam m;
    threadmap_test::stress_disjoint(m, threads, scaled(200000, 20000));
  }
}

TYPED_TEST(HopscotchMapStress, SharedCounters) {
  TypeParam m;
  threadmap_test::stress_counters(m, 4, scaled(100000, 10000));
}

TYPED_TEST(HopscotchMapStress, ClearUnderReaders) {
  TypeParam m;
  threadmap_test::stress_clear_under_readers(m, 2, scaled(100, 40), 100000);
}

TYPED_TEST(HopscotchMapStress, ReadersSeeOnlyWrittenValues) {
  TypeParam m;
  threadmap_test::stress_readers(m, 2, 2, scaled(400000, 40000));
}

// Tables of 2^14 homes and more grow with their moves shared by the
// writers that wait for the resizer's locks (move_chunks). Four writers
// fill one map from empty to 2^18 homes (2^16 in sanitizer builds), each
// with its own keys, each checking on the way that keys it inserted
// earlier are still there with their values; at the end the map holds
// exactly every key.
TYPED_TEST(HopscotchMapStress, SharedGrowthsLoseNothing) {
  constexpr std::size_t threads = 4;
  const std::size_t per_thread = scaled(40000, 10000);
  TypeParam m;
  threadmap_test::failure_log log;
  threadmap_test::run_together(threads, [&](std::size_t t) {
    threadmap_test::rng r(threadmap_test::stream_seed(threadmap_test::test_seed() ^ 0x96u, t));
    for (std::size_t i = 0; i < per_thread; ++i) {
      const uint64_t k = i * threads + t;
      if (!m.insert_if_absent(k, k * 3)) log.fail("insert_if_absent ", k, " found it present");
      const uint64_t earlier = r.below(i + 1) * threads + t;
      const auto got = m.get(earlier);
      if (!got || *got != earlier * 3) log.fail("get ", earlier, got ? " wrong value" : " missing");
    }
  });
  ASSERT_EQ(log.count(), 0u) << log.summary();
  ASSERT_EQ(m.size(), threads * per_thread);
  for (uint64_t k = 0; k < threads * per_thread; ++k) {
    const auto got = m.get(k);
    ASSERT_TRUE(got.has_value()) << k;
    ASSERT_EQ(*got, k * 3) << k;
  }
  EXPECT_GE(m.bucket_count(), std::size_t{1} << 15) << "the table grew past the size where growths are shared";
}

TYPED_TEST(HopscotchMapStress, Linearizable) {
  threadmap_test::check_linearizable([] { return std::make_unique<TypeParam>(); }, scaled(3000, 300), 3, 4, 2);
  threadmap_test::check_linearizable([] { return std::make_unique<TypeParam>(); }, scaled(3000, 300), 3, 4, 3);
}

}  // namespace

namespace {

// Inline storage reuses a slot for another key the moment it is free, and
// replaces values in place, so a reader's load of the key and its load of
// the value may see two different entries. Here two keys share one home
// (and so one slot, alternately), and Eq is slow on a match, which holds
// a reader between its key load and its value load for a while: a reader
// that did not check the home's stamp after a hit would pair key 1 with
// key 2's value.
struct one_home_hash {
  uint64_t operator()(uint64_t) const noexcept { return 0; }
};
struct slow_eq {
  bool operator()(uint64_t a, uint64_t b) const noexcept {
    if (a != b) return false;
    for (int spin = 0; spin < 20; ++spin) THREADMAP_PAUSE();
    return true;
  }
};

TEST(HopscotchMapInlineStress, AHitIsCheckedAgainstSlotReuse) {
  threadmap::HopscotchMap<uint64_t, uint64_t, one_home_hash, slow_eq> m;
  static_assert(decltype(m)::inline_entries);
  const std::size_t rounds = scaled(300000, 30000);
  std::atomic<bool> done{false};
  threadmap_test::failure_log log;
  threadmap_test::run_together(3, [&](std::size_t t) {
    if (t == 0) {
      for (uint64_t i = 0; i < rounds; ++i) {
        m.remove(1);
        m.insert(2, (uint64_t{2} << 32) | (i & 0xffffffffu));
        m.remove(2);
        m.insert(1, (uint64_t{1} << 32) | (i & 0xffffffffu));
      }
      done.store(true);
      return;
    }
    while (!done.load()) {
      for (uint64_t k : {uint64_t{1}, uint64_t{2}}) {
        if (auto v = m.get(k); v && (*v >> 32) != k) log.fail("get ", k, " saw ", *v);
      }
    }
  });
  ASSERT_EQ(log.count(), 0u) << log.summary();
}

}  // namespace
