// threadmap/lock_map.hpp: LockMap and LruLockMap, maps with an exclusive
// lock per key (a port of Rust's lockmap, with a hard LRU bound).
//
// What it is: a sharded table in which each key has one `state`, stored once
// (with its hash) and pointed to by the shard's table. A state holds the
// key's value (if any) and the key's lock: a holder, a FIFO queue of
// waiters and a reference count. A state exists while it has a value or
// while anyone holds or waits for its lock, so locking an absent key is
// normal (it is how a caller inserts atomically) and costs one allocation.
//
// Memory layout:
//
//   class basic_lock_map {
//     Hash, Eq; unsigned shift; std::unique_ptr<shard[]>;
//     std::atomic<size_t> count;            // LRU: values stored (<= capacity)
//   };
//   struct alignas(64) shard {
//     rw_lock lock;                          // guards everything in the shard
//     flat_table<state*, nothing> table;     // 16 bytes per slot
//     size_t values;                         // states that hold a value
//     vector<published_failure> failures;    // see publish_failure (rare: not in the states)
//     state *hot, *cold; stats;              // LRU only: intrusive list
//   };
//   struct state {                           // one heap node per key
//     const K key; const uint64_t hash;
//     owner_id owner;                        // the holder's owner, while locked
//     waiter_base* tail;                     // FIFO queue of waiters: a ring, tail->next is the head
//     uint32_t refs : 31, locked : 1;        // holder (0 or 1) + queued waiters; held
//     uint32_t failures : 31, has_value : 1; // failures published; whether `value` is live
//     union { V value; };                    // the key's value, while has_value
//     [LRU] state *prev, *next; int64_t expires, own_ttl;
//   };                                       // 56 bytes for a 16-byte key and an 8-byte V
//
// Two kinds of lock, and the order between them:
//   - the shard lock (detail/rw_lock.hpp) guards the table and every field
//     of the shard's states; it is held for a few instructions at a time and
//     never while waiting for anything but another shard lock's holder.
//     No member ever holds two shard locks.
//   - the key lock is the state's `locked` flag plus its queue: a logical
//     lock, held by an `entry` for as long as the caller likes. Waiting for
//     it parks the thread (detail/parking.hpp) with no shard lock held.
//   A thread may wait for shard locks while holding key locks, never the
//   other way round (except bounded: see "Callbacks" below), so the two
//   kinds cannot deadlock each other.
//
// Who may touch a state's value: while the key is locked, only its holder
// writes it (under the shard lock, so that readers see whole values), and
// the holder may read it without the shard lock (nobody else writes it).
// Every write that does not hold the key's lock either finds the key
// unlocked under the exclusive shard lock (and then completes under that
// lock, so no holder can appear meanwhile) or waits for the key's lock
// like lock() does. Eviction and expiry skip held or waited-on states.
//
// Handing over: release() gives the lock directly to the first queued
// waiter (FIFO), under the shard lock: the state stays locked and its owner
// becomes the waiter's. A sync waiter is signalled under that shard lock and
// takes the shard lock once more after it wakes, so the releaser is done
// with the waiter (which lives on the waiting thread's stack) before the
// waiter returns. An async waiter is called (granted) after the shard lock
// is dropped, with an entry that owns the lock.
//
// Owners: every lock request names an owner_id, the group of holders that
// must not wait for each other: by default the calling thread; in Node, one
// JS environment (a worker thread, whose holders may be async). A sync wait
// for a key whose holder, or one of whose queued waiters, has the same
// owner would wait for itself: it fails at once with errc::would_deadlock.
//
// Callbacks: retain() and for_each_in_shard() run caller code under a shard
// lock (the tracked guards of detail/lock_tracker.hpp). A map call from
// such code that needs the same shard fails with would_deadlock; one that
// needs another shard, or a key lock, waits at most detail::nested_wait_limit
// and then fails with would_deadlock: a thread holding a shard lock never
// waits unboundedly, with two exceptions below.
//
// Waits inside callbacks: three steps cannot fail, so they may not use the
// bounded wait (it once made them throw after 200 ms of another thread's
// callback: a parked waiter left in the queue on a dead stack frame, a lock
// granted and then lost, a destructor's throw):
//  - the end of a sync wait takes no lock: the releaser's last touch of the
//    waiter is its `done` flag (sync_waiter::signal), which the waiter
//    spins on before its frame may go;
//  - give_up (leaving the queue after the deadline) and an entry's
//    destructor (reset) take the shard with must_exclusive_access, an
//    untimed wait. Neither can close a cycle of threads holding each
//    other's shard: a thread queued (or granted) a key of shard X while
//    holding Y took X while holding Y, so any thread that holds X in a
//    callback took it after that, and cannot have queued for a key of Y
//    since (Y was held throughout); the addon never drops an entry at
//    depth > 0 through reset (it tries release() and otherwise defers).
//
// LruLockMap: each shard keeps its states that have a value in an intrusive
// list, hot end first. get(), a store and a lock acquisition move a state to
// the hot end (so get() takes the shard lock exclusively); peek() does not.
// `capacity` bounds the number of values in the whole map, whatever the
// shard count: a store that adds a value first reserves one unit of the
// global count; when the map is full it evicts from the cold end of its own
// shard (expired entries first, among the coldest few) and, if that shard
// has nothing evictable, from the other shards one lock at a time. If no
// entry anywhere can be evicted (all held or waited on), the store fails
// with errc::cache_full. LRU order is per shard, so eviction is exact LRU
// only with one shard and approximate otherwise.
//
// Costs: get/contains/peek/insert/remove/try_lock take one shard lock and
// are O(1) expected; an uncontended lock+release takes the shard lock twice.
// A contended lock parks until the holder releases. size() of a LockMap
// reads every shard's count in turn (locking only a shard a writer is in);
// of an LruLockMap it is one atomic load.
// clear, retain and for_each visit shard by shard.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "dash_map.hpp"
#include "detail/config.hpp"
#include "detail/flat_table.hpp"
#include "detail/lock_tracker.hpp"
#include "detail/parking.hpp"
#include "detail/wait_graph.hpp"
#include "error.hpp"
#include "hash.hpp"

namespace threadmap {

// The group of lock holders that must not wait for each other (see "Owners").
using owner_id = std::uintptr_t;

// The calling thread as an owner (the default owner of every lock call).
// Numbered, not an address: a thread_local's address is reused by a later
// thread, and an entry may outlive the thread that took it. Odd numbers, so
// that they never equal an owner made from an object's address.
inline owner_id this_thread_owner() noexcept {
  static std::atomic<owner_id> next{1};
  // relaxed: only uniqueness matters, which the RMW gives.
  thread_local const owner_id id = next.fetch_add(2, std::memory_order_relaxed);
  return id;
}

// When a wait for a key's lock gives up. Default: never.
struct deadline {
  detail::park_clock::time_point at = detail::park_clock::time_point::max();

