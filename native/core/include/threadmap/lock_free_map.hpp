// threadmap/lock_free_map.hpp: LockFreeMap, a lock-free chaining hash map.
//
// What it is: a port of kovan-map's HashMap design (seed 002) to C++20: a
// bucket array of atomic pointers to singly linked chains, CAS-based
// writes, copy-on-write values, epoch-based reclamation
// (threadmap/epoch.hpp). No operation ever takes a lock; reads never write
// shared memory (beyond the thread's own epoch record).
//
// Memory layout:
//
//   class LockFreeMap {
//     Hash, Eq;
//     atomic<table*> table_;         // the current table
//     size_t min_buckets_;           // never shrink below (the initial size)
//     bool fixed_;                   // `buckets` option: never resize
//     striped_counter count_;        // entries, 8 padded stripes
//   };
//   struct table {
//     size_t size, mask;             // buckets: a power of two
//     atomic<table*> prev;           // source while some bucket is UNINIT, else null
//     atomic<size_t> init_cursor;    // next bucket a helper claims
//     atomic<size_t> init_done;      // buckets initialized so far
//     atomic<uintptr_t> bucket[size];// node* | FROZEN bit, or UNINIT
//   };
//   struct node { uint64_t hash; K key; V value; node* next; };
//
// Chains are immutable once published: a node's fields never change after
// the CAS that makes it reachable. Every write is one CAS on a bucket word
// from the chain it read to a new chain:
//   insert absent key   new node pushed in front
//   replace value       the nodes before the key's node are copied, the
//                       key's node is replaced by a new one, the rest shared
//   remove              the nodes before it are copied, the rest shared
// So each key has exactly one live version (no force_remove), a reader
// walking a chain sees one consistent version of it, and every operation
// is linearizable at its successful CAS (writers) or at its load of the
// bucket word (readers). The copied nodes cost little: buckets average
// fewer than one node below the 0.75 load factor.
//
// Resizing (doubling above load 0.75, halving below 0.25, never below the
// initial size; never with the `buckets` option) never blocks anyone. A
// resize publishes a new table whose buckets are all UNINIT, with `prev`
// pointing at the old one (the design of Liu, Zhang and Spear, "Dynamic-
// sized nonblocking hash tables", PODC 2014). A bucket of the new table is
// initialized on demand, by whichever writer needs it first or by the
// incremental help every writer gives (a chunk of max(64, size / 4096)
// buckets per write, so a migration completes within about 4096 writes):
// it freezes its source bucket(s) in the old table (the FROZEN bit: no CAS
// on them succeeds afterwards), builds the new chain from them and
// installs it with a CAS from UNINIT. Building copies nodes except the
// longest tail that lands in one new bucket, which is shared (so at low
// load most nodes move without a copy). When doubling, the two buckets a
// source splits into are built together, the one without the shared tail
// first: once the shared tail is live in the new table (where a writer may
// unlink and retire it), no thread can newly reach the old chain, since an
// UNINIT bucket is the only way to it. Two threads may build the same
// bucket: one CAS wins, the loser deletes its unpublished copies; the
// winner retires the originals it copied. Readers never build anything:
// they read an UNINIT bucket's source in `prev` (frozen or still live,
// either way the current content). The writer whose CAS builds the last
// bucket clears `prev` and retires the old table. A new resize starts
// only once the previous one is complete (the writer that wants it helps
// finish it).
//
// Memory orders (the rule behind each acquire/release below): nodes and
// tables are published by a release (or acq_rel) store or CAS of the word
// that makes them reachable (a bucket word, table_, prev) after all their
// fields are written; every load of such a word that is then dereferenced
// is an acquire, so the fields are visible. Nothing else is ordered
// through these words. Relaxed appears only where nothing is published:
// constructors and the destructor (no concurrent user), hints, counters.
//
// Reclamation: every unlinked node and every replaced table is retired to
// the epoch scheme and freed once no pinned thread can hold it (a table
// as big garbage, at the completing thread's next unpins). Every
// public member pins for its own duration only (plus its callback's, for
// visit, compute and for_each). A long callback delays reclamation in the
// whole process (see epoch.hpp); it never blocks another thread.
//
// Costs (n entries, b buckets, load n/b kept in [0.25, 0.75]):
//   get / contains / visit    O(1) expected: pin, 2 dependent loads + chain
//   insert / remove / ...     O(1) expected: one node allocation (plus
//                             copies of the nodes before the key in its
//                             chain), one CAS, retries on conflict. Nodes
//                             come from the thread's cache of freed ones
//                             first (detail/block_cache.hpp: up to 64 KiB
//                             per thread and node size, given back at exit)
//   resize                    O(b) in total, spread over later writes
//   size                      reads 8 stripes; exact when quiescent
//   for_each / clear          O(b + n), weakly consistent; clear then halves
//                             the table down to its initial size (O(b) more)
//
// Requires of K and V: copy construction (nodes are copied when a chain is
// rebuilt), nothrow destruction; the destructor of a retired node may run
// on another thread, after the map is destroyed. Hash returns uint64_t
// with all bits mixed (threadmap::hash<K> does). Hash, Eq, the copies and
// callbacks may call into any map, this one included (no lock is held).
//
// Exceptions (a copy of K or V that throws, or no memory): a write that
// throws changed nothing and leaks nothing; a write whose CAS succeeded
// returns normally, whatever happens after it (a retirement, a resize or
// helping a migration that fails is dropped: nodes it would have retired
// leak, and the resize or migration is left to later writes). take and
// get_or_insert copy their result out after their write: that copy can
// still throw, with the write done.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "compute_entry.hpp"
#include "detail/block_cache.hpp"
#include "detail/config.hpp"
#include "detail/striped_counter.hpp"
#include "epoch.hpp"
#include "hash.hpp"

