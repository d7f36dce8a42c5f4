// detail::dual_table's table_hint: the lock-free description of where a
// table's memory is, which DashMap reads before taking a shard's lock to
// start the table's cache misses early. The hint must follow the table
// through every reallocation (growth, reserve, clear; an in-place rehash
// is the same rehash() -> allocate() path as growth),
// since a hint left on freed memory would prefetch lines nobody uses.
//
// detail::dual_table: DashMap's table, whose keys are 64-bit words while
// they all pack (threadmap/key_packing.hpp).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <threadmap/dash_map.hpp>
#include <threadmap/detail/big_array.hpp>
#include <threadmap/detail/flat_table.hpp>

#include "support.hpp"

namespace {

using table = threadmap::detail::flat_table<uint64_t, uint64_t>;
using hinted_table = threadmap::detail::dual_table<uint64_t, uint64_t>;  // u64 keys do not pack: one layout
using threadmap::detail::table_hint;

struct mixing_hash {
  uint64_t operator()(uint64_t k) const noexcept { return k * 0x9E3779B97F4A7C15ull; }
};

const char* hinted(const table_hint& h) { return h.mem.load(std::memory_order_relaxed); }
std::size_t hinted_capacity(const table_hint& h) { return h.capacity.load(std::memory_order_relaxed); }

TEST(DualTableHint, FollowsTheTableThroughGrowthReserveAndClear) {
  hinted_table t;
  table_hint hint;
  t.attach_hint(&hint);
  EXPECT_EQ(hinted(hint), nullptr);  // no table yet
  EXPECT_EQ(hinted_capacity(hint), 0u);

  const mixing_hash hash;
  std::size_t last_capacity = 0;
  const char* last_mem = nullptr;
  int reallocations = 0;
  for (uint64_t k = 0; k < 5000; ++k) {
    t.insert_unique(hash(k), hash, uint64_t{k}, k + 1);
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
  hinted_table::prefetch(hint, h7);
  const auto e = t.find(uint64_t{7}, h7, std::equal_to<uint64_t>());
  ASSERT_TRUE(e);
  EXPECT_EQ(*e.value, 8u);
  const char* mem = hinted(hint);
  const char* end = mem + t.allocated_bytes();
  EXPECT_TRUE(reinterpret_cast<const char*>(e.value) >= mem && reinterpret_cast<const char*>(e.value) < end)
      << "the hint must describe the allocation that holds the table's slots";

  t.reserve(100000, hash);
  EXPECT_EQ(hinted_capacity(hint), t.capacity());
  EXPECT_NE(hinted(hint), mem);

  t.clear();
  EXPECT_EQ(hinted(hint), nullptr);
  EXPECT_EQ(hinted_capacity(hint), 0u);
  hinted_table::prefetch(hint, h7);  // an empty hint prefetches nothing (and must not crash)

  t.attach_hint(nullptr);  // detached: the table no longer writes the hint
  t.insert_unique(h7, hash, uint64_t{7}, uint64_t{8});
  EXPECT_EQ(hinted(hint), nullptr);
}

TEST(DualTableHint, EveryDashMapShardPublishesItsTable) {
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

using threadmap_test::fixed_hash;
using threadmap_test::packable_key;
using dual = threadmap::detail::dual_table<packable_key, uint64_t>;

packable_key key_of(uint64_t i) { return {std::to_string(i)}; }  // up to 7 digits: packs

TEST(DualTable, KeepsKeysPackedUntilOneDoesNotPackThenWidensKeepingEverything) {
  dual t;
  const fixed_hash hash;
  const std::equal_to<packable_key> eq;
  EXPECT_TRUE(t.packed());
  for (uint64_t i = 0; i < 1000; ++i) t.insert_unique(hash(key_of(i)), hash, key_of(i), i * 2);
  EXPECT_TRUE(t.packed());
  const std::size_t packed_bytes = t.allocated_bytes();
  const std::size_t packed_capacity = t.capacity();
  // 16-byte slots plus a control byte each (the slots start on a cache line).
  EXPECT_GE(packed_bytes, packed_capacity * (16 + 1));
  EXPECT_LT(packed_bytes, packed_capacity * (16 + 1) + 64);

  // Lookups of keys that do not pack answer "absent" without a probe.
  const packable_key long_key{"a key longer than seven bytes"};
  EXPECT_FALSE(t.find(long_key, hash(long_key), eq));
  auto e = t.find(key_of(7), hash(key_of(7)), eq);
  ASSERT_TRUE(e);
  EXPECT_EQ(*e.value, 14u);

  t.insert_unique(hash(long_key), hash, packable_key(long_key), uint64_t{1});
  EXPECT_FALSE(t.packed());
  EXPECT_EQ(t.size(), 1001u);
  EXPECT_EQ(t.capacity(), packed_capacity) << "widening keeps the capacity while the table has room";
  EXPECT_GE(t.allocated_bytes(), packed_capacity * (sizeof(packable_key) + 8 + 1));
  EXPECT_LT(t.allocated_bytes(), packed_capacity * (sizeof(packable_key) + 8 + 1) + 64);
  for (uint64_t i = 0; i < 1000; ++i) {
    auto f = t.find(key_of(i), hash(key_of(i)), eq);
    ASSERT_TRUE(f) << "key " << i << " lost when the table widened";
    EXPECT_EQ(*f.value, i * 2);
  }
  ASSERT_TRUE(t.find(long_key, hash(long_key), eq));

  // Whole-table walks see the keys as they were inserted, in both layouts.
  std::size_t odd = t.erase_if([](const packable_key& k, uint64_t& v) { return k.s.size() <= 7 && (v / 2) % 2 == 1; });
  EXPECT_EQ(odd, 500u);
  std::size_t seen = 0;
  t.for_each([&](const packable_key& k, const uint64_t& v) {
    ++seen;
    if (k.s.size() <= 7) {
      EXPECT_EQ(std::stoull(k.s) * 2, v);
    }
  });
  EXPECT_EQ(seen, 501u);

  t.clear();
  EXPECT_TRUE(t.packed()) << "a cleared table packs its keys again";
  EXPECT_EQ(t.allocated_bytes(), 0u);
  t.insert_unique(hash(key_of(3)), hash, key_of(3), uint64_t{3});
  EXPECT_TRUE(t.packed());
  EXPECT_EQ(t.size(), 1u);
}

TEST(DualTable, AnEmptyTableWidensWithoutAllocatingAndAFullOneGrowsAsItWidens) {
  const fixed_hash hash;
  const std::equal_to<packable_key> eq;
  dual empty;
  const packable_key long_key{"not-packable-key"};
  empty.insert_unique(hash(long_key), hash, packable_key(long_key), uint64_t{9});
  EXPECT_FALSE(empty.packed());
  EXPECT_EQ(empty.size(), 1u);

  // 14 entries fill a 16-slot table to 7/8: the widened table needs room for 15.
  dual full;
  for (uint64_t i = 0; i < 14; ++i) full.insert_unique(hash(key_of(i)), hash, key_of(i), uint64_t{i});
  ASSERT_EQ(full.capacity(), 16u);
  full.insert_unique(hash(long_key), hash, packable_key(long_key), uint64_t{9});
  EXPECT_FALSE(full.packed());
  EXPECT_GT(full.capacity(), 16u);
  EXPECT_EQ(full.size(), 15u);
  for (uint64_t i = 0; i < 14; ++i) EXPECT_TRUE(full.find(key_of(i), hash(key_of(i)), eq)) << i;
}

TEST(FlatTableGrowth, GrowsByAboutOnePointFourAndStaysFiveToSevenEighthsFull) {
  // Tables are sized in whole groups of 16, not powers of two; after the
  // first growths a table is between 5/8 (just grown) and 7/8 full.
  table t;
  const mixing_hash hash;
  std::size_t last = 0;
  for (uint64_t k = 0; k < 200000; ++k) {
    t.insert_unique(hash(k), hash, k, k);
    const std::size_t cap = t.capacity();
    ASSERT_EQ(cap % 16, 0u);
    ASSERT_LE(t.size() * 8, cap * 7) << "above 7/8 load at " << t.size();
    if (cap != last) {
      if (last >= 1024) {
        const double factor = static_cast<double>(cap) / static_cast<double>(last);
        EXPECT_GT(factor, 1.39);
        EXPECT_LT(factor, 1.42);
        EXPECT_GE(t.size() * 8, cap * 5 - 8 * 16) << "just grown, the table is about 5/8 full";
      }
      last = cap;
    }
  }
  for (uint64_t k = 0; k < 200000; k += 101) ASSERT_TRUE(t.find(k, hash(k), std::equal_to<uint64_t>())) << k;
}

// Pages of [p, p + bytes) that are in memory, by mincore.
std::size_t resident_pages(const void* p, std::size_t bytes) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(p) & ~(page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes + page - 1) & ~(page - 1);
  std::vector<unsigned char> in((end - begin) / page);
  if (mincore(reinterpret_cast<void*>(begin), end - begin, in.data()) != 0) return ~std::size_t{0};
  std::size_t n = 0;
  for (unsigned char c : in) n += c & 1;
  return n;
}

// populate_pages has the kernel supply the whole pages inside its range,
// no page around them, and keeps what a page already held.
TEST(PopulatePages, SuppliesTheWholePagesOfItsRangeAndKeepsTheirContents) {
#if !defined(MADV_POPULATE_WRITE)
  GTEST_SKIP() << "built without MADV_POPULATE_WRITE: populate_pages does nothing";
#endif
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* raw = mmap(nullptr, 16 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(raw, MAP_FAILED);
  auto* mem = static_cast<unsigned char*>(raw);
  mem[4 * page] = 42;  // page 4 is there before the call
  ASSERT_EQ(resident_pages(mem, 16 * page), 1u);
  // From the middle of page 2 to the middle of page 10: pages 3 to 9 whole.
  const int refused = threadmap::detail::populate_pages(mem + 2 * page + 100, 8 * page);
  if (refused == EINVAL) {
    munmap(raw, 16 * page);
    GTEST_SKIP() << "this kernel has no MADV_POPULATE_WRITE (Linux 5.14)";
  }
  ASSERT_EQ(refused, 0);
  EXPECT_EQ(resident_pages(mem + 3 * page, 7 * page), 7u);
  EXPECT_EQ(resident_pages(mem, 3 * page), 0u);
  EXPECT_EQ(resident_pages(mem + 10 * page, 6 * page), 0u);
  EXPECT_EQ(mem[4 * page], 42);
  EXPECT_EQ(mem[5 * page], 0);
  munmap(raw, 16 * page);
}

// A rehash that fills its new table at least a quarter full populates it
// (detail/big_array.hpp, populate_pages); a reserve far beyond the contents
// does not, so the pages nobody writes yet stay unallocated. The table is
// big enough (over 100 MiB of slots) that malloc maps it fresh from the
// kernel.
TEST(FlatTableGrowth, AReserveFarBeyondTheContentsLeavesItsSlotPagesUnallocated) {
  hinted_table t;
  table_hint hint;
  t.attach_hint(&hint);
  const mixing_hash hash;
  for (uint64_t k = 0; k < 100; ++k) t.insert_unique(hash(k), hash, uint64_t{k}, uint64_t{k});
  t.reserve(std::size_t{8} << 20, hash);
  const std::size_t cap = t.capacity();
  ASSERT_GE(cap, std::size_t{8} << 20);
  // The slots follow the control bytes (one per slot, all written when the
  // table is made, and the first slot page may share their last page); 100
  // entries touch at most 100 more pages.
  const std::size_t slot_bytes = t.allocated_bytes() - cap;
  const std::size_t pages = slot_bytes / static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t resident = resident_pages(hinted(hint) + cap, slot_bytes);
  EXPECT_LT(resident, pages / 10) << resident << " of " << pages << " slot pages resident";
  for (uint64_t k = 0; k < 100; ++k) ASSERT_TRUE(t.find(uint64_t{k}, hash(k), std::equal_to<uint64_t>())) << k;
}

}  // namespace