  static deadline never() noexcept { return {}; }
  static deadline after(std::chrono::nanoseconds d) noexcept {
    const auto now = detail::park_clock::now();
    if (d >= detail::park_clock::time_point::max() - now) return {};
    return {now + std::chrono::duration_cast<detail::park_clock::duration>(d)};
  }
  bool infinite() const noexcept { return at == detail::park_clock::time_point::max(); }
};

// LruLockMap: the `ttl` argument of the writing members (insert, alter,
// entry::set). A value's time to live is chosen when it is stored:
//   ttl > 0        this value's own TTL;
//   keep_ttl (0)   a value that replaces one keeps that one's own TTL (an
//                  update of an entry is not a new entry); a new value, or
//                  one replacing a value without an own TTL, gets the map's;
//   map_ttl (< 0)  the map's TTL, forgetting any own TTL (what a plain
//                  `set` of a new value means).
// Every store restarts the clock of the value's TTL.
inline constexpr std::chrono::nanoseconds keep_ttl{0};
inline constexpr std::chrono::nanoseconds map_ttl{-1};

struct lock_map_options {
  std::size_t shards = 0;     // power of two; 0 = hardware_shard_count()
  std::size_t capacity = 0;   // LockMap: initial room; LruLockMap: the bound on size (>= 1)
  std::chrono::nanoseconds ttl{0};  // LruLockMap: default time to live of a stored value; 0 = none
  // LruLockMap: the clock TTLs are measured with, in nanoseconds (tests use
  // a fake one); empty = steady_clock.
  std::function<int64_t()> clock = {};
};

struct lru_stats {
  uint64_t hits = 0, misses = 0, evictions = 0, expirations = 0;
};

template <class K, class V, class Hash = threadmap::hash<K>, class Eq = std::equal_to<K>, bool Lru = false>
class basic_lock_map {
  static_assert(std::is_nothrow_move_constructible_v<V>, "a lock map needs values whose move cannot throw");
  static_assert(std::is_copy_constructible_v<V>, "a lock map copies values out: V must be copyable");

  struct state;
  struct nothing {};
  using table_type = detail::flat_table<state*, nothing>;

  // A queued request for a key's lock. Guarded by the shard lock of the key.
  struct waiter_base {
    waiter_base* next = nullptr;  // while queued: the next waiter of the key's ring (the tail's is the head)
    owner_id owner = 0;
    uint64_t hash = 0;           // of the key: names the shard without touching the state
    state* st = nullptr;         // valid while queued (the waiter's reference keeps it)
    uint32_t seen_failures = 0;  // state's failure count when this waiter queued
    bool is_async = false;
    bool queued = false;
  };

  struct lru_part {
    state* prev = nullptr;  // towards the hot end
    state* next = nullptr;  // towards the cold end
    int64_t expires = 0;    // clock() value after which the value is stale; 0 = never
    int64_t own_ttl = 0;    // the value's own TTL in ns (see keep_ttl); 0 = the map's
  };
  struct no_lru_part {};

  // One per key, so its size is most of a map's memory per entry: the
  // queue is a ring reached through its tail (tail->next is the head), the
  // rare failure values live in the shard (published_failure), and the
  // flags and counts share two words. For a 16-byte key and an 8-byte V
  // this is 56 bytes (a 64-byte malloc block); it was 96 (112) with a head
  // and a tail, an inline std::optional failure and a padded refs, and 72
  // (80) with std::optional<V> and the failure's pointer here.
  //
  // The two words are two memory locations (the zero-width bit-field
  // between them makes them so) with different rules, which is why the
  // flags sit where they do:
  //   - refs and locked: written under the exclusive shard lock, read under
  //     the shard lock (waiters queue and leave while a holder works).
  //   - failures and has_value follow the value's rule (see "Who may touch
  //     a state's value" above): written under the exclusive shard lock,
  //     and while the key is held only by its holder, who also reads them
  //     without the shard lock. A bit of has_value in the refs word would
  //     be a data race between that read and a waiter's ++refs.
  // failures is 31 bits: an entry compares it with the count it saw when it
  // queued, so it would take exactly 2^31 failures published while one
  // waiter queues to fool it.
  struct state : std::conditional_t<Lru, lru_part, no_lru_part> {
    state(K k, uint64_t h) : key(std::move(k)), hash(h) {}
    ~state() {
      if (has_value_) std::destroy_at(&value_);
    }
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    const K key;
    const uint64_t hash;
    owner_id owner = 0;
    waiter_base* tail = nullptr;
    uint32_t refs : 31 = 0;
    uint32_t locked : 1 = 0;
    // Zero width: ends the memory location. Adjacent bit-fields are one
    // location in C++, and the compiler may (and gcc does) write refs with
    // an 8-byte access covering has_value_: without this, a waiter's ++refs
    // races with the holder's unlocked read of has_value_ (TSan saw it).
    uint32_t : 0;
    uint32_t failures : 31 = 0;

   private:
    uint32_t has_value_ : 1 = 0;
    union {
      V value_;  // live while has_value_
    };

   public:
    bool has_value() const noexcept { return has_value_; }
    // Requires: has_value().
    V& value() noexcept { return value_; }
    const V& value() const noexcept { return value_; }
    // Requires: !has_value().
    void emplace_value(V&& v) {
      std::construct_at(&value_, std::move(v));
      has_value_ = 1;
    }
    // Requires: has_value().
    void reset_value() noexcept {
      std::destroy_at(&value_);
      has_value_ = 0;
    }

    waiter_base* head() const noexcept { return tail ? tail->next : nullptr; }
    // Calls f(waiter_base&) for each queued waiter, head first.
    template <class F>
    void for_each_waiter(F&& f) const {
      if (!tail) return;
      waiter_base* w = tail->next;
      for (;;) {
        waiter_base* next = w->next;
        f(*w);
        if (w == tail) return;
        w = next;
      }
    }
  };

  // A failure value published to a key's waiters (see publish_failure).
  // Rare, so it lives in its shard's list instead of a pointer in every
  // state; dropped when nobody holds or awaits the key any more (unref).
  struct published_failure {
    const state* st;
    std::unique_ptr<V> value;
  };

  struct alignas(detail::cache_line) shard {
    mutable detail::rw_lock lock;
    table_type table;
    std::size_t values = 0;
    std::vector<published_failure> failures;  // at most one per state; usually empty
    state* hot = nullptr;   // LRU only
    state* cold = nullptr;  // LRU only
    lru_stats stats;        // LRU only
    bool walking = false;   // a walk that erases is in the table: do not rebuild it (see walk_erasing)
  };

  // A sync waiter lives on the waiting thread's stack (see "Handing over").
  struct sync_waiter : waiter_base {
    std::atomic<uint32_t> granted{0};
    // Set last by the releaser: from then on it never touches this waiter,
    // whose frame may end ("Waits inside callbacks").
    std::atomic<uint32_t> done{0};
    // Called under the shard lock by the releaser. release: publishes the
    // hand-over (the new owner fields) to the woken thread's acquire load;
    // done's release store comes after the wake, this object's last use.
    void signal() noexcept {
      granted.store(1, std::memory_order_release);
      detail::wake_all(granted);
      done.store(1, std::memory_order_release);
    }
  };

 public:
  using key_type = K;
  using mapped_type = V;

  class entry;

  // A queued async lock request. The caller owns the object; it must stay
  // alive until granted() has been called or cancel() returned true.
  class async_waiter : private waiter_base {
   public:
    explicit async_waiter(owner_id owner) noexcept {
      this->owner = owner;
      this->is_async = true;
    }
    virtual ~async_waiter() = default;
    async_waiter(const async_waiter&) = delete;
    async_waiter& operator=(const async_waiter&) = delete;

   protected:
    // Called once the lock is handed to this waiter, on the releasing
    // thread, with no map lock held. `e` owns the lock: keep it, or let it
    // go (its destructor releases and hands the lock on).
    virtual void granted(entry e) noexcept = 0;

   private:
    friend class basic_lock_map;
  };

