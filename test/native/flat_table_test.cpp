// detail::flat_table's table_hint: the lock-free description of where a
// table's memory is, which DashMap reads before taking a shard's lock to
// start the table's cache misses early. The hint must follow the table
// through every reallocation (growth, reserve, clear; an in-place rehash
// is the same rehash() -> allocate() path as growth),
// since a hint left on freed memory would prefetch lines nobody uses.
#include <cstdint>
#include <functional>

#include <gtest/gtest.h>
#include <threadmap/dash_map.hpp>
#include <threadmap/detail/flat_table.hpp>

namespace {

using table = threadmap::detail::flat_table<uint64_t, uint64_t>;
using threadmap::detail::table_hint;

struct mixing_hash {
  uint64_t operator()(uint64_t k) const noexcept { return k * 0x9E3779B97F4A7C15ull; }
};

const char* hinted(const table_hint& h) { return h.mem.load(std::memory_order_relaxed); }
std::size_t hinted_capacity(const table_hint& h) { return h.capacity.load(std::memory_order_relaxed); }

TEST(FlatTableHint, FollowsTheTableThroughGrowthReserveAndClear) {
  table t;
  table_hint hint;
  t.attach_hint(&hint);
  EXPECT_EQ(hinted(hint), nullptr);  // no table yet
  EXPECT_EQ(hinted_capacity(hint), 0u);

  const mixing_hash hash;
  std::size_t last_capacity = 0;
  const char* last_mem = nullptr;
  int reallocations = 0;
  for (uint64_t k = 0; k < 5000; ++k) {
    t.insert_unique(hash(k), hash, k, k + 1);
    ASSERT_EQ(hinted_capacity(hint), t.capacity()) << "after inserting key " << k;
    ASSERT_NE(hinted(hint), nullptr);
    if (t.capacity() != last_capacity) {
      EXPECT_NE(hinted(hint), last_mem) << "growth to " << t.capacity() << " must publish the new memory";
      ++reallocations;
      last_capacity = t.capacity();
      last_mem = hinted(hint);
    }
  }
  EXPECT_GE(reallocations, 5);

  // The hinted memory is the table's: a prefetch of key 7's group and a find
  // of key 7 look at the same first group.
  const uint64_t h7 = hash(7);
  table::prefetch(hint, h7);
  const auto* s = t.find(uint64_t{7}, h7, std::equal_to<uint64_t>());
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->value, 8u);
  const char* mem = hinted(hint);
  const char* end = mem + t.allocated_bytes();
  EXPECT_TRUE(reinterpret_cast<const char*>(s) >= mem && reinterpret_cast<const char*>(s) < end)
      << "the hint must describe the allocation that holds the table's slots";

  t.reserve(100000, hash);
  EXPECT_EQ(hinted_capacity(hint), t.capacity());
  EXPECT_NE(hinted(hint), mem);

  t.clear();
  EXPECT_EQ(hinted(hint), nullptr);
  EXPECT_EQ(hinted_capacity(hint), 0u);
  table::prefetch(hint, h7);  // an empty hint prefetches nothing (and must not crash)

  t.attach_hint(nullptr);  // detached: the table no longer writes the hint
  t.insert_unique(h7, hash, uint64_t{7}, uint64_t{8});
  EXPECT_EQ(hinted(hint), nullptr);
}

TEST(FlatTableHint, EveryDashMapShardPublishesItsTable) {
  // Through DashMap: a map used from several shards keeps working through
  // growth and clear with the hints in place (the prefetch runs on every
  // single-key operation).
  threadmap::DashMap<uint64_t, uint64_t> m(0, 4);
  for (uint64_t k = 0; k < 20000; ++k) m.insert(k, k * 3);
  for (uint64_t k = 0; k < 20000; k += 7) ASSERT_EQ(m.find(k).value_or(0), k * 3);
  m.clear();
  EXPECT_FALSE(m.find(21).has_value());
  for (uint64_t k = 0; k < 100; ++k) m.insert(k, k);
  EXPECT_EQ(m.size(), 100u);
}

}  // namespace
