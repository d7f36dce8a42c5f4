// threadmap/dash_map.hpp: DashMap, a sharded concurrent hash map.
//
// What it is: a port of Rust's dashmap to C++20. The map is split into a
// power-of-two number of shards; each shard is one reader-writer lock over
// an open-addressing table of its own (detail/flat_table.hpp). A key's shard
// is chosen by the top bits of its hash, so operations on keys of different
// shards never contend.
//
// Memory layout:
//
//   class DashMap {
//     Hash, Eq;
//     unsigned shift;              // 64 - log2(shard count)
//     std::unique_ptr<shard[]>;    // shard count entries
//   };
//   struct alignas(64) shard {     // exactly one cache line with its header
//     rw_lock lock;                // 24 bytes, see detail/rw_lock.hpp
//     dual_table<K, V> table;      // ctrl*, capacity, size, growth, hint*
//   };
//   reader_slots readers;          // the shard locks' reader counters: one
//                                  // cache line per (thread slot, shard)
//   table_hint hints[shard count]; // where each shard's table is: written
//                                  // only when a table reallocates
//
// Every single-key operation reads its shard's hint and prefetches the
// key's first probe group before it takes the shard lock, so the table's
// cache misses overlap the lock's (a lock line another core just wrote is
// itself a miss) and the lock is held for a probe of lines already on their
// way (A/B at 2 threads, 8 shards: Exchange 11.1-14.5 -> 17.6-18.5 Mops/s,
// RapidGrow 11.8-12.2 -> 13.3-13.7; bench/RESULTS.md, "Native engines").
// The hint is only a hint (see detail::table_hint); the lookup under the
// lock is what is correct.
//
// Readers of a shard write only their thread slot's counter, not the shard's
// lock word (rw_lock.hpp, "Striped readers"): two threads reading one map
// do not pass its lock lines back and forth.
//
// Optimistic reads (read_optimistic) take no lock at all: a shard's lock
// carries a write sequence (a seqlock, rw_lock::read_seq), and a lookup
// that saw the same even sequence before and after it is what a locked
// lookup would have found. Between the two it races with writers, so it
// compares keys without following pointers (packed keys, or
// threadmap::optimistic_key<K>) and only copies the value's bits; it pins
// the thread in epoch.hpp, and tables replaced by a rehash or clear() are
// retired there (epoch_free) instead of freed, so a table it reads stays
// allocated. The addon's fast get/has use it, and its fast set/add of
// numbers change values in place under the shared lock (update_shared):
// two JS workers reading and writing one map then write only their own
// lines and the values they change (bench/RESULTS.md). find() (for a
// trivially copyable V) and contains() try it first too and fall back to
// the read lock. (On the project's first machine the optimistic path
// measured 8-20% slower than the read lock in the native benchmark's
// single-thread loops, so they stayed locked; with the locked fallback out
// of line it measured faster on the Intel machine, ReadHeavy +3-12% at 1
// thread and +20-35% at 2, and no slower on the AMD one of 2026-12-04;
// bench/RESULTS.md, "Native engines".)
//
// Locking: every public member takes at most one shard lock at a time,
// through the stoppable_* guards of detail/lock_tracker.hpp (the
// *_callback_access forms where caller code runs under the lock). No
// member ever holds two shard locks, so there is no lock order to keep.
// Stoppable: a thread whose host told it to stop while it waited for a
// shard lock (a Node worker being terminated: detail/parking.hpp,
// wait_interrupt) gets threadmap::error(errc::aborted) instead of the lock;
// a whole-map member may then have done some shards and not the others.
// Members that run caller code under a lock (visit, alter, upsert,
// erase_if, retain, for_each) are guarded against re-entry: a callback
// that calls back into a map gets threadmap::error(errc::would_deadlock)
// instead of a hang (see lock_tracker.hpp for the exact rule).
//
// What dashmap has and this has not: guards. dashmap's get() returns a Ref
// that keeps the shard locked while it lives; holding one while calling
// insert() on the same shard deadlocks, the bug its users report most.
// Here nothing returns a reference: find() copies out, visit() lends the
// value to a callback for the duration of the lock. That deadlock cannot
// be written.
//
// Costs: find/insert/erase take one shard lock and are O(1) expected. size()
// reads every shard's count in turn (without its lock unless a writer is
// in it) and is a sum of per-shard sizes taken at slightly different
// moments. for_each, retain and clear visit shard by
// shard, holding one lock at a time. A shard's table grows by 1.4x under
// its exclusive lock, and is rebuilt smaller when erasures leave it at most
// 1/8 full (never below the capacity reserved); other shards are unaffected.
//
// Keys that opt in through threadmap::key_packing (the addon's do) are kept
// as 64-bit words in every shard whose keys all pack (detail/flat_table.hpp,
// dual_table): smaller slots, so less memory and fewer cache lines per probe.
//
// Requires of K and V: nothrow move construction (a rehash moves every slot
// and must not fail halfway). Hash returns uint64_t with all bits mixed
// (threadmap::hash<K> does; std::hash<integer> does not). Hash, Eq and the
// copy and move of K and V run under shard locks without the re-entry guard
// (only callbacks are guarded), so they must not call into a DashMap.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/config.hpp"
#include "detail/flat_table.hpp"
#include "detail/lock_tracker.hpp"
#include "epoch.hpp"
#include "error.hpp"
#include "hash.hpp"
#include "key_packing.hpp"

