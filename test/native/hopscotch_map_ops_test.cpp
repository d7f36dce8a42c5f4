// HopscotchMap, operation by operation: construction, each single-key
// call's return values, compute's decisions (and a throwing callback),
// visit, for_each, clear, re-entry from callbacks, and exact instance
// counts of heap-owning keys and values (no leak, no double free).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <threadmap/hopscotch_map.hpp>

#include "hopscotch_storages.hpp"
#include "lockfree_suite.hpp"
#include "support.hpp"

namespace {

using threadmap::compute_entry;
using threadmap::HopscotchMap;
using threadmap_test::fixed_hash;
using threadmap_test::heap_key;
using threadmap_test::tracked;

template <class Map>
class HopscotchMapOps : public ::testing::Test {};
TYPED_TEST_SUITE(HopscotchMapOps, threadmap_test::hopscotch_storages, threadmap_test::hopscotch_storage_name);

TYPED_TEST(HopscotchMapOps, DefaultsAndCapacity) {
  TypeParam a;
  EXPECT_EQ(a.bucket_count(), TypeParam::default_size);
  EXPECT_TRUE(a.empty());
  TypeParam b(1000);
  EXPECT_EQ(b.bucket_count(), 2048u);
  EXPECT_THROW(TypeParam(TypeParam::max_size), std::invalid_argument);
}

TYPED_TEST(HopscotchMapOps, ForEachPartSplitsTheEntriesByHash) {
  TypeParam m;
  threadmap_test::check_parts(m, 3000);
}

TYPED_TEST(HopscotchMapOps, AllocatedBytesCountsSlotsAndNodes) {
  TypeParam small(1000);  // 2048 homes
  TypeParam big(2000);    // 4096 homes
  ASSERT_EQ(big.bucket_count(), 2 * small.bucket_count());
  EXPECT_GE(big.allocated_bytes() - small.allocated_bytes(), small.bucket_count() * 2 * sizeof(uint64_t))
      << "at least a hop word and a slot word per home";
  const std::size_t empty = small.allocated_bytes();
  for (uint64_t i = 0; i < 1000; ++i) small.insert(i, i);
  ASSERT_EQ(small.bucket_count(), 2048u) << "no resize below the load factor";
  if constexpr (TypeParam::inline_entries) {
    EXPECT_EQ(small.allocated_bytes(), empty) << "inline entries live in the slots";
  } else {
    const std::size_t per_entry = (small.allocated_bytes() - empty) / 1000;
    EXPECT_EQ(small.allocated_bytes() - empty, per_entry * 1000);
    EXPECT_GE(per_entry, 3 * sizeof(uint64_t)) << "a node holds the hash, the key and the value";
  }
}

TYPED_TEST(HopscotchMapOps, GrowsAndShrinksButNotBelowInitial) {
  TypeParam m(100);
  const std::size_t initial = m.bucket_count();
  for (uint64_t i = 0; i < 100000; ++i) m.insert(i, i);
  EXPECT_GE(m.bucket_count(), 100000u * 4 / 3);
  EXPECT_LE(m.bucket_count(), 100000u * 4);
  for (uint64_t i = 0; i < 100000; ++i) ASSERT_EQ(m.get(i), i);
  for (uint64_t i = 0; i < 100000; ++i) ASSERT_TRUE(m.remove(i));
  EXPECT_EQ(m.bucket_count(), initial);
  EXPECT_EQ(m.size(), 0u);
}

// Tables from big_array_threshold up are mapped from the kernel (already
// zeroed), smaller ones come from malloc: grow through that size, shrink
// back through it and clear a big table, checking the contents each time.
TYPED_TEST(HopscotchMapOps, GrowsAndShrinksAcrossTheMappedArraySize) {
  TypeParam m;
  constexpr uint64_t n = 400000;
  for (uint64_t i = 0; i < n; ++i) ASSERT_TRUE(m.insert_if_absent(i, i * 3));
  ASSERT_GE(m.bucket_count() * 16, threadmap::detail::big_array_threshold);  // buckets are >= 16 bytes
  for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(m.get(i), i * 3);
  for (uint64_t i = 0; i < n - 1000; ++i) ASSERT_TRUE(m.remove(i));
  EXPECT_LT(m.bucket_count() * 24, threadmap::detail::big_array_threshold);  // and <= 24 bytes
  EXPECT_EQ(m.size(), 1000u);
  for (uint64_t i = n - 1000; i < n; ++i) ASSERT_EQ(m.get(i), i * 3);
  for (uint64_t i = 0; i < n; ++i) m.insert(i, i);
  m.clear();
  EXPECT_EQ(m.size(), 0u);
  EXPECT_FALSE(m.contains(n / 2));
  ASSERT_TRUE(m.insert_if_absent(n / 2, 7));
  EXPECT_EQ(m.get(n / 2), 7u);
}

// The child process of OutOfMemoryInAResizeLeavesNoLockHeld. Exit code 0
// is a pass; every other code names the check that failed, and a writer
// left waiting for ever ends it by SIGALRM.
template <class Map>
[[noreturn]] void fill_until_out_of_memory() {
  alarm(60);
  Map m;
  rlimit uncapped{};
  if (getrlimit(RLIMIT_AS, &uncapped) != 0) _exit(2);
  const auto cap = [&] {  // 64 MiB left to allocate
    rlimit capped = uncapped;
    capped.rlim_cur = threadmap_test::process_memory().address_space + (std::size_t{64} << 20);
    if (setrlimit(RLIMIT_AS, &capped) != 0) _exit(3);
  };
  cap();
  // The tables double (1 MiB of buckets, 2, 4, ...; the old one lives
  // while the new one fills): a growth fails long before 2^24 keys. That
  // failure is swallowed after a write (the map stays at its size); the
  // insert that then finds no room, or cannot allocate a node, throws.
  // The first time a growth is seen to have failed (the load past 0.75;
  // maybe_resize looks every 64 writes at most), memory comes back for
  // 200 writes: the table must grow by the load factor then, not only
  // once a neighbourhood overflows (a failed growth must not leave the
  // table marked as being resized).
  uint64_t n = 0;
  bool regrown = false;
  try {
    for (; n < (uint64_t{1} << 24); ++n) {
      m.insert_if_absent(n, n + 1);
      if (!regrown && m.size() > m.bucket_count() / 4 * 3 + 64) {
        regrown = true;
        if (setrlimit(RLIMIT_AS, &uncapped) != 0) _exit(6);
        for (const uint64_t last = n + 200; n < last;) {
          ++n;
          m.insert_if_absent(n, n + 1);
        }
        if (m.size() > m.bucket_count() / 4 * 3) _exit(11);
        cap();
      }
    }
    _exit(4);  // the cap never bit
  } catch (const std::bad_alloc&) {
  }
  if (!regrown) _exit(12);
  if (m.size() != n || m.contains(n)) _exit(5);  // the failed insert left the map unchanged
  if (setrlimit(RLIMIT_AS, &uncapped) != 0) _exit(6);
  // Writers on another thread and on this one: if the failed resize had
  // kept the table's locks, both would wait for ever.
  bool other_ok = false;
  std::thread other([&] {
    other_ok = m.remove(0) && !m.contains(0) && m.insert_if_absent(0, 1) && m.compare_and_set(1, 2, 20);
  });
  other.join();
  if (!other_ok) _exit(7);
  const uint64_t total = n + 100000;  // growth works again
  for (uint64_t i = n; i < total; ++i)
    if (!m.insert_if_absent(i, i + 1)) _exit(8);
  if (m.size() != total) _exit(9);
  for (uint64_t i = 0; i < total; ++i)
    if (m.get(i) != (i == 1 ? 20 : i + 1)) _exit(10);
  _exit(0);
}

// Out of memory while a resize allocates its new table: the resize must
// leave no lock held (it once kept them, and every later writer waited
// for ever; the new arrays are now made before the locks are taken, and
// only a growth after an overflow allocates under them) and must not leave
// the table marked as being resized, the write that caused it must fail
// cleanly or stand, and once memory is back the map grows again. Runs in
// a child process whose address space is capped just above what it uses.
TYPED_TEST(HopscotchMapOps, OutOfMemoryInAResizeLeavesNoLockHeld) {
  if (threadmap_test::sanitized) GTEST_SKIP() << "a sanitizer's shadow memory does not fit under an address-space cap";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(fill_until_out_of_memory<TypeParam>(), ::testing::ExitedWithCode(0), "");
}

// Keys whose hashes clump overflow neighbourhoods at a low load, so the
// table grows early; it must then settle instead of halving and growing
// back (or rebuilding at its own size) while the count stays level. A
// steady mix on 2,000 keys: after the first 10,000 operations the bucket
// count may change a few times, not on every few dozen writes as it did.
TYPED_TEST(HopscotchMapOps, ClumpedHashesDoNotResizeBackAndForth) {
  HopscotchMap<uint64_t, uint64_t, threadmap_test::clumping_hash, std::equal_to<uint64_t>, TypeParam::inline_entries> m;
  threadmap_test::rng r(threadmap_test::test_seed());
  std::size_t changes = 0;
  std::size_t buckets = m.bucket_count();
  for (std::size_t step = 0; step < 100000; ++step) {
    const uint64_t k = r.below(2000);
    const uint64_t dice = r.below(100);
    if (dice < 30) {
      m.insert(k, step);
    } else if (dice < 50) {
      m.remove(k);
    } else {
      (void)m.get(k);
    }
    if (m.bucket_count() != buckets) {
      buckets = m.bucket_count();
      if (step >= 10000) ++changes;
    }
  }
  EXPECT_LE(changes, 4u) << "final bucket count " << buckets << ", size " << m.size();
  EXPECT_LE(buckets, std::size_t{1} << 16) << "2,000 keys";
}

// Keys 2^62 + i (i < 40) hash to 0 or 512 only: 20 entries each, which
// fit a neighbourhood apart but overflow one together, so halving a table
// of 1,024 homes or more down to 512 cannot be done. Other keys hash well.
struct two_clumps_hash {
  static constexpr uint64_t clumped = uint64_t{1} << 62;
  uint64_t operator()(uint64_t k) const noexcept {
    if (k >= clumped && k < clumped + 40) return (k & 1) ? 512 : 0;
    return fixed_hash{}(k);
  }
};

// A halving dropped because it would overflow a neighbourhood must leave
// the table free to grow by its load factor afterwards: the resize that
// gave up had marked the table as being resized, and a mark left behind
// would make every later write skip the load check, so the table would
// grow only when a neighbourhood overflows (at a load near 0.9).
TYPED_TEST(HopscotchMapOps, ADroppedHalvingLeavesTheTableFreeToGrow) {
  HopscotchMap<uint64_t, uint64_t, two_clumps_hash, std::equal_to<uint64_t>, TypeParam::inline_entries> m;
  for (uint64_t i = 0; i < 40; ++i) ASSERT_TRUE(m.insert_if_absent(two_clumps_hash::clumped + i, i));
  for (uint64_t k = 0; k < 3000; ++k) ASSERT_TRUE(m.insert_if_absent(k, k));
  ASSERT_GE(m.bucket_count(), 4096u);
  for (uint64_t k = 0; k < 3000; ++k) ASSERT_TRUE(m.remove(k));
  // Shrunk while the halvings fit, then stopped at 1,024 (512 would not fit).
  ASSERT_EQ(m.bucket_count(), 1024u);
  ASSERT_EQ(m.size(), 40u);
  double max_load = 0;
  for (uint64_t k = 0; k < 20000; ++k) {
    ASSERT_TRUE(m.insert_if_absent(k, k));
    max_load = std::max(max_load, static_cast<double>(m.size()) / static_cast<double>(m.bucket_count()));
  }
  // The load is checked every min(64, buckets / 1024) writes: at most
  // 0.75 + 1/1024 when the check runs.
  EXPECT_LE(max_load, 0.76) << "final bucket count " << m.bucket_count();
  for (uint64_t i = 0; i < 40; ++i) EXPECT_EQ(m.get(two_clumps_hash::clumped + i), i);
}

TYPED_TEST(HopscotchMapOps, SingleKeyCalls) {
  TypeParam m;
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
  m.clear();
  EXPECT_EQ(m.size(), 0u);
  EXPECT_FALSE(m.contains(1));
}

TYPED_TEST(HopscotchMapOps, ComputeDecisions) {
  TypeParam m;
  auto add = [](uint64_t d) {
    return [d](compute_entry<uint64_t>& e) {
      e.assign((e.exists() ? e.value() : 0) + d);
      return e.exists();
    };
  };
  EXPECT_FALSE(m.compute(5, add(2)));
  EXPECT_TRUE(m.compute(5, add(3)));
  EXPECT_EQ(m.get(5), 5u);
  m.compute(5, [](compute_entry<uint64_t>&) {});
  EXPECT_EQ(m.get(5), 5u);
  EXPECT_EQ(m.compute(5, [](compute_entry<uint64_t>& e) { e.erase(); return 7; }), 7);
  EXPECT_FALSE(m.contains(5));
  m.compute(6, [](compute_entry<uint64_t>& e) { e.erase(); });
  EXPECT_EQ(m.size(), 0u);
  m.insert(8, 80);
  EXPECT_THROW(m.compute(8, [](compute_entry<uint64_t>& e) -> int {
    e.assign(1);
    throw std::runtime_error("no");
  }), std::runtime_error);
  EXPECT_EQ(m.get(8), 80u) << "a throwing callback changes nothing";
}

TYPED_TEST(HopscotchMapOps, CallbacksMayCallIntoTheMap) {
  TypeParam m;
  m.insert(1, 10);
  EXPECT_TRUE(m.visit(1, [&](const uint64_t& v) {
    m.insert(1, 11);
    m.insert(2, 20);
    EXPECT_EQ(v, 10u) << "the lent value is immutable while lent";
  }));
  EXPECT_EQ(m.get(1), 11u);
  // compute's callback runs outside the lock: it may write the same map.
  m.compute(1, [&](compute_entry<uint64_t>& e) {
    m.insert(3, 30);
    e.assign(e.value() + 1);
  });
  EXPECT_EQ(m.get(1), 12u);
  std::size_t n = 0;
  m.for_each([&](const uint64_t& k, const uint64_t&) {
    ++n;
    m.insert(k + 100, 0);
  });
  EXPECT_GE(n, 3u);
}

// Inline storage is the default exactly for trivially copyable K and V of
// at most 8 bytes; padding bytes inside a key do not matter (Eq decides).
static_assert(HopscotchMap<uint64_t, uint64_t>::inline_entries);
static_assert(HopscotchMap<uint32_t, double>::inline_entries);
static_assert(!HopscotchMap<heap_key, tracked, heap_key::hash>::inline_entries);
static_assert(!HopscotchMap<uint64_t, std::string>::inline_entries);

struct padded_key {
  uint32_t a;
  uint16_t b;  // then 2 padding bytes
  bool operator==(const padded_key& o) const noexcept { return a == o.a && b == o.b; }
};
static_assert(sizeof(padded_key) == 8);
struct padded_key_hash {
  uint64_t operator()(const padded_key& k) const noexcept { return fixed_hash{}((uint64_t{k.a} << 16) | k.b); }
};

TEST(HopscotchMapInline, SmallStructKeysAndFloatingValues) {
  HopscotchMap<padded_key, double, padded_key_hash> m;
  static_assert(decltype(m)::inline_entries);
  for (uint32_t i = 0; i < 20000; ++i) {
    padded_key k;
    std::memset(&k, static_cast<int>(i & 0xff), sizeof k);  // garbage in the padding
    k.a = i;
    k.b = static_cast<uint16_t>(i * 7);
    ASSERT_TRUE(m.insert_if_absent(k, i + 0.5));
  }
  for (uint32_t i = 0; i < 20000; ++i) {
    const padded_key k{i, static_cast<uint16_t>(i * 7)};  // zero padding
    ASSERT_EQ(m.get(k), i + 0.5) << i;
    if (i % 2) {
      ASSERT_TRUE(m.remove(k));
    }
  }
  EXPECT_EQ(m.size(), 10000u);
  double sum = 0;
  std::size_t n = 0;
  m.for_each([&](const padded_key& k, const double& v) {
    EXPECT_EQ(k.a % 2, 0u);
    EXPECT_EQ(v, k.a + 0.5);
    sum += v;
    ++n;
  });
  EXPECT_EQ(n, 10000u);
  EXPECT_EQ(sum, 10000 * 0.5 + 9999.0 * 10000);  // the even i, each + 0.5
}

TEST(HopscotchMapNodes, HeapKeysAndValuesAreCountedExactly) {
  ASSERT_EQ(threadmap::epoch::synchronize(), 0u);
  const long keys0 = heap_key::live(), vals0 = tracked::live();
  {
    HopscotchMap<heap_key, tracked, heap_key::hash> m;
    for (uint64_t i = 0; i < 5000; ++i) m.insert(heap_key(i), tracked(i));
    for (uint64_t i = 0; i < 5000; i += 2) m.insert(heap_key(i), tracked(i + 1));
    for (uint64_t i = 0; i < 5000; i += 3) m.remove(heap_key(i));
    for (uint64_t i = 1; i < 5000; i += 6) ASSERT_TRUE(m.take(heap_key(i)));
    for (uint64_t i = 0; i < 1000; ++i)
      m.compute(heap_key(i), [&](compute_entry<tracked>& e) { e.assign(tracked(e.exists() ? e.value().get() : 0)); });
    ASSERT_EQ(m.get(heap_key(4))->get(), 5u);
    for (uint64_t i = 0; i < 4900; ++i) m.remove(heap_key(i));
    m.clear();
    for (uint64_t i = 0; i < 300; ++i) m.insert(heap_key(i), tracked(i));
  }
  EXPECT_EQ(threadmap::epoch::synchronize(), 0u);
  EXPECT_EQ(heap_key::live(), keys0);
  EXPECT_EQ(tracked::live(), vals0);
}

}  // namespace
