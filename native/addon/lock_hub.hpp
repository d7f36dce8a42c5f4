// native/addon/lock_hub.hpp: one JS environment's (one thread's) key locks.
//
// What a thread's JS holds of LockMap and LruLockMap locks lives here: the
// engine entries it owns (`holder`s, each shown to JS as an Entry object),
// and its queued async waits. So when the environment goes (a worker exits,
// throws or is terminated) the hub's destructor releases every lock the
// thread holds and withdraws every wait it queued, and the rest of the
// process goes on.
//
// Owner: the hub's address is this environment's owner_id in the engines
// (lock_map.hpp, "Owners"): a sync lock behind a lock this thread holds, by
// any of its entries, sync or async, is ERR_WOULD_DEADLOCK.
//
// Entry objects are instances of a V8 FunctionTemplate (as in
// fast_path.hpp: a Node-API wrapper costs several times more, and lock +
// release is a hot pair). Internal field 0 points to the holder, or is null
// once released; field 1 is the key. JS cannot read or write internal
// fields, and every use checks the template (HasInstance) first, so no
// object JS makes is ever taken for an entry. Each live entry object is
// also a weak handle: an Entry collected while it still holds its lock
// releases it (a forgotten release() does not wedge the key forever).
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
//                                    hub is alive and the wait not
//                                    abandoned, queue (id, holder) in
//                                    `ready` and call the thread-safe
//                                    function; else drop the holder (after
//                                    core.mu is released), which hands the
//                                    lock on.
//   on_ready (the TSFN's call_js): takes `ready` under core.mu, makes an
//   Entry for each holder and calls the JS dispatcher (id, entry).
// `hub_core` is shared by the hub, its waiters and the TSFN's finalizer, so
// a late grant never touches a dead hub or a finalized TSFN: `hub` and
// `tsfn` are read and cleared under core.mu.
// A grant to a waiter of the releasing thread itself (one thread's tasks
// taking turns on a key) does not go round the event loop: while
// Entry.release() runs, deliver() sees that the waiter's hub is the
// releasing one (`releasing_hub`, thread-local) and queues the grant in the
// hub's `local_ready`, which release() hands to the dispatcher before it
// returns (the promise is resolved there; its callbacks run as microtasks,
// after release() and the code that called it, as for any grant).
// Giving up (cancel_wait, on a timeout or an abort): withdrawn from the
// key's queue if it is still there; else the grant is made. If it is in
// `ready`, cancel_wait takes it out and releases it; if it is still on its
// way, its id goes in core.abandoned and deliver() releases it on arrival.
// Either way the lock goes on at once, not at the event loop's next turn
// (until then this thread would hold a key its JS was told it did not get,
// and a sync lock it then waited for could wait forever).
// Lock order: engines call granted() with no lock held; core.mu is a leaf
// (nothing is locked and no lock is released while it is held), so taking
// it under a shard lock (cancel_wait inside a callback) cannot deadlock.
#pragma once

#include <napi.h>
#include <v8.h>

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

class LockHub;
struct holder;

// An async wait's id, unique in its hub for the hub's life: counted from 0
// in 64 bits and handed to JS as a number, exact up to 2^53 (a 32-bit id
// could come round to one still pending, or given up with its grant on the
// way).
using wait_id = uint64_t;
// Granted holders on their way to JS, with their waits' ids.
using grant_list = std::vector<std::pair<wait_id, std::unique_ptr<holder>>>;

// Throws a JS Error with `code` (errc_code) from a raw V8 callback.
void throw_coded(v8::Isolate* isolate, errc code, const char* message);

// One engine entry owned by this thread's JS (type-erased over LockMap /
// LruLockMap). Linked into its hub's list while it holds the lock.
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
  LockHub* hub = nullptr;
  holder* prev = nullptr;  // the hub's list (its thread only)
  holder* next = nullptr;
  v8::Global<v8::Object> self;  // the Entry object, weak
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

struct hub_core {
  std::mutex mu;
  LockHub* hub = nullptr;  // guarded by mu; null once the hub is gone
  // Guarded by mu for other threads; written only by the hub's own thread
  // (made, finalized), which may read it without mu. Null once finalized.
  napi_threadsafe_function tsfn = nullptr;
  grant_list ready;  // guarded by mu
  // Waits the hub's JS gave up after their grant was made but before it
  // arrived (or while they could not be withdrawn): deliver() releases
  // their grants at once instead of queueing them. Guarded by mu.
  std::vector<wait_id> abandoned;

  // Hands a granted lock to the hub's thread, or drops it (releasing the
  // lock) if that thread is gone or gave the wait up. Any thread; never
  // throws.
  void deliver(wait_id id, std::unique_ptr<holder> h) noexcept;
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
  js_waiter(owner_id owner, MapRef r, Engine& eng, std::shared_ptr<hub_core> c, wait_id i)
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
  wait_id id;
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

