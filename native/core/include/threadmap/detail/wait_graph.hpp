// threadmap/detail/wait_graph.hpp: finds deadlocks between threads that
// wait for key locks (LockMap, LruLockMap), across every map of the process.
//
// The graph: an owner (a thread, or in Node one JS environment) that is
// parked in a synchronous wait for a key has one edge, to that key; a held
// key has one edge, to its holder's owner. Two owners that each hold a key
// the other waits for (or any longer ring: A waits for B's key, B for C's,
// C for A's) are a cycle, and with no deadline none of them would ever
// wake. A thread about to park adds its edge and walks the graph from it;
// if the walk comes back to its own owner, the thread does not park: its
// call fails with errc::would_deadlock and the others go on. The check
// runs once per wait, at the moment the edge is added, under one mutex, so
// of the threads that close a ring between them exactly one (the last)
// sees it and backs out.
//
// Why no false alarm: under the mutex, every edge of a waiter stands for a
// wait that is still queued or was just granted (a waiter removes its edge
// before it takes itself out of a queue on timeout or abort). A granted
// but not yet removed edge leads to a key whose holder is that same owner,
// so a walk through it loops there and never comes back to the walker;
// the walk stops after max_walk steps or at a key that nobody holds.
//
// Lock order: the mutex, then one shard lock at a time (read by holder_of,
// shared). No thread takes the mutex while it holds a shard lock: waits
// from inside callbacks (which hold a shard lock) are bounded anyway
// (lock_tracker.hpp) and are not added to the graph. A walk may wait for a
// shard that a retain callback holds, for as long as that callback runs;
// other threads about to park wait for the mutex meanwhile (they were about
// to wait anyway).
//
// Lifetime: a waiter's `key` stays allocated while its edge is in the graph
// (the waiter holds a reference on it until it is dequeued, which happens
// after the edge is removed, or it holds the key's lock), and its map is
// alive because the waiter is inside one of its members.
//
// Rings that close later: a held key can change holder while its waiters
// stay parked. An async grant hands a key to an owner that may be parked in
// a sync wait itself (a Node thread blocked in lock() while its earlier
// lockAsync is granted), closing a ring that no wait's own check saw. So a
// parked waiter also asks leave_if_cycle every cycle_poll_period; of the
// threads of such a ring, the first to ask leaves (its edge goes under the
// mutex, so the others' walks no longer close) and fails with
// errc::would_deadlock.
//
// An owner has at most one edge: a thread parks in one wait at a time. (An
// owner shared by several threads keeps the edge of the last to park; that
// can only hide a cycle, never invent one.)
//
// Costs: one mutex acquisition and a walk of a few shard reads per parked
// wait (a wait that is served while spinning never gets here), one more
// acquisition when it ends. Waits that never park pay nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace threadmap::detail {

class wait_graph {
 public:
  using owner_id = std::uintptr_t;  // threadmap::owner_id (lock_map.hpp)

  // Reads the holder of `key` in `map` (under its shard lock); false if
  // nobody holds it. Must not throw.
  using holder_fn = bool (*)(const void* map, const void* key, owner_id& holder) noexcept;

  struct edge {
    const void* map;
    const void* key;
    holder_fn holder_of;
  };

  static wait_graph& instance() {
    static wait_graph* g = new wait_graph;  // never destroyed: threads may wait during static destruction
    return *g;
  }

  // Adds owner -> key, unless that closes a cycle: then adds nothing and
  // returns false. Never throws (the caller is queued and must not leave
  // by an exception here): if the edge cannot be stored, the wait goes on
  // unwatched, as it did before this graph existed.
  bool add_unless_cycle(owner_id owner, const edge& e) noexcept {
    std::lock_guard<std::mutex> g(mutex_);
    if (leads_back(owner, e)) return false;
    try {
      waiting_[owner] = e;
    } catch (...) {  // bad_alloc
    }
    return true;
  }

  // If owner's edge is part of a cycle now, removes it and returns true
  // (the caller leaves its wait); else false. Never throws.
  bool leave_if_cycle(owner_id owner) noexcept {
    std::lock_guard<std::mutex> g(mutex_);
    auto mine = waiting_.find(owner);
    if (mine == waiting_.end() || !leads_back(owner, mine->second)) return false;
    waiting_.erase(mine);
    return true;
  }

  void remove(owner_id owner) noexcept {
    std::lock_guard<std::mutex> g(mutex_);
    waiting_.erase(owner);
  }

 private:
  wait_graph() = default;

  // Whether following e (key -> its holder -> the key that holder waits
  // for -> ...) comes back to `owner`. Requires: mutex_ held.
  bool leads_back(owner_id owner, edge e) const noexcept {
    for (std::size_t step = 0; step < max_walk; ++step) {
      owner_id holder = 0;
      if (!e.holder_of(e.map, e.key, holder)) return false;  // free: the chain ends
      if (holder == owner) return true;
      auto it = waiting_.find(holder);
      if (it == waiting_.end()) return false;  // the holder is not parked
      e = it->second;
    }
    return false;
  }
  static constexpr std::size_t max_walk = 1024;

 public:
  // How often a parked waiter asks leave_if_cycle.
  static constexpr std::chrono::milliseconds cycle_poll_period{100};

 private:
  std::mutex mutex_;
  std::unordered_map<owner_id, edge> waiting_;  // guarded by mutex_
};

}  // namespace threadmap::detail
