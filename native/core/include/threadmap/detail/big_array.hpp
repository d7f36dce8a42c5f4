// threadmap/detail/big_array.hpp: zeroed memory for a table's slot array.
//
// A resize writes every word of a fresh array that may be tens of MiB.
// From malloc, such an array comes from mmap and then costs a page fault
// per 4 KiB on first write (trap, accounting, zeroing), taken one after
// another inside the resize while other writers wait. On Linux a big
// array is mapped with MAP_POPULATE instead: the kernel supplies every
// page, zeroed, in the one call. Smaller arrays come from aligned_alloc
// and are cleared with memset.
//
// (Transparent huge pages were tried for big arrays as well: on the
// benchmark machine they made single-thread resizes slower and two-thread
// runs erratic; see bench/RESULTS.md.)
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "config.hpp"

namespace threadmap::detail {

inline constexpr std::size_t big_array_threshold = std::size_t{1} << 22;  // 4 MiB

// Owns `bytes` bytes of zeroed memory, aligned to a cache line (to a page
// when big). Throws std::bad_alloc.
class zeroed_array {
 public:
  explicit zeroed_array(std::size_t bytes) : bytes_(bytes) {
#if defined(__linux__) && defined(MAP_POPULATE)
    if (mapped()) {
      p_ = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
      if (p_ == MAP_FAILED) throw std::bad_alloc();
      return;
    }
#endif
    p_ = std::aligned_alloc(cache_line, (bytes + cache_line - 1) / cache_line * cache_line);
    if (!p_) throw std::bad_alloc();
    std::memset(p_, 0, bytes);
  }
  ~zeroed_array() {
#if defined(__linux__) && defined(MAP_POPULATE)
    if (mapped()) {
      munmap(p_, bytes_);
      return;
    }
#endif
    std::free(p_);
  }
  zeroed_array(const zeroed_array&) = delete;
  zeroed_array& operator=(const zeroed_array&) = delete;

  void* get() const noexcept { return p_; }

 private:
  bool mapped() const noexcept { return bytes_ >= big_array_threshold; }
  std::size_t bytes_;
  void* p_ = nullptr;
};

}  // namespace threadmap::detail