namespace threadmap {

namespace detail {
// How DashMap's tables give memory back (detail::free_now's counterpart):
// an optimistic reader may still be reading a table that a writer has just
// replaced (grown, widened, cleared), so the old allocation is retired
// through epoch.hpp and freed once no thread pinned now can hold it.
// Optimistic readers pin for the length of their read. A rehash is rare
// and costly already, so it also tries a collection at once; an old table
// then waits at most for the next table retired by the same thread (two
// epoch advances). If the retirement list cannot grow (out of memory) the
// table is leaked rather than freed under a reader.
struct epoch_free {
  template <std::size_t Align>
  static void free(void* p) noexcept {
    // The table was replaced by plain stores under the shard lock; they must
    // be visible before retire() reads the epoch it tags the table with
    // (epoch.hpp, "Rules"). Rare (one per rehash), so a full fence is cheap.
    // (One of the seqlock's fences: compiler-only under ThreadSanitizer, see
    // config.hpp.)
    THREADMAP_SEQLOCK_FENCE(std::memory_order_seq_cst);
    try {
      epoch::retire(p, [](void* q) { ::operator delete(q, std::align_val_t(Align)); });
      epoch::collect();
    } catch (...) {
    }
  }
};
}  // namespace detail

// 4 x hardware threads rounded up to a power of two: dashmap's default
// shard count, and LockMap's (whose LRU capacity is split across shards).
inline std::size_t hardware_shard_count() noexcept {
  const std::size_t hw = detail::hardware_threads();
  return std::bit_ceil(hw * 4);
}

// DashMap's default shard count: hardware_shard_count(), but at least
// min_default_shards. On a small machine 4 x hardware threads is too few
// for writers: at 2 threads two writers meet on one of 8 shards often
// enough to cost a third of the write-heavy mixes' throughput (Exchange at
// 2 threads with 8, 16, 32, 64 shards: 18.5, 23.6, 26.8, 28.9 Mops/s in one
// run of bench/native/conc_map_bench; bench/RESULTS.md), and a
// Node process runs more threads than it has cores (main thread, workers).
// What a shard costs a map however small: its 64-byte line plus one 64-byte
// reader line per reader slot (4 on machines of up to 4 threads), about
// 10 KiB for 32 shards. See bench/RESULTS.md.
inline constexpr std::size_t min_default_shards = 32;
inline std::size_t default_shard_count() noexcept {
  return std::max(hardware_shard_count(), min_default_shards);
}

inline constexpr std::size_t max_shard_count = std::size_t{1} << 16;

template <class K, class V, class Hash, class Eq, bool Lru>
class basic_lock_map;

// Handle given to alter() callbacks: read the current value, then decide.
// The decision is applied after the callback returns, so a callback that
// throws leaves the key as it was.
template <class V>
class alter_entry {
 public:
  bool exists() const noexcept { return current_ != nullptr; }
  // Requires: exists().
  const V& value() const noexcept {
    THREADMAP_REQUIRE(current_);
    return *current_;
  }
  const V* value_ptr() const noexcept { return current_; }
  void assign(V v) {
    next_.emplace(std::move(v));
    erase_ = false;
  }
  void erase() noexcept {
    next_.reset();
    erase_ = true;
  }

