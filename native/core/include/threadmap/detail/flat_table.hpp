// threadmap/detail/flat_table.hpp: the open-addressing table inside one shard.
//
// Not synchronized: every member assumes the caller holds the owning shard's
// lock (shared for const members, exclusive for the others), except
// dual_table's snapshot() and find_optimistic(), which are for readers that
// hold none and whose owner validates what they read (DashMap's optimistic
// reads). Nothing here takes a lock or knows about threads.
//
// Layout (one allocation, `capacity` a multiple of 16):
//
//   struct {
//     int8_t ctrl[capacity];      // one control byte per slot
//     slot   slots[capacity];     // struct slot { key; value; }
//   };
//
// A control byte is kEmpty (0x80), kDeleted (0xFE, a tombstone) or, for a
// full slot, the low 7 bits of the key's hash ("h2", 0..127). Slots are
// grouped by 16; a lookup loads a group's 16 control bytes at once and
// compares them all with h2 (SSE2 where available), so it touches the key
// of a slot only when 7 hash bits already match (a false match rate of
// 1/128 per full slot).
//
// Probing: the first group comes from hash bits 7..38 (home_group); groups
// are probed linearly from there, wrapping, which visits every group of a
// table of any size. A lookup stops at the first group that has an empty
// slot. The top bits of the hash are left to the caller (DashMap uses them
// to pick the shard), so the choice of group stays independent of the
// shard's.
//
// Erase: a slot becomes kEmpty if its group already has an empty slot (no
// probe goes past such a group, so none can depend on this slot), otherwise
// kDeleted. Tombstones count against growth; a table whose growth budget
// runs out rehashes in place when at most 7/16 of it is live, and otherwise
// grows by 1.4x (rounded up to whole groups). Maximum load: 7/8, so the load
// right after growth is 5/8 and a table is always 5/8 to 7/8 full once it
// has grown (tombstones aside). Why 1.4x and not doubling: memory. With
// doubling a table is 7/16 to 7/8 full and a map of 1M entries that lands
// just past a doubling spends twice the slot size per entry; 1.4x bounds
// that at 1.6x. The price is more rehashing while a table grows from empty:
// each entry is moved 3.5 times on average instead of 2 (bench/RESULTS.md,
// "Growth by 1.4x", has what that costs the RapidGrow mix). Erasures alone
// never move anything; the owner calls shrink_if_sparse after them, which
// rebuilds a table left at most 1/8 full at 7/16 load.
//
// Two tables share this code (table_core below, over a table_header that
// the owner keeps in its shard's cache line):
//   flat_table<K, V>  slots of {K key; V value}; lookups may use any key
//                     type the caller's equality accepts (LockMap's).
//   dual_table<K, V>  DashMap's: while every key of the table packs into a
//                     64-bit word (threadmap::key_packing<K>), slots are
//                     {uint64_t key; V value}; the first key that does not
//                     pack turns the whole table into {K; V} slots for good
//                     (until clear()). For the addon's 16-byte keys holding
//                     numbers and V an 8-byte value, a slot is 16 bytes
//                     instead of 24; with an empty V (a set), 8.
//
// Costs: find, insert and erase are O(1) expected; a rehash (growth, or the
// one-time change of slot layout) is O(capacity) and happens under the
// shard's exclusive lock.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>

#include "big_array.hpp"
#include "config.hpp"
#include "../key_packing.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace threadmap::detail {

inline constexpr int8_t ctrl_empty = static_cast<int8_t>(0x80);
inline constexpr int8_t ctrl_deleted = static_cast<int8_t>(0xFE);
inline constexpr std::size_t group_width = 16;

inline uint8_t hash_h2(uint64_t h) noexcept { return static_cast<uint8_t>(h & 0x7F); }

// h's first probe group in a table of `groups` groups: hash bits 7..38
// scaled to [0, groups) by a multiply and shift, which needs no power of two.
inline std::size_t home_group(uint64_t h, std::size_t groups) noexcept {
  return static_cast<std::size_t>((static_cast<uint64_t>(static_cast<uint32_t>(h >> 7)) * groups) >> 32);
}

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
  std::atomic<std::size_t> capacity{0};  // as table_header::cap: capacity | slot layout bit
};

