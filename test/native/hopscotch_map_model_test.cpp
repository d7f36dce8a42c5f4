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

// Hashes that clump (hopscotch_storages.hpp): neighbourhoods overflow at
// a low load, so the table grows early, and must not then rebuild itself
// back and forth (this case took 14 s, 160 s under ThreadSanitizer, while
// it did).
TYPED_TEST(HopscotchMapModel, ClumpedHashes) {
  HopscotchMap<uint64_t, uint64_t, threadmap_test::clumping_hash, std::equal_to<uint64_t>, TypeParam::inline_entries> m;
  threadmap_test::run_model(m, threadmap_test::test_seed() + 2, ops);
}

}  // namespace
