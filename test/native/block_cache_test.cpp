// The per-thread cache of freed node blocks (threadmap/detail/block_cache.hpp):
//
//   FreedBlocksAreReusedOnTheSameThread  a freed block comes back first
//   KeepsAtMostItsCapacity                the rest goes to the allocator
//   ThreadsKeepTheirOwnBlocks             another thread does not get them
//   ExitingThreadsGiveTheirBlocksBack     1,000 threads that each fill their
//                                         cache and exit: resident memory
//                                         does not grow by what they cached
//   BlocksFreedLateInAnExitAreNotCached   a thread_local destructor that runs
//                                         after the thread's releaser frees
//                                         its block to the allocator
//
// Under AddressSanitizer the cache is off (a use after free must still be
// reported): the tests that need it are skipped there, and
// CachesNothingUnderAddressSanitizer checks that instead.
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <threadmap/detail/block_cache.hpp>

#include "support.hpp"

namespace {

using threadmap::detail::block_cache;
using threadmap::detail::block_cache_enabled;
using cache = block_cache<48, 8>;

void drain() {  // empties this thread's cache of 48-byte blocks
  std::vector<void*> taken;
  while (cache::cached() > 0) taken.push_back(cache::allocate());
  for (void* p : taken) ::operator delete(p);
}

TEST(BlockCache, FreedBlocksAreReusedOnTheSameThread) {
  if (!block_cache_enabled) GTEST_SKIP() << "off under AddressSanitizer";
  drain();
  void* a = cache::allocate();
  void* b = cache::allocate();
  cache::deallocate(a);
  cache::deallocate(b);
  EXPECT_EQ(cache::cached(), 2u);
  EXPECT_EQ(cache::allocate(), b);  // last in, first out
  EXPECT_EQ(cache::allocate(), a);
  EXPECT_EQ(cache::cached(), 0u);
  cache::deallocate(a);
  cache::deallocate(b);
}

TEST(BlockCache, KeepsAtMostItsCapacity) {
  if (!block_cache_enabled) GTEST_SKIP() << "off under AddressSanitizer";
  drain();
  EXPECT_EQ(cache::capacity, 65536u / 48);
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < cache::capacity + 100; ++i) blocks.push_back(cache::allocate());
  for (void* p : blocks) cache::deallocate(p);
  EXPECT_EQ(cache::cached(), cache::capacity);
}

TEST(BlockCache, ThreadsKeepTheirOwnBlocks) {
  if (!block_cache_enabled) GTEST_SKIP() << "off under AddressSanitizer";
  drain();
  void* mine = cache::allocate();
  cache::deallocate(mine);
  void* theirs = nullptr;
  std::size_t theirs_cached = 1;
  std::thread([&] {
    theirs_cached = cache::cached();
    theirs = cache::allocate();
    cache::deallocate(theirs);
  }).join();
  EXPECT_EQ(theirs_cached, 0u) << "a new thread starts with an empty cache";
  EXPECT_NE(theirs, mine) << "my cached block stays mine";
  EXPECT_EQ(cache::allocate(), mine);
  cache::deallocate(mine);
}

TEST(BlockCache, ExitingThreadsGiveTheirBlocksBack) {
  if (!block_cache_enabled) GTEST_SKIP() << "off under AddressSanitizer";
  // Each thread caches a full 64 KiB; kept after exit, 1,000 threads would
  // hold 64 MiB.
  const std::size_t threads = threadmap_test::scaled(1000, 200);
  auto fill = [] {
    std::vector<void*> blocks;
    for (std::size_t i = 0; i < cache::capacity; ++i) blocks.push_back(cache::allocate());
    for (void* p : blocks) cache::deallocate(p);
    if (cache::cached() != cache::capacity) std::abort();
  };
  std::thread(fill).join();  // warm-up: the allocator's own arenas
  const std::size_t before = threadmap_test::process_memory().resident;
  for (std::size_t i = 0; i < threads; ++i) std::thread(fill).join();
  const std::size_t after = threadmap_test::process_memory().resident;
  EXPECT_LT(after, before + threads * 65536 / 4) << "resident " << before << " -> " << after << " bytes";
}

TEST(BlockCache, BlocksFreedLateInAnExitAreNotCached) {
  if (!block_cache_enabled) GTEST_SKIP() << "off under AddressSanitizer";
  using other = block_cache<80, 8>;  // a size this thread has not cached yet
  static std::atomic<long> cached_late{-1};
  std::thread([] {
    struct late {
      ~late() {
        other::deallocate(other::allocate());
        cached_late.store(static_cast<long>(other::cached()));
      }
    };
    thread_local late registered_first;  // destroyed after what is registered later
    (void)&registered_first;
    cache::deallocate(cache::allocate());  // registers the thread's releaser
  }).join();
  EXPECT_EQ(cached_late.load(), 0) << "a block cached after the releaser ran would never be given back";
}

TEST(BlockCache, CachesNothingUnderAddressSanitizer) {
  if (block_cache_enabled) GTEST_SKIP() << "the cache is on in this build";
  EXPECT_EQ(cache::capacity, 0u);
  void* p = cache::allocate();
  cache::deallocate(p);
  EXPECT_EQ(cache::cached(), 0u);
}

}  // namespace