// A table's fields. Kept by the owner (DashMap and LockMap keep it beside
// the shard lock, in one cache line) and handed to table_core.
struct table_header {
  int8_t* ctrl = nullptr;
  // The capacity (a multiple of 16, or 0) in the high bits and, in bit 0,
  // the layout of the slots (dual_table: 1 while keys are packed).
  std::size_t cap = 0;
  std::size_t size = 0;
  std::size_t growth_left = 0;  // empty slots that may still be filled before a rehash
  table_hint* hint = nullptr;

  std::size_t capacity() const noexcept { return cap & ~std::size_t{1}; }
  std::size_t groups() const noexcept { return cap / group_width; }
};

// The smallest capacity (a multiple of 16) that holds n entries at 7/8 load.
inline std::size_t capacity_for(std::size_t n) {
  if (n > (std::numeric_limits<std::size_t>::max() / 16)) throw std::bad_alloc();
  const std::size_t min_slots = n + (n + 6) / 7;  // ceil(8n / 7)
  const std::size_t cap = (min_slots + group_width - 1) / group_width * group_width;
  return cap < group_width ? group_width : cap;
}

// How many entries each of `shards` tables should make room for so that
// `capacity` random keys spread over them cause no rehash: keys do not split
// evenly (a table's share of them has a standard deviation of about
// sqrt(share)), so each gets 4 of those on top of its even share. Tables are
// sized exactly (not rounded up to a power of two), so without the margin
// the fullest shard would rehash just before the map reaches `capacity`.
inline std::size_t per_shard_reserve(std::size_t capacity, std::size_t shards) noexcept {
  const std::size_t share = capacity / shards + (capacity % shards != 0);
  const std::size_t margin = 4 * static_cast<std::size_t>(std::sqrt(static_cast<double>(share))) + 1;
  // Saturated: a capacity near SIZE_MAX must stay huge (and be refused by
  // the table's sizing), not wrap to a small number.
  return share > std::numeric_limits<std::size_t>::max() - margin ? std::numeric_limits<std::size_t>::max()
                                                                   : share + margin;
}

// The capacity a full table of capacity `cap` grows to: 1.4x, whole groups.
inline std::size_t grown_capacity(std::size_t cap) {
  if (cap > (std::numeric_limits<std::size_t>::max() / 4)) throw std::bad_alloc();
  const std::size_t want = cap + cap / 5 * 2;
  return (want + group_width - 1) / group_width * group_width;
}

// How a table gives its memory back. free_now: at once, which is right for
// an owner whose lock keeps every reader out. An owner whose readers may
// take no lock (DashMap's optimistic reads) passes a policy that defers the
// free until no such reader can be inside (dash_map.hpp).
struct free_now {
  template <std::size_t Align>
  static void free(void* p) noexcept {
    ::operator delete(p, std::align_val_t(Align));
  }
};

}  // namespace threadmap::detail

namespace threadmap {
// What an optimistic read (one that takes no lock: DashMap::read_optimistic,
// dual_table::find_optimistic) found. unavailable: it could not read this
// key or value that way, or a writer got in the way; read under the lock.
enum class optimistic_read : uint8_t { absent, found, unavailable };
}  // namespace threadmap

namespace threadmap::detail {

// The table code, for slots of type S (S::key, S::value, and S::layout, the
// value of table_header::cap's bit 0 for this slot type). All members are
// static and work on the header they are given. Memory is given back
// through Free (see free_now).
template <class S, class Free = free_now>
struct table_core {
  static_assert(S::layout <= 1);

  static S* slots(const table_header& t) noexcept {
    return reinterpret_cast<S*>(t.ctrl + slots_offset(t.capacity()));
  }
  static std::size_t allocated_bytes(const table_header& t) noexcept {
    return t.capacity() ? bytes_for(t.capacity()) : 0;
  }

  // Starts loading the lines of group g's slots in the table at mem.
  static void prefetch_slots(const char* mem, std::size_t cap, std::size_t g) noexcept {
    const char* p = mem + slots_offset(cap) + g * group_width * sizeof(S);
    for (std::size_t off = 0; off < group_width * sizeof(S); off += cache_line) __builtin_prefetch(p + off);
  }

