// threadmap/detail/flat_table.hpp: the open-addressing table inside one shard.
//
// Not synchronized: every member assumes the caller holds the owning shard's
// lock (shared for const members, exclusive for the others). DashMap is the
// only user and takes those locks; nothing here knows about threads.
//
// Layout (one allocation, `capacity` a power of two, at least 16):
//
//   struct {
//     int8_t ctrl[capacity];      // one control byte per slot
//     slot   slots[capacity];     // struct slot { K key; V value; }
//   };
//
// A control byte is kEmpty (0x80), kDeleted (0xFE, a tombstone) or, for a
// full slot, the low 7 bits of the key's hash ("h2", 0..127). Slots are
// grouped by 16; a lookup loads a group's 16 control bytes at once and
// compares them all with h2 (SSE2 where available), so it touches the key
// of a slot only when 7 hash bits already match (a false match rate of
// 1/128 per full slot).
//
// Probing: the group index comes from hash bits 7.. (h1); groups are probed
// in triangular order g, g+1, g+3, g+6, ... which visits every group of a
// power-of-two table. A lookup stops at the first group that has an empty
// slot. The top bits of the hash are left to the caller (DashMap uses them
// to pick the shard), so tables of up to 2^(57 - shard bits) slots stay
// independent of the shard choice.
//
// Erase: a slot becomes kEmpty if its group already has an empty slot (no
// probe goes past such a group, so none can depend on this slot), otherwise
// kDeleted. Tombstones count against growth; a table whose growth budget
// runs out rehashes in place when at most 7/16 of it is live, and doubles
// otherwise. Maximum load: 7/8.
//
// Costs: find, insert and erase are O(1) expected; a rehash is O(capacity)
// and happens under the shard's exclusive lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

#include "config.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace threadmap::detail {

inline constexpr int8_t ctrl_empty = static_cast<int8_t>(0x80);
inline constexpr int8_t ctrl_deleted = static_cast<int8_t>(0xFE);
inline constexpr std::size_t group_width = 16;

inline uint8_t hash_h2(uint64_t h) noexcept { return static_cast<uint8_t>(h & 0x7F); }
inline uint64_t hash_h1(uint64_t h) noexcept { return h >> 7; }

// A bit mask over the 16 slots of a group; iterate with `for (i : mask)`.
class bit_mask {
 public:
  explicit bit_mask(uint32_t bits) noexcept : bits_(bits) {}
  explicit operator bool() const noexcept { return bits_ != 0; }
  unsigned lowest() const noexcept { return static_cast<unsigned>(__builtin_ctz(bits_)); }
  bit_mask begin() const noexcept { return *this; }
  bit_mask end() const noexcept { return bit_mask(0); }
  unsigned operator*() const noexcept { return lowest(); }
  bit_mask& operator++() noexcept {
    bits_ &= bits_ - 1;
    return *this;
  }
  bool operator!=(const bit_mask& o) const noexcept { return bits_ != o.bits_; }

 private:
  uint32_t bits_;
};

class group {
 public:
  explicit group(const int8_t* ctrl) noexcept {
#if defined(__SSE2__)
    v_ = _mm_load_si128(reinterpret_cast<const __m128i*>(ctrl));
#else
    std::memcpy(b_, ctrl, group_width);
#endif
  }
  bit_mask match(uint8_t h2) const noexcept {
#if defined(__SSE2__)
    return bit_mask(static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_set1_epi8(static_cast<char>(h2)), v_))));
#else
    return scalar([h2](int8_t c) { return c == static_cast<int8_t>(h2); });
#endif
  }
  bit_mask match_empty() const noexcept {
#if defined(__SSE2__)
    return bit_mask(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_set1_epi8(ctrl_empty), v_))));
#else
    return scalar([](int8_t c) { return c == ctrl_empty; });
#endif
  }
  // Empty and deleted are the only control bytes with the sign bit set.
  bit_mask match_free() const noexcept {
#if defined(__SSE2__)
    return bit_mask(static_cast<uint32_t>(_mm_movemask_epi8(v_)));
#else
    return scalar([](int8_t c) { return c < 0; });
#endif
  }
  bit_mask match_full() const noexcept { return bit_mask(~match_free_bits() & 0xFFFFu); }

 private:
  uint32_t match_free_bits() const noexcept {
#if defined(__SSE2__)
    return static_cast<uint32_t>(_mm_movemask_epi8(v_));
#else
    uint32_t m = 0;
    for (unsigned i = 0; i < group_width; ++i) m |= (b_[i] < 0 ? 1u : 0u) << i;
    return m;
#endif
  }
#if defined(__SSE2__)
  __m128i v_;
#else
  template <class P>
  bit_mask scalar(P p) const noexcept {
    uint32_t m = 0;
    for (unsigned i = 0; i < group_width; ++i) m |= (p(b_[i]) ? 1u : 0u) << i;
    return bit_mask(m);
  }
  int8_t b_[group_width];
#endif
};