 private:
  template <class, class, class, class>
  friend class DashMap;
  template <class, class, class, class, bool>
  friend class basic_lock_map;
  explicit alter_entry(const V* current) noexcept : current_(current) {}
  const V* current_;
  std::optional<V> next_;
  bool erase_ = false;
};

template <class K, class V, class Hash = threadmap::hash<K>, class Eq = std::equal_to<K>>
class DashMap {
  static_assert(std::is_nothrow_move_constructible_v<K>, "DashMap needs keys whose move cannot throw");
  static_assert(std::is_nothrow_move_constructible_v<V>, "DashMap needs values whose move cannot throw");

  using table_type = detail::dual_table<K, V, detail::epoch_free>;
  using entry = typename table_type::entry;

  struct alignas(detail::cache_line) shard {
    mutable detail::rw_lock lock;  // guards `table` (mutable: const readers lock it)
    table_type table;
  };
  static_assert(sizeof(shard) == detail::cache_line, "a shard's lock and table header share one cache line");

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  using key_equal = Eq;

  // ---- construction. Not synchronized (the map is not shared yet). ----

  DashMap() : DashMap(0, default_shard_count()) {}
  explicit DashMap(std::size_t capacity) : DashMap(capacity, default_shard_count()) {}
  // Requires: shards is a power of two in [1, max_shard_count]; else std::invalid_argument.
  DashMap(std::size_t capacity, std::size_t shards, const Hash& hash = Hash(), const Eq& eq = Eq())
      : hash_(hash), eq_(eq), readers_(check_shards(shards)) {
    shard_count_ = shards;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(shards));
    shards_ = std::make_unique<shard[]>(shards);
    hints_ = std::make_unique<detail::table_hint[]>(shards);
    for (std::size_t i = 0; i < shards; ++i) {
      readers_.attach(shards_[i].lock, i);
      shards_[i].table.attach_hint(&hints_[i]);
    }
    if (capacity) {
      const std::size_t per = detail::per_shard_reserve(capacity, shards);
      for (std::size_t i = 0; i < shards; ++i) shards_[i].table.reserve(per, hash_);
      shard_floor_ = detail::capacity_for(per);  // erasures never shrink a table below its reservation
    }
  }
  static DashMap with_shards(std::size_t shards) { return DashMap(0, shards); }

  DashMap(const DashMap&) = delete;
  DashMap& operator=(const DashMap&) = delete;

  // ---- single-key operations. Each locks one shard; safe to call
  //      concurrently with every other member. ----

  // Inserts or replaces. Returns the previous value, if any. Locks one shard (exclusive).
  std::optional<V> insert(K key, V value) {
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    detail::stoppable_exclusive_access guard(s.lock);
    if (entry e = s.table.find(key, h, eq_)) {
      std::optional<V> old(std::move(*e.value));
      *e.value = std::move(value);
      return old;
    }
    s.table.insert_unique(h, hash_, std::move(key), std::move(value));
    return std::nullopt;
  }

  // Inserts only if absent. Returns whether it inserted. Locks one shard (exclusive).
  bool try_insert(K key, V value) {
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    detail::stoppable_exclusive_access guard(s.lock);
    if (s.table.find(key, h, eq_)) return false;
    s.table.insert_unique(h, hash_, std::move(key), std::move(value));
    return true;
  }

