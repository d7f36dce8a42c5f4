// HopscotchMap against std::unordered_map (run_model in lockfree_suite.hpp):
// seeded single-thread sequences of every operation, growing far and
// shrinking back, at least 1M operations per configuration.
#include <gtest/gtest.h>
#include <threadmap/hopscotch_map.hpp>

#include "hopscotch_storages.hpp"
#include "lockfree_suite.hpp"

namespace {

using threadmap::HopscotchMap;
using threadmap_test::fixed_hash;
template <class Map>
class HopscotchMapModel : public ::testing::Test {};
TYPED_TEST_SUITE(HopscotchMapModel, threadmap_test::hopscotch_storages, threadmap_test::hopscotch_storage_name);
constexpr std::size_t ops = 1000000;

TYPED_TEST(HopscotchMapModel, DefaultResizable) {
  TypeParam m;
  threadmap_test::run_model(m, threadmap_test::test_seed(), ops);
}

TYPED_TEST(HopscotchMapModel, FromACapacity) {
  TypeParam m(5000);
  threadmap_test::run_model(m, threadmap_test::test_seed() + 1, ops);
}

// Hashes that keep only a few bits: whole neighbourhoods fill up, so
// inserts displace entries far and force grows before the load factor does.
struct clumping_hash {
  uint64_t operator()(uint64_t k) const noexcept { return threadmap_test::fixed_hash{}(k % 97) ^ (k / 97); }
};

// An extra case on top of the two above (each 1M operations in every
// build); its long probes are slow under sanitizers, so it is scaled there.
TYPED_TEST(HopscotchMapModel, ClumpedHashes) {
  HopscotchMap<uint64_t, uint64_t, clumping_hash, std::equal_to<uint64_t>, TypeParam::inline_entries> m;
  threadmap_test::run_model(m, threadmap_test::test_seed() + 2, threadmap_test::scaled(ops));
}

}  // namespace