namespace threadmap {

struct lock_free_map_options {
  // Expected number of entries: the initial table holds that many below
  // the 0.75 load factor. The table grows and shrinks from there (never
  // below this initial size). 0 = the default (16 buckets).
  std::size_t capacity = 0;
  // Fixes the bucket count (rounded up to a power of two) and turns
  // resizing off: kovan-map's fixed-capacity behaviour (it uses 2^19).
  // 0 = resizable (the default).
  std::size_t buckets = 0;
};

template <class K, class V, class Hash = threadmap::hash<K>, class Eq = std::equal_to<K>>
class LockFreeMap {
  static_assert(std::is_copy_constructible_v<K>, "LockFreeMap copies keys when it rebuilds a chain");
  static_assert(std::is_copy_constructible_v<V>, "LockFreeMap copies values when it rebuilds a chain");

  struct node {
    uint64_t hash;
    K key;
    V value;
    // Written only before the node is published (by the CAS that links
    // it); immutable afterwards.
    node* next;
    // From this thread's cache of freed nodes first (detail/block_cache.hpp).
    static void* operator new(std::size_t) { return detail::cached_new<node>(); }
    static void operator delete(void* p) noexcept { detail::cached_delete<node>(p); }
  };

  static constexpr uintptr_t frozen_bit = 1;  // on a bucket word: the bucket moved to a newer table
  static constexpr uintptr_t uninit = 2;      // a bucket word of a new table not yet built
  // Incremental help per write while a resize is being completed: at least
  // this many buckets, and at least size / 4096, so that any migration is
  // complete after about 4096 writes whatever the table size (readers pay
  // an extra load through `prev` until then).
  struct table;
  static constexpr std::size_t help_chunk_min = 64;
  static std::size_t help_chunk(const table* t) noexcept { return std::max(help_chunk_min, t->size >> 12); }

  struct table {
    explicit table(std::size_t n, uintptr_t fill, table* source)
        : size(n), mask(n - 1), prev(source), bucket(new std::atomic<uintptr_t>[n]) {
      // relaxed: the table is published later by a release store or CAS of table_.
      for (std::size_t i = 0; i < n; ++i) bucket[i].store(fill, std::memory_order_relaxed);
    }
    const std::size_t size;
    const std::size_t mask;
    std::atomic<table*> prev;
    std::atomic<std::size_t> init_cursor{0};
    std::atomic<std::size_t> init_done{0};
    std::unique_ptr<std::atomic<uintptr_t>[]> bucket;
  };

  static node* chain(uintptr_t w) noexcept { return reinterpret_cast<node*>(w & ~frozen_bit); }
  static uintptr_t word(node* n) noexcept { return reinterpret_cast<uintptr_t>(n); }

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  using key_equal = Eq;

  static constexpr std::size_t default_buckets = 16;
  static constexpr std::size_t max_buckets = std::size_t{1} << 40;

  // ---- construction. Not synchronized (the map is not shared yet). ----

