// DashMap insert / try_insert / find / visit / contains, growth through
// many rehashes, key and value types with heap memory, move-only values.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <threadmap/dash_map.hpp>

#include "support.hpp"

namespace {

using threadmap::DashMap;
using threadmap_test::fixed_hash;
using threadmap_test::heap_key;
using threadmap_test::scaled;
using threadmap_test::tracked;

using IntMap = DashMap<uint64_t, uint64_t, fixed_hash>;

class DashMapInsertFind : public ::testing::TestWithParam<std::size_t> {};

TEST_P(DashMapInsertFind, InsertReturnsThePreviousValue) {
  IntMap m(0, GetParam());
  EXPECT_EQ(m.insert(7, 70), std::nullopt);
  EXPECT_EQ(m.insert(7, 71), std::optional<uint64_t>(70));
  EXPECT_EQ(m.insert(7, 72), std::optional<uint64_t>(71));
  EXPECT_EQ(m.insert(8, 80), std::nullopt);
  EXPECT_EQ(m.find(7), std::optional<uint64_t>(72));
  EXPECT_EQ(m.find(8), std::optional<uint64_t>(80));
  EXPECT_EQ(m.size(), 2u);
}

TEST_P(DashMapInsertFind, TryInsertNeverReplaces) {
  IntMap m(0, GetParam());
  EXPECT_TRUE(m.try_insert(1, 10));
  EXPECT_FALSE(m.try_insert(1, 11));
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(10));
  EXPECT_EQ(m.size(), 1u);
  EXPECT_TRUE(m.try_insert(2, 20));
  EXPECT_EQ(m.size(), 2u);
}

TEST_P(DashMapInsertFind, FindMissesOnEmptyAndAbsentKeys) {
  IntMap m(0, GetParam());
  EXPECT_EQ(m.find(0), std::nullopt);
  EXPECT_FALSE(m.contains(0));
  for (uint64_t k = 0; k < 100; k += 2) m.insert(k, k);
  for (uint64_t k = 0; k < 100; ++k) {
    EXPECT_EQ(m.contains(k), k % 2 == 0) << k;
    EXPECT_EQ(m.find(k).has_value(), k % 2 == 0) << k;
  }
}

TEST_P(DashMapInsertFind, FindReturnsACopy) {
  DashMap<std::string, std::vector<int>> m(0, GetParam());
  m.insert("v", {1, 2, 3});
  auto copy = m.find("v");
  ASSERT_TRUE(copy.has_value());
  copy->push_back(4);
  (*copy)[0] = 100;
  EXPECT_EQ(m.find("v"), (std::vector<int>{1, 2, 3}));
}

