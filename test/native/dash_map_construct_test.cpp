// DashMap construction: shard counts, capacity reservation, accessors,
// destruction of what a map still holds.
#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <threadmap/dash_map.hpp>

#include "support.hpp"

namespace {

using threadmap::DashMap;
using threadmap_test::fixed_hash;
using threadmap_test::tracked;

using IntMap = DashMap<uint64_t, uint64_t>;

TEST(DashMapConstruct, DefaultShardCountIsFourTimesHardwareThreadsRoundedUpAndAtLeast32) {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(threadmap::hardware_shard_count(), std::bit_ceil(std::size_t{hw} * 4));
  const std::size_t expected = std::max<std::size_t>(std::bit_ceil(std::size_t{hw} * 4), 32);
  EXPECT_EQ(threadmap::min_default_shards, 32u);
  EXPECT_EQ(threadmap::default_shard_count(), expected);

  IntMap m;
  EXPECT_EQ(m.shard_count(), expected);
  EXPECT_TRUE(std::has_single_bit(m.shard_count()));
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.size(), 0u);

  IntMap with_capacity(100);
  EXPECT_EQ(with_capacity.shard_count(), expected);
  EXPECT_EQ(with_capacity.size(), 0u);
}

TEST(DashMapConstruct, WithShardsAcceptsEveryPowerOfTwoUpToTheMaximum) {
  EXPECT_EQ(threadmap::max_shard_count, std::size_t{1} << 16);
  for (std::size_t shards = 1; shards <= threadmap::max_shard_count; shards *= 2) {
    SCOPED_TRACE(shards);
    auto m = IntMap::with_shards(shards);
    EXPECT_EQ(m.shard_count(), shards);
    EXPECT_EQ(m.shard_sizes().size(), shards);
    // Usable at every shard count, including 1 (whose shard index must not
    // shift a 64-bit hash by 64) and the maximum.
    for (uint64_t k = 0; k < 64; ++k) EXPECT_FALSE(m.insert(k, k * 3).has_value());
    for (uint64_t k = 0; k < 64; ++k) {
      EXPECT_EQ(m.find(k), k * 3);
      EXPECT_LT(m.shard_of(k), shards);
    }
    EXPECT_EQ(m.size(), 64u);
  }
}

TEST(DashMapConstruct, InvalidShardCountsThrowInvalidArgument) {
  for (std::size_t bad : {std::size_t{0}, std::size_t{3}, std::size_t{6}, std::size_t{100}, std::size_t{65535},
                          std::size_t{1} << 17, (std::size_t{1} << 16) + 1, std::size_t{1} << 40}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(IntMap::with_shards(bad), std::invalid_argument);
    EXPECT_THROW(IntMap(0, bad), std::invalid_argument);
    EXPECT_THROW(IntMap(1000, bad), std::invalid_argument);
  }
}

TEST(DashMapConstruct, CapacityIsReservedUpFront) {
  constexpr std::size_t n = 4000;
  DashMap<uint64_t, uint64_t, fixed_hash> reserved(n, 4);
  DashMap<uint64_t, uint64_t, fixed_hash> unreserved(0, 4);
  EXPECT_EQ(reserved.size(), 0u);
  EXPECT_GT(reserved.allocated_bytes(), unreserved.allocated_bytes());

  // Each shard reserved room for n/4 entries plus 4 standard deviations of
  // a random split (n/4 + 4 sqrt(n/4)); the keys split about evenly, within
  // that margin, so filling the map to n must not rehash any shard.
  const std::size_t before = reserved.allocated_bytes();
  for (uint64_t k = 0; k < n; ++k) reserved.insert(k, k);
  EXPECT_EQ(reserved.size(), n);
  EXPECT_EQ(reserved.allocated_bytes(), before) << "a reserved map rehashed while filling to its capacity";

  for (uint64_t k = 0; k < n; ++k) unreserved.insert(k, k);
  EXPECT_EQ(unreserved.size(), n);
  EXPECT_GE(reserved.allocated_bytes(), unreserved.allocated_bytes());
}

TEST(DashMapConstruct, EmptyMapAllocatesOnlyItsShardsAndReaderCounters) {
  // Shards are one cache line each and hold no table until first insert;
  // the shard locks' reader counters are a cache line per shard and thread slot.
  const std::size_t per_shard = threadmap::detail::reader_slots(1).bytes();
  EXPECT_EQ(per_shard % threadmap::detail::cache_line, 0u);
  EXPECT_GE(per_shard, 4 * threadmap::detail::cache_line);  // at least 4 slots
  for (std::size_t shards : {1u, 16u, 256u}) {
    auto m = IntMap::with_shards(shards);
    EXPECT_EQ(threadmap::detail::reader_slots(shards).bytes(), shards * per_shard);
    EXPECT_EQ(m.allocated_bytes(), shards * (threadmap::detail::cache_line + per_shard)) << shards;
  }
}

TEST(DashMapConstruct, CustomHashAndEqualityAreUsedAndExposed) {
  // A hash that remembers a salt, and an equality on the low 8 bits only:
  // keys 5 and 261 are then the same key.
  struct salted_hash {
    uint64_t salt;
    uint64_t operator()(uint64_t k) const noexcept { return threadmap::hash_word(k & 0xFF, salt); }
  };
  struct low_byte_eq {
    bool operator()(uint64_t a, uint64_t b) const noexcept { return (a & 0xFF) == (b & 0xFF); }
  };
  DashMap<uint64_t, int, salted_hash, low_byte_eq> m(0, 8, salted_hash{42}, low_byte_eq{});
  EXPECT_EQ(m.hash_function().salt, 42u);
  EXPECT_TRUE(m.key_eq()(5, 261));
  EXPECT_FALSE(m.insert(5, 1).has_value());
  EXPECT_EQ(m.insert(261, 2), 1);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.find(5), 2);
  EXPECT_EQ(m.shard_of(5), m.shard_of(261));
}

TEST(DashMapConstruct, DestructorDestroysEveryEntry) {
  const long live_before = tracked::live().load();
  {
    DashMap<std::string, tracked> m(0, 16);
    for (int i = 0; i < 5000; ++i) m.insert("key-" + std::to_string(i), tracked(static_cast<uint64_t>(i)));
    EXPECT_EQ(tracked::live().load() - live_before, 5000);
  }
  EXPECT_EQ(tracked::live().load(), live_before);
}

TEST(DashMapConstruct, DefaultHashMixesIntegersAcrossShards) {
  // threadmap::hash must not be the identity: consecutive integers would
  // then all land in shard 0 (the shard comes from the top bits).
  auto m = IntMap::with_shards(64);
  std::vector<std::size_t> per_shard(64);
  for (uint64_t k = 0; k < 64 * 1024; ++k) ++per_shard[m.shard_of(k)];
  for (std::size_t i = 0; i < 64; ++i) {
    EXPECT_GT(per_shard[i], 512u) << "shard " << i;
    EXPECT_LT(per_shard[i], 2048u) << "shard " << i;
  }
}

}  // namespace