  // The full slot for which match(const S&) holds on h's probe sequence, or
  // nullptr. Bounded: probes each group at most once (for a reader that
  // holds no lock, whose view of the control bytes may have no empty group
  // while writers work: it then reports nullptr and its caller's validation
  // fails or it reads again).
  template <bool Bounded = false, class Match>
  static S* find(const table_header& t, uint64_t h, const Match& match) noexcept(noexcept(match(std::declval<const S&>()))) {
    if (t.size == 0) return nullptr;
    const uint8_t h2 = hash_h2(h);
    const std::size_t groups = t.groups();
    const std::size_t home = home_group(h, groups);
    std::size_t g = home;
    const char* const mem = reinterpret_cast<const char*>(t.ctrl);
    // Start fetching the first group's slots now, so that their cache miss
    // overlaps the control bytes' instead of following it (in a table
    // larger than the cache, a lookup is two misses: ctrl, then slot).
    prefetch_slots(mem, t.capacity(), g);
    S* const slots_begin = slots(t);
    for (;;) {
      const std::size_t base = g * group_width;
      group grp(t.ctrl + base);
      for (unsigned i : grp.match(h2)) {
        S* s = slots_begin + base + i;
        if (match(static_cast<const S&>(*s))) return s;
      }
      if (grp.match_empty()) return nullptr;
      if (++g == groups) g = 0;
      if (Bounded && g == home) return nullptr;
    }
  }

  // Inserts a slot S{args...} for a key known to be absent. May rehash
  // (every slot moves: slot pointers taken before are invalid after); the
  // rehash places slots by slot_hash(const S&). Returns the new slot.
  template <class SlotHash, class... Args>
  static S* insert_unique(table_header& t, uint64_t h, const SlotHash& slot_hash, Args&&... args) {
    std::size_t idx = find_free(t, h);
    if (t.ctrl[idx] == ctrl_empty && t.growth_left == 0) {
      grow(t, slot_hash);
      idx = find_free(t, h);
    }
    S* s = slots(t) + idx;
    ::new (static_cast<void*>(s)) S{std::forward<Args>(args)...};
    if (t.ctrl[idx] == ctrl_empty) --t.growth_left;
    t.ctrl[idx] = static_cast<int8_t>(hash_h2(h));
    ++t.size;
    return s;
  }

  // Erases the full slot at index idx.
  static void erase(table_header& t, std::size_t idx) noexcept {
    THREADMAP_REQUIRE(idx < t.capacity() && t.ctrl[idx] >= 0);
    slots(t)[idx].~S();
    group grp(t.ctrl + (idx & ~(group_width - 1)));
    if (grp.match_empty()) {
      t.ctrl[idx] = ctrl_empty;
      ++t.growth_left;
    } else {
      t.ctrl[idx] = ctrl_deleted;
    }
    --t.size;
  }

  // Calls f(S&, index) for every full slot. f may erase the slot it is given.
  template <class F>
  static void for_each(const table_header& t, F&& f) {
    S* const s = slots(t);
    const std::size_t cap = t.capacity();
    for (std::size_t base = 0; base < cap; base += group_width) {
      for (unsigned i : group(t.ctrl + base).match_full()) f(s[base + i], base + i);
    }
  }

