// native/addon/lock_map_wrap.hpp: the native halves of the JS classes
// LockMap and LruLockMap (one template over the engine). lib/lock_map.js
// is the public face: it validates options, wraps the Entry objects these
// methods return (lock_hub.hpp) in batches, and implements iteration,
// async batches, withLock and getOrCompute.
#pragma once

#include <napi.h>

#include <threadmap/lock_map.hpp>

#include "key.hpp"
#include "registry.hpp"
#include "value.hpp"
#include "wrap_support.hpp"

namespace threadmap::addon {

template <bool Lru>
using LockEngine = threadmap::basic_lock_map<Key, Value, KeyHash, std::equal_to<Key>, Lru>;

template <bool Lru>
struct lock_map_core final : shared_map {
  lock_map_core(const lock_map_options& opts, double timeout)
      : shared_map(Lru ? map_kind::lru_lock_map : map_kind::lock_map), engine(opts), timeout_ms(timeout) {}
  LockEngine<Lru> engine;
  // How long writes outside a lock wait for a held key (ms; infinity =
  // forever). Set once at construction.
  const double timeout_ms;
};

template <bool Lru>
class LockMapWrap : public Napi::ObjectWrap<LockMapWrap<Lru>> {
 public:
  using Engine = LockEngine<Lru>;
  static Napi::Function Define(Napi::Env env);
  explicit LockMapWrap(const Napi::CallbackInfo& info);

  // update(key, fn) and getOrInsertComputed(key, fn), which run a JS
  // callback: JS calls them through the fast object (fast_path.cc), on
  // `map`, a core of this class, with every type of key and value.
  static Napi::Value update(Napi::Env env, shared_map& map, Napi::Value key, Napi::Value fn);
  static Napi::Value get_or_insert_computed(Napi::Env env, shared_map& map, Napi::Value key, Napi::Value fn);

 private:
  lock_map_core<Lru>& core() { return *static_cast<lock_map_core<Lru>*>(ref_.map); }
  Engine& map() { return core().engine; }
  threadmap::deadline write_deadline() { return deadline_of(core().timeout_ms); }
  static threadmap::deadline deadline_of(double ms);

  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Probe(const Napi::CallbackInfo& info);
  Napi::Value Peek(const Napi::CallbackInfo& info);
  Napi::Value PeekAfterHit(const Napi::CallbackInfo& info);
  Napi::Value Set(const Napi::CallbackInfo& info);
  Napi::Value Has(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value Clear(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value GetMany(const Napi::CallbackInfo& info);
  Napi::Value SetMany(const Napi::CallbackInfo& info);
  Napi::Value DeleteMany(const Napi::CallbackInfo& info);
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value GetOrInsert(const Napi::CallbackInfo& info);
  Napi::Value CompareAndSet(const Napi::CallbackInfo& info);
  Napi::Value Take(const Napi::CallbackInfo& info);
  Napi::Value Retain(const Napi::CallbackInfo& info);
  Napi::Value Lock(const Napi::CallbackInfo& info);
  Napi::Value TryLock(const Napi::CallbackInfo& info);
  Napi::Value LockAsync(const Napi::CallbackInfo& info);
  Napi::Value BatchLock(const Napi::CallbackInfo& info);
  Napi::Value OrderKeys(const Napi::CallbackInfo& info);
  Napi::Value ShardCount(const Napi::CallbackInfo& info);
  Napi::Value ShardEntries(const Napi::CallbackInfo& info);
  Napi::Value ShardKeys(const Napi::CallbackInfo& info);
  Napi::Value ShardValues(const Napi::CallbackInfo& info);
  size_t shard_index(Napi::Env env, Napi::Value i);
  Napi::Value shard_part_of(const Napi::CallbackInfo& info, shard_part part);
  Napi::Value StateCount(const Napi::CallbackInfo& info);
  Napi::Value NativeBytes(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Capacity(const Napi::CallbackInfo& info);
  Napi::Value Handle(const Napi::CallbackInfo& info);
  Napi::Value FastPathObject(const Napi::CallbackInfo& info);
  // The Entry for a holder of `key`, as JS passed it (js_key).
  Napi::Value entry(Napi::Env env, typename Engine::entry e, Napi::Value js_key, const Key& key);

  MapRef ref_;
};

extern template class LockMapWrap<false>;
extern template class LockMapWrap<true>;

}  // namespace threadmap::addon
