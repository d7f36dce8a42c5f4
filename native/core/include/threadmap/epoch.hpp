// threadmap/epoch.hpp: epoch-based memory reclamation for the lock-free
// engines (LockFreeMap, HopscotchMap).
//
// What it is: the classic three-epoch scheme (Fraser 2004; the shape
// crossbeam-epoch and kovan use). One process-wide domain holds a global
// epoch counter and a registry of per-thread records. A thread "pins"
// itself (epoch::guard) before it loads any pointer into a shared
// structure and unpins when it is done; while pinned it may dereference
// whatever it loaded. A writer that unlinks a node hands it to retire();
// the node is freed once no thread can still hold it.
//
// Memory layout:
//
//   struct domain {                       // one per process, never destroyed
//     alignas(64) atomic<uint64_t> epoch; // the global epoch E
//     alignas(64) atomic<record*> records;// lock-free list, push-only
//     mutex orphan_mutex;                 // guards orphans
//     vector<retired> orphans;            // garbage of threads that exited
//     atomic<size_t> orphan_count;        // orphans.size(), readable without the mutex
//   };
//   struct alignas(64) record {           // one per live thread (reused after exit)
//     atomic<uint64_t> state;             // (local epoch << 1) | pinned
//     atomic<bool> in_use;                // owned by a live thread
//     record* next;                       // registry link, immutable once pushed
//     unsigned nest;                      // owner only: guard nesting depth
//     vector<retired> bag;                // owner only: garbage, in epoch order
//   };
//   struct retired { void* p; void (*del)(void*); uint64_t epoch; };
//
// Rules:
//  - pin: state = (E << 1) | 1, with a seq_cst exchange (the store must be
//    visible to any advancing thread before this thread loads a shared
//    pointer). Nested guards only count.
//  - retire(p): after p is unreachable for new readers, tag it with the
//    current E and append it to the thread's bag. The store that made p
//    unreachable must be visible before the tag is read: a seq_cst RMW (LockFreeMap
//    unlinks with seq_cst CAS, and clears a finished resize's `prev` with
//    a seq_cst exchange) or a seq_cst fence (DashMap's tables and
//    HopscotchMap's nodes and tables, unlinked by plain stores under a
//    lock). Otherwise, on x86 too, the tag
//    load could pass that store in the store buffer, a reader could read
//    E + 1 and still find p, and p would be freed one advance too early.
//  - advance: E -> E + 1 only if every pinned record has local epoch E.
//  - free: an entry tagged t is freed once E >= t + 2. A reader that could
//    still hold p was pinned at some e <= t, and while it stays pinned E
//    cannot pass e + 1; so E >= t + 2 proves every such reader unpinned.
//  - Batches: a thread tries to advance and frees its eligible prefix every
//    `collect_batch` retirements (and in collect()/synchronize()).
//  - Big garbage: a retirement of `big_retire_bytes` or more (a replaced
//    table) makes the thread try a collection at each of its unpins until
//    that entry is freed, instead of waiting for 127 more retirements that
//    a map being filled may never make (a growing table retires nothing
//    but its old tables). With no other thread pinned behind, it is freed
//    at the second unpin after its retirement.
//
// Threads come and go (Node worker threads do): a thread registers on its
// first pin or retire (taking a free record, or pushing a new one), and
// when it exits a thread_local destructor hands its remaining garbage to
// the domain's orphan list and frees its record. Orphans are adopted and
// freed by whichever thread collects next. An exited thread therefore
// neither strands its garbage nor holds the epoch back (an unpinned record
// never blocks an advance).
//
// Guarantees and limits:
//  - What blocks reclamation: only a pinned thread, and only while it stays
//    pinned. The maps pin for one operation, plus the duration of a visit()
//    or for_each() callback: a callback that runs for a long time, or
//    blocks, stops all reclamation in the process for that time (garbage
//    piles up; nothing else waits). No thread ever waits for an epoch.
//  - How much garbage: with no long pin, each thread's bag holds at most
//    about 3 x collect_batch entries of its own (two epoch advances
//    separate retire from free, and an advance is tried every batch), and
//    a big entry stays only until its thread unpins twice more. A
//    thread that retired some garbage and then went idle without exiting
//    keeps up to that much until it pins or retires again, or exits.
//    Orphans are freed at the next collection by any thread.
//  - Records are never freed (the registry is push-only); their number is
//    the peak number of threads that used the engines at the same time.
//  - Deleters run on whichever thread collects (the retiring thread, or an
//    adopter of orphans), possibly after the map the node came from has
//    been destroyed: a node must be freeable on its own.
//
// Memory orders besides the seq_cst ones of the proof: records are
// published by a release CAS on the registry head and walked with acquire
// loads; a record changes owner through in_use (release at exit, acquire
// CAS on take); frees wait for an acquire load of the epoch (pairing with
// the advancing CAS) after unpins that are releases. Counters (pending,
// orphan_count) are relaxed: statistics and hints, never trusted for
// memory safety (the orphan list itself is under its mutex).
//
// Costs: pin is one seq_cst exchange on a thread-local cache line (no
// shared write); unpin is one release store and one test of the thread's
// own record (a collection attempt only while big garbage waits). retire
// is an append, plus,
// every collect_batch calls, an advance attempt (one load per registered
// record) and the frees. The first use by a thread walks the registry.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "detail/config.hpp"

