// threadmap/detail/block_cache.hpp: a per-thread cache of freed memory
// blocks of one size, for the nodes of the lock-free engines (LockFreeMap,
// and HopscotchMap with node storage).
//
// Why: each write of those engines allocates a node and retires the one it
// replaced, and the epoch collector frees retired nodes in batches of
// epoch::collect_batch (128). glibc's per-thread cache keeps 7 blocks of a
// size, so most of each batch goes down malloc's slower paths (_int_free,
// then _int_malloc for the next nodes): a quarter of the samples of JS
// `set` on a LockFreeMap (bench/RESULTS.md, "Lock-free engines"). Here each
// thread keeps up to `capacity` freed blocks of each size on a list of its
// own and takes new nodes from it first: a pop and a push.
//
// Threads: a list belongs to one thread (thread_local): no synchronization.
// A block may be freed on another thread than the one that allocated it
// (the deleters of retired nodes run on whichever thread collects); it then
// joins that thread's list, which is fine: a freed block is plain memory.
// When a thread exits, its list goes back to the allocator; a block freed
// by that thread after that (from another thread_local's destructor) goes
// straight to the allocator too.
//
// Under AddressSanitizer nothing is cached, so that a use of a freed node
// is still reported.
#pragma once

#include <cstddef>
#include <new>

namespace threadmap::detail {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool block_cache_enabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool block_cache_enabled = false;
#else
inline constexpr bool block_cache_enabled = true;
#endif
#else
inline constexpr bool block_cache_enabled = true;
#endif

// Empties, at thread exit, every block_cache the thread has put a block
// in (one object per thread for all sizes: GCC 12 cannot give a class
// template's thread_local members destructors in more than one
// specialization per file). A thread using more than 8 sizes caches only
// the first 8.
struct block_cache_releaser {
  void (*release[8])() noexcept = {};
  unsigned n = 0;
  bool add(void (*f)() noexcept) noexcept {
    if (n == 8) return false;
    release[n++] = f;
    return true;
  }
  ~block_cache_releaser();
};
inline thread_local block_cache_releaser tl_block_cache_releaser;
// Set once the thread's releaser has run (trivially destructible, so still
// readable later in the thread's exit): a block_cache first used after
// that caches nothing.
inline thread_local bool tl_block_cache_released = false;
inline block_cache_releaser::~block_cache_releaser() {
  tl_block_cache_released = true;
  for (unsigned i = 0; i < n; ++i) release[i]();
}

template <std::size_t Size, std::size_t Align>
class block_cache {
  struct block {
    block* next;
  };
  static_assert(Size >= sizeof(block) && Align >= alignof(block), "a freed block holds a list link");

  // Trivially destructible, constant-initialized: reached from the hot path
  // without a thread_local init check.
  struct list {
    block* head = nullptr;
    std::size_t count = 0;
    bool armed = false;   // release_all is registered with this thread's releaser
    bool closed = false;  // this thread is exiting (or out of releaser room): cache nothing more
  };
  static inline thread_local list tl_list;

  // At thread exit (block_cache_releaser): the list back to the allocator.
  static void release_all() noexcept {
    list& l = tl_list;
    l.closed = true;
    while (block* b = l.head) {
      l.head = b->next;
      release(b);
    }
    l.count = 0;
  }

  static void release(void* p) noexcept {
    if constexpr (Align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
      ::operator delete(p, std::align_val_t(Align));
    } else {
      ::operator delete(p);
    }
  }

 public:
  // Blocks kept per thread: 64 KiB worth, and at least 16.
  static constexpr std::size_t capacity = block_cache_enabled ? (Size * 16 > 65536 ? 16 : 65536 / Size) : 0;

  static void* allocate() {
    list& l = tl_list;
    if (block* b = l.head) {
      l.head = b->next;
      --l.count;
      return b;
    }
    if constexpr (Align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
      return ::operator new(Size, std::align_val_t(Align));
    } else {
      return ::operator new(Size);
    }
  }

  static void deallocate(void* p) noexcept {
    list& l = tl_list;
    if (l.count >= capacity || l.closed) {
      release(p);
      return;
    }
    if (!l.armed) {  // the first block this thread caches of this size
      l.armed = true;
      if (tl_block_cache_released || !tl_block_cache_releaser.add(&release_all)) {  // add: also registers its destructor
        l.closed = true;
        release(p);
        return;
      }
    }
    l.head = ::new (p) block{l.head};
    ++l.count;
  }

  // This thread's cached blocks (for tests).
  static std::size_t cached() noexcept { return tl_list.count; }
};

// For a node type T's class-specific allocation functions:
//   static void* operator new(std::size_t) { return detail::cached_new<node>(); }
//   static void operator delete(void* p) noexcept { detail::cached_delete<node>(p); }
template <class T>
void* cached_new() {
  return block_cache<sizeof(T), alignof(T)>::allocate();
}
template <class T>
void cached_delete(void* p) noexcept {
  block_cache<sizeof(T), alignof(T)>::deallocate(p);
}

}  // namespace threadmap::detail