  // The holder of one key's lock (move-only). Its members lock nothing but
  // the key's shard for a moment; it may be released on any thread.
  class entry {
   public:
    entry() noexcept = default;
    entry(entry&& o) noexcept : map_(std::exchange(o.map_, nullptr)), st_(o.st_), seen_(o.seen_) {}
    entry& operator=(entry&& o) noexcept {
      if (this != &o) {
        reset();
        map_ = std::exchange(o.map_, nullptr);
        st_ = o.st_;
        seen_ = o.seen_;
      }
      return *this;
    }
    // Releases the lock. Requires: not inside a callback that holds this
    // key's shard lock (release() would throw; the destructor cannot).
    ~entry() { reset(); }

    bool holds() const noexcept { return map_ != nullptr; }
    explicit operator bool() const noexcept { return holds(); }

    // All below require holds(); they throw errc::entry_released otherwise.
    const K& key() const { return live()->key; }
    // Whether the key has a (fresh) value. Reads without the shard lock: the
    // holder is the only writer.
    bool exists() const {
      const state* st = live();  // first: it throws if released (map_ is then null)
      return map_->fresh(st);
    }
    std::optional<V> get() const {
      const state* st = live();
      return map_->fresh(st) ? std::optional<V>(st->value()) : std::nullopt;
    }
    // Lends the value (nullptr if none) to f; no lock is held while f runs.
    const V* value_ptr() const {
      const state* st = live();
      return map_->fresh(st) ? &st->value() : nullptr;
    }
    // Stores v (LRU: with the TTL that `ttl` chooses, see keep_ttl). May throw
    // errc::cache_full (LRU: no room could be made) and leave the key as it was.
    void set(V v, std::chrono::nanoseconds ttl = keep_ttl) {
      state* st = live();
      map_->store_held(st, std::move(v), ttl);
    }
    // Removes the value; returns whether there was one.
    bool remove() {
      state* st = live();
      return map_->remove_held(st);
    }
    // getOrCompute support: a failure published by an earlier holder after
    // this holder queued for the lock (see publish_failure), if any.
    std::optional<V> failure_since_queued() const {
      const state* st = live();
      if (st->failures == seen_) return std::nullopt;  // the holder's to read (see state)
      return map_->published_failure_of(st);
    }
    // Records `failure` for every waiter queued now: their entries will
    // return it from failure_since_queued(). Dropped when nobody holds or
    // waits for the key any more.
    void publish_failure(V failure) {
      state* st = live();
      map_->publish_failure(st, std::move(failure));
    }

    // Gives the lock to the next waiter, or frees it.
    void release() {
      if (!map_) throw error(errc::entry_released, "the entry was already released");
      map_->unlock_state(st_);
      map_ = nullptr;
    }

   private:
    friend class basic_lock_map;
    entry(basic_lock_map* m, state* st, uint32_t seen) noexcept : map_(m), st_(st), seen_(seen) {}
    state* live() const {
      if (!map_) throw error(errc::entry_released, "the entry was released: its lock is gone");
      return st_;
    }
    void reset() noexcept {
      if (map_) std::exchange(map_, nullptr)->template unlock_state<true>(st_);
    }
    basic_lock_map* map_ = nullptr;
    state* st_ = nullptr;
    uint32_t seen_ = 0;
  };

  // ---- construction. Not synchronized (the map is not shared yet). ----

  explicit basic_lock_map(lock_map_options opts = {}, Hash hash = Hash(), Eq eq = Eq())
      : hash_(std::move(hash)), eq_(std::move(eq)), clock_(std::move(opts.clock)) {
    std::size_t n = opts.shards ? opts.shards : hardware_shard_count();
    if (n > max_shard_count || !std::has_single_bit(n))
      throw std::invalid_argument("shard count must be a power of two in [1, 65536]");
    if constexpr (Lru) {
      if (opts.capacity == 0) throw std::invalid_argument("an LruLockMap needs a capacity of at least 1");
      capacity_ = opts.capacity;
      ttl_ = opts.ttl.count() > 0 ? opts.ttl.count() : 0;
    }
    shift_ = n == 1 ? 64 : 64 - std::countr_zero(n);
    shards_ = std::make_unique<shard[]>(n);
    shard_count_ = n;
    if constexpr (!Lru) {
      if (opts.capacity) {
        const std::size_t per = detail::per_shard_reserve(opts.capacity, n);
        for (std::size_t i = 0; i < n; ++i) shards_[i].table.reserve(per, state_hash{});
        shard_floor_ = detail::capacity_for(per);  // erasures never shrink a table below its reservation
      }
    }
  }

  basic_lock_map(const basic_lock_map&) = delete;
  basic_lock_map& operator=(const basic_lock_map&) = delete;

  // Requires: no entry, waiter or call is alive on this map.
  ~basic_lock_map() {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shards_[i].table.for_each([](auto& slot) { delete slot.key; });
    }
  }

  // ---- key locks. ----

  // Locks `key` (present or not), waiting until `dl`. Throws
  // errc::would_deadlock if `owner` holds or is queued for the key, or if
  // called from a callback holding a shard lock and the wait runs past
  // detail::nested_wait_limit; errc::lock_timeout at the deadline.
  // Concurrency: may block.
  entry lock(const K& key, owner_id owner = this_thread_owner(), deadline dl = {}) {
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    sync_waiter w;
    state* st;
    {
      stoppable_exclusive_access g(s.lock);
      st = find_or_create(s, key, h);
      if (!st->locked) return acquire_unlocked(s, st, owner);
      check_not_own(st, owner);
      enqueue(st, w, owner, h);
    }
    wait_for_grant(s, w, dl);
    return entry(this, st, w.seen_failures);
  }

  // Locks `key` if nobody holds it and nobody waits for it. Locks one shard.
  std::optional<entry> try_lock(const K& key, owner_id owner = this_thread_owner()) {
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    stoppable_exclusive_access g(s.lock);
    state* st = find_or_create(s, key, h);
    if (st->locked) return std::nullopt;
    return acquire_unlocked(s, st, owner);
  }

  // Locks `key` now if it is free (returns the entry; `w` is not used), or
  // queues `w` and returns nullopt: w.granted() is called when the lock is
  // handed to it. Never blocks (locks one shard). `w` must not be queued.
  std::optional<entry> lock_async(const K& key, async_waiter& w) {
    waiter_base& wb = w;
    THREADMAP_REQUIRE(!wb.queued);
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    stoppable_exclusive_access g(s.lock);
    state* st = find_or_create(s, key, h);
    if (!st->locked) return acquire_unlocked(s, st, wb.owner);
    enqueue(st, wb, wb.owner, h);
    return std::nullopt;
  }

  // Withdraws a queued async request. true: it was still queued and never
  // will be granted (the caller may free `w`); false: it was already handed
  // the lock (granted() runs or ran; the caller must let it finish).
  bool cancel(async_waiter& w) {
    waiter_base& wb = w;
    shard& s = shard_for(wb.hash);
    exclusive_access g(s.lock);
    if (!wb.queued) return false;
    state* st = wb.st;
    dequeue(st, wb);
    unref(s, st);
    return true;
  }

  // Locks every key of `keys` (duplicates once) in one global order (hash,
  // then operator<), so that batch_locks never deadlock each other. On any
  // error the keys already locked are released. May block.
  std::vector<entry> batch_lock(std::vector<K> keys, owner_id owner = this_thread_owner(), deadline dl = {}) {
    order_keys(keys);
    std::vector<entry> held;
    held.reserve(keys.size());
    for (const K& k : keys) held.push_back(lock(k, owner, dl));
    return held;
  }

