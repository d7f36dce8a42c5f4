// LockFreeMap against std::unordered_map (run_model in lockfree_suite.hpp):
// seeded single-thread sequences of every operation, growing far and
// shrinking back, at least 1M operations per configuration.
#include <gtest/gtest.h>
#include <threadmap/lock_free_map.hpp>

#include "lockfree_suite.hpp"

namespace {

using threadmap::LockFreeMap;
using threadmap_test::fixed_hash;
using map64 = LockFreeMap<uint64_t, uint64_t, fixed_hash>;
constexpr std::size_t ops = 1000000;

TEST(LockFreeMapModel, DefaultResizable) {
  map64 m;
  threadmap_test::run_model(m, threadmap_test::test_seed(), ops);
}

TEST(LockFreeMapModel, FromACapacity) {
  map64 m(threadmap::lock_free_map_options{5000, 0});
  threadmap_test::run_model(m, threadmap_test::test_seed() + 1, ops);
}

TEST(LockFreeMapModel, FixedBuckets) {
  map64 m(threadmap::lock_free_map_options{0, 1024});  // chains of tens of nodes in the grow phase
  threadmap_test::run_model(m, threadmap_test::test_seed() + 2, ops);
}

}  // namespace
