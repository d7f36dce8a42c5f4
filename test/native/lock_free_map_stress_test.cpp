// LockFreeMap under concurrency (bodies in lockfree_suite.hpp): disjoint
// keys checked exactly, shared counters (compute and CAS loops) exact,
// readers that validate every value while the table grows and shrinks,
// and a linearizability check of small recorded histories.
#include <memory>

#include <gtest/gtest.h>
#include <threadmap/lock_free_map.hpp>

#include "lockfree_suite.hpp"

namespace {

using threadmap::LockFreeMap;
using threadmap_test::fixed_hash;
using threadmap_test::scaled;
using map64 = LockFreeMap<uint64_t, uint64_t, fixed_hash>;

TEST(LockFreeMapStress, DisjointKeys) {
  for (std::size_t threads : {2, 4}) {
    map64 m;
    threadmap_test::stress_disjoint(m, threads, scaled(200000, 20000));
  }
}

TEST(LockFreeMapStress, DisjointKeysFixedBuckets) {
  map64 m(threadmap::lock_free_map_options{0, 256});
  threadmap_test::stress_disjoint(m, 4, scaled(100000, 10000));
}

TEST(LockFreeMapStress, SharedCounters) {
  map64 m;
  threadmap_test::stress_counters(m, 4, scaled(100000, 10000));
}

TEST(LockFreeMapStress, ClearUnderReaders) {
  map64 m;
  threadmap_test::stress_clear_under_readers(m, 2, scaled(40, 20), 100000);
}

TEST(LockFreeMapStress, ReadersSeeOnlyWrittenValues) {
  map64 m;
  threadmap_test::stress_readers(m, 2, 2, scaled(400000, 40000));
}

TEST(LockFreeMapStress, Linearizable) {
  threadmap_test::check_linearizable([] { return std::make_unique<map64>(); }, scaled(3000, 300), 3, 4, 2);
  // Tiny fixed table: keys share a bucket, so every write rebuilds the others' chain.
  threadmap_test::check_linearizable(
      [] { return std::make_unique<map64>(threadmap::lock_free_map_options{0, 1}); }, scaled(3000, 300), 3, 4, 3);
}

}  // namespace