  // Rebuilds t with capacity new_cap and slots of type S from a table of
  // slots of type Src (S itself, or another layout): each full Src slot is
  // hashed by src_hash(const Src&), turned into an S by convert(Src&&) and
  // destroyed. Strong guarantee: throws only before anything moved; both
  // convert and the moves must not throw.
  template <class Src, class SrcHash, class Convert>
  static void rehash_from(table_header& t, std::size_t new_cap, const SrcHash& src_hash, const Convert& convert) {
    const table_header old = t;
    allocate(t, new_cap);
    // A table this rehash will fill at least a quarter full gets every page
    // written (a 4 KiB page holds 256 slots of 16 bytes, and the odds that
    // the rehash puts no entry in a given page are about 0.75^256): have the
    // kernel supply them in one call instead of a page fault each, under the
    // shard lock that the faults were taken under anyway
    // (detail/big_array.hpp). Not for
    // reserve() far beyond the contents, whose untouched pages stay
    // unallocated. A refusal changes nothing: the pages fault in as before.
    // Growing from empty to 1.1M entries (RapidGrow, bench/RESULTS.md,
    // "RapidGrow and freed memory"): DashMap +7-19% at 1 thread, +14-24% at
    // 2, in 3 alternated rounds.
    if (const std::size_t bytes = bytes_for(new_cap); bytes >= populate_threshold && old.size >= new_cap / 4) {
      populate_pages(t.ctrl, bytes);
    }
    S* const to = slots(t);
    Src* const from = table_core<Src, Free>::slots(old);
    // One old group at a time, in two passes: first claim each entry's new
    // slot (control bytes only, which are few and mostly cached) and start
    // loading that slot's line, then move the entries. The moves then write
    // lines already on their way instead of missing one by one.
    std::size_t dest[group_width];
    const std::size_t old_cap = old.capacity();
    for (std::size_t base = 0; base < old_cap; base += group_width) {
      const bit_mask full = group(old.ctrl + base).match_full();
      for (unsigned i : full) {
        const uint64_t h = src_hash(static_cast<const Src&>(from[base + i]));
        const std::size_t idx = find_free(t, h);
        t.ctrl[idx] = static_cast<int8_t>(hash_h2(h));
        dest[i] = idx;
        __builtin_prefetch(to + idx, 1);
      }
      for (unsigned i : full) {
        ::new (static_cast<void*>(to + dest[i])) S(convert(std::move(from[base + i])));
        from[base + i].~Src();
      }
    }
    t.size = old.size;
    t.growth_left -= old.size;
    if (old.ctrl) Free::template free<table_core<Src, Free>::alloc_align>(old.ctrl);
  }

  // Makes room for n entries without a rehash.
  template <class SlotHash>
  static void reserve(table_header& t, std::size_t n, const SlotHash& slot_hash) {
    if (n <= t.size + t.growth_left) return;
    rehash(t, capacity_for(n), slot_hash);
  }

  // After erasures: a table left at most 1/8 full is rebuilt at 7/16 load
  // (room for twice its entries), never below `floor` slots (the owner's
  // reservation) and not at all at 4 groups or fewer. So a map that grew
  // and then lost most of its entries gives the memory back, as one that
  // grows takes it. Amortized O(1) per erasure: a table rebuilt at 7/16 (or
  // grown to 5/8) loses 5/16 of its capacity or more in erasures before it
  // shrinks again, and grows again only after as many inserts. Out of
  // memory keeps the table as it is; the hash must not throw, as in a
  // growth. Slot pointers taken before are invalid after, as after an
  // insert: not while a for_each walks the table.
  template <class SlotHash>
  static void shrink_if_sparse(table_header& t, std::size_t floor, const SlotHash& slot_hash) noexcept {
    const std::size_t cap = t.capacity();
    if (cap <= 4 * group_width || t.size > cap / 8) return;
    try {
      const std::size_t target = std::max(capacity_for(2 * t.size), floor);
      if (target < cap) rehash(t, target, slot_hash);
    } catch (const std::bad_alloc&) {
    }
  }

  // Destroys every slot and frees the table (the layout bit is kept), through
  // Dealloc: Free, or free_now for a table that no reader can reach any more
  // (its owner's destructor).
  template <class Dealloc = Free>
  static void release(table_header& t) noexcept {
    if (!t.ctrl) return;
    if constexpr (!std::is_trivially_destructible_v<S>) {
      for_each(t, [](S& s, std::size_t) { s.~S(); });
    }
    // Unreachable first, retired after (epoch.hpp, "Rules": Dealloc's
    // fence orders these stores before the retirement's tag). Optimistic
    // readers would not use it anyway (the owner's write sequence is odd
    // until it unlocks), but the rule should not rest on that.
    void* const old = t.ctrl;
    t.ctrl = nullptr;
    t.cap = S::layout;
    t.size = t.growth_left = 0;
    publish_hint(t);
    Dealloc::template free<alloc_align>(old);
  }

  static void publish_hint(const table_header& t) noexcept {
    if (!t.hint) return;
    t.hint->mem.store(reinterpret_cast<const char*>(t.ctrl), std::memory_order_relaxed);
    t.hint->capacity.store(t.cap, std::memory_order_relaxed);
  }