// Where a table's memory is, for callers that want to start its cache
// misses before they hold the table's lock (DashMap: a shard's lock line
// and its table's lines then load in parallel, and the lock is held for a
// probe of cached lines instead of a trip to memory). Written by the table
// only when it (re)allocates, under its owner's exclusive lock; read with
// no lock at all, so both fields are relaxed atomics. A reader may pair a
// new `mem` with an old `capacity` or read a table that is freed a moment
// later: the result only feeds prefetch instructions, which never fault and
// change nothing but the cache. Keep it off lines written per operation
// (DashMap keeps the hints of all shards in an array of their own), so that
// it stays shared in every core's cache.
struct table_hint {
  std::atomic<const char*> mem{nullptr};
  std::atomic<std::size_t> capacity{0};
};

template <class K, class V>
class flat_table {
 public:
  struct slot {
    K key;
    V value;
  };

  flat_table() noexcept = default;
  flat_table(const flat_table&) = delete;
  flat_table& operator=(const flat_table&) = delete;
  ~flat_table() { release(); }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  // Bytes of the table's own allocation (not memory owned by keys or values).
  std::size_t allocated_bytes() const noexcept { return capacity_ ? bytes_for(capacity_) : 0; }

  // Publishes this table's memory to `hint` from now on (nullptr: stop).
  // Requires: the owner's exclusive lock, or the table not shared yet.
  void attach_hint(table_hint* hint) noexcept {
    hint_ = hint;
    publish_hint();
  }

  // Starts loading the control bytes and slots of h's first probe group in
  // the table `hint` describes. Needs no lock (see table_hint).
  static void prefetch(const table_hint& hint, uint64_t h) noexcept {
    // relaxed: a hint; a stale or torn pair only prefetches the wrong lines.
    const char* mem = hint.mem.load(std::memory_order_relaxed);
    const std::size_t cap = hint.capacity.load(std::memory_order_relaxed);
    // A torn pair may show a table's memory with the capacity 0 of no table
    // (first allocation, or clear): the mask would then be all ones.
    if (!mem || cap < group_width) return;
    const std::size_t g = hash_h1(h) & ((cap / group_width) - 1);
    __builtin_prefetch(mem + g * group_width);
    prefetch_group_slots(reinterpret_cast<const slot*>(mem + slots_offset(cap)), g);
  }

  // The slot holding `key`, or nullptr.
  template <class KeyLike, class Eq>
  slot* find(const KeyLike& key, uint64_t h, const Eq& eq) const noexcept(noexcept(eq(key, key))) {
    if (size_ == 0) return nullptr;
    const uint8_t h2 = hash_h2(h);
    const std::size_t groups_mask = (capacity_ / group_width) - 1;
    std::size_t g = hash_h1(h) & groups_mask;
    slot* const slots_begin = slots();
    {
      // Start fetching the first group's slots now, so that their cache miss
      // overlaps the control bytes' instead of following it (in a table
      // larger than the cache, a lookup is two misses: ctrl, then slot).
      prefetch_group_slots(slots_begin, g);
    }
    for (std::size_t step = 1;; ++step) {
      const std::size_t base = g * group_width;
      group grp(ctrl_ + base);
      for (unsigned i : grp.match(h2)) {
        slot* s = slots_begin + base + i;
        if (eq(s->key, key)) return s;
      }
      if (grp.match_empty()) return nullptr;
      g = (g + step) & groups_mask;
    }
  }

  // Inserts a key known to be absent. May rehash (which moves every slot:
  // slot pointers taken before are invalid after). Returns the new slot.
  template <class Hash, class KArg, class VArg>
  slot* insert_unique(uint64_t h, const Hash& hash, KArg&& key, VArg&& value) {
    std::size_t idx = find_free(h);
    if (ctrl_[idx] == ctrl_empty && growth_left_ == 0) {
      rehash_for_growth(hash);
      idx = find_free(h);
    }
    slot* s = slots() + idx;
    ::new (static_cast<void*>(s)) slot{K(std::forward<KArg>(key)), V(std::forward<VArg>(value))};
    if (ctrl_[idx] == ctrl_empty) --growth_left_;
    ctrl_[idx] = static_cast<int8_t>(hash_h2(h));
    ++size_;
    return s;
  }

  // Erases a full slot (from find or for_each).
  void erase(slot* s) noexcept {
    const std::size_t idx = static_cast<std::size_t>(s - slots());
    THREADMAP_REQUIRE(idx < capacity_ && ctrl_[idx] >= 0);
    s->~slot();
    group grp(ctrl_ + (idx & ~(group_width - 1)));
    if (grp.match_empty()) {
      ctrl_[idx] = ctrl_empty;
      ++growth_left_;
    } else {
      ctrl_[idx] = ctrl_deleted;
    }
    --size_;
  }

