// native/addon/lock_hub.hpp: one JS environment's (one thread's) key locks.
//
// What a thread's JS holds of LockMap and LruLockMap locks lives here, never
// in JS objects: the engine entries it owns (`holder`s, named in JS by a
// token), and its queued async waits. So when the environment goes (a
// worker exits, throws or is terminated) the hub's destructor releases every
// lock the thread holds and withdraws every wait it queued, and the rest of
// the process goes on.
//
// Owner: the hub's address is this environment's owner_id in the engines
// (lock_map.hpp, "Owners"): a sync lock behind a lock this thread holds, by
// any of its entries, sync or async, is ERR_WOULD_DEADLOCK.
//
// Tokens: a token is slot index + generation x 2^24, a JS number. A token
// is only ever looked up in this hub's own table, bounds-checked, and its
// generation compared, so a stale or made-up token is ERR_ENTRY_RELEASED,
// never another thread's lock or a stray pointer.
//
// Async waits, across threads:
//   JS thread                        releasing thread (any)
//   lock_async: engine queues a
//   js_waiter (owned by `pending`,
//   and by itself: `self`)
//                                    release -> engine pops the waiter ->
//                                    granted(entry): moves `self` to a local
//                                    (the waiter lives until granted returns),
//                                    hub_core::deliver: under core.mu, if the
//                                    hub is alive, queue (id, holder) in
//                                    `ready` and call the thread-safe
//                                    function; else drop the holder (after
//                                    core.mu is released), which hands the
//                                    lock on.
//   on_ready (the TSFN's call_js): takes `ready` under core.mu, adopts each
//   holder (a token) and calls the JS dispatcher (id, token).
// `hub_core` is shared by the hub, its waiters and the TSFN's finalizer, so
// a late grant never touches a dead hub or a finalized TSFN: `alive` and
// `tsfn` are read and cleared under core.mu.
// Lock order: an engine shard lock is never held while core.mu is taken
// (engines call granted() with no lock held); core.mu is a leaf (nothing is
// locked and no lock is released while it is held).
#pragma once

#include <napi.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <threadmap/lock_map.hpp>

#include "key.hpp"
#include "registry.hpp"
#include "value.hpp"

namespace threadmap::addon {

// One engine entry owned by JS (type-erased over LockMap / LruLockMap).
struct holder {
  explicit holder(MapRef r) : ref(std::move(r)) {}
  virtual ~holder() = default;
  virtual const Key& key() const = 0;
  virtual std::optional<Value> get() const = 0;
  virtual bool exists() const = 0;
  virtual void set(Value v, std::chrono::nanoseconds ttl) = 0;
  virtual bool remove() = 0;
  virtual std::optional<Value> failure() const = 0;
  virtual void publish_failure(Value v) = 0;
  // Releases the lock now (may throw would_deadlock from inside a callback
  // that holds the key's shard; the lock is then still held).
  virtual void release() = 0;
  MapRef ref;  // declared first, destroyed last: the map outlives the entry
};

template <class Engine>
struct holder_of final : holder {
  holder_of(MapRef r, typename Engine::entry en) : holder(std::move(r)), e(std::move(en)) {}
  const Key& key() const override { return e.key(); }
  std::optional<Value> get() const override { return e.get(); }
  bool exists() const override { return e.exists(); }
  void set(Value v, std::chrono::nanoseconds ttl) override { e.set(std::move(v), ttl); }
  bool remove() override { return e.remove(); }
  std::optional<Value> failure() const override { return e.failure_since_queued(); }
  void publish_failure(Value v) override { e.publish_failure(std::move(v)); }
  void release() override { e.release(); }
  typename Engine::entry e;
};

class LockHub;

struct hub_core {
  std::mutex mu;
  LockHub* hub = nullptr;                   // guarded by mu; null once the hub is gone
  napi_threadsafe_function tsfn = nullptr;  // guarded by mu; null once finalized
  std::vector<std::pair<uint32_t, std::unique_ptr<holder>>> ready;  // guarded by mu