  // The allocation and its slot array start on cache lines, so that a
  // group's slots span as few lines as they can (16 slots of 16 bytes: 4
  // lines, not 5) whatever the capacity: tables are not powers of two, and
  // a slot array right after `capacity` control bytes would start mid-line.
  static constexpr std::size_t alloc_align = alignof(S) > cache_line ? alignof(S) : cache_line;
  // Below this a table is a few pages, whose faults cost less than the call.
  static constexpr std::size_t populate_threshold = std::size_t{64} << 10;

 private:
  static std::size_t slots_offset(std::size_t cap) noexcept {
    return (cap + alloc_align - 1) / alloc_align * alloc_align;
  }
  static std::size_t bytes_for(std::size_t cap) noexcept { return slots_offset(cap) + cap * sizeof(S); }

  // The first free (empty or deleted) slot on h's probe sequence; allocates
  // the first group of an empty table. Requires: a table that has one (true
  // whenever it is allocated, since the load never exceeds 7/8).
  static std::size_t find_free(table_header& t, uint64_t h) {
    if (t.capacity() == 0) allocate(t, group_width);
    const std::size_t groups = t.groups();
    std::size_t g = home_group(h, groups);
    for (;;) {
      const std::size_t base = g * group_width;
      if (auto m = group(t.ctrl + base).match_free()) return base + m.lowest();
      if (++g == groups) g = 0;
    }
  }

  template <class SlotHash>
  static void grow(table_header& t, const SlotHash& slot_hash) {
    // Many tombstones and few live slots: rebuild at the same size.
    const std::size_t cap = t.capacity();
    rehash(t, t.size <= cap / 16 * 7 ? cap : grown_capacity(cap), slot_hash);
  }

  template <class SlotHash>
  static void rehash(table_header& t, std::size_t new_cap, const SlotHash& slot_hash) {
    // Moves of the key and value must not throw (static_assert in DashMap).
    rehash_from<S>(t, new_cap, slot_hash, [](S&& s) noexcept { return S{std::move(s.key), std::move(s.value)}; });
  }

  // Strong guarantee: throws (bad_alloc) before t changes.
  static void allocate(table_header& t, std::size_t cap) {
    // bytes_for(cap) <= cap * (sizeof(S) + 1) + alloc_align must not wrap.
    if (cap > (std::numeric_limits<std::size_t>::max() - alloc_align) / (sizeof(S) + 1)) throw std::bad_alloc();
    void* mem = ::operator new(bytes_for(cap), std::align_val_t(alloc_align));
    t.ctrl = static_cast<int8_t*>(mem);
    std::memset(t.ctrl, static_cast<unsigned char>(ctrl_empty), cap);
    t.cap = cap | S::layout;
    t.size = 0;
    t.growth_left = cap - cap / 8;
    publish_hint(t);
  }
};

template <class K, class V>
class flat_table {
 public:
  struct slot {
    static constexpr std::size_t layout = 0;
    K key;
    [[no_unique_address]] V value;  // an empty V (a set's) takes no bytes
  };

  flat_table() noexcept = default;
  flat_table(const flat_table&) = delete;
  flat_table& operator=(const flat_table&) = delete;
  ~flat_table() { core::release(t_); }

  std::size_t size() const noexcept { return t_.size; }
  std::size_t capacity() const noexcept { return t_.capacity(); }
  // Bytes of the table's own allocation (not memory owned by keys or values).
  std::size_t allocated_bytes() const noexcept { return core::allocated_bytes(t_); }

  // The slot holding `key`, or nullptr.
  template <class KeyLike, class Eq>
  slot* find(const KeyLike& key, uint64_t h, const Eq& eq) const noexcept(noexcept(eq(key, key))) {
    return core::find(t_, h, [&](const slot& s) { return eq(s.key, key); });
  }

  // Inserts a key known to be absent. May rehash (which moves every slot:
  // slot pointers taken before are invalid after). Returns the new slot.
  template <class Hash, class KArg, class VArg>
  slot* insert_unique(uint64_t h, const Hash& hash, KArg&& key, VArg&& value) {
    return core::insert_unique(t_, h, slot_hash<Hash>{hash}, K(std::forward<KArg>(key)), V(std::forward<VArg>(value)));
  }

