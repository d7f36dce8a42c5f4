// threadmap/hopscotch_map.hpp: HopscotchMap, a hopscotch hash map whose
// reads never block and never take a lock, also during a resize.
//
// What it is: a port of kovan-map's HopscotchMap idea (seed 002) to
// C++20. Open addressing with hopscotch hashing (Herlihy, Shavit and
// Tzafrir 2008), neighbourhood H = 32: every entry lives within 32 slots
// of its home bucket, and each home keeps a 32-bit map of which of those
// slots hold its entries. The table doubles above a load factor of 0.75
// (or when an insert finds no room) and halves below 0.25, never below its
// initial size.
//
// Two storages, chosen by the template argument Inline (by default: when
// both K and V are trivially copyable and at most 8 bytes, see
// hopscotch_fits_inline):
//   - nodes: each entry is an immutable node reached through an atomic
//     slot pointer; a write installs a new node, replaced and removed
//     nodes are reclaimed by the epoch scheme (threadmap/epoch.hpp). Any
//     K and V.
//   - inline: the slot holds the key and the value as two atomic 64-bit
//     words. No allocation per write, and a lookup reads the home's cache
//     line(s) and nothing else. A value is replaced in place (one atomic
//     store), so readers validate every answer against the home's stamp
//     (below) instead of relying on immutable nodes.
//
// Memory layout:
//
//   class HopscotchMap {
//     Hash, Eq;
//     atomic<table*> table_;            // the current table
//     size_t min_size_;                 // never shrink below (the initial size)
//     striped_counter count_;           // entries, 8 padded stripes
//   };
//   struct table {
//     size_t size, mask;                // home buckets: a power of two
//     size_t slots;                     // size + H - 1 (the last homes' overflow)
//     unsigned seg_shift;               // a writer lock covers 2^seg_shift slots
//     atomic<bool> replaced;            // a resize made a newer table
//     atomic<size_t> shrink_below;      // halve below this count (size/4 or less)
//     bucket* b;                        // [slots]; nodes: 16 bytes, inline: 24 bytes
//       atomic<uint64_t> hop;           //   bits 0-31: hop map of this home,
//                                       //   bit 32: this slot is occupied (inline),
//                                       //   bits 33-63: the home's stamp
//       atomic<node*> slot;             //   nodes: the entry in this slot, or null
//       atomic<uint64_t> key, value;    //   inline: the entry's bits (stale when free)
//     seg_lock lock[segments];          // one padded spinlock per segment
//   };
//   struct node { uint64_t hash; K key; V value; };  // immutable once published
//
// Readers (get, contains, visit, for_each) pin, load the home's hop word,
// check the slots its map names, compare keys there, and load the hop word
// again. They never write shared memory and never wait. The stamp counts
// the times an entry of the home left a slot (moved on by a displacement,
// or removed); writers bump it before the slot can be reused. If the
// second load shows the same stamp, every slot the reader looked at held
// an entry of this home throughout, so its answer (absent, or the key's
// value) held at one moment of the read; otherwise it reads again.
// Writers move entries only forwards (displacement copies an entry to a
// free slot further on, then empties its old slot), in three release
// steps: the new slot, the home's hop word (new map, stamp + 1), the old
// slot. (A reader retries only because a writer completed such a change:
// lock-free, not wait-free. The stamp is 31 bits; a reader would have to
// be stalled across exactly 2^31 changes of one home to be fooled.)
// With nodes a hit needs no second load (the node is immutable); with
// inline words it does, because the slot may have been emptied and
// refilled by another key between the key's load and the value's.
//
// Writers coordinate with locks: one spinlock per segment of slots. A
// write locks the segments from its home to the end of its neighbourhood,
// then more segments upwards if it searches further for a free slot;
// segments are always taken in ascending order, so writers cannot
// deadlock. No lock is held while user code runs (compute's callback runs
// before the locked phase; Hash and Eq run under it).
//
// Resizing: the writer that wants it makes the new table's (zeroed)
// arrays while other writers go on writing, then takes every segment lock
// of the table (ascending), builds the new table from the entries (nodes
// are shared, not copied; inline words are copied), publishes it, marks
// the old one replaced and releases the locks; writers that were waiting
// see `replaced` and go to the new table. Readers are never stopped: until
// the switch they read the old table, which is frozen (complete and
// unchanging) while the new one is built. So writers wait for a resize's
// O(n) moves; readers do not. A growth of a table of 2^14 homes or more
// is moved in chunks, and writers that wait for its locks meanwhile move
// chunks too (move_chunks): the waiting writers share the moves instead
// of idling. Keys
// whose hashes clump (a poor Hash) can overflow a neighbourhood at a low
// load: the table then grows early, and a table left below a quarter full
// by a growth, or by a halving that would overflow (the halving is then
// dropped), shrinks only once its count has halved again, so writes never
// rebuild the table back and forth. A big
// table's array is mapped from the kernel with every page supplied at once
// (detail/big_array.hpp), not faulted in one page at a time by the resize.
//
// Memory orders: a node is published by the release store of its slot,
// inline words by the release stores of the value and then the key (a
// reader that loads the key with acquire sees that value or a later one),
// a table by the release store of table_; readers load all of these with
// acquire. Every store to a hop word is a release (a relaxed one would
// break the release sequence of the map store a reader synchronizes
// with). A reader's loads of the slots are acquires, so its second load of
// the hop word comes after them and sees every stamp bump that happened
// before a store it read (the bump precedes the reuse of the slot).
// Under a segment lock, writers read hop words and slots relaxed: the
// lock's acquire already orders every write made under it. `replaced` is
// written under every lock and read under one, so it is relaxed too.
//
// Reclamation: replaced and removed nodes, and replaced tables, are
// retired to the epoch scheme (a table as big garbage: freed at the
// resizing thread's next unpins, see epoch.hpp). Every public member pins
// for its own duration (plus its callback's, for visit, compute and
// for_each). A writer waiting for a segment lock (or for a resize) stays
// pinned while it waits, which delays reclamation in the process for that
// long; it never blocks a reader.
//
// Costs (n entries, load kept in [0.25, 0.75]):
//   get / contains / visit   O(1): pin, the hop word and the named slots
//                            (usually the home's cache line), the node
//                            (nodes only)
//   insert / remove / ...    O(1) expected: 1-2 segment locks, one node
//                            allocation for insert and replace (nodes
//                            only, from the thread's cache of freed nodes
//                            first: detail/block_cache.hpp); the free slot
//                            search and displacements are O(1) expected
//   resize                   O(n): the new arrays made with no lock held,
//                            the moves under every segment lock (writers
//                            wait, and share a big growth's moves)
//   size                     reads 8 stripes; exact when quiescent
//   for_each                 O(table), weakly consistent; clear swaps in an
//                            empty table (writers wait, readers do not)
//
// Requires of K and V: copy construction for the members that return or
// install copies; nothrow destruction. A retired node's destructor may run
// on another thread, after the map is destroyed. Hash returns uint64_t
// with all bits mixed (threadmap::hash<K> does: with fewer, many keys
// share homes, and since a home holds at most H entries the table grows
// far beyond its load factor) and must not throw (with
// inline storage a resize calls it under every lock). Hash and Eq run under a
// segment lock and must not call into this map; with inline storage Eq
// may also be called by readers on a key that has just left the slot.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>