  // Hands a granted lock to the hub's thread, or drops it (releasing the
  // lock) if that thread is gone. Any thread; never throws.
  void deliver(uint32_t id, std::unique_ptr<holder> h) noexcept;
};

// A queued async wait, type-erased: the hub can withdraw it without
// knowing the engine.
struct pending_wait {
  virtual ~pending_wait() = default;
  // Engine cancel(): true if withdrawn before any grant.
  virtual bool cancel() = 0;
  bool cancelled = false;  // JS gave up (timeout, abort): release on delivery
};

template <class Engine>
struct js_waiter final : Engine::async_waiter, pending_wait {
  js_waiter(owner_id owner, MapRef r, Engine& eng, std::shared_ptr<hub_core> c, uint32_t i)
      : Engine::async_waiter(owner), ref(std::move(r)), engine(eng), core(std::move(c)), id(i) {}

  bool cancel() override {
    if (!engine.cancel(*this)) return false;
    self.reset();  // never granted: the hub's reference is the last one
    return true;
  }

  void granted(typename Engine::entry e) noexcept override {
    std::shared_ptr<js_waiter> keep = std::move(self);  // lives until we return
    slot->e = std::move(e);
    core->deliver(id, std::move(slot));
  }

  MapRef ref;
  Engine& engine;
  std::shared_ptr<hub_core> core;
  uint32_t id;
  // Made before queueing, so that granted() allocates nothing.
  std::unique_ptr<holder_of<Engine>> slot;
  std::shared_ptr<js_waiter> self;  // the engine's reference while queued
};

class LockHub {
 public:
  explicit LockHub(Napi::Env env);
  ~LockHub();
  LockHub(const LockHub&) = delete;
  LockHub& operator=(const LockHub&) = delete;

  owner_id owner() const noexcept { return reinterpret_cast<owner_id>(this); }

  // Takes ownership of a holder; returns its token.
  double adopt(std::unique_ptr<holder> h);
  // The holder a token names; ERR_ENTRY_RELEASED if none.
  holder& at(Napi::Env env, Napi::Value token);
  // Releases and forgets a token's holder.
  void release(Napi::Env env, Napi::Value token);

  // lockAsync: a token now (>= 0), or -(wait id + 1) for a queued wait whose
  // grant reaches the dispatcher as (wait id, token).
  template <class Engine>
  double lock_async(Napi::Env env, const MapRef& ref, Engine& engine, const Key& key) {
    ensure_tsfn(env);
    const uint32_t id = next_wait_id_++;
    auto w = std::make_shared<js_waiter<Engine>>(owner(), ref, engine, core_, id);
    w->slot = std::make_unique<holder_of<Engine>>(ref, typename Engine::entry());
    pending_.emplace(id, w);  // before queueing: a grant may come at once from another thread
    std::optional<typename Engine::entry> now;
    w->self = w;
    try {
      now = engine.lock_async(key, *w);
    } catch (...) {
      w->self.reset();
      pending_.erase(id);
      throw;
    }
    if (now) {
      w->self.reset();
      pending_.erase(id);
      w->slot->e = std::move(*now);
      return adopt(std::move(w->slot));
    }
    waits_changed(env);
    return -static_cast<double>(id) - 1;
  }

  // Gives up a queued wait (timeout, abort). true: withdrawn; false: its
  // grant is on the way and will be released on arrival.
  bool cancel_wait(Napi::Env env, uint32_t id);

  void set_dispatch(Napi::Function fn) { dispatch_ = Napi::Persistent(fn); }

  std::size_t held() const noexcept { return live_; }
  std::size_t waiting() const noexcept { return pending_.size(); }

 private:
  static void on_ready(napi_env env, napi_value, void* context, void*);
  static void on_tsfn_finalize(napi_env, void* data, void*);
  void ensure_tsfn(Napi::Env env);
  void waits_changed(Napi::Env env);
  void deliver_ready(Napi::Env env);

  struct slot_rec {
    std::unique_ptr<holder> h;
    uint32_t gen = 0;
  };
  std::vector<slot_rec> slots_;
  std::vector<uint32_t> free_;
  std::size_t live_ = 0;
  std::shared_ptr<hub_core> core_;
  std::unordered_map<uint32_t, std::shared_ptr<pending_wait>> pending_;
  uint32_t next_wait_id_ = 0;
  bool tsfn_ref_ = false;
  Napi::FunctionReference dispatch_;
};

}  // namespace threadmap::addon