namespace threadmap::epoch {

// How many retirements a thread makes between two collection attempts.
inline constexpr std::size_t collect_batch = 128;
// Retirements of this many bytes or more are collected at the next unpins
// (see "Big garbage" above).
inline constexpr std::size_t big_retire_bytes = std::size_t{1} << 20;

namespace detail {

struct retired {
  void* p;
  void (*del)(void*);
  uint64_t epoch;
};

struct alignas(threadmap::detail::cache_line) record {
  // (local epoch << 1) | pinned. Written by the owner (pin/unpin), read by
  // advancing threads.
  std::atomic<uint64_t> state{0};
  // Set by the thread that takes the record, cleared at its exit.
  std::atomic<bool> in_use{false};
  // Registry link, written once before the record is published.
  record* next = nullptr;
  // Owner only: guard nesting depth, garbage, retirements since the last collection.
  unsigned nest = 0;
  std::vector<retired> bag;
  std::vector<retired> scratch;  // the batch being freed (kept: no allocation per batch)
  bool collecting = false;       // a deleter that retires must not re-enter the collection
  std::size_t since_collect = 0;
  // Owner only: the epoch at which every big entry in the bag can be freed
  // (its tag + 2), or 0 when none waits: while set, each unpin tries a
  // collection. Only a hint for when to collect; frees follow the rules above.
  uint64_t big_free_at = 0;
  // Owner writes (relaxed), anyone reads for stats(): bag.size().
  std::atomic<std::size_t> pending{0};
  // Registry index (stable): lets callers spread per-thread counters.
  std::size_t index = 0;
};

class domain {
 public:
  static domain& instance() noexcept {
    // Never destroyed: threads may exit (and hand over garbage) during or
    // after static destruction. Reachable through this pointer, so leak
    // checkers do not count it.
    static domain* d = new domain;
    return *d;
  }

  // The record of the calling thread, registering it on first use.
  record& self();

  void pin(record& r) noexcept {
    if (r.nest++ == 0) {
      const uint64_t e = epoch_.load(std::memory_order_relaxed);  // any recent value is safe: a stale e only holds E back
      // seq_cst RMW: orders this store before every later load of shared
      // pointers by this thread, against the advancer's seq_cst loads.
      r.state.exchange((e << 1) | 1, std::memory_order_seq_cst);
    }
  }
  void unpin(record& r) noexcept {
    THREADMAP_REQUIRE(r.nest > 0);
    if (--r.nest == 0) {
      // release: every access this thread made to shared nodes while
      // pinned happens-before an advancer that reads this (acquire) and so
      // before any free that waits for that advance.
      r.state.store(0, std::memory_order_release);
      if (r.big_free_at != 0) [[unlikely]] collect_big(r);
    }
  }