  // Calls f(slot&) for every full slot. f may erase the slot it is given.
  template <class F>
  void for_each(F&& f) {
    for (std::size_t base = 0; base < capacity_; base += group_width) {
      for (unsigned i : group(ctrl_ + base).match_full()) f(slots()[base + i]);
    }
  }
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t base = 0; base < capacity_; base += group_width) {
      for (unsigned i : group(ctrl_ + base).match_full()) f(static_cast<const slot&>(slots()[base + i]));
    }
  }

  // Makes room for n elements without rehash.
  template <class Hash>
  void reserve(std::size_t n, const Hash& hash) {
    if (n <= size_ + growth_left_) return;
    rehash(capacity_for(n), hash);
  }

  // Destroys every element and frees the table.
  void clear() noexcept { release(); }

  static std::size_t capacity_for(std::size_t n) noexcept {
    std::size_t cap = group_width;
    while (cap - cap / 8 < n) cap *= 2;
    return cap;
  }

 private:
  static std::size_t slots_offset(std::size_t cap) noexcept {
    return (cap + alignof(slot) - 1) / alignof(slot) * alignof(slot);
  }
  static std::size_t bytes_for(std::size_t cap) noexcept { return slots_offset(cap) + cap * sizeof(slot); }
  static constexpr std::size_t alloc_align = alignof(slot) > group_width ? alignof(slot) : group_width;

  // The first free (empty or deleted) slot on h's probe sequence.
  // Requires: the table has a free slot (true whenever capacity_ > 0, since
  // the load never exceeds 7/8).
  std::size_t find_free(uint64_t h) {
    if (capacity_ == 0) rehash_to_empty(group_width);
    const std::size_t groups_mask = (capacity_ / group_width) - 1;
    std::size_t g = hash_h1(h) & groups_mask;
    for (std::size_t step = 1;; ++step) {
      const std::size_t base = g * group_width;
      if (auto m = group(ctrl_ + base).match_free()) return base + m.lowest();
      g = (g + step) & groups_mask;
    }
  }

  template <class Hash>
  void rehash_for_growth(const Hash& hash) {
    // Many tombstones and few live slots: rebuild at the same size.
    if (size_ <= capacity_ / 16 * 7) {
      rehash(capacity_, hash);
    } else {
      rehash(capacity_ * 2, hash);
    }
  }

  void rehash_to_empty(std::size_t cap) {
    THREADMAP_REQUIRE(capacity_ == 0);
    allocate(cap);
  }

  template <class Hash>
  void rehash(std::size_t new_cap, const Hash& hash) {
    int8_t* old_ctrl = ctrl_;
    slot* old_slots = slots();
    const std::size_t old_cap = capacity_;
    const std::size_t old_size = size_;
    allocate(new_cap);  // strong guarantee: throws before anything moved
    for (std::size_t base = 0; base < old_cap; base += group_width) {
      for (unsigned i : group(old_ctrl + base).match_full()) {
        slot* from = old_slots + base + i;
        const uint64_t h = hash(from->key);
        const std::size_t idx = find_free(h);
        // Moves of K and V must not throw (static_assert in DashMap).
        ::new (static_cast<void*>(slots() + idx)) slot{std::move(from->key), std::move(from->value)};
        from->~slot();
        ctrl_[idx] = static_cast<int8_t>(hash_h2(h));
      }
    }
    size_ = old_size;
    growth_left_ -= old_size;
    if (old_ctrl) ::operator delete(old_ctrl, std::align_val_t(alloc_align));
  }

  void allocate(std::size_t cap) {
    void* mem = ::operator new(bytes_for(cap), std::align_val_t(alloc_align));
    ctrl_ = static_cast<int8_t*>(mem);
    std::memset(ctrl_, static_cast<unsigned char>(ctrl_empty), cap);
    capacity_ = cap;
    size_ = 0;
    growth_left_ = cap - cap / 8;
    publish_hint();
  }

  void publish_hint() noexcept {
    if (!hint_) return;
    hint_->mem.store(reinterpret_cast<const char*>(ctrl_), std::memory_order_relaxed);
    hint_->capacity.store(capacity_, std::memory_order_relaxed);
  }

  void release() noexcept {
    if (!ctrl_) return;
    if constexpr (!std::is_trivially_destructible_v<slot>) {
      for_each([](slot& s) { s.~slot(); });
    }
    ::operator delete(ctrl_, std::align_val_t(alloc_align));
    ctrl_ = nullptr;
    capacity_ = size_ = growth_left_ = 0;
    publish_hint();
  }

  static void prefetch_group_slots(const slot* slots, std::size_t g) noexcept {
    const char* p = reinterpret_cast<const char*>(slots + g * group_width);
    for (std::size_t off = 0; off < group_width * sizeof(slot); off += cache_line) __builtin_prefetch(p + off);
  }

  // The slots follow the control bytes in the same allocation (computed, not
  // stored: the header must fit beside the shard lock in one cache line).
  slot* slots() const noexcept { return reinterpret_cast<slot*>(ctrl_ + slots_offset(capacity_)); }

  int8_t* ctrl_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  std::size_t growth_left_ = 0;  // empty slots that may still be filled before a rehash
  table_hint* hint_ = nullptr;
};

}  // namespace threadmap::detail