  // Erases a full slot (from find or for_each).
  void erase(slot* s) noexcept { core::erase(t_, static_cast<std::size_t>(s - core::slots(t_))); }

  // Calls f(slot&) for every full slot. f may erase the slot it is given.
  template <class F>
  void for_each(F&& f) {
    core::for_each(t_, [&](slot& s, std::size_t) { f(s); });
  }
  template <class F>
  void for_each(F&& f) const {
    core::for_each(t_, [&](slot& s, std::size_t) { f(static_cast<const slot&>(s)); });
  }

  // Makes room for n elements without rehash.
  template <class Hash>
  void reserve(std::size_t n, const Hash& hash) {
    core::reserve(t_, n, slot_hash<Hash>{hash});
  }

  // Gives memory back after erasures (table_core::shrink_if_sparse).
  template <class Hash>
  void shrink_if_sparse(const Hash& hash, std::size_t floor = 0) noexcept {
    core::shrink_if_sparse(t_, floor, slot_hash<Hash>{hash});
  }

  // Destroys every element and frees the table.
  void clear() noexcept { core::release(t_); }

 private:
  using core = table_core<slot>;
  template <class Hash>
  struct slot_hash {
    const Hash& hash;
    uint64_t operator()(const slot& s) const noexcept(noexcept(hash(s.key))) { return hash(s.key); }
  };
  table_header t_;
};

// DashMap's table: slots of {uint64_t key; V value} while every key packs
// (key_packing<K>), {K key; V value} after the first one that does not.
// Lookups take a K. Entries are found by find() as an `entry` (the value
// and the slot index), which erase() takes back; whole-table walks hand
// callbacks (const K&, V&), where the key of a packed slot is a temporary
// unpacked for the call.
template <class K, class V, class Free = free_now>
class dual_table {
  using packing = key_packing<K>;
  static constexpr bool packs = packing::enabled;

 public:
  struct entry {
    V* value = nullptr;
    std::size_t index = 0;
    explicit operator bool() const noexcept { return value != nullptr; }
  };

  dual_table() noexcept { t_.cap = initial_layout; }
  dual_table(const dual_table&) = delete;
  dual_table& operator=(const dual_table&) = delete;
  ~dual_table() { release<free_now>(); }  // no reader can reach a table being destroyed

  std::size_t size() const noexcept { return t_.size; }
  // size() for a reader that holds no lock (DashMap::shard_size): one read of
  // the word, which it trusts only once its owner's sequence check says no
  // writer ran meanwhile (see "for readers that hold no lock" below).
  std::size_t size_unlocked() const noexcept { return __atomic_load_n(&t_.size, __ATOMIC_RELAXED); }
  std::size_t capacity() const noexcept { return t_.capacity(); }
  // Whether the slots hold packed keys now.
  bool packed() const noexcept { return packs && (t_.cap & 1) != 0; }
  // Bytes of the table's own allocation (not memory owned by keys or values).
  std::size_t allocated_bytes() const noexcept {
    return packed() ? packed_core::allocated_bytes(t_) : wide_core::allocated_bytes(t_);
  }

  // Publishes this table's memory to `hint` from now on (nullptr: stop).
  // Requires: the owner's exclusive lock, or the table not shared yet.
  void attach_hint(table_hint* hint) noexcept {
    t_.hint = hint;
    wide_core::publish_hint(t_);  // the same for both layouts
  }

  // Starts loading the control bytes and slots of h's first probe group in
  // the table `hint` describes. Needs no lock (see table_hint).
  static void prefetch(const table_hint& hint, uint64_t h) noexcept {
    // relaxed: a hint; a stale or torn pair only prefetches the wrong lines
    // (wrong layout included: a prefetch never faults).
    const char* mem = hint.mem.load(std::memory_order_relaxed);
    const std::size_t cap_bits = hint.capacity.load(std::memory_order_relaxed);
    const std::size_t cap = cap_bits & ~std::size_t{1};
    // A torn pair may show a table's memory with the capacity 0 of no table.
    if (!mem || cap < group_width) return;
    const std::size_t g = home_group(h, cap / group_width);
    __builtin_prefetch(mem + g * group_width);
    if (packs && (cap_bits & 1)) {
      packed_core::prefetch_slots(mem, cap, g);
    } else {
      wide_core::prefetch_slots(mem, cap, g);
    }
  }

