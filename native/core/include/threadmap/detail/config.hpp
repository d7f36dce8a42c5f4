// threadmap/detail/config.hpp: build-wide constants and the precondition macro.
#pragma once

#include <cassert>
#include <cstddef>

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

namespace threadmap::detail {

// One cache line. Shards are aligned to it so that two shards' locks never
// share a line (false sharing would make readers of different shards
// invalidate each other).
inline constexpr std::size_t cache_line = 64;

}  // namespace threadmap::detail