TEST_P(DashMapInsertFind, VisitLendsTheValueOnceAndReportsPresence) {
  IntMap m(0, GetParam());
  m.insert(3, 33);
  int calls = 0;
  uint64_t seen = 0;
  EXPECT_TRUE(m.visit(3, [&](const uint64_t& v) {
    ++calls;
    seen = v;
  }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, 33u);
  EXPECT_FALSE(m.visit(4, [&](const uint64_t&) { ++calls; }));
  EXPECT_EQ(calls, 1);
}

TEST_P(DashMapInsertFind, VisitSeesTheStoredObjectNotACopy) {
  DashMap<int, tracked> m(0, GetParam());
  m.insert(1, tracked(5));
  const long live = tracked::live().load();
  const tracked* first = nullptr;
  m.visit(1, [&](const tracked& t) {
    first = &t;
    EXPECT_EQ(tracked::live().load(), live);  // no copy was made to call us
  });
  m.visit(1, [&](const tracked& t) { EXPECT_EQ(&t, first); });
}

TEST_P(DashMapInsertFind, ManyKeysGrowThroughManyRehashes) {
  const std::size_t n = scaled(200000, 20000);
  IntMap m(0, GetParam());
  std::size_t rehashes = 0;
  std::size_t bytes = m.allocated_bytes();
  for (uint64_t k = 0; k < n; ++k) {
    ASSERT_EQ(m.insert(k, k * 7 + 1), std::nullopt) << k;
    if ((k & 1023) == 0) {
      const std::size_t now = m.allocated_bytes();
      if (now != bytes) ++rehashes;
      bytes = now;
    }
  }
  EXPECT_GT(rehashes, 5u);
  EXPECT_EQ(m.size(), n);
  for (uint64_t k = 0; k < n; ++k) ASSERT_EQ(m.find(k), std::optional<uint64_t>(k * 7 + 1)) << k;
  for (uint64_t k = n; k < n + 1000; ++k) ASSERT_FALSE(m.contains(k)) << k;
  std::size_t total = 0;
  for (std::size_t s : m.shard_sizes()) total += s;
  EXPECT_EQ(total, n);
}

TEST_P(DashMapInsertFind, StringKeysShortAndLong) {
  DashMap<std::string, std::string> m(0, GetParam());
  auto key = [](int i) {
    // Mix of empty, short (in the small-string buffer) and long keys, and
    // keys that share long prefixes.
    if (i == 0) return std::string();
    if (i % 3 == 0) return std::string(static_cast<std::size_t>(40 + i % 17), 'x') + std::to_string(i);
    return std::to_string(i);
  };
  for (int i = 0; i < 3000; ++i) EXPECT_EQ(m.insert(key(i), "value of " + key(i)), std::nullopt) << i;
  EXPECT_EQ(m.size(), 3000u);
  for (int i = 0; i < 3000; ++i) EXPECT_EQ(m.find(key(i)), "value of " + key(i)) << i;
  EXPECT_FALSE(m.contains("nope"));
  EXPECT_FALSE(m.contains(std::string(40, 'x')));
  EXPECT_EQ(m.insert("", "again"), std::optional<std::string>("value of "));
}

TEST_P(DashMapInsertFind, HeapKeysAndValuesAreCopiedMovedAndDestroyedExactly) {
  const long keys_before = heap_key::live().load();
  const long values_before = tracked::live().load();
  {
    DashMap<heap_key, tracked, heap_key::hash> m(0, GetParam());
    for (uint64_t i = 0; i < 4000; ++i) EXPECT_EQ(m.insert(heap_key(i), tracked(i)), std::nullopt);
    // Replacing moves the old value out to the caller.
    for (uint64_t i = 0; i < 4000; i += 4) {
      auto old = m.insert(heap_key(i), tracked(i + 1));
      ASSERT_TRUE(old.has_value());
      EXPECT_EQ(old->get(), i);
    }
    for (uint64_t i = 0; i < 4000; ++i) {
      auto v = m.find(heap_key(i));
      ASSERT_TRUE(v.has_value()) << i;
      EXPECT_EQ(v->get(), i % 4 == 0 ? i + 1 : i);
    }
    EXPECT_FALSE(m.try_insert(heap_key(1), tracked(0)));
    EXPECT_EQ(m.size(), 4000u);
    EXPECT_EQ(heap_key::live().load() - keys_before, 4000);
    EXPECT_EQ(tracked::live().load() - values_before, 4000);
  }
  EXPECT_EQ(heap_key::live().load(), keys_before);
  EXPECT_EQ(tracked::live().load(), values_before);
}

TEST_P(DashMapInsertFind, MoveOnlyValues) {
  DashMap<int, std::unique_ptr<int>> m(0, GetParam());
  EXPECT_FALSE(m.insert(1, std::make_unique<int>(10)).has_value());
  auto old = m.insert(1, std::make_unique<int>(11));
  ASSERT_TRUE(old.has_value());
  ASSERT_NE(*old, nullptr);
  EXPECT_EQ(**old, 10);
  EXPECT_FALSE(m.try_insert(1, std::make_unique<int>(12)));
  int seen = 0;
  EXPECT_TRUE(m.visit(1, [&](const std::unique_ptr<int>& p) { seen = *p; }));
  EXPECT_EQ(seen, 11);
  for (int i = 2; i < 2000; ++i) m.insert(i, std::make_unique<int>(i));  // rehashes move them
  for (int i = 2; i < 2000; ++i) {
    int v = -1;
    ASSERT_TRUE(m.visit(i, [&](const std::unique_ptr<int>& p) { v = *p; }));
    ASSERT_EQ(v, i);
  }
  auto taken = m.take(1);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(**taken, 11);
}

TEST_P(DashMapInsertFind, CollidingHashesStillFindEveryKey) {
  // Only 4 distinct hash values: every key of a class shares its shard, its
  // 7-bit tag and its whole probe sequence, so lookups go through long
  // chains of matching tags and must compare keys.
  struct four_hashes {
    uint64_t operator()(uint64_t k) const noexcept { return threadmap::hash_word(k % 4, 1); }
  };
  DashMap<uint64_t, uint64_t, four_hashes> m(0, GetParam());
  constexpr uint64_t n = 1500;
  for (uint64_t k = 0; k < n; ++k) ASSERT_EQ(m.insert(k, ~k), std::nullopt) << k;
  for (uint64_t k = 0; k < n; ++k) ASSERT_EQ(m.find(k), std::optional<uint64_t>(~k)) << k;
  for (uint64_t k = n; k < n + 50; ++k) ASSERT_FALSE(m.contains(k)) << k;
  for (uint64_t k = 0; k < n; k += 2) ASSERT_TRUE(m.erase(k)) << k;
  for (uint64_t k = 0; k < n; ++k) ASSERT_EQ(m.contains(k), k % 2 == 1) << k;
  for (uint64_t k = 0; k < n; k += 2) ASSERT_TRUE(m.try_insert(k, k)) << k;  // reuses tombstones
  for (uint64_t k = 0; k < n; ++k) ASSERT_EQ(m.find(k), std::optional<uint64_t>(k % 2 ? ~k : k)) << k;
  EXPECT_EQ(m.size(), n);
}

// A set: an empty V takes no bytes in a slot ([[no_unique_address]]), so a
// packed table holds 8-byte slots and a wide one sizeof(K) slots, and every
// operation works as with a value.
struct member {
  bool operator==(const member&) const = default;
};

TEST_P(DashMapInsertFind, EmptyValuesMakeASetWithHalfTheTableBytes) {
  const std::size_t n = scaled(100000, 20000);
  DashMap<uint64_t, member, fixed_hash> set(0, GetParam());
  IntMap map(0, GetParam());
  for (uint64_t k = 0; k < n; ++k) {
    ASSERT_TRUE(set.try_insert(k, member{})) << k;
    ASSERT_FALSE(set.try_insert(k, member{})) << k;
    map.insert(k, k);
  }
  EXPECT_EQ(set.size(), n);
  for (uint64_t k = 0; k < n + 100; ++k) ASSERT_EQ(set.contains(k), k < n) << k;
  const auto r = set.read_optimistic(3, [](const member&) { return true; });
  EXPECT_NE(r, threadmap::optimistic_read::absent);
  // The same capacities (one growth rule), half the slot bytes: the tables'
  // bytes are 8 + 1 per slot against 16 + 1, plus per-shard constants.
  EXPECT_LT(set.allocated_bytes() * 10, map.allocated_bytes() * 6)
      << set.allocated_bytes() << " vs " << map.allocated_bytes();
  for (uint64_t k = 0; k < n; k += 2) ASSERT_TRUE(set.erase(k)) << k;
  EXPECT_EQ(set.retain([](const uint64_t& k, member&) { return k % 3 != 0; }), n / 6 + (n % 6 > 3 ? 1 : 0));
  std::size_t seen = 0;
  set.for_each([&](const uint64_t& k, const member&) {
    EXPECT_TRUE(k % 2 == 1 && k % 3 != 0) << k;
    ++seen;
  });
  EXPECT_EQ(seen, set.size());

  DashMap<std::string, member> strings(0, GetParam());
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(strings.try_insert(std::string(40, 'x') + std::to_string(i), member{}));
  EXPECT_EQ(strings.size(), 3000u);
  EXPECT_TRUE(strings.contains(std::string(40, 'x') + "2999"));
  EXPECT_FALSE(strings.contains("x"));
}

INSTANTIATE_TEST_SUITE_P(Shards, DashMapInsertFind, ::testing::Values(1, 4, 64),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return "shards" + std::to_string(info.param);
                         });

}  // namespace
