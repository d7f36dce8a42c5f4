// The epoch reclamation scheme (threadmap/epoch.hpp) on its own:
//
//   RetiredObjectsAreFreedInBatches     retire, then synchronize frees all
//   PinnedThreadHoldsBackOnlyWhilePinned a pinned thread stops frees; its
//                                       unpin lets them through
//   NestedGuardsPinOnce                 inner guards do not unpin early
//   ExitingThreadHandsOverItsGarbage    garbage of an exited thread is freed
//                                       by another (orphans adopted)
//   RecordsAreReusedAfterExit           sequential threads share records
//   BigGarbageIsFreedAtTheNextUnpins    a retired table (big_retire_bytes)
//                                       is freed two unpins later, with no
//                                       batch of retirements after it
//   ShortLivedThreadsDoNotStopReclamation
//                                       threads starting, retiring and
//                                       exiting while a long-lived thread
//                                       retires: pending stays bounded
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <threadmap/epoch.hpp>

#include "support.hpp"

namespace {

namespace epoch = threadmap::epoch;

std::atomic<long> freed{0};
struct counted {
  static void del(void* p) {
    delete static_cast<counted*>(p);
    freed.fetch_add(1);
  }
};

TEST(Epoch, RetiredObjectsAreFreedInBatches) {
  ASSERT_EQ(epoch::synchronize(), 0u);
  const long before = freed.load();
  for (int i = 0; i < 1000; ++i) {
    epoch::guard g;
    g.retire(new counted, &counted::del);
  }
  // Batches of collect_batch: most are freed already without asking.
  EXPECT_LE(epoch::stats().pending, 3 * epoch::collect_batch);
  EXPECT_EQ(epoch::synchronize(), 0u);
  EXPECT_EQ(freed.load() - before, 1000);
}

TEST(Epoch, BigGarbageIsFreedAtTheNextUnpins) {
  ASSERT_EQ(epoch::synchronize(), 0u);
  const long before = freed.load();
  {
    epoch::guard g;
    g.retire(new counted, counted::del);  // small: waits for a batch
    g.retire(new counted, counted::del, epoch::big_retire_bytes);
  }
  // Each guard's unpin tries one collection (one advance each, as no other
  // thread is pinned); the second frees both entries.
  for (int i = 0; i < 2; ++i) epoch::guard g;
  EXPECT_EQ(freed.load() - before, 2);
  EXPECT_EQ(epoch::stats().pending, 0u);

  // Below the threshold nothing changes: the entry waits for a batch.
  {
    epoch::guard g;
    g.retire(new counted, counted::del, epoch::big_retire_bytes - 1);
  }
  for (int i = 0; i < 4; ++i) epoch::guard g;
  EXPECT_EQ(freed.load() - before, 2);
  ASSERT_EQ(epoch::synchronize(), 0u);
  EXPECT_EQ(freed.load() - before, 3);
}

TEST(Epoch, PinnedThreadHoldsBackOnlyWhilePinned) {
  ASSERT_EQ(epoch::synchronize(), 0u);
  std::atomic<int> phase{0};
  std::thread reader([&] {
    epoch::guard g;
    phase.store(1);
    while (phase.load() != 2) std::this_thread::yield();
  });
  while (phase.load() != 1) std::this_thread::yield();
  const long before = freed.load();
  for (int i = 0; i < 500; ++i) epoch::retire(new counted, &counted::del);
  EXPECT_EQ(epoch::synchronize(8), 500u);  // the pinned reader holds them
  EXPECT_EQ(freed.load(), before);
  phase.store(2);
  reader.join();
  EXPECT_EQ(epoch::synchronize(), 0u);
  EXPECT_EQ(freed.load() - before, 500);
}

TEST(Epoch, NestedGuardsPinOnce) {
  ASSERT_EQ(epoch::synchronize(), 0u);
  const long before = freed.load();
  std::atomic<int> phase{0};
  std::thread t([&] {
    epoch::guard outer;
    {
      epoch::guard inner;
    }
    phase.store(1);  // still pinned by `outer`
    while (phase.load() != 2) std::this_thread::yield();
  });
  while (phase.load() != 1) std::this_thread::yield();
  epoch::retire(new counted, &counted::del);
  EXPECT_EQ(epoch::synchronize(8), 1u);
  phase.store(2);
  t.join();
  EXPECT_EQ(epoch::synchronize(), 0u);
  EXPECT_EQ(freed.load() - before, 1);
}

TEST(Epoch, ExitingThreadHandsOverItsGarbage) {
  ASSERT_EQ(epoch::synchronize(), 0u);
  const long before = freed.load();
  std::thread([&] {
    for (int i = 0; i < 50; ++i) epoch::retire(new counted, &counted::del);  // below one batch: stays in the bag
  }).join();
  EXPECT_EQ(epoch::stats().orphaned, 50u);
  EXPECT_EQ(epoch::synchronize(), 0u);
  EXPECT_EQ(epoch::stats().orphaned, 0u);
  EXPECT_EQ(freed.load() - before, 50);
}

TEST(Epoch, RecordsAreReusedAfterExit) {
  { epoch::guard g; }
  const std::size_t records = epoch::stats().records;
  for (int i = 0; i < 50; ++i) std::thread([] { epoch::guard g; }).join();
  EXPECT_LE(epoch::stats().records, records + 1);
}

TEST(Epoch, ShortLivedThreadsDoNotStopReclamation) {
  ASSERT_EQ(epoch::synchronize(), 0u);
  const long before = freed.load();
  std::atomic<bool> stop{false};
  std::atomic<long> retired{0};
  std::size_t max_pending = 0;
  std::thread steady([&] {
    while (!stop.load()) {
      epoch::guard g;
      g.retire(new counted, &counted::del);
      retired.fetch_add(1);
    }
  });
  const std::size_t rounds = threadmap_test::scaled(400, 50);
  const uint64_t e0 = epoch::stats().epoch;
  for (std::size_t i = 0; i < rounds; ++i) {
    std::thread([&] {
      for (int j = 0; j < 300; ++j) {
        epoch::guard g;
        g.retire(new counted, &counted::del);
      }
      retired.fetch_add(300);
    }).join();
    max_pending = std::max(max_pending, epoch::stats().pending);
  }
  stop.store(true);
  steady.join();
  EXPECT_GT(epoch::stats().epoch, e0 + rounds / 4) << "the epoch must keep advancing";
  // Well below what was retired: a few batches per live
  // thread, what exited threads left, and what piles up while a preempted
  // thread (2 cores, busy threads, sanitizer runs in parallel) holds the
  // epoch back for a time slice: the steady thread retires millions a
  // second, so one 10 ms slice is 100k+; seen 123k of 723k retired with a
  // sanitizer build running beside it. If reclamation stopped, pending
  // would equal everything retired since it stopped.
  EXPECT_LT(max_pending, 100 * epoch::collect_batch + static_cast<std::size_t>(retired.load()) / 3)
      << "garbage piles up (retired " << retired.load() << ")";
  EXPECT_EQ(epoch::synchronize(), 0u);
  EXPECT_EQ(freed.load() - before, retired.load());
}

}  // namespace