  // The entry of `key`, or an empty entry.
  template <class Eq>
  entry find(const K& key, uint64_t h, const Eq& eq) const noexcept(noexcept(eq(key, key))) {
    if constexpr (packs) {
      if (packed()) {
        uint64_t w;
        if (!packing::pack(key, w)) return {};  // no packed key equals it
        return entry_of(packed_core::find(t_, h, [w](const packed_slot& s) { return s.key == w; }));
      }
    }
    return entry_of(wide_core::find(t_, h, [&](const wide_slot& s) { return eq(s.key, key); }));
  }

  // ---- for readers that hold no lock (DashMap's optimistic reads) ----
  //
  // Such a reader races with writers by design. It takes snapshot(), has
  // its owner check that no writer ran meanwhile (so the fields belong to
  // one table), then calls find_optimistic() on the snapshot and has the owner
  // check again before it trusts the answer. Until then every bit read may
  // be stale or torn, so nothing read is followed as a pointer: keys are
  // compared through threadmap::optimistic_key<K> (key_packing.hpp) and the
  // value is only copied. The table's memory must stay allocated while the
  // reader is inside (Free must defer frees past such readers).

  // The header's fields, each read once.
  table_header snapshot() const noexcept {
    table_header s;
    s.ctrl = __atomic_load_n(&t_.ctrl, __ATOMIC_RELAXED);  // relaxed: validated by the owner's sequence check
    s.cap = __atomic_load_n(&t_.cap, __ATOMIC_RELAXED);
    s.size = __atomic_load_n(&t_.size, __ATOMIC_RELAXED);
    return s;
  }

  // Looks `key` (optimistic_key<K>::comparable) up in the table `snap`
  // describes. On a hit, copy(const V&) gets the slot's value; it must only
  // copy bits out and return false for a value it cannot copy that way
  // (optimistic_read::unavailable, as for a key that cannot be compared so).
  template <class Copy>
  static optimistic_read find_optimistic(const table_header& snap, const K& key, uint64_t h, Copy& copy) noexcept {
    if constexpr (packs) {
      if (snap.cap & 1) {
        uint64_t w;
        if (!packing::pack(key, w)) return optimistic_read::absent;  // no packed key equals it
        const packed_slot* s = packed_core::template find<true>(snap, h, [w](const packed_slot& x) {
          return __atomic_load_n(&x.key, __ATOMIC_RELAXED) == w;
        });
        return !s ? optimistic_read::absent : copy(s->value) ? optimistic_read::found : optimistic_read::unavailable;
      }
    }
    using ok = optimistic_key<K>;
    if constexpr (ok::enabled) {
      if (!ok::comparable(key)) return optimistic_read::unavailable;
      const wide_slot* s = wide_core::template find<true>(snap, h, [&](const wide_slot& x) { return ok::equal(x.key, key); });
      return !s ? optimistic_read::absent : copy(s->value) ? optimistic_read::found : optimistic_read::unavailable;
    } else {
      return optimistic_read::unavailable;
    }
  }

  // Inserts a key known to be absent. May rehash (entries taken before are
  // invalid after). Strong guarantee.
  template <class Hash>
  void insert_unique(uint64_t h, const Hash& hash, K&& key, V&& value) {
    if constexpr (packs) {
      if (packed()) {
        uint64_t w;
        if (packing::pack(key, w)) {
          packed_core::insert_unique(t_, h, packed_hash<Hash>{hash}, w, std::move(value));
          return;
        }
        widen(hash);
      }
    }
    wide_core::insert_unique(t_, h, wide_hash<Hash>{hash}, std::move(key), std::move(value));
  }

  // Erases an entry found by find().
  void erase(entry e) noexcept {
    if (packed()) {
      packed_core::erase(t_, e.index);
    } else {
      wide_core::erase(t_, e.index);
    }
  }

