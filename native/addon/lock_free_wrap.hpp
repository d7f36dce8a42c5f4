// native/addon/lock_free_wrap.hpp: the native halves of the JS classes
// LockFreeMap and HopscotchMap (one template over the engine).
// lib/lock_free_map.js is the public face: it validates options; iteration
// is MapCore's, over shardEntries() (one "shard": the whole map, copied by
// the engine's weakly consistent for_each).
//
// The engines take no lock a caller could wait for, so the atomic
// operations are optimistic: add, compareAndSet, update and retain run their
// decision (for update and retain, the JS callback) on the value they read
// and install it by CAS, running it again if the key changed meanwhile.
// A callback may therefore run more than once; only its last run counts, and
// a callback that throws changes nothing.
#pragma once

#include <napi.h>

#include <vector>

#include <threadmap/hopscotch_map.hpp>
#include <threadmap/lock_free_map.hpp>

#include "key.hpp"
#include "registry.hpp"
#include "value.hpp"
#include "wrap_support.hpp"

namespace threadmap::addon {

class Addon;

using LockFreeEngine = threadmap::LockFreeMap<Key, Value, KeyHash>;
using HopscotchEngine = threadmap::HopscotchMap<Key, Value, KeyHash>;

// What differs between the two classes besides the engine.
template <class Engine>
struct lock_free_traits;
template <>
struct lock_free_traits<LockFreeEngine> {
  static constexpr map_kind kind = map_kind::lock_free_map;
  static constexpr const char* name = "LockFreeMap";
};
template <>
struct lock_free_traits<HopscotchEngine> {
  static constexpr map_kind kind = map_kind::hopscotch_map;
  static constexpr const char* name = "HopscotchMap";
};

template <class Engine>
struct lock_free_core final : shared_map {
  template <class... Args>
  explicit lock_free_core(Args&&... args)
      : shared_map(lock_free_traits<Engine>::kind), engine(std::forward<Args>(args)...) {}
  Engine engine;
};

template <class Engine>
class LockFreeWrap : public Napi::ObjectWrap<LockFreeWrap<Engine>> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit LockFreeWrap(const Napi::CallbackInfo& info);

  // update(key, fn) and getOrInsertComputed(key, fn), which run a JS
  // callback: JS calls them through the fast object (fast_path.cc), on
  // `map`, a core of this class, with every type of key and value.
  static Napi::Value update(Napi::Env env, shared_map& map, Napi::Value key, Napi::Value fn);
  static Napi::Value get_or_insert_computed(Napi::Env env, shared_map& map, Napi::Value key, Napi::Value fn);

 private:
  static constexpr const char* name = lock_free_traits<Engine>::name;
  Engine& map() { return static_cast<lock_free_core<Engine>*>(ref_.map)->engine; }
  // Throws ERR_WOULD_DEADLOCK if this thread is inside an update/retain
  // callback of this map: see `Addon::lock_free_callbacks`.
  void refuse_write_in_callback(Napi::Env env, const char* method);
  static void refuse_write_in_callback(Napi::Env env, const shared_map& map, const char* method);

  Napi::Value Get(const Napi::CallbackInfo& info);
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
  Napi::Value ShardCount(const Napi::CallbackInfo& info);
  Napi::Value ShardEntries(const Napi::CallbackInfo& info);
  Napi::Value ShardKeys(const Napi::CallbackInfo& info);
  Napi::Value ShardValues(const Napi::CallbackInfo& info);
  Napi::Value shard_part_of(const Napi::CallbackInfo& info, shard_part what);
  std::pair<std::size_t, std::size_t> part_args(const Napi::CallbackInfo& info);
  std::size_t iteration_parts();
  std::size_t retain_keys(Napi::Env env, Addon& addon, Napi::Function fn, const std::vector<Key>& keys);
  Napi::Value BucketCount(const Napi::CallbackInfo& info);
  Napi::Value NativeBytes(const Napi::CallbackInfo& info);
  Napi::Value Handle(const Napi::CallbackInfo& info);
  Napi::Value FastPathObject(const Napi::CallbackInfo& info);

  MapRef ref_;
};

extern template class LockFreeWrap<LockFreeEngine>;
extern template class LockFreeWrap<HopscotchEngine>;

}  // namespace threadmap::addon