#include "compute_entry.hpp"
#include "detail/big_array.hpp"
#include "detail/block_cache.hpp"
#include "detail/config.hpp"
#include "detail/striped_counter.hpp"
#include "epoch.hpp"
#include "hash.hpp"

namespace threadmap {

// Whether HopscotchMap can keep K and V in its slots as two atomic 64-bit
// words (its default storage for them): both trivially copyable, at most 8
// bytes each.
template <class K, class V>
inline constexpr bool hopscotch_fits_inline = std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<V> &&
                                              sizeof(K) <= 8 && sizeof(V) <= 8;

template <class K, class V, class Hash = threadmap::hash<K>, class Eq = std::equal_to<K>,
          bool Inline = hopscotch_fits_inline<K, V>>
class HopscotchMap {
  static_assert(!Inline || hopscotch_fits_inline<K, V>, "inline storage needs trivially copyable K and V of at most 8 bytes");
  static_assert(std::atomic<uint64_t>::is_always_lock_free);

  struct node {
    uint64_t hash;
    K key;
    V value;
    // From this thread's cache of freed nodes first (detail/block_cache.hpp).
    static void* operator new(std::size_t) { return detail::cached_new<node>(); }
    static void operator delete(void* p) noexcept { detail::cached_delete<node>(p); }
  };

  static constexpr std::size_t H = 32;                  // neighbourhood
  static constexpr std::size_t max_probe = 4096;        // free-slot search distance before a forced grow
  // A growth's moves are shared in chunks of this many old slots (see
  // move_chunks: more than max_probe + 2H), for tables of two chunks or more.
  static constexpr std::size_t chunk_slots = 8192;
  static_assert(chunk_slots > max_probe + 2 * H, "same-parity chunks of a shared growth must not touch one slot");
  static constexpr uint64_t map_bits = 0xffffffffull;   // hop word: the map
  static constexpr uint64_t occupied_bit = uint64_t{1} << 32;  // hop word: the slot holds an entry (inline)
  static constexpr unsigned stamp_shift = 33;
  static constexpr uint64_t stamp_one = uint64_t{1} << stamp_shift;  // hop word: stamp increment
  static uint64_t stamp(uint64_t hop) noexcept { return hop >> stamp_shift; }

  // The bits of a trivially copyable value of at most 8 bytes, and back.
  template <class T>
  static uint64_t to_word(const T& x) noexcept {
    uint64_t w = 0;
    std::memcpy(&w, std::addressof(x), sizeof(T));
    return w;
  }
  template <class T>
  static T from_word(uint64_t w) noexcept {
    std::array<unsigned char, sizeof(T)> bytes;
    std::memcpy(bytes.data(), &w, sizeof(T));
    return std::bit_cast<T>(bytes);
  }

  struct node_bucket {
    std::atomic<uint64_t> hop{0};
    std::atomic<node*> slot{nullptr};
  };
  struct inline_bucket {
    std::atomic<uint64_t> hop{0};
    std::atomic<uint64_t> key{0};
    std::atomic<uint64_t> value{0};
  };
  using bucket = std::conditional_t<Inline, inline_bucket, node_bucket>;
  // A table's buckets are not constructed: they come as zero bytes (see
  // detail/big_array.hpp), which is every word's starting value. That
  // relies on a lock-free std::atomic of a word having the word's size and
  // representation (true of every compiler and target this builds for; the
  // asserts keep it so) and on buckets needing no destruction.
  static_assert(std::is_trivially_destructible_v<bucket> && std::is_standard_layout_v<bucket>);
  static_assert(std::atomic<uint64_t>::is_always_lock_free && sizeof(std::atomic<uint64_t>) == sizeof(uint64_t) &&
                std::atomic<node*>::is_always_lock_free && sizeof(std::atomic<node*>) == sizeof(node*));

  // What a slot holds, as writers move it around: the node, or the words.
  struct words {
    uint64_t key, value;
  };
  using payload = std::conditional_t<Inline, words, node*>;

  // What a lookup saw of a key: nothing, the node (nodes; valid while the
  // reader stays pinned), or the value's bits (inline).
  struct seen {
    bool hit = false;
    const node* n = nullptr;
    uint64_t bits = 0;
    explicit operator bool() const noexcept { return hit; }
    V value() const {
      if constexpr (Inline) {
        return from_word<V>(bits);
      } else {
        return n->value;
      }
    }
    bool operator==(const seen&) const = default;
  };

  struct alignas(detail::cache_line) seg_lock {
    std::atomic<uint32_t> held{0};
    // idle() runs between spins once the wait is long: the map passes its
    // help with a running resize (see resize), which is what a long wait
    // usually is.
    template <class Idle>
    void lock(Idle&& idle) {
      for (unsigned spins = 0;; ++spins) {
        // acquire: the previous holder's writes to the segment.
        if (!held.load(std::memory_order_relaxed) && !held.exchange(1, std::memory_order_acquire)) return;
        if (spins < 64) {
          THREADMAP_PAUSE();
        } else {
          idle();
          std::this_thread::yield();  // a resize holds every lock for O(n): do not burn the core
        }
      }
    }
    // release: our writes to the segment, for the next holder.
    void unlock() noexcept { held.store(0, std::memory_order_release); }
  };

