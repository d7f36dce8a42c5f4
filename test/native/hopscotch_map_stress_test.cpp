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

TYPED_TEST(HopscotchMapStress, ReadersSeeOnlyWrittenValues) {
  TypeParam m;
  threadmap_test::stress_readers(m, 2, 2, scaled(400000, 40000));
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