  // Sorts `keys` into batch_lock's order and drops duplicates.
  void order_keys(std::vector<K>& keys) const {
    std::vector<std::pair<uint64_t, std::size_t>> order;
    order.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) order.emplace_back(hash_(keys[i]), i);
    std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return keys[a.second] < keys[b.second];
    });
    std::vector<K> out;
    out.reserve(keys.size());
    for (std::size_t j = 0; j < order.size(); ++j) {
      const K& k = keys[order[j].second];
      if (j > 0 && order[j - 1].first == order[j].first && eq_(keys[order[j - 1].second], k)) continue;
      out.push_back(k);
    }
    keys = std::move(out);
  }

  // ---- reads. Never wait for a key's lock; see the last value stored. ----

  // A copy of the value. LRU: moves the key to the hot end and counts a hit
  // or a miss (locks one shard exclusively); LockMap: locks one shard shared.
  std::optional<V> get(const K& key) {
    std::optional<V> out;
    visit(key, [&](const V& v) { out.emplace(v); });
    return out;
  }

  // get()'s read without the copy: calls f(const V&) with the value under
  // the shard lock, if the key has one, and returns whether it did (for
  // callers whose copy of a value would allocate: they take what they need
  // from it in place). Same locking, promotion and statistics as get(); f
  // runs under the lock, so a call back into a map from f is refused as
  // from any callback (lock_tracker.hpp).
  template <class F>
  bool visit(const K& key, F&& f) {
    static_assert(std::is_invocable_v<F&, const V&>, "visit's callback takes (const V&)");
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    if constexpr (Lru) {
      stoppable_exclusive_callback_access g(s.lock);
      state* st = find(s, key, h);
      if (st && st->has_value() && expire_if_stale(s, st)) st = nullptr;
      if (!st || !st->has_value()) {
        ++s.stats.misses;
        return false;
      }
      ++s.stats.hits;
      promote(s, st);
      f(static_cast<const V&>(st->value()));
      return true;
    } else {
      stoppable_shared_callback_access g(s.lock);
      const state* st = find(s, key, h);
      if (!st || !st->has_value()) return false;
      f(st->value());
      return true;
    }
  }

  // A copy of the value without promotion or statistics. Locks one shard shared.
  std::optional<V> peek(const K& key) const {
    std::optional<V> out;
    peek_visit(key, [&](const V& v) { out.emplace(v); });
    return out;
  }

  // peek()'s read without the copy, as visit() is get()'s.
  template <class F>
  bool peek_visit(const K& key, F&& f) const {
    static_assert(std::is_invocable_v<F&, const V&>, "peek_visit's callback takes (const V&)");
    const uint64_t h = hash_(key);
    const shard& s = shard_for(h);
    stoppable_shared_callback_access g(s.lock);
    const state* st = find(s, key, h);
    if (!st || !fresh(st)) return false;
    f(st->value());
    return true;
  }

  bool contains(const K& key) const {
    const uint64_t h = hash_(key);
    const shard& s = shard_for(h);
    stoppable_shared_access g(s.lock);
    const state* st = find(s, key, h);
    return st && fresh(st);
  }

  // ---- writes outside a lock: wait for a held key like lock() does. ----

  // f(alter_entry<V>&) reads the current value and decides (assign / erase);
  // the decision is applied after f returns, so an f that throws changes
  // nothing. f runs under the shard lock if the key is free, else after its
  // lock was taken (no shard lock held). LRU: f may run again if the store
  // had to wait for room. Returns what f returns. Throws as lock() does.
  template <class F>
  auto alter(const K& key, F&& f, owner_id owner = this_thread_owner(), deadline dl = {}, std::chrono::nanoseconds ttl = keep_ttl) {
    using R = decltype(f(std::declval<alter_entry<V>&>()));
    static_assert(!std::is_void_v<R>, "alter's function must return a value (its result is alter's result)");
    const uint64_t h = hash_(key);
    shard& s = shard_for(h);
    sync_waiter w;
    state* st = nullptr;
    // A held key: queue behind its holder under the same shard lock that
    // saw it held, then wait with no shard lock.
    if (std::optional<R> r = alter_if_free(s, key, h, f, ttl, [&](state* held) {
          check_not_own(held, owner);
          enqueue(held, w, owner, h);
          st = held;
        }))
      return std::move(*r);
    wait_for_grant(s, w, dl);
    entry held(this, st, w.seen_failures);
    for (;;) {
      {
        exclusive_callback_access g(s.lock);
        alter_entry<V> e(fresh(st) ? &st->value() : nullptr);
        R r = f(e);
        if (apply(s, st, key, h, e, ttl)) return r;
      }
      make_room_elsewhere(s);
    }
  }

  // alter() for a caller that must not wait for the key's lock: if the key
  // is held (so also if anyone waits for it: a hand-over keeps it held), f
  // does not run, nothing changes and the result is empty; otherwise as
  // alter() (f under the shard lock; LRU: f may run again after room was
  // made in another shard). The addon's fast path uses it and, when it
  // comes back empty, leaves the call to alter(), which waits.
  template <class F>
  auto try_alter(const K& key, F&& f, std::chrono::nanoseconds ttl = keep_ttl)
      -> std::optional<decltype(f(std::declval<alter_entry<V>&>()))> {
    const uint64_t h = hash_(key);
    return alter_if_free(shard_for(h), key, h, f, ttl, [](state*) {});
  }

  // Stores v; returns the previous value.
  std::optional<V> insert(const K& key, V v, owner_id owner = this_thread_owner(), deadline dl = {},
                          std::chrono::nanoseconds ttl = keep_ttl) {
    return alter(
        key,
        [&](alter_entry<V>& e) {
          std::optional<V> old = e.exists() ? std::optional<V>(e.value()) : std::nullopt;
          e.assign(v);
          return old;
        },
        owner, dl, ttl);
  }

  // Removes the value; returns it.
  std::optional<V> take(const K& key, owner_id owner = this_thread_owner(), deadline dl = {}) {
    return alter(
        key,
        [&](alter_entry<V>& e) {
          std::optional<V> old = e.exists() ? std::optional<V>(e.value()) : std::nullopt;
          e.erase();
          return old;
        },
        owner, dl);
  }

  bool remove(const K& key, owner_id owner = this_thread_owner(), deadline dl = {}) {
    return take(key, owner, dl).has_value();
  }

  // ---- whole-map members: shard by shard, one shard lock at a time. ----

  // Values stored. LockMap: the sum of every shard's count, locking only a
  // shard a writer is in (detail::sum_as_holder: `values` changes only
  // under the exclusive shard lock); LRU: one atomic load (it may count a
  // stale value not yet expired).
  std::size_t size() const {
    if constexpr (Lru) {
      return count_.load(std::memory_order_relaxed);
    } else {
      require_no_own_lock();
      return detail::sum_as_holder(shards_.get(), shard_count_,
                                   [](const shard& s) { return __atomic_load_n(&s.values, __ATOMIC_RELAXED); });
    }
  }

  // Removes every value. Keys held by others are waited for (like a write
  // outside a lock); a key held or awaited by `owner` is errc::would_deadlock,
  // raised before anything is removed.
  void clear(owner_id owner = this_thread_owner(), deadline dl = {}) {
    require_no_own_lock();
    require_not_owner_anywhere(owner);
    std::vector<K> held;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shard& s = shards_[i];
      stoppable_exclusive_access g(s.lock);
      walk_erasing(s, [&](auto& slot) {
        state* st = slot.key;
        if (st->refs == 0) {
          drop_value(s, st);
          erase_state(s, st);
        } else if (st->has_value()) {
          held.push_back(st->key);
        }
      });
      // An emptied table's array goes entirely (the states live on the
      // heap, nothing points into it); otherwise it may be rebuilt smaller.
      if (s.table.size() == 0) {
        s.table.clear();
      } else {
        after_erasures(s);
      }
    }
    for (const K& k : held) remove(k, owner, dl);
  }

  // Keeps the values for which pred(key, value) is true; returns how many
  // it removed. pred runs under the shard lock for keys nobody holds, and
  // with the key's lock (no shard lock) for held keys, which it waits for.
  template <class Pred>
  std::size_t retain(Pred&& pred, owner_id owner = this_thread_owner(), deadline dl = {}) {
    require_no_own_lock();
    require_not_owner_anywhere(owner);
    std::size_t removed = 0;
    std::vector<K> held;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shard& s = shards_[i];
      stoppable_exclusive_callback_access g(s.lock);
      walk_erasing(s, [&](auto& slot) {
        state* st = slot.key;
        if (!st->has_value()) return;
        if (st->refs != 0) {
          held.push_back(st->key);
          return;
        }
        if (!fresh(st)) {
          expire_if_stale(s, st);
          return;
        }
        if (!pred(static_cast<const K&>(st->key), static_cast<const V&>(st->value()))) {
          drop_value(s, st);
          erase_state(s, st);
          ++removed;
        }
      });
      after_erasures(s);
    }
    for (const K& k : held) {
      removed += alter(
          k,
          [&](alter_entry<V>& e) -> std::size_t {
            if (!e.exists() || pred(k, e.value())) return 0;
            e.erase();
            return 1;
          },
          owner, dl);
    }
    return removed;
  }

  // Calls f(key, value) for every fresh value, copying one shard at a time
  // (f runs with no lock held). Weakly consistent.
  template <class F>
  void for_each(F&& f) const {
    require_no_own_lock();
    std::vector<std::pair<K, V>> copy;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      copy.clear();
      for_each_in_shard(i, [&](const K& k, const V& v) { copy.emplace_back(k, v); });
      for (auto& [k, v] : copy) f(static_cast<const K&>(k), static_cast<const V&>(v));
    }
  }

  // Calls f(key, value) for every fresh value of shard i, under that
  // shard's shared lock (guarded: f must not need the same shard).
  template <class F>
  void for_each_in_shard(std::size_t i, F&& f) const {
    THREADMAP_REQUIRE(i < shard_count_);
    const shard& s = shards_[i];
    stoppable_shared_callback_access g(s.lock);
    s.table.for_each([&](const auto& slot) {
      const state* st = slot.key;
      if (fresh(st)) f(st->key, st->value());
    });
  }

  std::size_t shard_count() const noexcept { return shard_count_; }

  // Bytes of one key's state (one heap block each, besides its table slot):
  // most of the map's memory per entry (see `state`).
  static constexpr std::size_t state_bytes = sizeof(state);

  // Live states (values, held or awaited keys) over all shards: a diagnostic
  // for tests (a state that outlives its last user is a leak).
  std::size_t state_count() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      stoppable_shared_access g(shards_[i].lock);
      n += shards_[i].table.size();
    }
    return n;
  }

  // Bytes this map holds for its structure and entries: the shards, their
  // tables and one state per live key (a value, a holder or a waiter). Not
  // counted: waiters, published failures, the allocator's own overhead, and
  // what K and V allocate themselves. Locks each shard in turn, shared.
  std::size_t allocated_bytes() const {
    std::size_t n = shard_count_ * sizeof(shard);
    for (std::size_t i = 0; i < shard_count_; ++i) {
      stoppable_shared_access g(shards_[i].lock);
      n += shards_[i].table.allocated_bytes() + shards_[i].table.size() * sizeof(state);
    }
    return n;
  }

  // Waiters queued for `key` (a diagnostic for tests). Locks one shard.
  std::size_t waiting(const K& key) const {
    const uint64_t h = hash_(key);
    const shard& s = shard_for(h);
    stoppable_shared_access g(s.lock);
    const state* st = find(s, key, h);
    std::size_t n = 0;
    if (st) st->for_each_waiter([&](const waiter_base&) { ++n; });
    return n;
  }

  // LRU only.
  std::size_t capacity() const noexcept { return capacity_; }
  lru_stats stats() const {
    lru_stats out;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      stoppable_shared_access g(shards_[i].lock);
      const lru_stats& st = shards_[i].stats;
      out.hits += st.hits;
      out.misses += st.misses;
      out.evictions += st.evictions;
      out.expirations += st.expirations;
    }
    return out;
  }
  // Counts a hit or a miss as get() does (for callers that looked up a
  // value another way, e.g. through an entry).
  void record_lookup(const K& key, bool hit) {
    shard& s = shard_for(hash_(key));
    exclusive_access g(s.lock);
    ++(hit ? s.stats.hits : s.stats.misses);
  }
  // Turns a hit counted for `key` into a miss: for a caller that counted
  // the lookup (get, visit) and then, reading the value again by peek,
  // found it gone (expired, removed) before it could return it.
  void hit_was_a_miss(const K& key) {
    shard& s = shard_for(hash_(key));
    exclusive_access g(s.lock);
    if (s.stats.hits != 0) --s.stats.hits;
    ++s.stats.misses;
  }

 private:
  using shared_access = detail::shared_access;
  using exclusive_access = detail::exclusive_access;
  using must_exclusive_access = detail::must_exclusive_access;
  using shared_callback_access = detail::shared_callback_access;
  using exclusive_callback_access = detail::exclusive_callback_access;
  // The first shard lock of a public member is stoppable: a thread told to
  // stop while it waits for it (detail/parking.hpp) leaves with
  // errc::aborted before anything changed. Every later acquisition (hand-
  // over, release, the end of a wait, eviction) is plain: it must not fail.
  using stoppable_shared_access = detail::stoppable_shared_access;
  using stoppable_exclusive_access = detail::stoppable_exclusive_access;
  using stoppable_shared_callback_access = detail::stoppable_shared_callback_access;
  using stoppable_exclusive_callback_access = detail::stoppable_exclusive_callback_access;

  // The table's key equality: by hash and key, or (`same` non-null) by identity.
  template <class E>
  struct state_eq {
    const E& eq;
    uint64_t h;
    const state* same;
    bool operator()(const state* st, const K& k) const {
      return same ? st == same : st->hash == h && eq(st->key, k);
    }
    bool operator()(const K&, const K&) const noexcept;  // for flat_table's noexcept test only
  };

  struct state_hash {
    uint64_t operator()(const state* st) const noexcept { return st->hash; }
  };

  shard& shard_for(uint64_t h) noexcept { return shards_[shift_ == 64 ? 0 : h >> shift_]; }
  const shard& shard_for(uint64_t h) const noexcept { return shards_[shift_ == 64 ? 0 : h >> shift_]; }

  // Requires (all *_locked helpers and those below): the shard's lock,
  // exclusive unless only reading.
  state* find(const shard& s, const K& key, uint64_t h) const {
    auto* slot = s.table.find(key, h, state_eq<Eq>{eq_, h, nullptr});
    return slot ? slot->key : nullptr;
  }

  state* find_or_create(shard& s, const K& key, uint64_t h) {
    if (state* st = find(s, key, h)) return st;
    auto fresh_state = std::make_unique<state>(key, h);
    s.table.insert_unique(h, state_hash{}, fresh_state.get(), nothing{});
    return fresh_state.release();
  }

  void erase_state(shard& s, state* st) noexcept {
    THREADMAP_REQUIRE(st->refs == 0 && !st->has_value());
    auto* slot = s.table.find(st->key, st->hash, state_eq<Eq>{eq_, st->hash, st});
    THREADMAP_REQUIRE(slot);
    s.table.erase(slot);
    delete st;
    // A table that erasures left at most 1/8 full is rebuilt smaller
    // (flat_table.hpp, shrink_if_sparse), so a map that lost most of its
    // keys gives the memory back. Safe here: nothing keeps a slot pointer
    // across this call (states live on the heap and are reached by
    // pointer), except a walk of the table, whose caller calls
    // after_erasures when it ends.
    if (!s.walking) after_erasures(s);
  }

  // After erasures from s, under its exclusive lock and not inside a walk
  // of its table: a table left at most 1/8 full is rebuilt smaller.
  void after_erasures(shard& s) noexcept { s.table.shrink_if_sparse(state_hash{}, shard_floor_); }

  // Walks s's table with f, which may erase states (erase_state then leaves
  // the table as it is: the caller calls after_erasures, or frees the
  // emptied table, after the walk). Requires: s's exclusive lock.
  template <class F>
  void walk_erasing(shard& s, F&& f) {
    struct walk_scope {
      shard& s;
      explicit walk_scope(shard& sh) : s(sh) { s.walking = true; }
      ~walk_scope() { s.walking = false; }  // also when f throws (a retain predicate)
    };
    walk_scope scope(s);
    s.table.for_each(f);
  }

  // Drops a reference; frees the state if nothing keeps it.
  void unref(shard& s, state* st) noexcept {
    THREADMAP_REQUIRE(st->refs > 0);
    if (--st->refs == 0) {
      if (!s.failures.empty()) drop_failure(s, st);
      if (!st->has_value()) erase_state(s, st);
    }
  }

  entry acquire_unlocked(shard& s, state* st, owner_id owner) noexcept {
    THREADMAP_REQUIRE(!st->locked && !st->tail);
    st->locked = true;
    st->owner = owner;
    ++st->refs;
    if constexpr (Lru) {
      if (st->has_value()) promote(s, st);
    }
    return entry(this, st, st->failures);
  }

  void check_not_own(const state* st, owner_id owner) const {
    if (st->owner == owner)
      throw error(errc::would_deadlock, "this thread already holds the lock of this key: waiting for it would never end");
    st->for_each_waiter([&](const waiter_base& w) {
      if (w.owner == owner)
        throw error(errc::would_deadlock,
                    "this thread already waits (asynchronously) for this key: a blocking wait behind it would never end");
    });
  }

  void enqueue(state* st, waiter_base& w, owner_id owner, uint64_t h) noexcept {
    w.owner = owner;
    w.hash = h;
    w.st = st;
    w.seen_failures = st->failures;
    w.queued = true;
    if (st->tail) {  // after the tail, before the head
      w.next = st->tail->next;
      st->tail->next = &w;
    } else {
      w.next = &w;
    }
    st->tail = &w;
    ++st->refs;
  }

  void dequeue(state* st, waiter_base& w) noexcept {
    THREADMAP_REQUIRE(st->tail != nullptr);
    // The ring's node before w (w itself when w is alone).
    waiter_base* prev = st->tail;
    while (prev->next != &w) {
      prev = prev->next;
      THREADMAP_REQUIRE(prev != st->tail);  // went round: w is not queued here
    }
    if (prev == &w) {
      st->tail = nullptr;
    } else {
      prev->next = w.next;
      if (st->tail == &w) st->tail = prev;
    }
    w.next = nullptr;
    w.queued = false;
  }

  static constexpr std::chrono::microseconds spin_budget{100};

  // Waits until w is granted, or fails (deadline, deadlock, stop: dequeued,
  // nothing held).
  void wait_for_grant(shard& s, sync_waiter& w, deadline dl) {
    // A thread inside a callback holds a shard lock: it must not wait long
    // for anything (see "Callbacks").
    errc on_timeout = errc::lock_timeout;
    if (detail::this_thread_locks().depth != 0) {
      const deadline bound = deadline::after(detail::nested_wait_limit);
      if (bound.at < dl.at) {
        dl = bound;
        on_timeout = errc::would_deadlock;
      }
    }
    // Spin briefly before parking: a hand-off usually comes within a few
    // microseconds, while a futex sleep and wake-up costs tens of them on a
    // virtual machine (measured: hand-off p50 40 us parked, 0.5 us spinning;
    // bench/RESULTS.md). First with PAUSE, then yielding the core, in case
    // the holder waits for it (more runnable threads than cores); bounded by
    // spin_budget, so a long wait still sleeps.
    // acquire: pairs with signal()'s release.
    if (w.granted.load(std::memory_order_acquire) == 0) {
      const auto start = detail::park_clock::now();
      for (unsigned i = 1; w.granted.load(std::memory_order_acquire) == 0; ++i) {
        if (i < 256) {
          THREADMAP_PAUSE();
          continue;
        }
        std::this_thread::yield();
        if ((i & 7) == 0 && detail::park_clock::now() - start >= spin_budget) break;
      }
    }
    if (w.granted.load(std::memory_order_acquire) == 0) park(s, w, dl, on_timeout);
    // Granted: the releaser may still be inside signal() (its wake call);
    // `w` dies with this frame only once it is out. acquire: pairs with
    // done's release store, the releaser's last access. (No lock: taking
    // the shard here could fail inside a callback, after the grant.)
    for (unsigned i = 1; w.done.load(std::memory_order_acquire) == 0; ++i) {
      if (i < 256) {
        THREADMAP_PAUSE();
      } else {
        std::this_thread::yield();
      }
    }
  }

  // Sleeps until w is granted. On a deadlock, the deadline or a stop it
  // leaves w's queue and throws (give_up), unless w was granted meanwhile.
  void park(shard& s, sync_waiter& w, deadline dl, errc on_timeout) {
    // Join the process's wait graph, unless this wait would close a cycle
    // of threads waiting for each other's keys (a deadlock: then fail
    // instead). Waits from callbacks stay out (bounded by wait_for_grant).
    detail::wait_graph& graph = detail::wait_graph::instance();
    const bool in_graph = detail::this_thread_locks().depth == 0;
    if (in_graph && !graph.add_unless_cycle(w.owner, {this, w.st, &holder_of_state})) {
      give_up(s, w, errc::would_deadlock,
              "waiting for this key would deadlock: its holder waits, directly or through other threads, for a "
              "key this thread holds");
      return;  // granted meanwhile
    }
    const detail::wait_interrupt intr = detail::tl_wait_interrupt;
    while (w.granted.load(std::memory_order_acquire) == 0) {
      // With an interruption check, park in slices and ask it between them;
      // in the graph, also ask whether a ring closed since (wait_graph.hpp,
      // "Rings that close later").
      auto until = dl.at;
      if (intr.interrupted) until = std::min(until, detail::park_clock::now() + detail::interrupt_poll_period);
      if (in_graph) until = std::min(until, detail::park_clock::now() + detail::wait_graph::cycle_poll_period);
      if (detail::wait_until(w.granted, 0, until)) continue;
      const bool sliced = until != dl.at;  // a slice ended, not the deadline
      if (sliced && in_graph && w.granted.load(std::memory_order_acquire) == 0 && graph.leave_if_cycle(w.owner)) {
        give_up(s, w, errc::would_deadlock,
                "waiting for this key would deadlock: its holder now waits, directly or through other threads, "
                "for a key this thread holds");
        return;  // granted meanwhile
      }
      // A slice that ended: wait on unless the interruption check says stop.
      if (sliced && !(intr.interrupted && intr.interrupted(intr.ctx))) continue;
      // Leave the graph before the queue (see wait_graph.hpp: no edge may
      // outlive its wait, or another walk could see a cycle that is gone).
      if (in_graph) graph.remove(w.owner);
      if (sliced) {  // here only if the interruption check said stop
        give_up(s, w, errc::aborted, "the thread is stopping: its wait for the lock of a key was abandoned");
      } else {
        give_up(s, w, on_timeout,
                on_timeout == errc::lock_timeout ? "timed out waiting for the lock of a key"
                                                 : "a lock call from inside a callback waited too long for a key; "
                                                   "waiting longer could deadlock");
      }
      return;  // granted meanwhile
    }
    if (in_graph) graph.remove(w.owner);
  }

  // Ends an unsuccessful wait: takes w out of its queue and throws, unless
  // it was granted meanwhile (then returns: the caller holds the lock).
  void give_up(shard& s, sync_waiter& w, errc code, const char* message) {
    // Cannot fail: w must leave the queue before this frame ends ("Waits
    // inside callbacks").
    must_exclusive_access g(s.lock);
    if (w.granted.load(std::memory_order_acquire) != 0) return;  // granted just now: keep it
    state* st = w.st;
    dequeue(st, w);
    unref(s, st);
    throw error(code, message);
  }

  // wait_graph::holder_fn: the owner holding `key` (a state of `map`).
  static bool holder_of_state(const void* map, const void* key, detail::wait_graph::owner_id& holder) noexcept {
    const auto& self = *static_cast<const basic_lock_map*>(map);
    const auto& st = *static_cast<const state*>(key);
    const shard& s = self.shard_for(st.hash);  // hash is const: readable without the lock
    shared_access g(s.lock);
    if (!st.locked) return false;
    holder = st.owner;
    return true;
  }

  // Releases a held key: hands it to the first waiter, or frees it. Must:
  // for an entry's destructor, which cannot report a failure (an untimed
  // wait for the shard, also inside a callback); otherwise (release()) a
  // nested wait is bounded and fails with would_deadlock, the key still held.
  template <bool Must = false>
  void unlock_state(state* st) {
    shard& s = shard_for(st->hash);
    async_waiter* next_async = nullptr;
    uint32_t seen = 0;
    {
      std::conditional_t<Must, must_exclusive_access, exclusive_access> g(s.lock);
      THREADMAP_REQUIRE(st->locked && st->refs > 0);
      if (waiter_base* w = st->head()) {
        dequeue(st, *w);  // the head: its predecessor is the tail, no walk
        st->owner = w->owner;
        --st->refs;  // the old holder's reference; the waiter's becomes the holder's
        if constexpr (Lru) {
          if (st->has_value()) promote(s, st);
        }
        if (w->is_async) {
          next_async = static_cast<async_waiter*>(w);
          seen = w->seen_failures;
        } else {
          static_cast<sync_waiter*>(w)->signal();
        }
      } else {
        st->locked = false;
        st->owner = 0;
        unref(s, st);
      }
    }
    if (next_async) next_async->granted(entry(this, st, seen));
  }

  void publish_failure(state* st, V failure) {
    auto kept = std::make_unique<V>(std::move(failure));  // before the lock: it may throw
    shard& s = shard_for(st->hash);
    exclusive_access g(s.lock);
    if (published_failure* f = find_failure(s, st)) {
      f->value = std::move(kept);
    } else {
      s.failures.push_back({st, std::move(kept)});  // may throw: then nothing changed
    }
    ++st->failures;
  }

  // The failure last published for st, if it is still kept. Requires: the
  // caller holds st (st lives, and its failure cannot be dropped meanwhile).
  std::optional<V> published_failure_of(const state* st) const {
    const shard& s = shard_for(st->hash);
    shared_access g(s.lock);
    const published_failure* f = find_failure(s, st);
    if (!f) return std::nullopt;
    return *f->value;
  }

  // Under the shard lock. Shard: shard or const shard.
  template <class Shard>
  static auto* find_failure(Shard& s, const state* st) noexcept {
    for (auto& f : s.failures)
      if (f.st == st) return &f;
    return static_cast<decltype(s.failures.data())>(nullptr);
  }
  // Under the exclusive shard lock.
  static void drop_failure(shard& s, const state* st) noexcept {
    if (published_failure* f = find_failure(s, st)) {
      *f = std::move(s.failures.back());
      s.failures.pop_back();
    }
  }

  // Whether st has a value that has not expired. Requires: the shard lock, or
  // being st's holder.
  bool fresh(const state* st) const {
    if (!st->has_value()) return false;
    if constexpr (Lru) {
      return st->expires == 0 || now() < st->expires;
    } else {
      return true;
    }
  }

  int64_t now() const {
    if (clock_) return clock_();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(detail::park_clock::now().time_since_epoch()).count();
  }

  // LRU: if st's value is stale and nobody holds it, drops it (counts an
  // expiration). Returns whether st's value is stale.
  bool expire_if_stale(shard& s, state* st) {
    if (fresh(st)) return false;
    if constexpr (Lru) {
      if (st->refs == 0) {
        drop_value(s, st);
        ++s.stats.expirations;
        erase_state(s, st);
      }
    }
    return true;
  }

  // Applies an alter_entry's decision to st (nullptr: the key has no state).
  // Returns false, changing nothing, if the store needs room that only
  // another shard can give (the caller unlocks, makes room, retries).
  bool apply(shard& s, state*& st, const K& key, uint64_t h, alter_entry<V>& e, std::chrono::nanoseconds ttl) {
    if (e.erase_) {
      if (st && st->has_value()) {
        drop_value(s, st);
        if (st->refs == 0) {
          erase_state(s, st);
          st = nullptr;
        }
      }
      return true;
    }
    if (!e.next_) return true;
    if (st && st->has_value()) {
      replace_value(s, st, std::move(*e.next_), ttl);
      return true;
    }
    const bool created = !st;
    if (created) st = find_or_create(s, key, h);
    if (!reserve_room(s, st)) {
      if (created) {
        erase_state(s, st);
        st = nullptr;
      }
      return false;
    }
    add_value(s, st, std::move(*e.next_), ttl);
    return true;
  }

  void store_held(state* st, V v, std::chrono::nanoseconds ttl) {
    shard& s = shard_for(st->hash);
    for (;;) {
      {
        exclusive_access g(s.lock);
        if (st->has_value()) {
          replace_value(s, st, std::move(v), ttl);
          return;
        }
        if (reserve_room(s, st)) {
          add_value(s, st, std::move(v), ttl);
          return;
        }
      }
      make_room_elsewhere(s);
    }
  }

  bool remove_held(state* st) {
    shard& s = shard_for(st->hash);
    exclusive_access g(s.lock);
    const bool had = fresh(st);
    if (st->has_value()) drop_value(s, st);
    return had;
  }

  void add_value(shard& s, state* st, V&& v, std::chrono::nanoseconds ttl) noexcept {
    st->emplace_value(std::move(v));
    ++s.values;
    if constexpr (Lru) {
      link_hot(s, st);
      st->own_ttl = 0;  // a new value: nothing to keep
      set_expiry(st, ttl);
    }
  }

  // Replaces st's stored value (an expired one too): fresh expiry, hot end.
  void replace_value(shard& s, state* st, V&& v, std::chrono::nanoseconds ttl) {
    if constexpr (Lru) {
      if (!fresh(st)) st->own_ttl = 0;  // the old value had expired: this is a new entry
    }
    st->value() = std::move(v);
    if constexpr (Lru) {
      set_expiry(st, ttl);
      promote(s, st);
    } else {
      (void)s, (void)ttl;
    }
  }

  // free_unit = false: the caller takes the value's unit of count_ over
  // for a new value (so that no other thread can take it in between).
  void drop_value(shard& s, state* st, bool free_unit = true) noexcept {
    if (!st->has_value()) return;
    st->reset_value();
    --s.values;
    if constexpr (Lru) {
      unlink(s, st);
      // relaxed: count_ is a bound, not a publication; every change is an RMW.
      if (free_unit) count_.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  // A value was stored in st: its TTL as `ttl` chooses (see keep_ttl).
  void set_expiry(state* st, std::chrono::nanoseconds ttl) noexcept {
    if constexpr (Lru) {
      if (ttl.count() != 0) st->own_ttl = ttl.count() > 0 ? ttl.count() : 0;
      const int64_t t = st->own_ttl ? st->own_ttl : ttl_;
      st->expires = t ? now() + t : 0;
    }
  }

  // The step alter() and try_alter() share: under the shard's exclusive
  // lock, if nobody holds the key, f decides and the decision is applied
  // (LRU: again after room was made in another shard, with no lock held),
  // and f's result is returned; if the key is held, on_held(state) runs
  // under that same lock (alter queues a waiter there, try_alter gives up)
  // and the result is empty.
  template <class F, class Held>
  auto alter_if_free(shard& s, const K& key, uint64_t h, F& f, std::chrono::nanoseconds ttl, Held&& on_held)
      -> std::optional<decltype(f(std::declval<alter_entry<V>&>()))> {
    for (;;) {
      {
        stoppable_exclusive_callback_access g(s.lock);
        state* st = find(s, key, h);
        if (st && st->locked) {
          on_held(st);
          return std::nullopt;
        }
        alter_entry<V> e(st && fresh(st) ? &st->value() : nullptr);
        auto r = f(e);
        if (apply(s, st, key, h, e, ttl)) return r;
      }
      make_room_elsewhere(s);
    }
  }

  // LRU list (requires the exclusive shard lock).
  void link_hot(shard& s, state* st) noexcept {
    if constexpr (Lru) {
      st->prev = nullptr;
      st->next = s.hot;
      if (s.hot) s.hot->prev = st;
      s.hot = st;
      if (!s.cold) s.cold = st;
    }
  }
  void unlink(shard& s, state* st) noexcept {
    if constexpr (Lru) {
      (st->prev ? st->prev->next : s.hot) = st->next;
      (st->next ? st->next->prev : s.cold) = st->prev;
      st->prev = st->next = nullptr;
    }
  }
  void promote(shard& s, state* st) noexcept {
    if constexpr (Lru) {
      if (s.hot == st) return;
      unlink(s, st);
      link_hot(s, st);
    }
  }

  // LRU: takes one unit of the global count for a new value in s, evicting
  // from s if the map is full. false: the map is full and s has nothing to
  // evict (the caller must make room elsewhere without s's lock).
  bool reserve_room(shard& s, state* keep) {
    if constexpr (!Lru) {
      (void)s, (void)keep;
      return true;
    } else {
      // relaxed: see drop_value.
      std::size_t cur = count_.load(std::memory_order_relaxed);
      while (cur < capacity_) {
        if (count_.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed)) return true;
      }
      // Full: the new value takes over the unit of a value evicted here.
      return evict_one(s, keep, false);
    }
  }

  // LRU: evicts one value from s (no state in `keep`): among the coldest
  // few unheld values an expired one, else the coldest unheld one.
  bool evict_one(shard& s, const state* keep, bool free_unit) {
    if constexpr (!Lru) {
      (void)s, (void)keep, (void)free_unit;
      return false;
    } else {
      constexpr int look_for_expired = 16;
      state* victim = nullptr;
      int seen = 0;
      for (state* st = s.cold; st && seen < look_for_expired; st = st->prev) {
        if (st == keep || st->refs != 0) continue;
        ++seen;
        if (!fresh(st)) {
          drop_value(s, st, free_unit);
          ++s.stats.expirations;
          erase_state(s, st);
          return true;
        }
        if (!victim) victim = st;
      }
      if (!victim) {
        for (state* st = s.cold; st; st = st->prev) {
          if (st != keep && st->refs == 0) {
            victim = st;
            break;
          }
        }
      }
      if (!victim) return false;
      drop_value(s, victim, free_unit);
      ++s.stats.evictions;
      erase_state(s, victim);
      return true;
    }
  }

  // LRU: frees one unit of the count by evicting from any shard, taking one
  // shard lock at a time (the caller holds none). Returns at once if the
  // count is already below capacity. Throws errc::cache_full if nothing in
  // the map can be evicted.
  void make_room_elsewhere(shard& own) {
    if constexpr (Lru) {
      const std::size_t start = static_cast<std::size_t>(&own - shards_.get());
      for (std::size_t k = 1; k <= shard_count_; ++k) {
        if (count_.load(std::memory_order_relaxed) < capacity_) return;
        shard& s = shards_[(start + k) % shard_count_];
        exclusive_access g(s.lock);
        if (evict_one(s, nullptr, true)) return;
      }
      if (count_.load(std::memory_order_relaxed) < capacity_) return;
      throw error(errc::cache_full,
                  "the LruLockMap is full and every entry is locked or waited for: none can be evicted to make room");
    } else {
      (void)own;
    }
  }

  // Whole-map calls from a callback under one of this map's shard locks
  // would reach that shard: fail before changing anything.
  void require_no_own_lock() const {
    detail::require_no_lock_in(shards_.get(), shards_.get() + shard_count_);
  }

  void require_not_owner_anywhere(owner_id owner) const {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      const shard& s = shards_[i];
      shared_access g(s.lock);
      s.table.for_each([&](const auto& slot) {
        const state* st = slot.key;
        if (st->locked) check_not_own(st, owner);
      });
    }
  }

  [[no_unique_address]] Hash hash_;
  [[no_unique_address]] Eq eq_;
  std::function<int64_t()> clock_;
  unsigned shift_ = 64;
  std::size_t shard_count_ = 0;
  std::size_t shard_floor_ = 0;  // slots a table keeps through erasures: the capacity option's reservation
  std::unique_ptr<shard[]> shards_;
  std::size_t capacity_ = 0;  // LRU
  int64_t ttl_ = 0;           // LRU, nanoseconds; 0 = none
  // LRU: values stored plus units reserved for stores in progress. Only
  // changed by RMWs, never above capacity_.
  alignas(detail::cache_line) std::atomic<std::size_t> count_{0};
};

template <class K, class V, class Hash = threadmap::hash<K>, class Eq = std::equal_to<K>>
using LockMap = basic_lock_map<K, V, Hash, Eq, false>;

template <class K, class V, class Hash = threadmap::hash<K>, class Eq = std::equal_to<K>>
using LruLockMap = basic_lock_map<K, V, Hash, Eq, true>;

}  // namespace threadmap