  struct table;
  // A growth in progress whose moves other writers may share (see resize):
  // the old table's home range is cut into `chunks` chunks of chunk_slots
  // slots; a mover claims claim indices in order (the even chunks first,
  // then, once every even chunk is done, the odd ones) and counts each
  // claimed chunk in `done` when it has moved its entries. It lives on the
  // resizer's stack, reached through the old table's `migrating`; the
  // table's `helpers` count says when no other writer can reach it any more.
  struct migration {
    table* fresh;
    std::size_t chunks;
    std::atomic<std::size_t> next{0};  // claim index: < chunks/2 even chunk 2i, then odd chunk 2(i - chunks/2) + 1
    std::atomic<std::size_t> done{0};  // chunks moved (or skipped after a failure)
    std::atomic<bool> failed{false};   // a neighbourhood of `fresh` overflowed: the growth must go bigger
  };

  struct table {
    explicit table(std::size_t n)
        : size(n),
          mask(n - 1),
          slots(n + H - 1),
          seg_shift(std::max(6u, static_cast<unsigned>(std::countr_zero(n)) > 10
                                     ? static_cast<unsigned>(std::countr_zero(n)) - 10
                                     : 6u)),
          segments(((slots - 1) >> seg_shift) + 1),
          memory(slots * sizeof(bucket)),
          b(static_cast<bucket*>(memory.get())),
          locks(new seg_lock[segments]) {}
    const std::size_t size, mask, slots;
    // maybe_resize halves the table when the count falls below this: size/4,
    // or lower for a table that starts below it (see resize). A hint:
    // relaxed, since a stale value only moves one resize attempt.
    std::atomic<std::size_t> shrink_below{size / 4};
    const unsigned seg_shift;
    const std::size_t segments;
    std::atomic<bool> replaced{false};  // written under every segment lock; read under one
    // A writer is making this table's successor (its arrays, before it
    // takes the locks): maybe_resize leaves the resize to it, and another
    // resize waits for its locks instead of making arrays too. A hint,
    // relaxed: it orders nothing (the locks and `replaced` decide who
    // rebuilds the table); a stale value only makes a second successor,
    // dropped by whichever writer locks the table second, or moves a
    // resize attempt by one write.
    std::atomic<bool> resizing{false};
    // The growth being made from this table while every lock is held, for
    // waiting writers to help with (see resize); null otherwise. A writer
    // counts itself in `helpers` before it loads `migrating` and out after
    // its last use of the migration; the resizer clears `migrating`, then
    // waits for `helpers` to reach 0 before its migration goes out of
    // scope. seq_cst on both sides (the count's increment, the pointer's
    // store and both loads): a writer whose increment the resizer's load
    // missed comes after the clearing store in the single total order, so
    // its load of `migrating` sees null. The seq_cst store that sets the
    // pointer is also the release that a helper's load acquires: the
    // table's entries (frozen, written under the locks before the resizer
    // took them all) and the migration's fields happen before its moves.
    std::atomic<migration*> migrating{nullptr};
    std::atomic<unsigned> helpers{0};
    detail::zeroed_array memory;
    bucket* const b;  // [slots] in `memory`; all words zero at first: empty maps, stamp 0, free slots
    std::unique_ptr<seg_lock[]> locks;
    std::size_t seg(std::size_t s) const noexcept { return s >> seg_shift; }
  };

  // Segment locks lo..hi of one table, taken in ascending order and
  // released on destruction.
  class lock_span {
   public:
    lock_span(HopscotchMap& m, table* t, std::size_t first_slot, std::size_t last_slot)
        : m_(m), t_(t), lo_(t->seg(first_slot)), hi_(lo_) {
      m_.lock_segment(t_, lo_);
      extend_to(last_slot);
    }
    ~lock_span() {
      for (std::size_t s = hi_ + 1; s-- > lo_;) t_->locks[s].unlock();
    }
    lock_span(const lock_span&) = delete;
    lock_span& operator=(const lock_span&) = delete;
    // Also locks every segment up to the one holding `slot` (ascending).
    void extend_to(std::size_t slot) {
      const std::size_t want = t_->seg(std::min(slot, t_->slots - 1));
      while (hi_ < want) m_.lock_segment(t_, ++hi_);
    }

   private:
    HopscotchMap& m_;
    table* t_;
    std::size_t lo_, hi_;
  };

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  using key_equal = Eq;

  static constexpr std::size_t neighbourhood = H;
  static constexpr std::size_t default_size = 16;
  static constexpr std::size_t max_size = std::size_t{1} << 40;
  // Whether entries live in the slots (no node per entry); see the header.
  static constexpr bool inline_entries = Inline;

  // ---- construction. Not synchronized (the map is not shared yet). ----

  HopscotchMap() : HopscotchMap(0) {}
  // capacity: expected entries (the initial table holds them below 0.75
  // load). Requires: capacity <= max_size / 2; else std::invalid_argument.
  explicit HopscotchMap(std::size_t capacity, const Hash& hash = Hash(), const Eq& eq = Eq())
      : hash_(hash), eq_(eq) {
    if (capacity > max_size / 2) throw std::invalid_argument("HopscotchMap: capacity too large");
    min_size_ = std::max(default_size, std::bit_ceil((capacity * 4 + 2) / 3));
    table_.store(new table(min_size_), std::memory_order_relaxed);  // relaxed: not shared yet
  }

  HopscotchMap(const HopscotchMap&) = delete;
  HopscotchMap& operator=(const HopscotchMap&) = delete;

  // Requires: no other thread uses the map.
  ~HopscotchMap() {
    table* t = table_.load(std::memory_order_acquire);
    if constexpr (!Inline) {
      // relaxed: no other user any more.
      for (std::size_t s = 0; s < t->slots; ++s) delete t->b[s].slot.load(std::memory_order_relaxed);
    }
    delete t;
  }

  // ---- reads. Lock-free: never write shared memory, never wait. ----

  // A copy of the value, or nullopt. Lock-free.
  std::optional<V> get(const K& key) const {
    epoch::guard g;
    if (const seen s = find(table_.load(std::memory_order_acquire), key, hash_(key))) return s.value();
    return std::nullopt;
  }

  // Whether the key is present. Lock-free.
  bool contains(const K& key) const {
    epoch::guard g;
    return static_cast<bool>(find(table_.load(std::memory_order_acquire), key, hash_(key)));
  }

