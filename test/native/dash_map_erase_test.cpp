// DashMap erase / take / erase_if / retain / clear, and tombstone churn:
// insert/erase cycles at a steady size must not grow the tables.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
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

std::map<uint64_t, uint64_t> contents(const IntMap& m) {
  std::map<uint64_t, uint64_t> out;
  m.for_each([&](const uint64_t& k, const uint64_t& v) { EXPECT_TRUE(out.emplace(k, v).second) << "twice: " << k; });
  return out;
}

class DashMapErase : public ::testing::TestWithParam<std::size_t> {};

TEST_P(DashMapErase, EraseReportsWhetherTheKeyWasPresent) {
  IntMap m(0, GetParam());
  EXPECT_FALSE(m.erase(1));  // empty map, no table yet
  m.insert(1, 10);
  m.insert(2, 20);
  EXPECT_TRUE(m.erase(1));
  EXPECT_FALSE(m.erase(1));
  EXPECT_FALSE(m.contains(1));
  EXPECT_EQ(m.find(2), std::optional<uint64_t>(20));
  EXPECT_EQ(m.size(), 1u);
  m.insert(1, 11);  // re-insert after erase
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(11));
}

TEST_P(DashMapErase, TakeMovesTheValueOut) {
  DashMap<int, tracked> m(0, GetParam());
  const long live = tracked::live().load();
  m.insert(5, tracked(50));
  EXPECT_EQ(m.take(6), std::nullopt);
  auto v = m.take(5);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->get(), 50u);
  EXPECT_FALSE(m.contains(5));
  EXPECT_EQ(m.take(5), std::nullopt);
  EXPECT_EQ(m.size(), 0u);
  // The map no longer owns it; only our copy lives.
  EXPECT_EQ(tracked::live().load() - live, 1);
}

TEST_P(DashMapErase, EraseIfRemovesOnlyWhenThePredicateHolds) {
  IntMap m(0, GetParam());
  m.insert(1, 10);
  int calls = 0;
  EXPECT_FALSE(m.erase_if(1, [&](const uint64_t& v) {
    ++calls;
    return v == 11;
  }));
  EXPECT_TRUE(m.contains(1));
  EXPECT_TRUE(m.erase_if(1, [&](const uint64_t& v) {
    ++calls;
    return v == 10;
  }));
  EXPECT_FALSE(m.contains(1));
  EXPECT_EQ(calls, 2);
  // Absent key: the predicate is not called.
  EXPECT_FALSE(m.erase_if(1, [&](const uint64_t&) {
    ++calls;
    return true;
  }));
  EXPECT_EQ(calls, 2);
}

TEST_P(DashMapErase, EraseIfPredicateThatThrowsLeavesTheKey) {
  IntMap m(0, GetParam());
  m.insert(1, 10);
  EXPECT_THROW(m.erase_if(1, [](const uint64_t&) -> bool { throw std::runtime_error("no"); }), std::runtime_error);
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(10));
  EXPECT_TRUE(m.erase(1));  // and the shard lock was released
}

TEST_P(DashMapErase, RetainKeepsMatchingEntriesAndCountsRemovals) {
  IntMap m(0, GetParam());
  for (uint64_t k = 0; k < 5000; ++k) m.insert(k, k * 2);
  std::size_t calls = 0;
  const std::size_t removed = m.retain([&](const uint64_t& k, uint64_t& v) {
    ++calls;
    EXPECT_EQ(v, k * 2);
    return k % 3 != 0;
  });
  EXPECT_EQ(calls, 5000u);
  EXPECT_EQ(removed, 1667u);  // 0, 3, ..., 4998
  EXPECT_EQ(m.size(), 5000u - 1667u);
  for (uint64_t k = 0; k < 5000; ++k) ASSERT_EQ(m.contains(k), k % 3 != 0) << k;
}

