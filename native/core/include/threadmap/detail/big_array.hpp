// threadmap/detail/big_array.hpp: zeroed memory for a table's slot array.
//
// A resize writes every word of a fresh array that may be tens of MiB.
// From malloc, such an array comes from mmap and then costs a page fault
// per 4 KiB on first write (trap, accounting, zeroing), taken one after
// another inside the resize while other writers wait. On Linux a big
// array is mapped on a 2 MiB boundary, advised MADV_HUGEPAGE (transparent
// huge pages, where the system allows them for advised memory) and
// populated in one call (MADV_POPULATE_WRITE): the kernel supplies every
// page, zeroed, at once, and with huge pages there are 512 times fewer of
// them to map and to miss in the TLB. Smaller arrays come from
// aligned_alloc and are cleared with memset.
//
// Measured (bench/RESULTS.md, "Lock-free engines", with the command): on
// the AMD machine of 2026-12-04, against 4 KiB pages populated by
// MAP_POPULATE, HopscotchMap's RapidGrow ran 25-30% faster at 1 thread and
// 40-75% faster at 2 (3 alternated rounds); on the Intel machine of
// 2026-12-03 the same mapping made single-thread resizes slower (7.5
// against 11 Mops/s). Where the kernel has no MADV_POPULATE_WRITE (before
// Linux 5.14), the pages fault in on first write.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "config.hpp"

namespace threadmap::detail {

inline constexpr std::size_t big_array_threshold = std::size_t{1} << 22;  // 4 MiB

// Has the kernel supply every whole page inside [p, p + bytes) now, in one
// call (MADV_POPULATE_WRITE), instead of one page fault per 4 KiB as the
// pages are first written. Pages already there stay as they are (their
// contents too). For memory about to be written all over, such as a table
// that a rehash is about to fill: on this project's virtual machines a
// page fault costs microseconds, and two threads faulting at once wait for
// each other in the kernel. Returns 0, or the errno of a refusal (EINVAL: a
// kernel before Linux 5.14; ENOMEM: no memory for the pages), after which
// the pages fault in on first write as they would have anyway. Does
// nothing and returns 0 where the call does not exist.
inline int populate_pages(void* p, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + page - 1) & ~(page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(page - 1);
  if (end > begin && madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE) != 0) return errno;
#else
  (void)p;
  (void)bytes;
#endif
  return 0;
}

// Owns `bytes` bytes of zeroed memory, aligned to a cache line (to 2 MiB
// when big). Throws std::bad_alloc.
class zeroed_array {
 public:
  explicit zeroed_array(std::size_t bytes) : bytes_(bytes) {
#if defined(__linux__)
    if (mapped()) {
      const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
      bytes_ = (bytes + page - 1) / page * page;  // what munmap takes back
      p_ = map_huge_aligned(bytes_);
      return;
    }
#endif
    p_ = std::aligned_alloc(cache_line, (bytes + cache_line - 1) / cache_line * cache_line);
    if (!p_) throw std::bad_alloc();
    std::memset(p_, 0, bytes);
  }
  ~zeroed_array() {
#if defined(__linux__)
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

#if defined(__linux__)
  // `bytes` (a whole number of pages) of zeroed memory starting on a 2 MiB
  // boundary, advised for huge pages and populated. Throws std::bad_alloc.
  static void* map_huge_aligned(std::size_t bytes) {
    constexpr std::size_t huge = std::size_t{2} << 20;
    void* raw = mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    // Keep [aligned, aligned + bytes); give back the pages before and after.
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = (start + huge - 1) & ~(std::uintptr_t{huge} - 1);
    if (aligned > start) munmap(raw, aligned - start);
    if (const std::size_t after = huge - (aligned - start)) munmap(reinterpret_cast<void*>(aligned + bytes), after);
    void* p = reinterpret_cast<void*>(aligned);
    madvise(p, bytes, MADV_HUGEPAGE);  // a hint: refused (THP off), the pages stay 4 KiB
    if (const int refused = populate_pages(p, bytes); refused != 0 && refused != EINVAL) {  // EINVAL: fault lazily
      munmap(p, bytes);
      throw std::bad_alloc();
    }
    return p;
  }
#endif

  std::size_t bytes_;
  void* p_ = nullptr;
};

}  // namespace threadmap::detail