  LockFreeMap() : LockFreeMap(lock_free_map_options{}) {}
  explicit LockFreeMap(std::size_t capacity) : LockFreeMap(lock_free_map_options{capacity, 0}) {}
  // Requires: buckets <= max_buckets, capacity / 0.75 <= max_buckets; else std::invalid_argument.
  explicit LockFreeMap(lock_free_map_options opts, const Hash& hash = Hash(), const Eq& eq = Eq())
      : hash_(hash), eq_(eq) {
    std::size_t n;
    if (opts.buckets) {
      if (opts.buckets > max_buckets) throw std::invalid_argument("LockFreeMap: too many buckets");
      n = std::bit_ceil(opts.buckets);
      fixed_ = true;
    } else {
      if (opts.capacity > max_buckets / 2) throw std::invalid_argument("LockFreeMap: capacity too large");
      n = std::max(default_buckets, std::bit_ceil((opts.capacity * 4 + 2) / 3));
    }
    min_buckets_ = n;
    table_.store(new table(n, 0, nullptr), std::memory_order_relaxed);  // relaxed: not shared yet
  }

  LockFreeMap(const LockFreeMap&) = delete;
  LockFreeMap& operator=(const LockFreeMap&) = delete;

  // Requires: no other thread uses the map. Frees every entry now (entries
  // already retired are freed by the epoch scheme later).
  ~LockFreeMap() {
    {
      epoch::guard g;
      finish_migration(g);
    }
    table* t = table_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < t->size; ++i) {
      node* n = chain(t->bucket[i].load(std::memory_order_relaxed));  // relaxed: no other user any more
      while (n) {
        node* next = n->next;
        delete n;
        n = next;
      }
    }
    delete t;
  }

  // ---- reads. Lock-free, never write shared memory, never wait. ----

  // A copy of the value, or nullopt. Lock-free.
  std::optional<V> get(const K& key) const {
    epoch::guard g;
    if (const node* n = find_node(key, hash_(key))) return n->value;
    return std::nullopt;
  }

  // Whether the key is present. Lock-free.
  bool contains(const K& key) const {
    epoch::guard g;
    return find_node(key, hash_(key)) != nullptr;
  }

  // Calls f(const V&) with the value while it is protected (pinned: the
  // value cannot be freed, and never changes, during the call). Returns
  // whether the key was present. Lock-free (f may call into any map).
  template <class F>
  bool visit(const K& key, F&& f) const {
    static_assert(std::is_invocable_v<F&, const V&>, "visit's callback takes (const V&)");
    epoch::guard g;
    if (const node* n = find_node(key, hash_(key))) {
      f(static_cast<const V&>(n->value));
      return true;
    }
    return false;
  }

  // ---- single-key writes. Lock-free: one CAS on the key's bucket,
  //      retried only when another write to that bucket succeeded. ----

  // Inserts or replaces. Returns the previous value, if any. Lock-free.
  std::optional<V> insert(K key, V value) {
    std::optional<V> old;
    put(std::move(key), std::move(value), [&](const node* found) {
      if (found) old = found->value; else old.reset();
    });
    return old;
  }

  // Inserts or replaces, as insert does, without making the copy of the
  // previous value that insert returns (the replaced node stays immutable
  // for its readers, so insert must copy). Returns whether the key was
  // absent. Lock-free.
  bool insert_or_assign(K key, V value) {
    bool absent = false;
    put(std::move(key), std::move(value), [&](const node* found) { absent = !found; });
    return absent;
  }