  // A copy of the value, or nullopt. Where the shard's keys can be compared
  // optimistically and V is trivially copyable, tries an optimistic read
  // first (read_optimistic: no lock); otherwise, or if a writer got in its
  // way, locks one shard (shared).
  std::optional<V> find(const K& key) const {
    const uint64_t h = hash_(key);
    if constexpr (std::is_trivially_copyable_v<V>) {
      std::optional<V> out;
      const optimistic_read r = read_optimistic(key, h, [&](const V& v) noexcept {
        out = v;  // trivially copyable: a copy of the bits (the value may be changing)
        return true;
      });
      if (r == optimistic_read::found) return out;  // validated: the last copy is whole
      if (r == optimistic_read::absent) return std::nullopt;
    }
    return find_locked(key, h);
  }

  // Calls f(const V&) with the value under the shard's read lock. Returns
  // whether the key was present. Locks one shard (shared) for the call.
  template <class F>
  bool visit(const K& key, F&& f) const {
    static_assert(std::is_invocable_v<F&, const V&>, "visit's callback takes (const V&)");
    const uint64_t h = hash_(key);
    const shard& s = shard_for(h);
    detail::stoppable_shared_callback_access guard(s.lock);
    if (entry e = s.table.find(key, h, eq_)) {
      f(static_cast<const V&>(*e.value));
      return true;
    }
    return false;
  }

  // Whether the key is present. Optimistic first where keys allow it (see
  // find); otherwise, or if a writer got in its way, locks one shard (shared).
  bool contains(const K& key) const {
    const uint64_t h = hash_(key);
    const optimistic_read r = read_optimistic(key, h, [](const V&) noexcept { return true; });
    if (r != optimistic_read::unavailable) return r == optimistic_read::found;
    const shard& s = shard_for(h);
    detail::stoppable_shared_access guard(s.lock);
    return static_cast<bool>(s.table.find(key, h, eq_));
  }

  // Reads the key's value without taking its shard's lock: an optimistic
  // read, validated by the shard's write sequence (detail/rw_lock.hpp,
  // read_seq). copy(const V&) -> bool gets the value as it is in the table
  // at that moment, possibly while a writer changes it: it must only copy
  // bits out (follow no pointer in the value) and return false for a value
  // it cannot copy that way. Returns
  //   found / absent  the read was validated: no writer ran during it, and
  //                   copy's last call saw the whole, current value;
  //   unavailable     a writer was in the shard (twice in a row), or the key
  //                   cannot be compared this way (optimistic_key<K>, unless
  //                   the shard's keys are packed), or copy returned false:
  //                   read with visit() or find() instead.
  // Takes no lock and writes no line another thread reads: it pins the
  // thread in epoch.hpp (a write to the thread's own record), which keeps
  // any table it reads allocated (tables are retired through epoch_free).
  // Never blocks. From inside a callback that holds a shard lock (of any
  // map) it answers unavailable, so that the locked read's re-entry rules
  // decide (detail/lock_tracker.hpp).
  template <class Copy>
  optimistic_read read_optimistic(const K& key, Copy&& copy) const {
    return read_optimistic(key, hash_(key), copy);
  }

  // Calls f(V&) -> bool on the key's value under the shard's *shared* lock,
  // for values that other holders of that lock may change at the same time:
  // f may change the value only with atomic operations that every reader of
  // V tolerates (V's own contract; the addon's add_in_place is a CAS on a
  // number's bits), must not change what the value owns, and returns false
  // to decline, changing nothing. Returns true if the key was present and f
  // returned true; false otherwise (absent, or declined: use alter()).
  // The write sequence does not move, so optimistic readers are not warned:
  // each change f makes must be one atomic write of everything such a
  // reader copies (the addon's: the value's 8 bytes), which it then sees
  // whole, before or after.
  // Readers do not block each other, so with several threads adding to one
  // map a shard stays in striped mode (rw_lock.hpp) and the adds write only
  // their own slot's counter line and the value's line.
  template <class F>
  bool update_shared(const K& key, F&& f) {
    static_assert(std::is_invocable_r_v<bool, F&, V&>, "update_shared's callback takes (V&), returns bool");
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    detail::stoppable_shared_access guard(s.lock);
    entry e = s.table.find(key, h, eq_);
    return e && f(*e.value);
  }

  // Removes the key. Returns whether it was present. Locks one shard (exclusive).
  bool erase(const K& key) {
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    detail::stoppable_exclusive_access guard(s.lock);
    if (entry e = s.table.find(key, h, eq_)) {
      s.table.erase(e);
      after_erasures(s);
      return true;
    }
    return false;
  }