  // Erases the entries for which pred(const K&, V&) holds; returns how many.
  // If pred throws, the erasures made so far stand.
  template <class P>
  std::size_t erase_if(P&& pred) {
    std::size_t n = 0;
    walk([&](const K& k, V& v, std::size_t idx) {
      if (pred(k, v)) {
        erase(entry{&v, idx});
        ++n;
      }
    });
    return n;
  }

  // Calls f(const K&, const V&) for every entry.
  template <class F>
  void for_each(F&& f) const {
    const_cast<dual_table*>(this)->walk([&](const K& k, V& v, std::size_t) { f(k, static_cast<const V&>(v)); });
  }

  // Makes room for n entries without a rehash.
  template <class Hash>
  void reserve(std::size_t n, const Hash& hash) {
    if constexpr (packs) {
      if (packed()) return packed_core::reserve(t_, n, packed_hash<Hash>{hash});
    }
    wide_core::reserve(t_, n, wide_hash<Hash>{hash});
  }

  // Gives memory back after erasures (table_core::shrink_if_sparse), in
  // the current layout.
  template <class Hash>
  void shrink_if_sparse(const Hash& hash, std::size_t floor = 0) noexcept {
    if constexpr (packs) {
      if (packed()) return packed_core::shrink_if_sparse(t_, floor, packed_hash<Hash>{hash});
    }
    wide_core::shrink_if_sparse(t_, floor, wide_hash<Hash>{hash});
  }

  // Destroys every entry and frees the table; its keys are packed again.
  void clear() noexcept { release(); }

 private:
  // An empty V (a set's) takes no bytes: a packed set's slot is its key word.
  struct wide_slot {
    static constexpr std::size_t layout = 0;
    K key;
    [[no_unique_address]] V value;
  };
  struct packed_slot {
    static constexpr std::size_t layout = 1;
    uint64_t key;
    [[no_unique_address]] V value;
  };
  static_assert(!std::is_empty_v<V> || sizeof(packed_slot) == sizeof(uint64_t));
  using wide_core = table_core<wide_slot, Free>;
  using packed_core = table_core<packed_slot, Free>;
  static constexpr std::size_t initial_layout = packs ? 1 : 0;

  template <class Hash>
  struct wide_hash {
    const Hash& hash;
    uint64_t operator()(const wide_slot& s) const noexcept(noexcept(hash(s.key))) { return hash(s.key); }
  };
  template <class Hash>
  struct packed_hash {
    const Hash& hash;
    uint64_t operator()(const packed_slot& s) const noexcept(noexcept(hash(std::declval<const K&>()))) {
      return hash(packing::unpack(s.key));
    }
  };

  template <class S>
  entry entry_of(S* s) const noexcept {
    if (!s) return {};
    return {&s->value, static_cast<std::size_t>(s - table_core<S, Free>::slots(t_))};
  }

  // Calls f(const K&, V&, index) for every full slot; f may erase it.
  template <class F>
  void walk(F&& f) {
    if constexpr (packs) {
      if (packed()) {
        return packed_core::for_each(t_, [&](packed_slot& s, std::size_t idx) { f(packing::unpack(s.key), s.value, idx); });
      }
    }
    wide_core::for_each(t_, [&](wide_slot& s, std::size_t idx) { f(static_cast<const K&>(s.key), s.value, idx); });
  }

  // Turns a packed table into a wide one with room for one more entry.
  // Strong guarantee (throws bad_alloc before anything moved).
  template <class Hash>
  void widen(const Hash& hash) {
    if constexpr (packs) {
      if (t_.capacity() == 0) {
        t_.cap = wide_slot::layout;
        return;
      }
      const std::size_t cap = std::max(t_.capacity(), capacity_for(t_.size + 1));
      wide_core::template rehash_from<packed_slot>(t_, cap, packed_hash<Hash>{hash}, [](packed_slot&& s) noexcept {
        return wide_slot{packing::unpack(s.key), std::move(s.value)};
      });
    }
  }

  template <class Dealloc = Free>
  void release() noexcept {
    if (packed()) {
      packed_core::template release<Dealloc>(t_);
    } else {
      wide_core::template release<Dealloc>(t_);
    }
    t_.cap = initial_layout;
  }

  table_header t_;
};

}  // namespace threadmap::detail