  // Takes ownership of a holder and returns its new Entry object. `key` is
  // the key as JS gave it (normalized here: -0 -> 0, byte arrays copied).
  v8::Local<v8::Object> adopt(v8::Isolate* isolate, std::unique_ptr<holder> h, v8::Local<v8::Value> key);
  // The holder of a live Entry; ERR_ENTRY_RELEASED if released, a TypeError
  // if `v` is not an Entry.
  holder& at(Napi::Env env, Napi::Value v);
  // Entry.prototype.release on `obj` (checked as in at()).
  void release(v8::Isolate* isolate, v8::Local<v8::Value> obj);

  // lockAsync: an Entry now, or (undefined, id) for a queued wait whose
  // grant reaches the dispatcher as (id, entry).
  template <class Engine>
  Napi::Value lock_async(Napi::Env env, const MapRef& ref, Engine& engine, const Key& key, wait_id& queued) {
    ensure_tsfn(env);
    const wait_id id = next_wait_id_++;
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
      return entry_value(env, std::move(w->slot), key);
    }
    waits_changed(env);
    queued = id;
    return env.Undefined();
  }

  // An Entry for a holder whose key is only known natively (async grants).
  Napi::Value entry_value(Napi::Env env, std::unique_ptr<holder> h, const Key& key);

  // Gives up a queued wait (timeout, abort). true: withdrawn from the
  // key's queue. false: its grant was already made (released here if it
  // has arrived, through release_now, else by deliver() when it does) or, inside a callback
  // that holds the key's shard, the wait cannot leave the queue now (its
  // grant will be released the same way when it comes). Either way the
  // wait is gone for JS at once: this thread neither holds nor awaits the
  // key on its account.
  bool cancel_wait(Napi::Env env, wait_id id);

  void set_dispatch(Napi::Function fn) { dispatch_ = Napi::Persistent(fn); }

  // The hub whose Entry.release() this thread is running, if any (see the
  // header: grants to it are delivered before release() returns).
  static LockHub*& releasing_hub() noexcept;
  // This thread's hub (one per JS environment, so per thread), while it
  // lives.
  static LockHub*& this_thread_hub() noexcept;
  // Releases a granted holder that no JS holds (a grant nobody waits for any
  // more, or one for a hub that is gone), on any thread, without throwing.
  // Inside a callback that holds a shard lock the release could need that
  // shard, or wait too long for another (and a holder's destructor must not
  // throw): it is tried with the bounded nested wait, and if that fails the
  // holder is kept by this thread's hub and released at its next call or
  // event-loop turn (release_deferred), which wake() asks for.
  static void release_now(std::unique_ptr<holder> h) noexcept;
  static void release_one(std::unique_ptr<holder> h) noexcept;  // release_now's body, for one holder
  void queue_local(wait_id id, std::unique_ptr<holder> h) { local_ready_.emplace_back(id, std::move(h)); }
  // The Entry class (constructor) for lib/.
  Napi::Value entry_class(Napi::Env env);

  std::size_t held() const noexcept { return live_; }
  std::size_t waiting() const noexcept { return pending_.size(); }

 private:
  static void on_ready(napi_env env, napi_value, void* context, void*);
  static void on_tsfn_finalize(napi_env, void* data, void*);
  static void on_collected(const v8::WeakCallbackInfo<holder>& info);
  void ensure_tsfn(Napi::Env env);
  void waits_changed(Napi::Env env);
  void deliver_ready(Napi::Env env);
  void dispatch_grants(Napi::Env env, grant_list& ready);
  void wake() noexcept;
  void link(holder* h) noexcept;
  void unlink(holder* h) noexcept;
  void drop(holder* h) noexcept;  // unlink + delete (releases the lock)
  void release_deferred() noexcept;

  napi_env env_;
  v8::Isolate* isolate_;
  v8::Global<v8::FunctionTemplate> entry_template_;
  v8::Global<v8::Object> entry_blank_;  // cloned for each Entry
  holder* head_ = nullptr;  // live holders (this thread only)
  std::size_t live_ = 0;
  // Collected while this thread held a shard lock (inside a callback):
  // released at the next hub call, or at the event loop's next turn, which
  // on_collected asks for (see there).
  std::vector<holder*> deferred_;
  // Unowned grants release_now could not release inside a callback;
  // released with deferred_.
  std::vector<std::unique_ptr<holder>> unreleased_;
  std::shared_ptr<hub_core> core_;
  // Grants made by this thread's own release() (this thread only).
  grant_list local_ready_;
  std::unordered_map<wait_id, std::shared_ptr<pending_wait>> pending_;
  wait_id next_wait_id_ = 0;
  bool tsfn_ref_ = false;
  Napi::FunctionReference dispatch_;
};

}  // namespace threadmap::addon