  // Removes the key and returns its value. Locks one shard (exclusive).
  std::optional<V> take(const K& key) {
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    detail::stoppable_exclusive_access guard(s.lock);
    if (entry e = s.table.find(key, h, eq_)) {
      std::optional<V> v(std::move(*e.value));
      s.table.erase(e);
      after_erasures(s);
      return v;
    }
    return std::nullopt;
  }

  // Removes the key if pred(const V&) holds. Returns whether it removed.
  // Locks one shard (exclusive) for the call.
  template <class P>
  bool erase_if(const K& key, P&& pred) {
    static_assert(std::is_invocable_r_v<bool, P&, const V&>, "erase_if's predicate takes (const V&), returns bool");
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    detail::stoppable_exclusive_callback_access guard(s.lock);
    entry e = s.table.find(key, h, eq_);
    if (!e || !pred(static_cast<const V&>(*e.value))) return false;
    s.table.erase(e);
    after_erasures(s);
    return true;
  }

  // If the key is present, calls f(V&) on its value; otherwise inserts
  // `value`. Returns whether it inserted. Locks one shard (exclusive).
  template <class F>
  bool upsert(K key, V value, F&& f) {
    static_assert(std::is_invocable_v<F&, V&>, "upsert's callback takes (V&)");
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    detail::stoppable_exclusive_callback_access guard(s.lock);
    if (entry e = s.table.find(key, h, eq_)) {
      f(*e.value);
      return false;
    }
    s.table.insert_unique(h, hash_, std::move(key), std::move(value));
    return true;
  }

  // The general atomic read-modify-write: calls f(alter_entry<V>&) under the
  // shard's exclusive lock; f reads entry.exists()/value() and may call
  // entry.assign(v) or entry.erase(). The decision is applied after f
  // returns; if f throws, nothing changes. Returns a copy of what f returns
  // (never a reference: one into the table would outlive the lock).
  // Locks one shard (exclusive) for the call.
  template <class F>
  auto alter(const K& key, F&& f) {
    static_assert(std::is_invocable_v<F&, alter_entry<V>&>, "alter's callback takes (alter_entry<V>&)");
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    detail::stoppable_exclusive_callback_access guard(s.lock);
    const entry e = s.table.find(key, h, eq_);
    alter_entry<V> decision(e.value);
    if constexpr (std::is_void_v<std::invoke_result_t<F&, alter_entry<V>&>>) {
      f(decision);
      apply(s, e, key, h, decision);
    } else {
      auto result = f(decision);  // a copy, taken before apply() may erase what f referred to
      apply(s, e, key, h, decision);
      return result;
    }
  }

  // ---- whole-map operations. Shard by shard, one lock at a time: not
  //      atomic as a whole, each key is. ----