  // `bytes`: what freeing p gives back, if it is worth collecting soon
  // (big_retire_bytes or more); 0 for the ordinary small entries.
  void retire(record& r, void* p, void (*del)(void*), std::size_t bytes = 0) {
    // seq_cst: the tag must not be older than the unlink that precedes this call.
    const uint64_t e = epoch_.load(std::memory_order_seq_cst);
    r.bag.push_back(retired{p, del, e});
    r.pending.store(r.bag.size(), std::memory_order_relaxed);  // statistics only
    if (bytes >= big_retire_bytes) r.big_free_at = e + 2;  // the bag is in epoch order: the latest tag covers all
    if (++r.since_collect >= collect_batch) collect(r);
  }

  // Tries to advance the epoch, frees what this thread and the orphans hold
  // that is old enough. Never waits.
  void collect(record& r) {
    r.since_collect = 0;
    if (r.collecting) return;  // called from a deleter: the outer collection goes on
    r.collecting = true;
    // Cleared on every way out: an out-of-memory exception from the scratch
    // vectors below must not leave this thread never collecting again.
    struct clear_flag {
      bool& flag;
      ~clear_flag() { flag = false; }
    } done{r.collecting};
    try_advance();
    free_eligible(r, epoch_.load(std::memory_order_acquire));
    r.pending.store(r.bag.size(), std::memory_order_relaxed);
    adopt_orphans();
  }

  // At an unpin while big garbage waits: one collection attempt; done with
  // it once every big entry is freed. Not from inside a collection (a
  // deleter's own guard): the outer one goes on, and the next unpin tries
  // again. Out of memory in the collection leaves big_free_at set, so the
  // next unpin tries again (unpin cannot throw).
  void collect_big(record& r) noexcept {
    if (r.collecting) return;
    try {
      collect(r);
    } catch (...) {
      return;
    }
    // The bag is in epoch order: done once nothing tagged up to the big
    // entries' tag is left in it.
    if (r.bag.empty() || r.bag.front().epoch + 2 > r.big_free_at) r.big_free_at = 0;
  }

  // Advances E if every pinned thread has seen it. Returns the epoch after the attempt.
  uint64_t try_advance() noexcept {
    const uint64_t e = epoch_.load(std::memory_order_seq_cst);
    for (record* r = records_.load(std::memory_order_acquire); r; r = r->next) {
      // seq_cst pairs with pin's exchange (see the proof in the header).
      const uint64_t s = r->state.load(std::memory_order_seq_cst);
      if ((s & 1) && (s >> 1) != e) return e;
    }
    uint64_t expected = e;
    epoch_.compare_exchange_strong(expected, e + 1, std::memory_order_seq_cst);
    return expected == e ? e + 1 : expected;
  }

  // Thread exit: hands the garbage over and frees the record.
  void release(record& r) {
    THREADMAP_REQUIRE(r.nest == 0);
    if (!r.bag.empty()) {
      std::lock_guard<std::mutex> g(orphan_mutex_);
      orphans_.insert(orphans_.end(), r.bag.begin(), r.bag.end());
      orphan_count_.store(orphans_.size(), std::memory_order_relaxed);  // a hint for adopters
    }
    r.bag.clear();
    r.bag.shrink_to_fit();
    r.scratch.clear();
    r.scratch.shrink_to_fit();
    r.pending.store(0, std::memory_order_relaxed);  // statistics only
    r.since_collect = 0;
    r.big_free_at = 0;
    r.state.store(0, std::memory_order_release);  // release: as in unpin
    // release: the next owner of the record sees it clean.
    r.in_use.store(false, std::memory_order_release);
  }

  // Garbage that an exiting thread could not hand over through its record
  // (used only after its thread_local state was destroyed).
  void retire_orphan(void* p, void (*del)(void*)) {
    const uint64_t e = epoch_.load(std::memory_order_seq_cst);
    std::lock_guard<std::mutex> g(orphan_mutex_);
    orphans_.push_back(retired{p, del, e});
    orphan_count_.store(orphans_.size(), std::memory_order_relaxed);
  }