  // Inserts only if absent. Returns whether it inserted. Lock-free.
  bool insert_if_absent(K key, V value) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    if (find_node(key, h)) return false;  // present: no allocation, no write
    node* fresh = new node{h, std::move(key), std::move(value), nullptr};
    const bool inserted = update_owning(g, fresh->key, h, fresh, [&](const node* found) -> plan {
      return {found ? act::keep : act::insert, fresh};
    });
    if (!inserted) delete fresh;
    return inserted;
  }

  // The value present, or `value` after inserting it; linearizable (the
  // returned value was the key's value at one instant). Lock-free.
  V get_or_insert(K key, V value) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    if (const node* n = find_node(key, h)) return n->value;  // the common case: no allocation
    node* fresh = new node{h, std::move(key), std::move(value), nullptr};
    const node* existing = nullptr;
    const bool inserted = update_owning(g, fresh->key, h, fresh, [&](const node* found) -> plan {
      existing = found;
      return {found ? act::keep : act::insert, fresh};
    });
    if (inserted) return fresh->value;  // still pinned: fresh cannot be freed yet
    V v = existing->value;
    delete fresh;
    return v;
  }

  // Removes the key. Returns whether it was present. Lock-free.
  bool remove(const K& key) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    return update(g, key, h, [](const node* found) -> plan {
      return {found ? act::remove : act::keep, nullptr};
    });
  }

  // Removes the key and returns its value. Lock-free.
  std::optional<V> take(const K& key) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    const node* victim = nullptr;
    update(g, key, h, [&](const node* found) -> plan {
      victim = found;
      return {found ? act::remove : act::keep, nullptr};
    });
    if (victim) return victim->value;  // retired, not yet freed: we are pinned
    return std::nullopt;
  }

  // Replaces the value with `desired` if the key is present with a value
  // equal to `expected` (V's operator==). Returns whether it replaced.
  // Lock-free.
  bool compare_and_set(const K& key, const V& expected, V desired) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    node* fresh = nullptr;
    const bool replaced = update_owning(g, key, h, fresh, [&](const node* found) -> plan {
      if (!found || !(found->value == expected)) return {act::keep, nullptr};
      if (!fresh) fresh = new node{h, found->key, std::move(desired), nullptr};
      return {act::replace, fresh};
    });
    if (!replaced) delete fresh;
    return replaced;
  }

  // Optimistic read-modify-write (see compute_entry.hpp): f(compute_entry<V>&)
  // sees the current value and decides; the decision is installed by CAS,
  // and f runs again if the key changed meanwhile. Returns what the
  // successful call of f returned. Lock-free (f may call into any map).
  template <class F>
  auto compute(const K& key, F&& f) {
    using R = std::invoke_result_t<F&, compute_entry<V>&>;
    static_assert(std::is_invocable_v<F&, compute_entry<V>&>, "compute's callback takes (compute_entry<V>&)");
    const uint64_t h = hash_(key);
    epoch::guard g;
    node* fresh = nullptr;
    std::optional<std::conditional_t<std::is_void_v<R>, char, std::decay_t<R>>> result;
    update_owning(g, key, h, fresh, [&](const node* found) -> plan {
        delete fresh;  // from an attempt that lost its CAS: never published
        fresh = nullptr;
        auto entry = detail::compute_access::make<V>(found ? &found->value : nullptr);
        if constexpr (std::is_void_v<R>) {
          f(entry);
        } else {
          result.emplace(f(entry));
        }
        if (detail::compute_access::wants_assign(entry)) {
          fresh = new node{h, found ? found->key : key, detail::compute_access::take_value(entry), nullptr};
          return {found ? act::replace : act::insert, fresh};
        }
        if (detail::compute_access::wants_erase(entry) && found) return {act::remove, nullptr};
        return {act::keep, nullptr};
      });
    if constexpr (!std::is_void_v<R>) return std::move(*result);
  }

  // ---- whole-map operations. Lock-free, not atomic as a whole; each key is. ----

  // Calls f(const K&, const V&) for every entry. Weakly consistent: an
  // entry present for the whole call is seen exactly once, others at most
  // once. Pins for the whole call (a long iteration delays reclamation).
  template <class F>
  void for_each(F&& f) const {
    for_each_part(0, 1, std::forward<F>(f));
  }

  // for_each over one part of the map: the entries whose hash has `part`
  // in its low bits, of `parts` (a power of two) such parts. The parts
  // split the hash space, not the table, so they stay the same whatever
  // resizes happen between two calls: an iteration that walks the parts
  // one call at a time (pinned only for each) sees an entry present
  // throughout exactly once. Each call visits every min(parts, buckets)-th
  // bucket. Requires: parts a power of two, part < parts.
  template <class F>
  void for_each_part(std::size_t part, std::size_t parts, F&& f) const {
    static_assert(std::is_invocable_v<F&, const K&, const V&>, "for_each's callback takes (const K&, const V&)");
    THREADMAP_REQUIRE(std::has_single_bit(parts) && part < parts);
    epoch::guard g;
    table* t = table_.load(std::memory_order_acquire);
    // Buckets j with j = part mod stride hold every entry of the part (a
    // bucket's hashes all have j in their low bits); with more parts than
    // buckets, a bucket also holds other parts' entries: filtered by hash.
    const std::size_t stride = std::min(parts, t->size);
    const auto visit = [&](const node* n) {
      if ((n->hash & (parts - 1)) == part) f(static_cast<const K&>(n->key), static_cast<const V&>(n->value));
    };
    for (std::size_t j = part & (stride - 1); j < t->size; j += stride) {
      uintptr_t w = t->bucket[j].load(std::memory_order_acquire);
      if (w == uninit) {
        if (table* p = t->prev.load(std::memory_order_acquire)) {
          // Read the source(s), keeping only what belongs to bucket j.
          if (t->size > p->size) {
            for_chain(chain(p->bucket[j & p->mask].load(std::memory_order_acquire)), [&](const node* n) {
              if ((n->hash & t->mask) == j) visit(n);
            });
          } else {
            for (std::size_t src : {j, j + t->size}) for_chain(chain(p->bucket[src].load(std::memory_order_acquire)), visit);
          }
          continue;
        }
        // prev is cleared only after every bucket is built: read it again.
        w = t->bucket[j].load(std::memory_order_acquire);
      }
      for_chain(chain(w), visit);
    }
  }

  // Removes every entry, bucket by bucket. Lock-free.
  void clear() {
    epoch::guard g;
    for (;;) {
      table* t = table_.load(std::memory_order_acquire);
      if (t->prev.load(std::memory_order_acquire)) {
        finish_migration(g);
        continue;
      }
      bool superseded = false;
      int64_t removed = 0;
      for (std::size_t j = 0; j < t->size && !superseded; ++j) {
        uintptr_t w = t->bucket[j].load(std::memory_order_acquire);
        for (;;) {
          if (w & frozen_bit) {
            superseded = true;  // a resize started: go on in the new table
            break;
          }
          if (w == 0) break;
          // seq_cst: the unlink must be visible before retire() reads its
          // tag (epoch.hpp, "Rules"); also acquires the chain we retire and
          // releases our empty bucket.
          if (t->bucket[j].compare_exchange_weak(w, 0, std::memory_order_seq_cst, std::memory_order_acquire)) {
            for (node* n = chain(w); n;) {
              node* next = n->next;
              g.retire(n);
              ++removed;
              n = next;
            }
            break;
          }
        }
      }
      if (removed) count_.add(g.thread_index(), -removed);
      if (!superseded) break;
    }
    // Give the buckets back now, halving down to the initial size: later
    // writes would halve the table only one step per resize, and a map
    // cleared for good makes none. Each step is O(its buckets), all empty
    // unless other threads write meanwhile (the bound guards against
    // writers that keep the table from settling).
    for (int step = 0; step < 64 && maybe_resize(g); ++step) finish_migration(g);
  }

  // Number of entries: exact when no write runs concurrently, otherwise an
  // estimate. Wait-free.
  std::size_t size() const noexcept { return count_.sum(); }
  bool empty() const noexcept { return size() == 0; }

  // The current bucket count. Wait-free.
  std::size_t bucket_count() const {
    epoch::guard g;
    return table_.load(std::memory_order_acquire)->size;
  }
  // Bytes this map holds for its structure and entries: the current bucket
  // array and one node per entry (an estimate while writes run, as size()
  // is). Not counted: a table still being migrated from, garbage waiting
  // for reclamation, the allocator's own overhead, and what K and V
  // allocate themselves. Wait-free.
  std::size_t allocated_bytes() const {
    epoch::guard g;
    const table* t = table_.load(std::memory_order_acquire);
    return sizeof(*this) + sizeof(table) + t->size * sizeof(std::atomic<uintptr_t>) + size() * sizeof(node);
  }

  // Whether a resize is still being completed. Wait-free.
  bool migrating() const {
    epoch::guard g;
    return table_.load(std::memory_order_acquire)->prev.load(std::memory_order_acquire) != nullptr;
  }

  const Hash& hash_function() const noexcept { return hash_; }
  const Eq& key_eq() const noexcept { return eq_; }

 private:
  enum class act { keep, insert, replace, remove };
  struct plan {
    act what;
    node* fresh;  // the node to install for insert / replace
  };

  template <class F>
  static void for_chain(const node* n, F&& f) {
    for (; n; n = n->next) f(n);
  }

  const node* search(const node* n, const K& key, uint64_t h) const {
    for (; n; n = n->next)
      if (n->hash == h && eq_(n->key, key)) return n;
    return nullptr;
  }

  // insert and insert_or_assign: installs a new node for the key, calling
  // saw(node* or nullptr) with what the key held before each attempt (the
  // last call is the one that counts).
  template <class Saw>
  void put(K key, V value, Saw&& saw) {
    const uint64_t h = hash_(key);
    epoch::guard g;
    node* fresh = new node{h, std::move(key), std::move(value), nullptr};
    update_owning(g, fresh->key, h, fresh, [&](const node* found) -> plan {
      saw(found);
      return {found ? act::replace : act::insert, fresh};
    });
  }

  // Requires: pinned.
  const node* find_node(const K& key, uint64_t h) const {
    table* t = table_.load(std::memory_order_acquire);  // acquire: the table's fields
    for (;;) {
      // acquire: the chain's nodes were written before the CAS that published them.
      const uintptr_t w = t->bucket[h & t->mask].load(std::memory_order_acquire);
      if (w != uninit) return search(chain(w), key, h);
      if (table* p = t->prev.load(std::memory_order_acquire))
        return search(chain(p->bucket[h & p->mask].load(std::memory_order_acquire)), key, h);
      // prev cleared after we saw UNINIT: the bucket is built by now.
    }
  }

  // The core of every write: read the key's bucket (building it first if
  // needed), let `decide` look at the key's node, install the decision by
  // CAS, and retry from the read if the CAS lost. Returns whether a change
  // was installed (false: decide said keep). `decide` owns plan.fresh;
  // it may be called again after a lost CAS, with plan.fresh unpublished.
  // Requires: pinned (through g).
  template <class Decide>
  bool update(epoch::guard& g, const K& key, uint64_t h, Decide&& decide) {
    for (;;) {
      table* t = table_.load(std::memory_order_acquire);
      const std::size_t j = h & t->mask;
      uintptr_t w = t->bucket[j].load(std::memory_order_acquire);
      if (w == uninit) {
        build_bucket(g, t, j);
        continue;
      }
      if (w & frozen_bit) continue;  // superseded: table_ already names the newer table (see build_bucket)
      node* head = chain(w);
      node* found = const_cast<node*>(search(head, key, h));
      const plan p = decide(static_cast<const node*>(found));
      if (p.what == act::keep) return false;

      // The new chain: copies of the nodes before `found`, then fresh (for
      // insert/replace), then what followed `found` (shared).
      node* tail;
      node* first = nullptr;  // head of the copies
      if (p.what == act::insert) {
        p.fresh->next = head;
        tail = p.fresh;
      } else {
        node* rest = found->next;
        if (p.what == act::replace) {
          p.fresh->next = rest;
          rest = p.fresh;
        }
        tail = rest;
        node* last = nullptr;
        try {
          for (node* n = head; n != found; n = n->next) {
            node* c = new node{n->hash, n->key, n->value, nullptr};
            if (last) last->next = c; else first = c;
            last = c;
          }
        } catch (...) {
          delete_copies(first, nullptr);  // a copy of K or V threw, or no memory (last->next is still null)
          throw;
        }
        if (last) last->next = tail;
      }
      node* new_head = first ? first : tail;
      // seq_cst: the unlink of the nodes retired below must be visible
      // before retire() reads their tag (epoch.hpp, "Rules"); release
      // publishes the new nodes; acquire for the retry's read.
      if (t->bucket[j].compare_exchange_strong(w, word(new_head), std::memory_order_seq_cst,
                                               std::memory_order_acquire)) {
        // Committed: nothing below may throw out of here, or a caller would
        // report a write that happened as failed (and free p.fresh, now in
        // the map). The count first (noexcept); then the retirements, the
        // resize check and the help, any of which may run out of memory
        // (or meet a throwing copy of K or V while helping): then unlinked
        // nodes leak rather than being freed early, and the resize or the
        // migration is left to the next writes.
        int64_t stripe = 0;
        if (p.what != act::replace) stripe = count_.add(g.thread_index(), p.what == act::insert ? 1 : -1);
        try {
          if (p.what != act::insert) retire_range(g, head, found->next);
          if (p.what != act::replace) after_size_change(g, t, stripe);
          help_migration(g, t);
        } catch (...) {
        }
        return true;
      }
      delete_copies(first, tail);  // lost: the copies were never published
    }
  }

  // update() for a caller that owns `fresh`, a node it may install: if
  // update() throws, it threw before any CAS (it cannot after one), so
  // `fresh` was never published and is freed here.
  template <class Decide>
  bool update_owning(epoch::guard& g, const K& key, uint64_t h, node*& fresh, Decide&& decide) {
    try {
      return update(g, key, h, std::forward<Decide>(decide));
    } catch (...) {
      delete fresh;
      fresh = nullptr;
      throw;
    }
  }

  // Freezes bucket i of (old) table p and returns its chain.
  static node* freeze(table* p, std::size_t i) {
    uintptr_t w = p->bucket[i].load(std::memory_order_acquire);
    // acq_rel: acquire the chain we will copy, release for the readers of the frozen word.
    while (!(w & frozen_bit) &&
           !p->bucket[i].compare_exchange_weak(w, w | frozen_bit, std::memory_order_acq_rel, std::memory_order_acquire)) {
    }
    return chain(w);
  }

  // In a chain, the first node of the longest tail whose nodes all land in
  // one bucket under `mask` (null for an empty chain). Deterministic: the
  // builder and the retirer compute the same one.
  static node* last_run(node* n, std::size_t mask) {
    node* run = n;
    for (; n; n = n->next)
      if ((n->hash & mask) != (run->hash & mask)) run = n;
    return run;
  }

  // A chain under construction (unpublished: its nodes are ours to link and delete).
  struct built_chain {
    node* first = nullptr;
    node* last = nullptr;
    void append_copy(const node* n) {
      node* c = new node{n->hash, n->key, n->value, nullptr};
      if (last) last->next = c; else first = c;
      last = c;
    }
    node* finish(node* shared) {
      if (last) last->next = shared;
      return first ? first : shared;
    }
    void discard(node* shared) { delete_copies(first, shared); }
  };

  // Installs `built` in bucket j of t if it is still UNINIT; returns
  // whether this call did. Counts the bucket and completes the migration
  // after the last one.
  bool install(epoch::guard& g, table* t, table* p, std::size_t j, node* built) {
    uintptr_t expected = uninit;
    // seq_cst: the winner retires the originals it copied (build_bucket),
    // which this CAS makes unreachable, so it must be visible before their
    // tag is read (epoch.hpp, "Rules"); release publishes the copies;
    // acquire pairs with the other builders.
    if (!t->bucket[j].compare_exchange_strong(expected, word(built), std::memory_order_seq_cst,
                                              std::memory_order_acquire))
      return false;
    if (t->init_done.fetch_add(1, std::memory_order_acq_rel) + 1 == t->size) complete_migration(g, t, p);
    return true;
  }

  // Builds bucket j of table t (and, when doubling, its sibling) from
  // t->prev. Requires: pinned.
  //
  // Doubling: source bucket i = j & p->mask splits into i and i + p->size.
  // The longest tail of the source landing in one of them ("the run") is
  // shared, the other nodes are copied. The sibling without the run is
  // installed first, so that once the run's bucket is live (and a writer
  // there may unlink and retire a shared node) no thread can reach the
  // source chain any more without having been pinned before: an UNINIT
  // bucket is the only way in. The thread whose CAS installs the run's
  // bucket retires the copied originals (the nodes before the run).
  // Halving: source buckets j and j + t->size merge into j; the second is
  // shared whole, the first copied, and the winner of j's CAS retires the
  // first's originals.
  void build_bucket(epoch::guard& g, table* t, std::size_t j) {
    table* p = t->prev.load(std::memory_order_acquire);
    if (!p) return;  // every bucket is built
    if (t->size > p->size) {
      const std::size_t i = j & p->mask;
      node* src = freeze(p, i);
      node* run = last_run(src, t->mask);
      const std::size_t run_at = run ? (run->hash & t->mask) : i;
      const std::size_t other = run_at == i ? i + p->size : i;
      built_chain for_run, for_other;
      try {
        for (node* n = src; n != run; n = n->next)
          ((n->hash & t->mask) == run_at ? for_run : for_other).append_copy(n);
      } catch (...) {
        for_run.discard(nullptr);
        for_other.discard(nullptr);
        throw;
      }
      if (!install(g, t, p, other, for_other.finish(nullptr))) for_other.discard(nullptr);
      if (install(g, t, p, run_at, for_run.finish(run))) {
        retire_range(g, src, run);
      } else {
        for_run.discard(run);
      }
    } else {
      node* a = freeze(p, j);
      node* b = freeze(p, j + t->size);
      built_chain merged;
      try {
        for (node* n = a; n; n = n->next) merged.append_copy(n);
      } catch (...) {
        merged.discard(nullptr);
        throw;
      }
      if (install(g, t, p, j, merged.finish(b))) {
        retire_range(g, a, nullptr);
      } else {
        merged.discard(b);
      }
    }
  }

  static void retire_range(epoch::guard& g, node* n, node* stop) {
    while (n != stop) {
      node* next = n->next;
      g.retire(n);
      n = next;
    }
  }

  static void delete_copies(node* n, node* stop) {
    while (n && n != stop) {
      node* next = n->next;
      delete n;
      n = next;
    }
  }

  // Every bucket of t is built: detach p and retire it. (The nodes copied
  // out of it were retired by the builders; the shared ones live on in t.)
  // Runs once, in the thread whose CAS built the last bucket.
  void complete_migration(epoch::guard& g, table* t, table* p) {
    // A seq_cst RMW, not a store: clearing prev unlinks p, which must be
    // visible before retire() reads p's tag (epoch.hpp, "Rules"; a store
    // could still sit in the store buffer then). Its release: a thread that
    // reads prev == null then reads built buckets. Once per resize.
    t->prev.exchange(nullptr, std::memory_order_seq_cst);
    g.retire(p, p->size * sizeof(std::atomic<uintptr_t>));  // big: collected at this thread's next unpins
  }

  // Incremental help: build the next help_chunk(t) buckets of t if it is
  // still being built. Requires: pinned.
  void help_migration(epoch::guard& g, table* t) {
    table* p = t->prev.load(std::memory_order_acquire);
    if (!p) return;
    const std::size_t chunk = help_chunk(t);
    // relaxed: the cursor only spreads work; build_bucket's CASes decide who builds what.
    const std::size_t begin = t->init_cursor.fetch_add(chunk, std::memory_order_relaxed);
    const std::size_t end = std::min(begin + chunk, t->size);
    if (begin >= end) return;
    // Building reads every source node's hash: start those cache misses
    // together instead of one after another (a hint only; no dereference).
    for (std::size_t j = begin; j < end; ++j)
      __builtin_prefetch(chain(p->bucket[j & p->mask].load(std::memory_order_relaxed)));  // relaxed: a hint, never dereferenced here
    for (std::size_t j = begin; j < end; ++j)
      if (t->bucket[j].load(std::memory_order_acquire) == uninit) build_bucket(g, t, j);
  }

  // Builds every remaining bucket of the current table. Requires: pinned.
  void finish_migration(epoch::guard& g) {
    table* t = table_.load(std::memory_order_acquire);
    if (!t->prev.load(std::memory_order_acquire)) return;
    for (std::size_t j = 0; j < t->size; ++j)
      if (t->bucket[j].load(std::memory_order_acquire) == uninit) build_bucket(g, t, j);
  }

  // After a count change: look at the load factor every so often (every
  // write on small tables, about every 64 writes per thread on large ones).
  void after_size_change(epoch::guard& g, table* t, int64_t stripe) {
    if (fixed_) return;
    const std::size_t period = std::clamp<std::size_t>(t->size >> 10, 1, 64);
    if ((static_cast<uint64_t>(stripe) & (period - 1)) != 0) return;
    maybe_resize(g);
  }

  // Starts a resize if the load factor asks for one (or completes the one
  // in progress). Returns whether the table needed a resize: false once
  // its size suits its count.
  bool maybe_resize(epoch::guard& g) {
    if (fixed_) return false;
    table* t = table_.load(std::memory_order_acquire);
    const std::size_t n = count_.sum();
    std::size_t target = t->size;
    if (n > t->size / 4 * 3 && t->size < max_buckets) {
      target = t->size * 2;
    } else if (n < t->size / 4 && t->size > min_buckets_) {
      target = t->size / 2;
    }
    if (target == t->size) return false;
    if (t->prev.load(std::memory_order_acquire)) {
      finish_migration(g);  // one resize at a time: finish the last one first
      return true;          // the next write re-evaluates
    }
    table* fresh = new table(target, uninit, t);
    // acq_rel: release publishes the new table; acquire if another one won.
    if (!table_.compare_exchange_strong(t, fresh, std::memory_order_acq_rel, std::memory_order_acquire)) {
      delete fresh;
      return true;
    }
    help_migration(g, fresh);
    return true;
  }

  [[no_unique_address]] Hash hash_;
  [[no_unique_address]] Eq eq_;
  std::atomic<table*> table_{nullptr};
  std::size_t min_buckets_ = default_buckets;
  bool fixed_ = false;
  detail::striped_counter count_;
};

}  // namespace threadmap