TEST_P(DashMapErase, RetainMayModifyTheValuesItKeeps) {
  IntMap m(0, GetParam());
  for (uint64_t k = 0; k < 1000; ++k) m.insert(k, k);
  m.retain([](const uint64_t& k, uint64_t& v) {
    v += 1000;
    return k < 500;
  });
  const auto c = contents(m);
  ASSERT_EQ(c.size(), 500u);
  for (const auto& [k, v] : c) {
    EXPECT_LT(k, 500u);
    EXPECT_EQ(v, k + 1000);
  }
}

TEST_P(DashMapErase, RetainThatThrowsKeepsRemovalsMadeSoFar) {
  IntMap m(0, GetParam());
  for (uint64_t k = 0; k < 2000; ++k) m.insert(k, k);
  std::size_t seen = 0;
  EXPECT_THROW(m.retain([&](const uint64_t&, uint64_t&) -> bool {
    if (++seen == 1000) throw std::runtime_error("stop");
    return false;
  }),
               std::runtime_error);
  // 999 entries were removed before the throw; the rest are intact and the
  // map is consistent and usable.
  EXPECT_EQ(m.size(), 2000u - 999u);
  const auto c = contents(m);
  EXPECT_EQ(c.size(), 2000u - 999u);
  for (const auto& [k, v] : c) EXPECT_EQ(k, v);
  EXPECT_EQ(m.retain([](const uint64_t&, uint64_t&) { return false; }), 2000u - 999u);
  EXPECT_TRUE(m.empty());
}

TEST_P(DashMapErase, ClearEmptiesFreesAndLeavesTheMapUsable) {
  DashMap<uint64_t, tracked, fixed_hash> m(0, GetParam());
  const std::size_t empty_bytes = m.allocated_bytes();
  const long live = tracked::live().load();
  for (uint64_t k = 0; k < 3000; ++k) m.insert(k, tracked(k));
  EXPECT_GT(m.allocated_bytes(), empty_bytes);
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.allocated_bytes(), empty_bytes);
  EXPECT_EQ(tracked::live().load(), live);
  EXPECT_FALSE(m.contains(5));
  m.clear();  // clearing an empty map is fine
  for (uint64_t k = 0; k < 100; ++k) EXPECT_FALSE(m.insert(k, tracked(k + 1)).has_value());
  EXPECT_EQ(m.size(), 100u);
  auto v = m.find(42);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->get(), 43u);
}

// A map that grew and then lost most of its entries gives the memory back,
// through every removal path, keeps the rest intact, and keeps what its
// capacity option reserved.
TEST_P(DashMapErase, TablesShrinkWhenMostEntriesAreRemoved) {
  const std::size_t shards = GetParam();
  // Enough per shard that the 1% left needs far less than the tables
  // grown for it (a table of 4 groups or fewer is never rebuilt smaller).
  const uint64_t n = 2000 * std::max<uint64_t>(shards, 10);
  using Remove = std::function<void(IntMap&, uint64_t)>;
  const std::vector<std::pair<const char*, Remove>> paths = {
      {"erase", [](IntMap& m, uint64_t k) { ASSERT_TRUE(m.erase(k)); }},
      {"take", [](IntMap& m, uint64_t k) { ASSERT_EQ(m.take(k), std::optional<uint64_t>(k)); }},
      {"erase_if", [](IntMap& m, uint64_t k) { ASSERT_TRUE(m.erase_if(k, [](const uint64_t&) { return true; })); }},
      {"alter", [](IntMap& m, uint64_t k) {
         ASSERT_TRUE(m.alter(k, [](threadmap::alter_entry<uint64_t>& e) {
           e.erase();
           return true;
         }));
       }},
  };
  for (const auto& [name, remove] : paths) {
    IntMap m(0, shards);
    const std::size_t empty_bytes = m.allocated_bytes();
    for (uint64_t k = 0; k < n; ++k) m.insert(k, k);
    const std::size_t full_bytes = m.allocated_bytes();
    for (uint64_t k = 0; k < n; ++k) {
      if (k % 100 != 0) remove(m, k);
    }
    if (HasFatalFailure()) return;
    EXPECT_LT(m.allocated_bytes() - empty_bytes, (full_bytes - empty_bytes) / 10) << name;
    EXPECT_EQ(m.size(), n / 100) << name;
    for (uint64_t k = 0; k < n; ++k) ASSERT_EQ(m.find(k), k % 100 == 0 ? std::optional<uint64_t>(k) : std::nullopt) << name << " " << k;
  }
  {
    IntMap m(0, shards);
    for (uint64_t k = 0; k < n; ++k) m.insert(k, k);
    const std::size_t full_bytes = m.allocated_bytes();
    EXPECT_EQ(m.retain([](const uint64_t& k, uint64_t&) { return k % 100 == 0; }), n - n / 100);
    EXPECT_LT(m.allocated_bytes(), full_bytes / 5) << "retain";
    for (uint64_t k = 0; k < n; k += 100) ASSERT_EQ(m.find(k), std::optional<uint64_t>(k));
  }
  {
    IntMap reserved(n, shards);
    const std::size_t reserved_bytes = reserved.allocated_bytes();
    for (uint64_t k = 0; k < n; ++k) reserved.insert(k, k);
    EXPECT_EQ(reserved.allocated_bytes(), reserved_bytes) << "the reservation held every entry";
    for (uint64_t k = 0; k < n; ++k) reserved.erase(k);
    EXPECT_EQ(reserved.allocated_bytes(), reserved_bytes) << "erasures keep what the capacity option reserved";
  }
}