  uint64_t current_epoch() const noexcept { return epoch_.load(std::memory_order_acquire); }

  struct stats_t {
    uint64_t epoch;         // the global epoch
    std::size_t pending;    // retired, not yet freed: all threads' bags plus orphans
    std::size_t orphaned;   // of which handed over by exited threads
    std::size_t records;    // registered records (peak concurrent threads)
    std::size_t in_use;     // records owned by live threads
  };
  stats_t stats() const {
    stats_t s{current_epoch(), 0, 0, 0, 0};
    for (record* r = records_.load(std::memory_order_acquire); r; r = r->next) {
      ++s.records;
      if (r->in_use.load(std::memory_order_acquire)) {
        ++s.in_use;
        s.pending += r->pending.load(std::memory_order_relaxed);  // statistics: may be a moment old
      }
    }
    {
      std::lock_guard<std::mutex> g(orphan_mutex_);
      s.orphaned = orphans_.size();
    }
    s.pending += s.orphaned;
    return s;
  }

 private:
  domain() = default;

  static void free_eligible(record& r, uint64_t now) {
    // Entries are in non-decreasing epoch order within one thread's bag.
    std::size_t n = 0;
    while (n < r.bag.size() && r.bag[n].epoch + 2 <= now) ++n;
    if (n == 0) return;
    // Move the batch out first: a deleter may retire more (a value that
    // owns a map), which appends to the bag. The scratch vector keeps its
    // capacity, so steady-state collection allocates nothing.
    r.scratch.assign(r.bag.begin(), r.bag.begin() + static_cast<std::ptrdiff_t>(n));
    r.bag.erase(r.bag.begin(), r.bag.begin() + static_cast<std::ptrdiff_t>(n));
    for (const retired& x : r.scratch) x.del(x.p);
    r.scratch.clear();
  }

  void adopt_orphans() {
    if (orphan_count_.load(std::memory_order_relaxed) == 0) return;  // a hint; the mutex decides
    std::vector<retired> taken;
    {
      std::unique_lock<std::mutex> g(orphan_mutex_, std::try_to_lock);
      if (!g.owns_lock()) return;
      taken.swap(orphans_);
      orphan_count_.store(0, std::memory_order_relaxed);
    }
    const uint64_t now = epoch_.load(std::memory_order_acquire);
    // Orphans come from several bags: not sorted. Free what is old enough, give back the rest.
    std::vector<retired> keep;
    std::vector<retired> done;
    for (const retired& x : taken) (x.epoch + 2 <= now ? done : keep).push_back(x);
    if (!keep.empty()) {
      std::lock_guard<std::mutex> g(orphan_mutex_);
      orphans_.insert(orphans_.end(), keep.begin(), keep.end());
      orphan_count_.store(orphans_.size(), std::memory_order_relaxed);
    }
    for (const retired& x : done) x.del(x.p);
  }

