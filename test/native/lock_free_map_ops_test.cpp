// LockFreeMap, operation by operation: construction options, each
// single-key call's return values, compute's decisions (and a throwing
// callback), visit, for_each, clear, re-entry from callbacks, and exact
// instance counts of heap-owning keys and values (no leak, no double free).
#include <cstdint>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <threadmap/lock_free_map.hpp>

#include "lockfree_suite.hpp"
#include "support.hpp"

namespace {

using threadmap::compute_entry;
using threadmap::LockFreeMap;
using threadmap_test::fixed_hash;
using threadmap_test::heap_key;
using threadmap_test::tracked;

using map64 = LockFreeMap<uint64_t, uint64_t, fixed_hash>;

TEST(LockFreeMapOps, DefaultsAndOptions) {
  map64 a;
  EXPECT_EQ(a.bucket_count(), map64::default_buckets);
  EXPECT_TRUE(a.empty());
  map64 b(threadmap::lock_free_map_options{1000, 0});
  EXPECT_EQ(b.bucket_count(), 2048u);  // 1000 / 0.75 rounded up to a power of two
  map64 c(threadmap::lock_free_map_options{0, 1000});
  EXPECT_EQ(c.bucket_count(), 1024u);
  for (uint64_t i = 0; i < 10000; ++i) c.insert(i, i);
  EXPECT_EQ(c.bucket_count(), 1024u) << "the buckets option fixes the size";
  for (uint64_t i = 0; i < 10000; ++i) ASSERT_EQ(c.get(i), i);
  EXPECT_THROW(map64(threadmap::lock_free_map_options{0, map64::max_buckets + 1}), std::invalid_argument);
}

TEST(LockFreeMapOps, AllocatedBytesCountsBucketsAndNodes) {
  map64 small(threadmap::lock_free_map_options{0, 1024});
  map64 big(threadmap::lock_free_map_options{0, 2048});
  EXPECT_EQ(big.allocated_bytes() - small.allocated_bytes(), 1024 * sizeof(uintptr_t)) << "a word per bucket";
  const std::size_t empty = small.allocated_bytes();
  for (uint64_t i = 0; i < 1000; ++i) small.insert(i, i);
  const std::size_t per_entry = (small.allocated_bytes() - empty) / 1000;
  EXPECT_EQ(small.allocated_bytes() - empty, per_entry * 1000) << "the same bytes for every entry";
  EXPECT_GE(per_entry, 4 * sizeof(uint64_t)) << "a node holds the hash, the key, the value and the link";
  EXPECT_LE(per_entry, 64u);
  for (uint64_t i = 0; i < 1000; ++i) small.remove(i);
  EXPECT_EQ(small.allocated_bytes(), empty) << "removed nodes are no longer counted (the fixed table stays)";
}

TEST(LockFreeMapOps, GrowsAndShrinksButNotBelowInitial) {
  map64 m(threadmap::lock_free_map_options{100, 0});
  const std::size_t initial = m.bucket_count();
  for (uint64_t i = 0; i < 100000; ++i) m.insert(i, i);
  EXPECT_GE(m.bucket_count(), 100000u * 4 / 3);
  EXPECT_LE(m.bucket_count(), 100000u * 4);
  for (uint64_t i = 0; i < 100000; ++i) ASSERT_TRUE(m.remove(i));
  m.insert(1, 1);
  m.remove(1);
  EXPECT_EQ(m.bucket_count(), initial);
  EXPECT_EQ(m.size(), 0u);
}

TEST(LockFreeMapOps, ClearGivesTheBucketsBack) {
  map64 m(threadmap::lock_free_map_options{100, 0});
  const std::size_t initial = m.bucket_count();
  for (uint64_t i = 0; i < 100000; ++i) m.insert(i, i);
  const std::size_t full_bytes = m.allocated_bytes();
  ASSERT_GE(m.bucket_count(), 100000u * 4 / 3);
  m.clear();
  EXPECT_EQ(m.bucket_count(), initial) << "no write after clear() will shrink it";
  EXPECT_FALSE(m.migrating());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_LT(m.allocated_bytes(), full_bytes / 100);
  for (uint64_t i = 0; i < 1000; ++i) m.insert(i, i + 1);  // usable afterwards
  for (uint64_t i = 0; i < 1000; ++i) ASSERT_EQ(m.get(i), i + 1);
  map64 fixed(threadmap::lock_free_map_options{0, 1024});
  for (uint64_t i = 0; i < 5000; ++i) fixed.insert(i, i);
  fixed.clear();
  EXPECT_EQ(fixed.bucket_count(), 1024u) << "the buckets option fixes the size";
  EXPECT_TRUE(fixed.empty());
}

TEST(LockFreeMapOps, ForEachPartSplitsTheEntriesByHash) {
  map64 m;
  threadmap_test::check_parts(m, 3000);
  map64 one_bucket(threadmap::lock_free_map_options{0, 1});
  threadmap_test::check_parts(one_bucket, 300);
}

TEST(LockFreeMapOps, SingleKeyCalls) {
  map64 m;
  EXPECT_EQ(m.insert(1, 10), std::nullopt);
  EXPECT_EQ(m.insert(1, 11), 10u);
  EXPECT_FALSE(m.insert_or_assign(1, 13)) << "present: replaced";
  EXPECT_EQ(m.get(1), 13u);
  EXPECT_TRUE(m.insert_or_assign(5, 50)) << "absent: inserted";
  EXPECT_EQ(m.get(5), 50u);
  EXPECT_TRUE(m.remove(5));
  EXPECT_FALSE(m.insert_if_absent(1, 12));
  EXPECT_TRUE(m.insert_if_absent(2, 20));
  EXPECT_EQ(m.get_or_insert(2, 99), 20u);
  EXPECT_EQ(m.get_or_insert(3, 30), 30u);
  EXPECT_TRUE(m.contains(3));
  EXPECT_FALSE(m.compare_and_set(3, 31, 32));
  EXPECT_TRUE(m.compare_and_set(3, 30, 33));
  EXPECT_EQ(m.get(3), 33u);
  EXPECT_FALSE(m.compare_and_set(4, 0, 1)) << "absent key";
  EXPECT_EQ(m.take(3), 33u);
  EXPECT_EQ(m.take(3), std::nullopt);
  EXPECT_TRUE(m.remove(2));
  EXPECT_FALSE(m.remove(2));
  EXPECT_EQ(m.size(), 1u);
}

TEST(LockFreeMapOps, ComputeDecisions) {
  map64 m;
  auto add = [](uint64_t d) {
    return [d](compute_entry<uint64_t>& e) {
      e.assign((e.exists() ? e.value() : 0) + d);
      return e.exists();
    };
  };
  EXPECT_FALSE(m.compute(5, add(2)));
  EXPECT_TRUE(m.compute(5, add(3)));
  EXPECT_EQ(m.get(5), 5u);
  m.compute(5, [](compute_entry<uint64_t>&) {});  // keep (void callback)
  EXPECT_EQ(m.get(5), 5u);
  EXPECT_EQ(m.compute(5, [](compute_entry<uint64_t>& e) { e.erase(); return 7; }), 7);
  EXPECT_FALSE(m.contains(5));
  m.compute(6, [](compute_entry<uint64_t>& e) { e.erase(); });  // erase of an absent key: nothing
  EXPECT_EQ(m.size(), 0u);
  m.insert(8, 80);
  EXPECT_THROW(m.compute(8, [](compute_entry<uint64_t>& e) -> int {
    e.assign(1);
    throw std::runtime_error("no");
  }), std::runtime_error);
  EXPECT_EQ(m.get(8), 80u) << "a throwing callback changes nothing";
}

TEST(LockFreeMapOps, LongChainsInFixedTable) {
  // 4 buckets: every operation walks, copies and rebuilds long chains.
  map64 m(threadmap::lock_free_map_options{0, 4});
  for (uint64_t i = 0; i < 200; ++i) m.insert(i, i);
  for (uint64_t i = 0; i < 200; i += 2) m.insert(i, i + 1000);
  for (uint64_t i = 0; i < 200; i += 3) m.remove(i);
  for (uint64_t i = 0; i < 200; ++i) {
    auto v = m.get(i);
    if (i % 3 == 0) {
      ASSERT_FALSE(v) << i;
    } else {
      ASSERT_EQ(v, i % 2 == 0 ? i + 1000 : i) << i;
    }
  }
}

TEST(LockFreeMapOps, CallbacksMayCallIntoTheMap) {
  map64 m;
  m.insert(1, 10);
  // No lock is held: a visit callback may write to the same map, even the same key.
  EXPECT_TRUE(m.visit(1, [&](const uint64_t& v) {
    EXPECT_EQ(v, 10u);
    m.insert(1, 11);
    m.insert(2, 20);
    EXPECT_EQ(v, 10u) << "the lent value is immutable while lent";
  }));
  EXPECT_EQ(m.get(1), 11u);
  std::size_t n = 0;
  m.for_each([&](const uint64_t& k, const uint64_t&) {
    ++n;
    m.insert(k + 100, 0);  // weakly consistent: may or may not be seen
  });
  EXPECT_GE(n, 2u);
}

TEST(LockFreeMapOps, HeapKeysAndValuesAreCountedExactly) {
  ASSERT_EQ(threadmap::epoch::synchronize(), 0u);
  const long keys0 = heap_key::live(), vals0 = tracked::live();
  {
    LockFreeMap<heap_key, tracked, heap_key::hash> m;
    for (uint64_t i = 0; i < 5000; ++i) m.insert(heap_key(i), tracked(i));
    for (uint64_t i = 0; i < 5000; i += 2) m.insert(heap_key(i), tracked(i + 1));
    for (uint64_t i = 0; i < 5000; i += 3) m.remove(heap_key(i));
    for (uint64_t i = 1; i < 5000; i += 6) {
      auto v = m.take(heap_key(i));
      ASSERT_TRUE(v);
    }
    for (uint64_t i = 0; i < 1000; ++i)
      m.compute(heap_key(i), [&](compute_entry<tracked>& e) { e.assign(tracked(e.exists() ? e.value().get() : 0)); });
    ASSERT_EQ(m.get(heap_key(4))->get(), 5u);
    for (uint64_t i = 0; i < 4900; ++i) m.remove(heap_key(i));  // shrinks
    m.clear();
    for (uint64_t i = 0; i < 300; ++i) m.insert(heap_key(i), tracked(i));
  }
  EXPECT_EQ(threadmap::epoch::synchronize(), 0u);
  EXPECT_EQ(heap_key::live(), keys0);
  EXPECT_EQ(tracked::live(), vals0);
}

// A value whose copies throw while `fail` is set (a K or V copy may throw,
// or run out of memory, in any write: the map copies nodes when it
// rebuilds chains and helps a migration).
struct fragile {
  static inline bool fail = false;
  uint64_t x = 0;
  fragile() = default;
  explicit fragile(uint64_t v) : x(v) {}
  fragile(const fragile& o) : x(o.x) {
    if (fail) throw std::runtime_error("copy failed");
  }
  fragile(fragile&& o) noexcept : x(o.x) {}
  fragile& operator=(const fragile&) = default;
  bool operator==(const fragile& o) const { return x == o.x; }
};
struct identity_hash {
  uint64_t operator()(uint64_t k) const noexcept { return k; }
};

// A write whose CAS succeeded once threw if helping the migration after it
// failed: compute then freed the node it had just installed (a use after
// free), and the caller was told a write that happened had failed.
TEST(LockFreeMapOps, AWriteThatLandedReturnsWhateverHelpingAfterItMeets) {
  LockFreeMap<uint64_t, fragile, identity_hash> m;  // 16 buckets, doubles above 12
  // 0 and 16 share bucket 0 and split apart at 32 buckets: helping builds
  // that bucket by copying node 16, which throws.
  m.insert(0, fragile(100));
  m.insert(16, fragile(116));
  for (uint64_t k = 1; k <= 10; ++k) m.insert(k, fragile(k));
  fragile::fail = true;
  EXPECT_NO_THROW(m.compute(77, [](compute_entry<fragile>& e) { e.assign(fragile(777)); }));  // the 13th: a resize
  fragile::fail = false;
  EXPECT_EQ(m.size(), 13u);
  ASSERT_TRUE(m.contains(77));
  EXPECT_EQ(m.get(77)->x, 777u);
  for (uint64_t k : {0u, 16u, 1u, 10u}) EXPECT_TRUE(m.contains(k)) << k;
}

// A write that throws before its CAS changes nothing (and, under
// AddressSanitizer's leak check, leaks nothing): the chain copies it made
// are freed, and so is the node it would have installed.
TEST(LockFreeMapOps, AWriteThatThrowsBeforeItsCasChangesNothing) {
  LockFreeMap<uint64_t, fragile, identity_hash> m(threadmap::lock_free_map_options{0, 16});  // fixed: no resize
  m.insert(5, fragile(5));
  m.insert(21, fragile(21));  // bucket 5: 21 -> 5; replacing 5 copies 21
  fragile::fail = true;
  EXPECT_THROW(m.insert_or_assign(5, fragile(50)), std::runtime_error);
  EXPECT_THROW(m.compare_and_set(5, fragile(5), fragile(51)), std::runtime_error);
  EXPECT_THROW(m.remove(5), std::runtime_error);
  fragile::fail = false;
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.get(5)->x, 5u);
  EXPECT_EQ(m.get(21)->x, 21u);
}

}  // namespace