TEST_P(DashMapErase, EveryRemovalPathDestroysHeapKeysAndValues) {
  const long keys = heap_key::live().load();
  const long values = tracked::live().load();
  {
    DashMap<heap_key, tracked, heap_key::hash> m(0, GetParam());
    for (uint64_t i = 0; i < 2000; ++i) m.insert(heap_key(i), tracked(i));
    for (uint64_t i = 0; i < 400; ++i) EXPECT_TRUE(m.erase(heap_key(i)));
    for (uint64_t i = 400; i < 800; ++i) EXPECT_EQ(m.take(heap_key(i))->get(), i);
    for (uint64_t i = 800; i < 1200; ++i) EXPECT_TRUE(m.erase_if(heap_key(i), [](const tracked&) { return true; }));
    EXPECT_EQ(m.retain([](const heap_key& k, tracked&) { return k.id() >= 1600; }), 400u);
    EXPECT_EQ(m.size(), 400u);
    EXPECT_EQ(heap_key::live().load() - keys, 400);
    EXPECT_EQ(tracked::live().load() - values, 400);
    m.clear();
    EXPECT_EQ(heap_key::live().load(), keys);
    EXPECT_EQ(tracked::live().load(), values);
    for (uint64_t i = 0; i < 10; ++i) m.insert(heap_key(i), tracked(i));
  }
  EXPECT_EQ(heap_key::live().load(), keys);
  EXPECT_EQ(tracked::live().load(), values);
}

// Fresh keys for a given shard: hands out 0, 1, 2, ... sorted by the shard
// each falls in, so that a test can keep every shard at an exact size.
class keys_by_shard {
 public:
  template <class Map>
  explicit keys_by_shard(const Map& m) : pending_(m.shard_count()), shard_of_([&m](uint64_t k) { return m.shard_of(k); }) {}
  uint64_t next(std::size_t shard) {
    while (pending_[shard].empty()) {
      const uint64_t k = next_++;
      pending_[shard_of_(k)].push_back(k);
    }
    const uint64_t k = pending_[shard].front();
    pending_[shard].pop_front();
    return k;
  }

 private:
  std::vector<std::deque<uint64_t>> pending_;
  std::function<std::size_t(uint64_t)> shard_of_;
  uint64_t next_ = 0;
};

