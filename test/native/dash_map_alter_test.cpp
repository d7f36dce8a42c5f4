// DashMap alter (assign / erase / keep, decisions applied after the
// callback, a throwing callback changes nothing) and upsert.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>
#include <threadmap/dash_map.hpp>

#include "support.hpp"

namespace {

using threadmap::alter_entry;
using threadmap::DashMap;
using threadmap_test::fixed_hash;
using threadmap_test::heap_key;
using threadmap_test::tracked;

using IntMap = DashMap<uint64_t, uint64_t, fixed_hash>;

class DashMapAlter : public ::testing::TestWithParam<std::size_t> {};

TEST_P(DashMapAlter, AssignOnAnAbsentKeyInserts) {
  IntMap m(0, GetParam());
  m.alter(1, [](alter_entry<uint64_t>& e) {
    EXPECT_FALSE(e.exists());
    EXPECT_EQ(e.value_ptr(), nullptr);
    e.assign(10);
  });
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(10));
  EXPECT_EQ(m.size(), 1u);
}

TEST_P(DashMapAlter, AssignOnAPresentKeyReplacesAndSeesTheOldValue) {
  IntMap m(0, GetParam());
  m.insert(1, 10);
  m.alter(1, [](alter_entry<uint64_t>& e) {
    ASSERT_TRUE(e.exists());
    ASSERT_NE(e.value_ptr(), nullptr);
    EXPECT_EQ(*e.value_ptr(), 10u);
    e.assign(e.value() + 5);
  });
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(15));
  EXPECT_EQ(m.size(), 1u);
}

TEST_P(DashMapAlter, EraseRemovesAPresentKeyAndIgnoresAnAbsentOne) {
  IntMap m(0, GetParam());
  m.insert(1, 10);
  m.alter(1, [](alter_entry<uint64_t>& e) { e.erase(); });
  EXPECT_FALSE(m.contains(1));
  m.alter(2, [](alter_entry<uint64_t>& e) {
    EXPECT_FALSE(e.exists());
    e.erase();
  });
  EXPECT_FALSE(m.contains(2));
  EXPECT_EQ(m.size(), 0u);
}

TEST_P(DashMapAlter, DecidingNothingKeepsTheEntryAsItIs) {
  IntMap m(0, GetParam());
  m.insert(1, 10);
  int calls = 0;
  m.alter(1, [&](alter_entry<uint64_t>& e) { calls += e.exists() ? 1 : 100; });
  m.alter(2, [&](alter_entry<uint64_t>& e) { calls += e.exists() ? 100 : 1; });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(10));
  EXPECT_FALSE(m.contains(2));  // an absent key that was only looked at is not created
  EXPECT_EQ(m.size(), 1u);
}

TEST_P(DashMapAlter, TheLastDecisionWins) {
  IntMap m(0, GetParam());
  m.insert(1, 10);
  m.insert(2, 20);
  m.alter(1, [](alter_entry<uint64_t>& e) {
    e.assign(11);
    e.erase();
  });
  m.alter(2, [](alter_entry<uint64_t>& e) {
    e.erase();
    e.assign(21);
    e.assign(22);
  });
  m.alter(3, [](alter_entry<uint64_t>& e) {
    e.erase();
    e.assign(30);
  });
  EXPECT_FALSE(m.contains(1));
  EXPECT_EQ(m.find(2), std::optional<uint64_t>(22));
  EXPECT_EQ(m.find(3), std::optional<uint64_t>(30));
}

TEST_P(DashMapAlter, DecisionsApplyAfterTheCallbackReturns) {
  IntMap m(0, GetParam());
  m.insert(1, 10);
  m.alter(1, [](alter_entry<uint64_t>& e) {
    e.assign(99);
    // The entry still shows the stored value until the callback returns.
    EXPECT_EQ(e.value(), 10u);
  });
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(99));
}

TEST_P(DashMapAlter, ReturnsWhatTheCallbackReturns) {
  IntMap m(0, GetParam());
  m.insert(1, 10);
  const uint64_t previous = m.alter(1, [](alter_entry<uint64_t>& e) {
    const uint64_t old = e.value();
    e.assign(old * 2);
    return old;
  });
  EXPECT_EQ(previous, 10u);
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(20));
  const std::string text = m.alter(5, [](alter_entry<uint64_t>& e) { return std::string(e.exists() ? "yes" : "no"); });
  EXPECT_EQ(text, "no");
  static_assert(std::is_void_v<decltype(m.alter(1, [](alter_entry<uint64_t>&) {}))>);
}

// A callback declared `-> const V&` that returns e.value() must not make
// alter hand out a reference into the table after the shard lock is
// released (principle 1: no reference leaves the engine). If the callback
// also erased the entry, such a reference would dangle at once (this test
// found that bug: ASan reported a heap-use-after-free).
TEST(DashMapAlter, AlterNeverReturnsAReferenceIntoTheTable) {
  DashMap<int, std::string> m(0, 1);
  m.insert(1, std::string(40, 'x'));
  auto lend = [](alter_entry<std::string>& e) -> const std::string& { return e.value(); };
  EXPECT_FALSE(std::is_reference_v<decltype(m.alter(1, lend))>);
  auto lend_and_erase = [](alter_entry<std::string>& e) -> const std::string& {
    e.erase();
    return e.value();
  };
  EXPECT_EQ(m.alter(1, lend_and_erase), std::string(40, 'x'));  // a copy, taken before the erase
  EXPECT_FALSE(m.contains(1));
}

