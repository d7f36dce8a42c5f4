// threadmap/detail/striped_counter.hpp: an entry count that writers on
// different threads update without sharing a cache line.
//
// Layout: `stripes` cache-line-sized signed counters. A thread adds to the
// stripe of its epoch record index (threadmap::epoch::guard::thread_index),
// so two live threads collide only when their indices are equal modulo
// the stripe count. A stripe may go negative (an entry inserted by one
// thread, removed by another); the sum is the count.
//
// Costs: add is one relaxed fetch_add on a line the thread mostly owns;
// sum reads every stripe. The sum is exact when no add runs concurrently,
// otherwise a value the count had at some moment only if the adds are
// ordered with the reads (they are not): callers use it as an estimate
// under concurrency and as the exact size when quiescent.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "config.hpp"

namespace threadmap::detail {

class striped_counter {
 public:
  static constexpr std::size_t stripes = 8;

  // Adds delta to the stripe of thread `index`; returns that stripe's new
  // value (callers use it to decide, every so often, to read the sum).
  // Wait-free.
  int64_t add(std::size_t index, int64_t delta) noexcept {
    // relaxed: the count orders nothing; the map's own CAS publishes the change it counts.
    return stripe_[index & (stripes - 1)].v.fetch_add(delta, std::memory_order_relaxed) + delta;
  }
  // The sum of the stripes, clamped at zero. Wait-free.
  std::size_t sum() const noexcept {
    int64_t s = 0;
    // relaxed: an estimate under concurrency, exact when quiescent (the
    // caller's join or other synchronisation orders the last adds first).
    for (const auto& x : stripe_) s += x.v.load(std::memory_order_relaxed);
    return s > 0 ? static_cast<std::size_t>(s) : 0;
  }

 private:
  struct alignas(cache_line) cell {
    std::atomic<int64_t> v{0};
  };
  cell stripe_[stripes];
};

}  // namespace threadmap::detail