  // Calls f(const V&) with the value while it is protected (nodes: the
  // node is immutable and cannot be freed during the call; inline: f gets
  // a copy). Returns whether the key was present. Lock-free; f may call
  // into any map.
  template <class F>
  bool visit(const K& key, F&& f) const {
    static_assert(std::is_invocable_v<F&, const V&>, "visit's callback takes (const V&)");
    epoch::guard g;
    const seen s = find(table_.load(std::memory_order_acquire), key, hash_(key));
    if (!s) return false;
    if constexpr (Inline) {
      const V copy = s.value();
      f(copy);
    } else {
      f(static_cast<const V&>(s.n->value));
    }
    return true;
  }

  // ---- single-key writes. Each locks the segment(s) of the key's
  //      neighbourhood (more if it must search further for room); may
  //      wait for another writer there, or for a resize. ----

  // Inserts or replaces. Returns the previous value, if any. Locks one neighbourhood.
  std::optional<V> insert(K key, V value) {
    epoch::guard g;
    seen old;
    put(g, std::move(key), std::move(value), [&](const seen& found) { old = found; });
    if (old) return old.value();  // copied with no lock held; a node is retired, not freed: we are pinned
    return std::nullopt;
  }

  // Inserts or replaces, as insert does, without making the copy of the
  // previous value that insert returns. Returns whether the key was
  // absent. Locks one neighbourhood.
  bool insert_or_assign(K key, V value) {
    epoch::guard g;
    bool absent = false;
    put(g, std::move(key), std::move(value), [&](const seen& found) { absent = !found; });
    return absent;
  }

  // Inserts only if absent. Returns whether it inserted. Locks one neighbourhood.
  bool insert_if_absent(K key, V value) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    if (find(table_.load(std::memory_order_acquire), key, h)) return false;  // no lock, no allocation
    const payload fresh = make(h, std::move(key), std::move(value));
    const bool inserted = update(g, key_of(fresh), h, [&](const seen& found) -> plan {
      return {found ? act::keep : act::insert, fresh};
    });
    if (!inserted) discard(fresh);
    return inserted;
  }