  alignas(threadmap::detail::cache_line) std::atomic<uint64_t> epoch_{2};
  alignas(threadmap::detail::cache_line) std::atomic<record*> records_{nullptr};
  std::atomic<std::size_t> record_count_{0};
  mutable std::mutex orphan_mutex_;
  std::vector<retired> orphans_;          // guarded by orphan_mutex_
  std::atomic<std::size_t> orphan_count_{0};
};

// Per-thread state. The pointer is trivially destructible (cheap to reach
// from the hot path); the holder's destructor runs at thread exit.
inline thread_local record* tl_record = nullptr;
inline thread_local bool tl_exited = false;

struct thread_holder {
  record* r = nullptr;
  ~thread_holder() {
    if (r) domain::instance().release(*r);
    tl_record = nullptr;
    tl_exited = true;
  }
};
inline thread_local thread_holder tl_holder;

inline record& domain::self() {
  if (record* r = tl_record) return *r;
  record* found = nullptr;
  for (record* r = records_.load(std::memory_order_acquire); r; r = r->next) {
    bool expected = false;
    // acquire: see the previous owner's release of the record.
    if (!r->in_use.load(std::memory_order_relaxed) &&
        r->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
      found = r;
      break;
    }
  }
  if (!found) {
    found = new record;
    found->in_use.store(true, std::memory_order_relaxed);  // published by the release CAS below
    found->index = record_count_.fetch_add(1, std::memory_order_relaxed);
    record* head = records_.load(std::memory_order_relaxed);  // relaxed: the CAS below re-reads it
    do {
      found->next = head;
      // release: the record's fields are visible to whoever walks the list.
    } while (!records_.compare_exchange_weak(head, found, std::memory_order_release, std::memory_order_relaxed));
  }
  tl_record = found;
  // After the thread_local holder is destroyed (another thread_local's
  // destructor using a map at exit), the record is simply kept: it is
  // unpinned between uses, so it blocks nothing, and its garbage is
  // collected with it the next time it retires. Rare; bounded by one
  // record per such thread.
  if (!tl_exited) tl_holder.r = found;
  return *found;
}

}  // namespace detail

// ---- the public face ----

// Pins the calling thread for its lifetime. Nestable, not movable. While a
// guard lives, every node loaded from a structure protected by this scheme
// stays allocated. Wait-free.
class guard {
 public:
  guard() : dom_(detail::domain::instance()), rec_(dom_.self()) { dom_.pin(rec_); }
  ~guard() { dom_.unpin(rec_); }
  guard(const guard&) = delete;
  guard& operator=(const guard&) = delete;

  // Hands p to the scheme: del(p) runs once no thread pinned now can hold
  // it. Requires: p is already unreachable for threads that pin later.
  // `bytes`: what freeing p gives back, when it is big_retire_bytes or
  // more (a table) and so worth collecting at this thread's next unpins.
  void retire(void* p, void (*del)(void*), std::size_t bytes = 0) { dom_.retire(rec_, p, del, bytes); }
  template <class T>
  void retire(T* p, std::size_t bytes = 0) {
    retire(static_cast<void*>(p), [](void* q) { delete static_cast<T*>(q); }, bytes);
  }
  // The registry index of this thread's record: small, stable while the
  // thread lives, distinct between live threads (used to spread counters).
  std::size_t thread_index() const noexcept { return rec_.index; }

 private:
  detail::domain& dom_;
  detail::record& rec_;
};

// Retires without a guard in scope (the calling thread need not be pinned).
inline void retire(void* p, void (*del)(void*)) {
  if (detail::tl_exited && !detail::tl_record) {
    detail::domain::instance().retire_orphan(p, del);
    return;
  }
  auto& d = detail::domain::instance();
  d.retire(d.self(), p, del);
}

// One collection attempt by the calling thread: advance the epoch if no
// pinned thread is behind, free this thread's and the orphans' eligible
// garbage. Never waits. Must not be called while pinned (it would be a
// no-op for the advance, harmless otherwise).
inline void collect() {
  auto& d = detail::domain::instance();
  d.collect(d.self());
}

// Tries hard to free everything retired before the call: up to `rounds`
// collection attempts, yielding in between. Returns the number of entries
// still pending in the whole process (0 when every thread is unpinned and
// no other thread holds garbage in its bag). For tests and shutdown.
inline std::size_t synchronize(unsigned rounds = 64) {
  auto& d = detail::domain::instance();
  auto& r = d.self();
  THREADMAP_REQUIRE(r.nest == 0);
  for (unsigned i = 0; i < rounds; ++i) {
    d.collect(r);
    if (d.stats().pending == 0) return 0;
    std::this_thread::yield();
  }
  return d.stats().pending;
}

// Process-wide reclamation statistics (a moment old under concurrency).
inline detail::domain::stats_t stats() { return detail::domain::instance().stats(); }

}  // namespace threadmap::epoch