TEST_P(DashMapAlter, ACallbackThatThrowsLeavesTheMapUnchanged) {
  IntMap m(0, GetParam());
  m.insert(1, 10);
  EXPECT_THROW(m.alter(1,
                       [](alter_entry<uint64_t>& e) {
                         e.assign(11);
                         throw std::runtime_error("after assign");
                       }),
               std::runtime_error);
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(10));
  EXPECT_THROW(m.alter(1,
                       [](alter_entry<uint64_t>& e) {
                         e.erase();
                         throw std::runtime_error("after erase");
                       }),
               std::runtime_error);
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(10));
  EXPECT_THROW(m.alter(2,
                       [](alter_entry<uint64_t>& e) {
                         e.assign(20);
                         throw std::runtime_error("insert then throw");
                       }),
               std::runtime_error);
  EXPECT_FALSE(m.contains(2));
  EXPECT_EQ(m.size(), 1u);
  // The shard lock was released on the way out.
  m.alter(1, [](alter_entry<uint64_t>& e) { e.assign(12); });
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(12));
}

TEST_P(DashMapAlter, InsertingThroughAlterGrowsTheTable) {
  IntMap m(0, GetParam());
  for (uint64_t k = 0; k < 10000; ++k) m.alter(k, [k](alter_entry<uint64_t>& e) { e.assign(k + 1); });
  EXPECT_EQ(m.size(), 10000u);
  for (uint64_t k = 0; k < 10000; ++k) ASSERT_EQ(m.find(k), std::optional<uint64_t>(k + 1)) << k;
  for (uint64_t k = 0; k < 10000; k += 2) m.alter(k, [](alter_entry<uint64_t>& e) { e.erase(); });
  EXPECT_EQ(m.size(), 5000u);
}

TEST_P(DashMapAlter, CounterIdiom) {
  IntMap m(0, GetParam());
  auto bump = [&](uint64_t k) {
    return m.alter(k, [](alter_entry<uint64_t>& e) {
      const uint64_t n = e.exists() ? e.value() + 1 : 1;
      e.assign(n);
      return n;
    });
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(bump(7), static_cast<uint64_t>(i + 1));
  EXPECT_EQ(bump(8), 1u);
  EXPECT_EQ(m.find(7), std::optional<uint64_t>(5));
}

TEST_P(DashMapAlter, HeapKeysAreCopiedOnlyWhenInserting) {
  const long keys = heap_key::live().load();
  const long values = tracked::live().load();
  {
    DashMap<heap_key, tracked, heap_key::hash> m(0, GetParam());
    const heap_key k(1);
    m.alter(k, [](alter_entry<tracked>& e) { e.assign(tracked(100)); });
    EXPECT_EQ(heap_key::live().load() - keys, 2);  // ours and the map's copy
    m.alter(k, [](alter_entry<tracked>& e) { e.assign(tracked(e.value().get() + 1)); });
    EXPECT_EQ(heap_key::live().load() - keys, 2);
    EXPECT_EQ(tracked::live().load() - values, 1);
    EXPECT_EQ(m.find(k)->get(), 101u);
    EXPECT_THROW(m.alter(heap_key(2),
                         [](alter_entry<tracked>& e) {
                           e.assign(tracked(5));
                           throw std::logic_error("x");
                         }),
                 std::logic_error);
    EXPECT_EQ(tracked::live().load() - values, 1);  // the pending value was destroyed
    m.alter(k, [](alter_entry<tracked>& e) { e.erase(); });
    EXPECT_EQ(heap_key::live().load() - keys, 1);
    EXPECT_EQ(tracked::live().load() - values, 0);
  }
  EXPECT_EQ(heap_key::live().load(), keys);
  EXPECT_EQ(tracked::live().load(), values);
}

TEST_P(DashMapAlter, MoveOnlyValuesCanBeAssigned) {
  DashMap<int, std::unique_ptr<int>> m(0, GetParam());
  m.alter(1, [](alter_entry<std::unique_ptr<int>>& e) { e.assign(std::make_unique<int>(1)); });
  m.alter(1, [](alter_entry<std::unique_ptr<int>>& e) { e.assign(std::make_unique<int>(*e.value() + 1)); });
  int seen = 0;
  m.visit(1, [&](const std::unique_ptr<int>& p) { seen = *p; });
  EXPECT_EQ(seen, 2);
}

TEST_P(DashMapAlter, UpsertInsertsWhenAbsentAndUpdatesInPlaceOtherwise) {
  IntMap m(0, GetParam());
  int calls = 0;
  EXPECT_TRUE(m.upsert(1, 10, [&](uint64_t& v) {
    ++calls;
    v += 1;
  }));
  EXPECT_EQ(calls, 0);  // inserted: the callback is not called
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(10));
  EXPECT_FALSE(m.upsert(1, 1000, [&](uint64_t& v) {
    ++calls;
    v += 1;
  }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(m.find(1), std::optional<uint64_t>(11));  // `value` was not used
  EXPECT_EQ(m.size(), 1u);
}

TEST_P(DashMapAlter, UpsertWithHeapValues) {
  DashMap<std::string, std::string> m(0, GetParam());
  const std::string first = "first-" + std::string(30, 'a');
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 500; ++i) {
      m.upsert(std::to_string(i), first, [&](std::string& v) {
        v += '+';
        v += std::to_string(round);
      });
    }
  }
  EXPECT_EQ(m.size(), 500u);
  EXPECT_EQ(m.find("7"), first + "+1+2");
}

INSTANTIATE_TEST_SUITE_P(Shards, DashMapAlter, ::testing::Values(1, 4, 64),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return "shards" + std::to_string(info.param);
                         });

}  // namespace
