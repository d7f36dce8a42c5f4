// threadmap/detail/config.hpp: build-wide constants and the precondition macro.
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <thread>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define THREADMAP_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define THREADMAP_PAUSE() asm volatile("yield" ::: "memory")
#else
#define THREADMAP_PAUSE() ((void)0)
#endif

// Requires: preconditions of internal functions, checked in debug builds
// (NDEBUG unset) and compiled out in release builds.
#define THREADMAP_REQUIRE(cond) assert(cond)

// Reads that race with writers by design (DashMap's optimistic reads, a
// seqlock: their results are thrown away unless no writer ran) are hidden
// from ThreadSanitizer between these two marks; everything else it checks.
// The stress tests check what those reads return (dash_map_stress_test.cpp).
#if defined(__SANITIZE_THREAD__)
#define THREADMAP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define THREADMAP_TSAN 1
#endif
#endif
#ifdef THREADMAP_TSAN
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#define THREADMAP_IGNORE_READS_BEGIN() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define THREADMAP_IGNORE_READS_END() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
// The seqlock's fences order exactly those hidden reads (and the writes they
// race with); ThreadSanitizer does not model fences (GCC warns, -Wtsan).
// Under it they are compiler-only fences, which on x86 is what release and
// acquire fences compile to anyway. The same macro makes the full fences
// between plain stores that unlink memory and its epoch retirement
// (DashMap's tables, HopscotchMap's nodes and tables): ThreadSanitizer
// cannot check those either way.
#define THREADMAP_SEQLOCK_FENCE(order) std::atomic_signal_fence(order)
#else
#define THREADMAP_SEQLOCK_FENCE(order) std::atomic_thread_fence(order)
#define THREADMAP_IGNORE_READS_BEGIN() ((void)0)
#define THREADMAP_IGNORE_READS_END() ((void)0)
#endif

namespace threadmap::detail {

// One cache line. Shards are aligned to it so that two shards' locks never
// share a line (false sharing would make readers of different shards
// invalidate each other).
inline constexpr std::size_t cache_line = 64;

// The hardware thread count (at least 1), read once per process: glibc's
// std::thread::hardware_concurrency() opens and reads
// /sys/devices/system/cpu/online on every call, which was more than half of
// the 23-31 us that creating a DashMap took from JS (bench/RESULTS.md,
// "Creating a map"). It only sizes shard counts and lock slots, so a count fixed at
// first use is enough.
inline unsigned hardware_threads() noexcept {
  static const unsigned n = std::max(1u, std::thread::hardware_concurrency());
  return n;
}

}  // namespace threadmap::detail