  // Keeps the entries for which pred(const K&, V&) holds; returns how many it
  // removed. Locks each shard (exclusive) in turn. If pred throws, the
  // removals made so far stand and the exception propagates.
  template <class P>
  std::size_t retain(P&& pred) {
    static_assert(std::is_invocable_r_v<bool, P&, const K&, V&>, "retain's predicate takes (const K&, V&), returns bool");
    require_no_own_lock();
    std::size_t removed = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shard& s = shards_[i];
      detail::stoppable_exclusive_callback_access guard(s.lock);
      removed += s.table.erase_if([&](const K& k, V& v) { return !pred(k, v); });
      after_erasures(s);  // after the walk: a rebuild moves every slot
    }
    return removed;
  }

  // Calls f(const K&, const V&) for every entry, shard by shard. Weakly
  // consistent: an entry present for the whole call is seen exactly once.
  // Locks each shard (shared) in turn.
  template <class F>
  void for_each(F&& f) const {
    require_no_own_lock();
    for (std::size_t i = 0; i < shard_count_; ++i) for_each_in_shard(i, f);
  }

  // Calls f(const K&, const V&) for every entry of shard i, under its read lock.
  // Requires: i < shard_count().
  template <class F>
  void for_each_in_shard(std::size_t i, F&& f) const {
    static_assert(std::is_invocable_v<F&, const K&, const V&>, "for_each's callback takes (const K&, const V&)");
    THREADMAP_REQUIRE(i < shard_count_);
    const shard& s = shards_[i];
    detail::stoppable_shared_callback_access guard(s.lock);
    s.table.for_each(f);
  }

  // Removes every entry and frees the tables. Locks each shard (exclusive) in turn.
  void clear() {
    require_no_own_lock();
    for (std::size_t i = 0; i < shard_count_; ++i) {
      detail::stoppable_exclusive_access guard(shards_[i].lock);
      shards_[i].table.clear();
    }
  }

  // Number of entries: exact when no writer runs, otherwise a sum of
  // per-shard counts read at slightly different moments. Takes the lock of
  // only a shard a writer is in (detail::sum_as_holder; a shard's count is
  // a word of its own table header, which lives as long as the map): 32
  // shared locks made size() cost about 275 ns from JS (bench/RESULTS.md,
  // "size without locks").
  std::size_t size() const {
    require_no_own_lock();
    return detail::sum_as_holder(shards_.get(), shard_count_, shard_count_word);
  }
  bool empty() const { return size() == 0; }

  // Requires: i < shard_count(). As size(), for shard i alone.
  std::size_t shard_size(std::size_t i) const {
    THREADMAP_REQUIRE(i < shard_count_);
    return detail::sum_as_holder(&shards_[i], 1, shard_count_word);
  }
  std::vector<std::size_t> shard_sizes() const {
    require_no_own_lock();
    std::vector<std::size_t> v(shard_count_);
    for (std::size_t i = 0; i < shard_count_; ++i) v[i] = shard_size(i);
    return v;
  }
  std::size_t shard_count() const noexcept { return shard_count_; }
  // Which shard a key lives in (a pure function of its hash).
  std::size_t shard_of(const K& key) const { return shard_index(hash_(key)); }

  // Bytes held by the tables themselves plus the shard array (keys' and
  // values' own heap memory not included). Locks each shard (shared) in turn.
  std::size_t allocated_bytes() const {
    require_no_own_lock();
    std::size_t n = shard_count_ * sizeof(shard) + readers_.bytes();
    for (std::size_t i = 0; i < shard_count_; ++i) {
      detail::stoppable_shared_access guard(shards_[i].lock);
      n += shards_[i].table.allocated_bytes();
    }
    return n;
  }

  const Hash& hash_function() const noexcept { return hash_; }
  const Eq& key_eq() const noexcept { return eq_; }

 private:
  // Fails a whole-map call made from a callback that holds one of our locks,
  // before it changes anything (see detail::require_no_lock_in).
  // A shard's entry count for detail::sum_as_holder (one relaxed load).
  static std::size_t shard_count_word(const shard& s) noexcept { return s.table.size_unlocked(); }

  void require_no_own_lock() const {
    detail::require_no_lock_in(shards_.get(), shards_.get() + shard_count_);
  }

  std::size_t shard_index(uint64_t h) const noexcept {
    // shift_ == 64 for a single shard; shifting a 64-bit value by 64 is UB.
    return shard_count_ == 1 ? 0 : static_cast<std::size_t>(h >> shift_);
  }
  // h's shard, after starting the loads of h's first probe group in its
  // table (see detail::table_hint): those misses then overlap the lock's.
  std::size_t prefetched_shard_index(uint64_t h) const noexcept {
    const std::size_t i = shard_index(h);
    table_type::prefetch(hints_[i], h);
    return i;
  }
  shard& shard_for(uint64_t h) noexcept { return shards_[prefetched_shard_index(h)]; }
  const shard& shard_for(uint64_t h) const noexcept { return shards_[prefetched_shard_index(h)]; }

  // Whether lookups in wide (unpacked) tables may be optimistic: the key
  // type says its comparison is safe on a changing stored key, and the
  // map's equality is the one that promise was made for.
  static constexpr bool optimistic_wide =
      optimistic_key<K>::enabled && (std::is_same_v<Eq, std::equal_to<K>> || std::is_same_v<Eq, std::equal_to<>>);

  template <class Copy>
  optimistic_read read_optimistic(const K& key, uint64_t h, Copy&& copy) const {
    if constexpr (!key_packing<K>::enabled && !optimistic_wide) {
      return optimistic_read::unavailable;
    } else {
      // A caller inside one of our callbacks (holding some shard lock) reads
      // under the lock, whose re-entry rules (lock_tracker.hpp) then apply
      // exactly as they do to every other call: what a callback may call
      // does not depend on whether an optimistic read would have answered.
      if (detail::this_thread_locks().depth != 0) return optimistic_read::unavailable;
      const std::size_t i = prefetched_shard_index(h);
      const shard& s = shards_[i];
      epoch::guard pin;  // keeps every table read below allocated (epoch_free)
      for (int attempt = 0; attempt < 2; ++attempt) {
        const uint32_t v = s.lock.read_seq();
        if (v & 1) return optimistic_read::unavailable;  // a writer is inside: its lock will tell
        THREADMAP_IGNORE_READS_BEGIN();  // these reads race with writers by design (see rw_lock::read_seq)
        const detail::table_header snap = s.table.snapshot();
        optimistic_read r = optimistic_read::unavailable;
        // The snapshot's fields describe one table only if no writer ran
        // while they were read; only then may the probe use them.
        if (s.lock.unchanged_since(v)) {
          if constexpr (optimistic_wide) {
            r = table_type::find_optimistic(snap, key, h, copy);
          } else {
            r = (snap.cap & 1) ? table_type::find_optimistic(snap, key, h, copy) : optimistic_read::unavailable;
          }
        }
        THREADMAP_IGNORE_READS_END();
        if (!s.lock.unchanged_since(v)) continue;  // a writer ran: what was read may be torn
        return r;
      }
      return optimistic_read::unavailable;
    }
  }

  // find() under the shard's read lock. Out of line: the optimistic path
  // before it stays small enough to inline into the caller.
  [[gnu::noinline]] std::optional<V> find_locked(const K& key, uint64_t h) const {
    const shard& s = shard_for(h);
    detail::stoppable_shared_access guard(s.lock);
    if (entry e = s.table.find(key, h, eq_)) return *e.value;
    return std::nullopt;
  }

  // After erasures from s, under its exclusive lock (not inside a walk of
  // its table): a table left at most 1/8 full is rebuilt smaller, so a map
  // that lost most of its entries gives the memory back. The old table is
  // freed as a grown one is (epoch_free: after any optimistic reader).
  void after_erasures(shard& s) noexcept { s.table.shrink_if_sparse(hash_, shard_floor_); }

  // Applies an alter decision. Requires: s's exclusive lock is held.
  void apply(shard& s, entry e, const K& key, uint64_t h, alter_entry<V>& decision) {
    if (decision.erase_) {
      if (e) {
        s.table.erase(e);
        after_erasures(s);
      }
    } else if (decision.next_) {
      if (e) {
        *e.value = std::move(*decision.next_);
      } else {
        s.table.insert_unique(h, hash_, K(key), std::move(*decision.next_));
      }
    }
  }

  static std::size_t check_shards(std::size_t shards) {
    if (shards == 0 || shards > max_shard_count || !std::has_single_bit(shards))
      throw std::invalid_argument("DashMap: shard count must be a power of two in [1, 65536]");
    return shards;
  }

  [[no_unique_address]] Hash hash_;
  [[no_unique_address]] Eq eq_;
  // The shards' reader counters (detail/rw_lock.hpp, "Striped readers"):
  // declared before shards_, so it outlives every lock attached to it.
  detail::reader_slots readers_;
  std::size_t shard_count_ = 0;
  std::size_t shard_floor_ = 0;  // slots a table keeps through erasures: the capacity option's reservation
  unsigned shift_ = 64;
  // Where each shard's table is (written only when a table reallocates):
  // declared before shards_, so it outlives the tables that publish to it.
  std::unique_ptr<detail::table_hint[]> hints_;
  std::unique_ptr<shard[]> shards_;
};

}  // namespace threadmap
