// LockFreeMap and HopscotchMap with the epoch scheme (one typed suite):
//   NoLeakAfterConcurrentUse   heap keys and values used by several threads,
//                              then the map destroyed: every instance freed
//   ChurnStaysBounded          insert/remove churn with readers and
//                              short-lived threads: pending garbage and RSS
//                              stay bounded, the epoch keeps advancing.
//                              2 s by default (0.5 s under sanitizers);
//                              THREADMAP_CHURN_SECONDS=60 for the full run.
#include <gtest/gtest.h>
#include <threadmap/hopscotch_map.hpp>
#include <threadmap/lock_free_map.hpp>

#include "lockfree_suite.hpp"

namespace {

using threadmap_test::fixed_hash;
using threadmap_test::heap_key;
using threadmap_test::tracked;

struct lock_free {
  template <class K, class V, class H>
  using map = threadmap::LockFreeMap<K, V, H>;
  static constexpr const char* name = "LockFreeMap";
};
struct hopscotch {
  template <class K, class V, class H>
  // Nodes: the storage that retires garbage (inline storage retires only tables).
  using map = threadmap::HopscotchMap<K, V, H, std::equal_to<K>, false>;
  static constexpr const char* name = "HopscotchMap";
};

template <class Family>
class LockFreeReclaim : public ::testing::Test {};
using Families = ::testing::Types<lock_free, hopscotch>;
TYPED_TEST_SUITE(LockFreeReclaim, Families);

TYPED_TEST(LockFreeReclaim, NoLeakAfterConcurrentUse) {
  ASSERT_EQ(threadmap::epoch::synchronize(), 0u);
  const long keys0 = heap_key::live(), vals0 = tracked::live();
  {
    typename TypeParam::template map<heap_key, tracked, heap_key::hash> m;
    threadmap_test::run_together(3, [&](std::size_t t) {
      threadmap_test::rng r(threadmap_test::stream_seed(1, t));
      for (int i = 0; i < 30000; ++i) {
        heap_key k(r.below(3000));
        switch (r.below(4)) {
          case 0: m.insert(k, tracked(i)); break;
          case 1: m.remove(k); break;
          case 2: m.compute(k, [](threadmap::compute_entry<tracked>& e) { e.assign(tracked(1)); }); break;
          default: (void)m.get(k); break;
        }
      }
    });
  }
  EXPECT_EQ(threadmap::epoch::synchronize(), 0u);
  EXPECT_EQ(heap_key::live(), keys0);
  EXPECT_EQ(tracked::live(), vals0);
}

TYPED_TEST(LockFreeReclaim, ChurnStaysBounded) {
  typename TypeParam::template map<uint64_t, uint64_t, fixed_hash> m;
  const double seconds = threadmap_test::churn_seconds_default(threadmap_test::sanitized ? 0.5 : 2.0);
  const auto rep = threadmap_test::churn(m, seconds, 2, 2, 50000);
  threadmap_test::print_churn(TypeParam::name, rep);
  EXPECT_GT(rep.epochs, 10u) << "the epoch must keep advancing";
  EXPECT_GT(rep.short_threads, 0u);
  // Generous: on 2 cores a preempted pinned thread holds the epoch for a time slice.
  EXPECT_LT(rep.max_pending, 1000000u) << "garbage must stay bounded";
  if (!threadmap_test::sanitized) {
    // After warm-up, resident memory must not keep growing (64 MB slack for allocator noise).
    EXPECT_LT(rep.rss_max_after_warm, rep.rss_warm + (64u << 20));
  }
  EXPECT_LE(rep.records, 16u) << "records are reused as threads exit";
  EXPECT_EQ(threadmap::epoch::synchronize(), 0u);
}

}  // namespace
