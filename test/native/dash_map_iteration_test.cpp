// DashMap for_each / for_each_in_shard / size / shard_sizes / shard_of.
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <threadmap/dash_map.hpp>

#include "support.hpp"

namespace {

using threadmap::DashMap;
using threadmap_test::fixed_hash;

using IntMap = DashMap<uint64_t, uint64_t, fixed_hash>;

class DashMapIteration : public ::testing::TestWithParam<std::size_t> {};

TEST_P(DashMapIteration, ForEachOnAnEmptyMapCallsNothing) {
  IntMap m(0, GetParam());
  int calls = 0;
  m.for_each([&](const uint64_t&, const uint64_t&) { ++calls; });
  EXPECT_EQ(calls, 0);
  m.insert(1, 1);
  m.erase(1);
  m.for_each([&](const uint64_t&, const uint64_t&) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST_P(DashMapIteration, ForEachSeesEveryEntryExactlyOnce) {
  IntMap m(0, GetParam());
  std::map<uint64_t, uint64_t> expected;
  for (uint64_t k = 0; k < 20000; k += 3) {
    m.insert(k, k ^ 0xabcdef);
    expected[k] = k ^ 0xabcdef;
  }
  for (uint64_t k = 0; k < 20000; k += 9) {
    m.erase(k);  // leave tombstones for the iteration to skip
    expected.erase(k);
  }
  std::map<uint64_t, uint64_t> seen;
  const IntMap& cm = m;  // for_each is a const member
  cm.for_each([&](const uint64_t& k, const uint64_t& v) {
    EXPECT_TRUE(seen.emplace(k, v).second) << "seen twice: " << k;
  });
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(m.size(), expected.size());
}

TEST_P(DashMapIteration, ForEachInShardVisitsExactlyTheKeysOfThatShard) {
  IntMap m(0, GetParam());
  for (uint64_t k = 0; k < 5000; ++k) m.insert(k, k);
  std::set<uint64_t> all;
  for (std::size_t i = 0; i < m.shard_count(); ++i) {
    std::size_t in_shard = 0;
    m.for_each_in_shard(i, [&](const uint64_t& k, const uint64_t& v) {
      EXPECT_EQ(m.shard_of(k), i) << k;
      EXPECT_EQ(k, v);
      EXPECT_TRUE(all.insert(k).second) << k;
      ++in_shard;
    });
    EXPECT_EQ(in_shard, m.shard_size(i)) << "shard " << i;
  }
  EXPECT_EQ(all.size(), 5000u);
}

TEST_P(DashMapIteration, ShardSizesSumToSize) {
  IntMap m(0, GetParam());
  auto check = [&] {
    const auto sizes = m.shard_sizes();
    ASSERT_EQ(sizes.size(), m.shard_count());
    std::size_t sum = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      EXPECT_EQ(sizes[i], m.shard_size(i));
      sum += sizes[i];
    }
    EXPECT_EQ(sum, m.size());
  };
  check();
  for (uint64_t k = 0; k < 3000; ++k) m.insert(k, k);
  check();
  for (uint64_t k = 0; k < 3000; k += 2) m.erase(k);
  check();
  EXPECT_EQ(m.size(), 1500u);
  m.clear();
  check();
  EXPECT_EQ(m.size(), 0u);
}

TEST_P(DashMapIteration, ShardOfIsAPureFunctionOfTheKey) {
  IntMap a(0, GetParam());
  IntMap b(0, GetParam());  // same hasher type and seed: same placement
  std::vector<std::size_t> used(GetParam());
  for (uint64_t k = 0; k < 4096; ++k) {
    const std::size_t s = a.shard_of(k);
    ASSERT_LT(s, a.shard_count());
    ASSERT_EQ(s, a.shard_of(k));
    ASSERT_EQ(s, b.shard_of(k));
    ++used[s];
    a.insert(k, k);
    ASSERT_EQ(s, a.shard_of(k));  // insertion does not move anything between shards
  }
  // Every shard gets keys (4096 keys over at most 64 shards).
  for (std::size_t i = 0; i < used.size(); ++i) EXPECT_GT(used[i], 0u) << "shard " << i;
  // And the shard sizes agree with where shard_of says the keys are.
  const auto sizes = a.shard_sizes();
  for (std::size_t i = 0; i < used.size(); ++i) EXPECT_EQ(sizes[i], used[i]) << "shard " << i;
}

TEST_P(DashMapIteration, ShardOfWorksForStringKeys) {
  DashMap<std::string, int> m(0, GetParam());
  for (int i = 0; i < 1000; ++i) m.insert(std::to_string(i) + "s", i);
  std::size_t total = 0;
  for (std::size_t i = 0; i < m.shard_count(); ++i) {
    m.for_each_in_shard(i, [&](const std::string& k, const int& v) {
      EXPECT_EQ(m.shard_of(k), i);
      EXPECT_EQ(k, std::to_string(v) + "s");
      ++total;
    });
  }
  EXPECT_EQ(total, 1000u);
}

TEST_P(DashMapIteration, ACallbackThatThrowsStopsTheIterationAndReleasesTheLock) {
  IntMap m(0, GetParam());
  for (uint64_t k = 0; k < 100; ++k) m.insert(k, k);
  int calls = 0;
  EXPECT_THROW(m.for_each([&](const uint64_t&, const uint64_t&) {
    if (++calls == 10) throw std::runtime_error("stop");
  }),
               std::runtime_error);
  EXPECT_EQ(calls, 10);
  // Every shard lock is free again: writes (exclusive) go through.
  for (uint64_t k = 0; k < 100; ++k) ASSERT_TRUE(m.erase(k)) << k;
  EXPECT_TRUE(m.empty());
}

INSTANTIATE_TEST_SUITE_P(Shards, DashMapIteration, ::testing::Values(1, 4, 64),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return "shards" + std::to_string(info.param);
                         });

}  // namespace