// Churn at a steady size: in every shard, insert a fresh key and erase that
// shard's oldest, over and over, so that each shard holds exactly `live`
// keys whenever it rehashes. Each cycle leaves a tombstone (or an empty
// slot) behind; the tables must reclaim tombstones by rehashing in place
// instead of doubling again and again.
//
// The bound: a table doubles only when more than 7/16 of it is live, so
// one that always holds `live` entries never exceeds the smallest
// power-of-two capacity with room for 2 x `live` at 7/8 load, which is
// exactly what simply inserting 2 x `live` keys into each shard allocates.
TEST_P(DashMapErase, TombstoneChurnAtSteadySizeDoesNotGrowTheTables) {
  constexpr uint64_t live = 100;  // per shard
  const std::size_t shards = GetParam();
  IntMap m(0, shards);
  keys_by_shard fresh(m);
  std::vector<std::deque<uint64_t>> in_map(shards);
  for (std::size_t s = 0; s < shards; ++s) {
    for (uint64_t i = 0; i < live; ++i) {
      const uint64_t k = fresh.next(s);
      ASSERT_TRUE(m.try_insert(k, k));
      in_map[s].push_back(k);
    }
  }

  IntMap reference(0, shards);
  keys_by_shard reference_keys(reference);
  for (std::size_t s = 0; s < shards; ++s)
    for (uint64_t i = 0; i < 2 * live; ++i) reference.insert(reference_keys.next(s), 0);
  const std::size_t ceiling = reference.allocated_bytes();

  std::size_t cycles_done = 0;
  auto churn = [&](std::size_t cycles) {
    for (std::size_t i = 0; i < cycles; ++i, ++cycles_done) {
      const std::size_t s = cycles_done % shards;
      const uint64_t k = fresh.next(s);
      ASSERT_TRUE(m.try_insert(k, k)) << k;
      ASSERT_TRUE(m.erase(in_map[s].front())) << in_map[s].front();
      in_map[s].pop_front();
      in_map[s].push_back(k);
    }
  };
  for (int round = 0; round < 12; ++round) {
    churn(scaled(20, 5) * live * shards);  // 20 x live cycles per shard (5 under sanitizers)
    if (HasFatalFailure()) return;
    ASSERT_LE(m.allocated_bytes(), ceiling)
        << "round " << round << ": tables keep growing under churn at a steady size";
  }
  EXPECT_EQ(m.size(), live * shards);
  for (std::size_t s = 0; s < shards; ++s) {
    EXPECT_EQ(m.shard_size(s), live);
    for (uint64_t k : in_map[s]) ASSERT_EQ(m.find(k), std::optional<uint64_t>(k)) << k;
  }
  EXPECT_FALSE(m.contains(0));  // long gone
}

// The same with every key in one probe chain (one hash value for all keys):
// tombstones pile up in the very chain a lookup must walk.
TEST(DashMapEraseChurn, TombstonesInOneProbeChainAreReclaimed) {
  struct one_hash {
    uint64_t operator()(uint64_t) const noexcept { return 0x0123456789abcdefull; }
  };
  using OneChain = DashMap<uint64_t, uint64_t, one_hash>;
  constexpr uint64_t live = 40;
  OneChain reference(0, 1);
  for (uint64_t k = 0; k < 2 * live; ++k) reference.insert(k, k);
  const std::size_t ceiling = reference.allocated_bytes();

  OneChain m(0, 1);
  for (uint64_t k = 0; k < live; ++k) m.insert(k, k);
  uint64_t next = live;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 200; ++i, ++next) {
      ASSERT_TRUE(m.try_insert(next, next));
      ASSERT_TRUE(m.erase(next - live));
    }
    ASSERT_LE(m.allocated_bytes(), ceiling) << "round " << round;
  }
  EXPECT_EQ(m.size(), live);
  for (uint64_t k = next - live; k < next; ++k) ASSERT_EQ(m.find(k), std::optional<uint64_t>(k)) << k;
  for (uint64_t k = 0; k < next - live; k += 7) ASSERT_FALSE(m.contains(k)) << k;
}

INSTANTIATE_TEST_SUITE_P(Shards, DashMapErase, ::testing::Values(1, 4, 64),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return "shards" + std::to_string(info.param);
                         });

}  // namespace
