// HopscotchMap against std::unordered_map (run_model in lockfree_suite.hpp):
// seeded single-thread sequences of every operation, growing far and
// shrinking back, at least 1M operations per configuration.
#include <gtest/gtest.h>
#include <threadmap/hopscotch_map.hpp>

#include "lockfree_suite.hpp"

namespace {

using threadmap::HopscotchMap;
using threadmap_test::fixed_hash;
using map64 = HopscotchMap<uint64_t, uint64_t, fixed_hash>;
constexpr std::size_t ops = 1000000;

TEST(HopscotchMapModel, DefaultResizable) {
  map64 m;
  threadmap_test::run_model(m, threadmap_test::test_seed(), ops);
}

TEST(HopscotchMapModel, FromACapacity) {
  map64 m(5000);
  threadmap_test::run_model(m, threadmap_test::test_seed() + 1, ops);
}

// Hashes that keep only a few bits: whole neighbourhoods fill up, so
// inserts displace entries far and force grows before the load factor does.
struct clumping_hash {
  uint64_t operator()(uint64_t k) const noexcept { return threadmap_test::fixed_hash{}(k % 97) ^ (k / 97); }
};

// An extra case on top of the two above (each 1M operations in every
// build); its long probes are slow under sanitizers, so it is scaled there.
TEST(HopscotchMapModel, ClumpedHashes) {
  HopscotchMap<uint64_t, uint64_t, clumping_hash> m;
  threadmap_test::run_model(m, threadmap_test::test_seed() + 2, threadmap_test::scaled(ops));
}

}  // namespace
