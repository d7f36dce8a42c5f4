// HopscotchMap under concurrency (bodies in lockfree_suite.hpp): disjoint
// keys checked exactly, shared counters (compute and CAS loops) exact,
// readers that validate every value while the table grows and shrinks
// (and entries are displaced under them), and a linearizability check of
// small recorded histories.
#include <memory>

#include <gtest/gtest.h>
#include <threadmap/hopscotch_map.hpp>

#include "lockfree_suite.hpp"

namespace {

using threadmap::HopscotchMap;
using threadmap_test::fixed_hash;
using threadmap_test::scaled;
using map64 = HopscotchMap<uint64_t, uint64_t, fixed_hash>;

TEST(HopscotchMapStress, DisjointKeys) {
  for (std::size_t threads : {2, 4}) {
    map64 m;
    threadmap_test::stress_disjoint(m, threads, scaled(200000, 20000));
  }
}

TEST(HopscotchMapStress, SharedCounters) {
  map64 m;
  threadmap_test::stress_counters(m, 4, scaled(100000, 10000));
}

TEST(HopscotchMapStress, ReadersSeeOnlyWrittenValues) {
  map64 m;
  threadmap_test::stress_readers(m, 2, 2, scaled(400000, 40000));
}

TEST(HopscotchMapStress, Linearizable) {
  threadmap_test::check_linearizable([] { return std::make_unique<map64>(); }, scaled(3000, 300), 3, 4, 2);
  threadmap_test::check_linearizable([] { return std::make_unique<map64>(); }, scaled(3000, 300), 3, 4, 3);
}

}  // namespace