  // The value present, or `value` after inserting it; linearizable.
  // Lock-free when present, else locks one neighbourhood.
  V get_or_insert(K key, V value) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    if (const seen s = find(table_.load(std::memory_order_acquire), key, h)) return s.value();
    const payload fresh = make(h, std::move(key), std::move(value));
    seen existing;
    const bool inserted = update(g, key_of(fresh), h, [&](const seen& found) -> plan {
      existing = found;
      return {found ? act::keep : act::insert, fresh};
    });
    if (inserted) return value_of(fresh);  // pinned: a fresh node cannot be freed yet
    discard(fresh);
    return existing.value();
  }

  // Removes the key. Returns whether it was present. Locks one neighbourhood.
  bool remove(const K& key) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    return update(g, key, h, [](const seen& found) -> plan { return {found ? act::remove : act::keep, payload{}}; });
  }

  // Removes the key and returns its value. Locks one neighbourhood.
  std::optional<V> take(const K& key) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    seen victim;
    update(g, key, h, [&](const seen& found) -> plan {
      victim = found;
      return {found ? act::remove : act::keep, payload{}};
    });
    if (victim) return victim.value();
    return std::nullopt;
  }

  // Replaces the value with `desired` if the key is present with a value
  // equal to `expected` (V's operator==, run under the lock). Returns
  // whether it replaced. Locks one neighbourhood.
  bool compare_and_set(const K& key, const V& expected, V desired) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    std::optional<payload> fresh;
    const bool replaced = update(g, key, h, [&](const seen& found) -> plan {
      if (!found || !(found.value() == expected)) return {act::keep, payload{}};
      if (!fresh) fresh = make(h, key, std::move(desired));
      return {act::replace, *fresh};
    });
    if (!replaced && fresh) discard(*fresh);
    return replaced;
  }

  // Optimistic read-modify-write (see compute_entry.hpp): f runs with no
  // lock held on the value it saw; the decision is installed under the
  // neighbourhood's lock if the key still holds what f saw (the same node;
  // inline: the same value bits), else f runs again. Returns what the
  // successful call of f returned.
  template <class F>
  auto compute(const K& key, F&& f) {
    using R = std::invoke_result_t<F&, compute_entry<V>&>;
    static_assert(std::is_invocable_v<F&, compute_entry<V>&>, "compute's callback takes (compute_entry<V>&)");
    const uint64_t h = hash_(key);
    epoch::guard g;
    for (;;) {
      const seen before = find(table_.load(std::memory_order_acquire), key, h);
      std::optional<V> copy;  // inline: what f looks at
      const V* current = nullptr;
      if (before) {
        if constexpr (Inline) {
          current = &copy.emplace(before.value());
        } else {
          current = &before.n->value;
        }
      }
      auto entry = detail::compute_access::make<V>(current);
      std::optional<std::conditional_t<std::is_void_v<R>, char, std::decay_t<R>>> result;
      if constexpr (std::is_void_v<R>) {
        f(entry);
      } else {
        result.emplace(f(entry));
      }
      std::optional<payload> fresh;
      act what = act::keep;
      if (detail::compute_access::wants_assign(entry)) {
        fresh = make(h, key, detail::compute_access::take_value(entry));
        what = before ? act::replace : act::insert;
      } else if (detail::compute_access::wants_erase(entry) && before) {
        what = act::remove;
      }
      bool stale = false;
      if (what == act::keep) {
        // Read-only outcome: linearized at the read, nothing to install.
        if constexpr (std::is_void_v<R>) return; else return std::move(*result);
      }
      update(g, key, h, [&](const seen& found) -> plan {
        if (!(found == before)) {
          stale = true;  // the key changed since f looked: run f again
          return {act::keep, payload{}};
        }
        return {what, fresh ? *fresh : payload{}};
      });
      if (!stale) {
        if constexpr (std::is_void_v<R>) return; else return std::move(*result);
      }
      if (fresh) discard(*fresh);  // never published
    }
  }

  // ---- whole-map operations ----

  // Calls f(const K&, const V&) for every entry. Weakly consistent: an
  // entry present for the whole call is seen exactly once, others at most
  // once. Lock-free; pins for the whole call. f may call into any map.
  template <class F>
  void for_each(F&& f) const {
    for_each_part(0, 1, std::forward<F>(f));
  }

  // for_each over one part of the map: the entries whose hash has `part`
  // in its low bits, of `parts` (a power of two) such parts. The parts
  // split the hash space, not the table, so they stay the same whatever
  // resizes happen between two calls: an iteration that walks the parts
  // one call at a time (pinned only for each) sees an entry present
  // throughout exactly once. Each call reads every min(parts, homes)-th
  // home. Requires: parts a power of two, part < parts.
  template <class F>
  void for_each_part(std::size_t part, std::size_t parts, F&& f) const {
    static_assert(std::is_invocable_v<F&, const K&, const V&>, "for_each's callback takes (const K&, const V&)");
    THREADMAP_REQUIRE(std::has_single_bit(parts) && part < parts);
    epoch::guard g;
    table* t = table_.load(std::memory_order_acquire);
    std::conditional_t<Inline, words, const node*> found[H];
    // Homes with home = part mod stride hold every entry of the part; with
    // more parts than homes, a home also holds other parts' entries,
    // filtered by hash (recomputed for inline words, which keep none).
    const std::size_t stride = std::min(parts, t->size);
    const bool filter = parts > t->size;
    for (std::size_t home = part & (stride - 1); home < t->size; home += stride) {
      std::size_t n;
      for (;;) {
        n = 0;
        const uint64_t w1 = t->b[home].hop.load(std::memory_order_acquire);
        for (uint64_t bits = w1 & map_bits; bits; bits &= bits - 1) {
          const bucket& b = t->b[home + static_cast<std::size_t>(std::countr_zero(bits))];
          if constexpr (Inline) {
            // acquire (both): see find().
            const uint64_t k = b.key.load(std::memory_order_acquire);
            found[n++] = {k, b.value.load(std::memory_order_acquire)};
          } else {
            const node* x = b.slot.load(std::memory_order_acquire);
            if (x && (x->hash & t->mask) == home) found[n++] = x;
          }
        }
        // Same stamp: no entry of this home left its slot while we read its
        // map, so the list is a snapshot (each entry once).
        if (stamp(t->b[home].hop.load(std::memory_order_acquire)) == stamp(w1)) break;
      }
      for (std::size_t i = 0; i < n; ++i) {
        if constexpr (Inline) {
          const K k = from_word<K>(found[i].key);
          if (filter && (hash_(k) & (parts - 1)) != part) continue;
          const V v = from_word<V>(found[i].value);
          f(k, v);
        } else {
          if (filter && (found[i]->hash & (parts - 1)) != part) continue;
          f(static_cast<const K&>(found[i]->key), static_cast<const V&>(found[i]->value));
        }
      }
    }
  }

  // Removes every entry: swaps in an empty table of the initial size.
  // Waits for the writers of the current table (takes all its locks).
  void clear() {
    epoch::guard g;
    auto empty = std::make_unique<table>(min_size_);  // before locking: a throw leaves no lock held
    for (;;) {
      table* t = table_.load(std::memory_order_acquire);
      lock_all(t);
      if (t->replaced.load(std::memory_order_relaxed)) {  // under the lock: written under every lock
        unlock_all(t);
        continue;
      }
      // Publish first: a node may be retired only once no new reader can
      // reach it (retiring before, a reader pinned after an epoch advance
      // that this thread's own retirements made could still find a node
      // tagged with the older epoch, and lose it to a free). t stays
      // allocated (this thread is pinned) and unchanged (no writer changes
      // a replaced table) while its nodes are retired, and publish's fence
      // (retire_unlinked) orders its store of table_ before their tags.
      publish(g, t, empty.release());
      int64_t removed = 0;
      for (std::size_t s = 0; s < t->slots; ++s)
        if (occupied(t, s)) {
          if constexpr (!Inline) g.retire(t->b[s].slot.load(std::memory_order_relaxed));
          ++removed;
        }
      count_.add(g.thread_index(), -removed);
      return;
    }
  }

  // Number of entries: exact when no write runs concurrently, otherwise an
  // estimate. Wait-free.
  std::size_t size() const noexcept { return count_.sum(); }
  bool empty() const noexcept { return size() == 0; }

  // The current number of home buckets. Lock-free.
  std::size_t bucket_count() const {
    epoch::guard g;
    return table_.load(std::memory_order_acquire)->size;
  }

  // Bytes this map holds for its structure and entries: the current table
  // (slots and segment locks) and, with node storage, one node per entry
  // (an estimate while writes run, as size() is). Not counted: garbage
  // waiting for reclamation, the allocator's own overhead, and what K and V
  // allocate themselves. Lock-free.
  std::size_t allocated_bytes() const {
    epoch::guard g;
    const table* t = table_.load(std::memory_order_acquire);
    std::size_t n = sizeof(*this) + sizeof(table) + t->slots * sizeof(bucket) + t->segments * sizeof(seg_lock);
    if constexpr (!Inline) n += size() * sizeof(node);
    return n;
  }

  const Hash& hash_function() const noexcept { return hash_; }
  const Eq& key_eq() const noexcept { return eq_; }

 private:
  enum class act { keep, insert, replace, remove };
  struct plan {
    act what;
    payload fresh;
  };

  // ---- payloads: the one place that knows nodes from inline words ----

  static payload make(uint64_t h, K key, V value) {
    if constexpr (Inline) {
      return words{to_word(key), to_word(value)};
    } else {
      return new node{h, std::move(key), std::move(value)};
    }
  }
  // A payload that was never published.
  static void discard(payload p) noexcept {
    if constexpr (!Inline) delete p;
  }
  // The key, by value from words, by reference into a node (no copy).
  static decltype(auto) key_of(const payload& p) {
    if constexpr (Inline) {
      return from_word<K>(p.key);
    } else {
      return static_cast<const K&>(p->key);
    }
  }
  static V value_of(const payload& p) {
    if constexpr (Inline) {
      return from_word<V>(p.value);
    } else {
      return p->value;
    }
  }
  uint64_t hash_of(const payload& p) const {
    if constexpr (Inline) {
      return hash_(from_word<K>(p.key));
    } else {
      return p->hash;
    }
  }

  // Under the slot's lock (or on a frozen table): whether it holds an
  // entry, what it holds, and the changes. relaxed loads: the lock orders
  // them. release stores: for readers (see the header).
  static bool occupied(const table* t, std::size_t s) noexcept {
    if constexpr (Inline) {
      return (t->b[s].hop.load(std::memory_order_relaxed) & occupied_bit) != 0;
    } else {
      return t->b[s].slot.load(std::memory_order_relaxed) != nullptr;
    }
  }
  static payload payload_at(const table* t, std::size_t s) noexcept {
    if constexpr (Inline) {
      return words{t->b[s].key.load(std::memory_order_relaxed), t->b[s].value.load(std::memory_order_relaxed)};
    } else {
      return t->b[s].slot.load(std::memory_order_relaxed);
    }
  }
  static void put(table* t, std::size_t s, const payload& p) noexcept {
    bucket& b = t->b[s];
    if constexpr (Inline) {
      // Value, then key: a reader that loads this key (acquire) sees this
      // value or a later one.
      b.value.store(p.value, std::memory_order_release);
      b.key.store(p.key, std::memory_order_release);
      b.hop.store(b.hop.load(std::memory_order_relaxed) | occupied_bit, std::memory_order_release);
    } else {
      b.slot.store(p, std::memory_order_release);  // the node's fields
    }
  }
  static void vacate(table* t, std::size_t s) noexcept {
    bucket& b = t->b[s];
    if constexpr (Inline) {
      // The words stay: a reader reaches them only through a map that
      // named the slot, and the stamp bump that preceded this tells it so.
      b.hop.store(b.hop.load(std::memory_order_relaxed) & ~occupied_bit, std::memory_order_release);
    } else {
      b.slot.store(nullptr, std::memory_order_release);
    }
  }
  static void replace_value(table* t, std::size_t s, const payload& p) noexcept {
    if constexpr (Inline) {
      t->b[s].value.store(p.value, std::memory_order_release);  // one atomic word: readers see old or new
    } else {
      t->b[s].slot.store(p, std::memory_order_release);
    }
  }
  seen seen_at(const table* t, std::size_t s) const noexcept {
    if constexpr (Inline) {
      return {true, nullptr, t->b[s].value.load(std::memory_order_relaxed)};
    } else {
      return {true, t->b[s].slot.load(std::memory_order_relaxed), 0};
    }
  }
  bool holds(const table* t, std::size_t s, const K& key, uint64_t h) const {
    if constexpr (Inline) {
      return eq_(from_word<K>(t->b[s].key.load(std::memory_order_relaxed)), key);
    } else {
      const node* n = t->b[s].slot.load(std::memory_order_relaxed);
      return n->hash == h && eq_(n->key, key);
    }
  }

  // The lock-free lookup. Requires: pinned.
  seen find(const table* t, const K& key, uint64_t h) const {
    const std::size_t home = h & t->mask;
    for (;;) {
      // acquire: the slots written before the hop word.
      const uint64_t w1 = t->b[home].hop.load(std::memory_order_acquire);
      seen r;
      for (uint64_t bits = w1 & map_bits; bits; bits &= bits - 1) {
        const bucket& b = t->b[home + static_cast<std::size_t>(std::countr_zero(bits))];
        if constexpr (Inline) {
          // acquire (both): the key's value (stored before it), and the
          // stamp re-read below stays after these loads.
          const uint64_t kw = b.key.load(std::memory_order_acquire);
          if (eq_(from_word<K>(kw), key)) {
            r = {true, nullptr, b.value.load(std::memory_order_acquire)};
            break;
          }
        } else {
          // acquire: the node's fields; and a slot emptied by a move
          // orders the re-read of the stamp below after it.
          const node* n = b.slot.load(std::memory_order_acquire);
          if (n && n->hash == h && eq_(n->key, key)) return {true, n, 0};  // immutable: no re-check needed
        }
      }
      if (stamp(t->b[home].hop.load(std::memory_order_acquire)) == stamp(w1)) return r;
      // An entry of this home moved or left while we read: read again.
    }
  }

  // Under the home's lock: the slot index of the key, or npos.
  static constexpr std::size_t npos = ~std::size_t{0};
  std::size_t unprotected_find(table* t, std::size_t home, const K& key, uint64_t h) const {
    // relaxed: we hold the lock of every writer that could change these.
    for (uint64_t bits = t->b[home].hop.load(std::memory_order_relaxed) & map_bits; bits; bits &= bits - 1) {
      const std::size_t s = home + static_cast<std::size_t>(std::countr_zero(bits));
      if (holds(t, s, key, h)) return s;
    }
    return npos;
  }

  // Places p (homed at `home`) in t, moving other entries forwards to make
  // room within the neighbourhood. Returns false if there is no room (the
  // table must grow). Requires: span holds the locks from home's segment
  // up; it is extended as the search goes further. Safe for readers: see
  // the header (forward moves, three release steps, the stamp).
  static bool unprotected_place(table* t, lock_span* span, std::size_t home, const payload& p) {
    std::size_t f = home;
    const std::size_t end = std::min(t->slots, home + max_probe);
    for (;; ++f) {
      if (f == end) return false;
      if (span && (f & ((std::size_t{1} << t->seg_shift) - 1)) == 0) span->extend_to(f);
      if (!occupied(t, f)) break;
    }
    while (f - home >= H) {
      bool moved = false;
      for (std::size_t h2 = f - (H - 1); h2 < f; ++h2) {
        const uint64_t w = t->b[h2].hop.load(std::memory_order_relaxed);
        const uint64_t below = w & map_bits & ((uint64_t{1} << (f - h2)) - 1);
        if (!below) continue;
        const std::size_t x = h2 + static_cast<std::size_t>(std::countr_zero(below));
        put(t, f, payload_at(t, x));  // changes f's word only, and f > h2
        const uint64_t nw = ((w & map_bits) | (uint64_t{1} << (f - h2))) & ~(uint64_t{1} << (x - h2));
        t->b[h2].hop.store(((w & ~map_bits) + stamp_one) | nw, std::memory_order_release);
        vacate(t, x);
        f = x;
        moved = true;
        break;
      }
      if (!moved) return false;
    }
    put(t, f, p);
    const uint64_t w = t->b[home].hop.load(std::memory_order_relaxed);  // after put: it may be this word
    t->b[home].hop.store(w | (uint64_t{1} << (f - home)), std::memory_order_release);
    return true;
  }

  // insert and insert_or_assign: installs the key's new entry, calling
  // saw(seen) with what the key held, under the neighbourhood's lock (the
  // last call is the one that counts). Requires: pinned (through g).
  template <class Saw>
  void put(epoch::guard& g, K key, V value, Saw&& saw) {
    const uint64_t h = hash_(key);
    const payload fresh = make(h, std::move(key), std::move(value));
    update(g, key_of(fresh), h, [&](const seen& found) -> plan {
      saw(found);
      return {found ? act::replace : act::insert, fresh};
    });
  }

  // The core of every write: lock the key's neighbourhood in the current
  // table, let `decide` look at what the key holds, apply the decision.
  // Grows the table and retries when an insert finds no room. Returns
  // whether a change was made. Requires: pinned (through g).
  template <class Decide>
  bool update(epoch::guard& g, const K& key, uint64_t h, Decide&& decide) {
    for (;;) {
      table* t = table_.load(std::memory_order_acquire);
      const std::size_t home = h & t->mask;
      bool full = false;
      act done = act::keep;
      {
        lock_span span(*this, t, home, home + H - 1);
        // relaxed: set under every lock, so our lock orders it.
        if (t->replaced.load(std::memory_order_relaxed)) continue;
        const std::size_t s = unprotected_find(t, home, key, h);
        const seen found = s == npos ? seen{} : seen_at(t, s);
        const plan p = decide(found);
        switch (p.what) {
          case act::keep: return false;
          case act::replace:
            replace_value(t, s, p.fresh);
            if constexpr (!Inline) retire_unlinked(g, found.n);
            done = act::replace;
            break;
          case act::remove: {
            // The map and a stamp bump first, then the slot: the slot can
            // be reused only after readers of this home can tell.
            const uint64_t w = t->b[home].hop.load(std::memory_order_relaxed);
            t->b[home].hop.store((w + stamp_one) & ~(uint64_t{1} << (s - home)), std::memory_order_release);
            vacate(t, s);
            if constexpr (!Inline) retire_unlinked(g, found.n);
            done = act::remove;
            break;
          }
          case act::insert:
            if (unprotected_place(t, &span, home, p.fresh)) {
              done = act::insert;
            } else {
              full = true;
            }
            break;
        }
      }
      if (full) {
        resize(g, t, t->size * 2);
        continue;
      }
      if (done != act::replace) {
        const int64_t stripe = count_.add(g.thread_index(), done == act::insert ? 1 : -1);
        const std::size_t period = std::clamp<std::size_t>(t->size >> 10, 1, 64);
        if ((static_cast<uint64_t>(stripe) & (period - 1)) == 0) maybe_resize(g);
      }
      return true;
    }
  }

  // After a write that changed the count. Out of memory here is not the
  // write's failure (it is done): the table stays as it is, and a later
  // write tries again (or an insert that finds no room throws).
  void maybe_resize(epoch::guard& g) noexcept {
    table* t = table_.load(std::memory_order_acquire);
    if (t->resizing.load(std::memory_order_relaxed)) return;  // another writer is at it: write on meanwhile
    const std::size_t n = count_.sum();
    try {
      if (n > t->size / 4 * 3 && t->size < max_size) {
        resize(g, t, t->size * 2);
      } else if (n < t->shrink_below.load(std::memory_order_relaxed) && t->size > min_size_) {
        resize(g, t, t->size / 2);
      }
    } catch (const std::bad_alloc&) {
    }
  }

  // Locks segment `seg` of t; while waiting long, helps with a growth
  // being made from t (the usual reason for a long wait).
  void lock_segment(table* t, std::size_t seg) {
    t->locks[seg].lock([&] {
      // Most long waits are not for a growth: a plain look first keeps them
      // off the `helpers` line. relaxed: only a filter; the value used is
      // the seq_cst load below, after the count.
      if (!t->migrating.load(std::memory_order_relaxed)) return;
      // seq_cst (all three): see table::migrating.
      t->helpers.fetch_add(1, std::memory_order_seq_cst);
      if (migration* m = t->migrating.load(std::memory_order_seq_cst)) move_chunks(t, *m);
      t->helpers.fetch_sub(1, std::memory_order_seq_cst);
    });
  }
  void lock_all(table* t) {
    for (std::size_t s = 0; s < t->segments; ++s) lock_segment(t, s);
  }
  void unlock_all(table* t) {
    for (std::size_t s = t->segments; s-- > 0;) t->locks[s].unlock();
  }

  // Replaces t by `fresh`. Requires: every lock of t held; releases them.
  void publish(epoch::guard& g, table* t, table* fresh) {
    // release: the new table's contents, for readers that load table_.
    table_.store(fresh, std::memory_order_release);
    t->replaced.store(true, std::memory_order_relaxed);  // read under a lock: the unlock orders it
    unlock_all(t);
    // The arrays only: nodes live on in `fresh` (or clear() retires them).
    retire_unlinked(g, t, t->slots * sizeof(bucket));
  }

  // Retires what plain (release) stores just made unreachable: those stores
  // must be visible before retire() reads the epoch it tags `p` with
  // (epoch.hpp, "Rules"), or a reader pinned at the next epoch could still
  // find p through a store waiting in this core's store buffer and lose it
  // to a free one advance early. So a full fence first (compiler-only under
  // ThreadSanitizer, which does not model fences: detail/config.hpp). One
  // per replace or remove of a node-storage map, and per table replaced.
  template <class T>
  static void retire_unlinked(epoch::guard& g, const T* p, std::size_t bytes = 0) {
    THREADMAP_SEQLOCK_FENCE(std::memory_order_seq_cst);
    g.retire(const_cast<T*>(p), bytes);
  }

  // Waits for another thread's progress (a chunk being moved): spins a
  // little, then yields (the thread it waits for may need this core).
  template <class Ready>
  static void wait_until(Ready&& ready) {
    for (unsigned spins = 0; !ready(); ++spins) {
      if (spins < 64) {
        THREADMAP_PAUSE();
      } else {
        std::this_thread::yield();
      }
    }
  }

  // Moves the entries of old slots [from, to) of the frozen table t into
  // `fresh`, with no lock of `fresh`: the caller owns every slot a move
  // can touch (see move_chunks). Returns false if a neighbourhood of
  // `fresh` overflowed. In batches: (nodes) prefetch the nodes for their
  // hash, then the new homes, then place; the cache misses of a batch
  // overlap instead of coming one after another (the old slots are read
  // in order).
  bool move_range(const table* t, table* fresh, std::size_t from, std::size_t to) const {
    constexpr std::size_t batch = 16;
    payload pending[batch];
    uint64_t hashes[batch];
    for (std::size_t s = from; s < to;) {
      std::size_t n = 0;
      for (; s < to && n < batch; ++s)
        if (occupied(t, s)) {
          pending[n] = payload_at(t, s);
          if constexpr (!Inline) __builtin_prefetch(pending[n]);
          ++n;
        }
      for (std::size_t i = 0; i < n; ++i) {
        hashes[i] = hash_of(pending[i]);
        __builtin_prefetch(&fresh->b[hashes[i] & fresh->mask], 1);
      }
      for (std::size_t i = 0; i < n; ++i)
        if (!unprotected_place(fresh, nullptr, hashes[i] & fresh->mask, pending[i])) return false;
    }
    return true;
  }

  // Claims and moves chunks of a growth until none is left to claim (the
  // resizer and any writer waiting for t's locks). Why movers need no lock
  // of `fresh`: chunk c holds old slots [c*K, (c+1)*K) (K = chunk_slots;
  // the last chunk also the H-1 overflow slots), so its entries' old homes
  // lie in [c*K - (H-1), (c+1)*K), and since `fresh` is t grown by a power
  // of two, their new homes lie in the same range shifted by j * t->size
  // for some j. A move reads and writes `fresh` only from its new home up
  // to max_probe + H slots further. So chunk c touches, for each j, only
  // [j*size + c*K - (H-1), j*size + (c+1)*K + max_probe + H), which is less
  // than 2K long (K > max_probe + 2H) and starts K after chunk c-1's (at the
  // wrap from the last chunk of one j to chunk 0 of the next too): chunks
  // of the same parity never touch the same slot. The even chunks move
  // first, the odd ones once every even one is done (the acquire of
  // `done` orders their writes before ours), with `chunks` even.
  void move_chunks(const table* t, migration& m) const {
    const std::size_t half = m.chunks / 2;
    for (;;) {
      const std::size_t i = m.next.fetch_add(1, std::memory_order_relaxed);  // relaxed: a ticket; done orders the data
      if (i >= m.chunks) return;
      const std::size_t c = i < half ? 2 * i : 2 * (i - half) + 1;
      if (i >= half) {
        wait_until([&] { return m.done.load(std::memory_order_acquire) >= half; });  // the even chunks first
      }
      if (!m.failed.load(std::memory_order_relaxed)) {  // relaxed: a shortcut; the resizer reads it after done
        const std::size_t from = c * chunk_slots;
        const std::size_t to = c + 1 == m.chunks ? t->slots : from + chunk_slots;
        if (!move_range(t, m.fresh, from, to)) m.failed.store(true, std::memory_order_relaxed);
      }
      m.done.fetch_add(1, std::memory_order_release);  // release: our writes to fresh, for the resizer and odd movers
    }
  }

  // Rebuilds t at `target` home buckets (a growth: bigger if some entries
  // do not fit; a halving that does not fit is dropped and t kept), unless
  // another writer replaced t first. Waits for t's writers.
  //
  // The new table's arrays are made before the locks are taken: getting
  // tens of MiB of zeroed pages from the kernel is a large part of a
  // resize, and other writers go on writing to t meanwhile (maybe_resize
  // sees `resizing` and leaves the resize to this writer). Only a growth
  // forced by an overflowing neighbourhood allocates again under the locks,
  // and so does a writer that finds another one already making t's
  // successor (it waits for that writer's locks and usually finds t
  // replaced, instead of making a second successor to throw away).
  void resize(epoch::guard& g, table* t, std::size_t target) {
    // Out of memory: the hint goes down so that a later write tries again.
    const auto make = [&](std::size_t n) {
      try {
        return std::make_unique<table>(n);
      } catch (...) {
        t->resizing.store(false, std::memory_order_relaxed);
        throw;
      }
    };
    std::unique_ptr<table> fresh;
    if (!t->resizing.exchange(true, std::memory_order_relaxed)) fresh = make(target);  // no lock held
    lock_all(t);
    if (t->replaced.load(std::memory_order_relaxed)) {  // someone else did it
      unlock_all(t);
      return;
    }
    for (;;) {
      if (!fresh) {
        try {
          fresh = make(target);
        } catch (...) {
          unlock_all(t);  // out of memory: the writers must not wait for ever
          throw;
        }
      }
      bool ok;
      if (target > t->size && t->size >= 2 * chunk_slots) {
        // A growth of a big table: shared with the writers that wait for
        // our locks meanwhile (lock_segment), chunk by chunk.
        migration m{fresh.get(), t->size / chunk_slots};
        t->migrating.store(&m, std::memory_order_seq_cst);  // see table::migrating
        move_chunks(t, m);
        // acquire: every mover's writes to `fresh` (it counted its chunk
        // after them); publish's release passes them on to readers.
        wait_until([&] { return m.done.load(std::memory_order_acquire) == m.chunks; });
        // Every chunk is claimed: a helper still in move_chunks returns at
        // its next claim. m stays in scope until none can reach it.
        t->migrating.store(nullptr, std::memory_order_seq_cst);
        wait_until([&] { return t->helpers.load(std::memory_order_seq_cst) == 0; });
        ok = !m.failed.load(std::memory_order_relaxed);  // ordered by the acquire of done above
      } else {
        ok = move_range(t, fresh.get(), 0, t->slots);
      }
      if (ok) {
        // Below a quarter full from the start (a growth forced by a full
        // neighbourhood): it shrinks only once its count has halved.
        const std::size_t n = count_.sum();
        if (n < target / 4) fresh->shrink_below.store(n / 2, std::memory_order_relaxed);
        publish(g, t, fresh.release());
        return;
      }
      if (target < t->size) {  // a halving would overflow a neighbourhood: keep t
        t->shrink_below.store(count_.sum() / 2, std::memory_order_relaxed);
        t->resizing.store(false, std::memory_order_relaxed);
        unlock_all(t);
        return;
      }
      target *= 2;  // a neighbourhood overflowed: more room
      fresh.reset();
    }
  }

  [[no_unique_address]] Hash hash_;
  [[no_unique_address]] Eq eq_;
  std::atomic<table*> table_{nullptr};
  std::size_t min_size_ = default_size;
  detail::striped_counter count_;
};

}  // namespace threadmap
