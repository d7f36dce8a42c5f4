// native/addon/dash_map_wrap.hpp: the native halves of the JS classes DashMap
// and DashSet (one template over the engine, as LockMapWrap). lib/dash_map.js
// and lib/dash_set.js are the public faces; they validate options and
// implement iteration on top of shardEntries() and shardKeys().
//
// A DashSet is the DashMap engine whose value type is empty (set_member):
// an empty V takes no bytes in a table slot, so a member costs its key's
// slot and control byte. Its own kind in the registry (map_kind::dash_set)
// keeps a handle of one class from attaching as the other.
#pragma once

#include <napi.h>

#include <type_traits>

#include <threadmap/dash_map.hpp>

#include "key.hpp"
#include "registry.hpp"
#include "value.hpp"
#include "wrap_support.hpp"

namespace threadmap::addon {

// What a DashSet stores beside each member: nothing.
struct set_member {
  std::size_t heap_bytes() const noexcept { return 0; }
};

using DashEngine = threadmap::DashMap<Key, Value, KeyHash>;
using DashSetEngine = threadmap::DashMap<Key, set_member, KeyHash>;

// A DashSet's insert (the Node-API method and the fast path's): whether
// `key` was absent and is now a member. A member already there is found by
// the optimistic read, with no lock (it was present during the call, so
// false is a linearizable answer); otherwise try_insert decides under the
// shard's exclusive lock, so of several threads inserting one member
// exactly one gets true (test/js/dash_set.test.js, 4 workers).
inline bool insert_member(DashSetEngine& set, Key key) {
  if (set.read_optimistic(key, [](const set_member&) { return true; }) == threadmap::optimistic_read::found) return false;
  return set.try_insert(std::move(key), {});
}

template <bool IsSet>
struct dash_core final : shared_map {
  using Engine = std::conditional_t<IsSet, DashSetEngine, DashEngine>;
  dash_core(std::size_t capacity, std::size_t shards)
      : shared_map(IsSet ? map_kind::dash_set : map_kind::dash_map), engine(capacity, shards) {}
  Engine engine;
};
using dash_map_core = dash_core<false>;
using dash_set_core = dash_core<true>;

// IsSet: DashSet's native half (the members common to both, plus insert and
// insertMany), else DashMap's. Each instantiation defines (and compiles)
// only the methods its Define lists.
template <bool IsSet>
class DashMapWrap : public Napi::ObjectWrap<DashMapWrap<IsSet>> {
 public:
  using Engine = typename dash_core<IsSet>::Engine;
  static Napi::Function Define(Napi::Env env);
  explicit DashMapWrap(const Napi::CallbackInfo& info);

  // DashMap's update(key, fn) and getOrInsertComputed(key, fn), which run a
  // JS callback: JS calls them through the fast object (fast_path.cc), on
  // `map`, a DashMap's core, with every type of key and value.
  static Napi::Value update(Napi::Env env, shared_map& map, Napi::Value key, Napi::Value fn);
  static Napi::Value get_or_insert_computed(Napi::Env env, shared_map& map, Napi::Value key, Napi::Value fn);

 private:
  Engine& map() { return static_cast<dash_core<IsSet>*>(ref_.map)->engine; }
  size_t shard_index(Napi::Env env, Napi::Value i);
  Napi::Value shard_part_of(const Napi::CallbackInfo& info, shard_part part);

  // Both.
  Napi::Value Has(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value Clear(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value DeleteMany(const Napi::CallbackInfo& info);
  Napi::Value Retain(const Napi::CallbackInfo& info);
  Napi::Value ShardCount(const Napi::CallbackInfo& info);
  Napi::Value ShardKeys(const Napi::CallbackInfo& info);
  Napi::Value ShardSizes(const Napi::CallbackInfo& info);
  Napi::Value Handle(const Napi::CallbackInfo& info);
  Napi::Value NativeBytes(const Napi::CallbackInfo& info);
  Napi::Value FastPathObject(const Napi::CallbackInfo& info);
  // DashMap only.
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Set(const Napi::CallbackInfo& info);
  Napi::Value GetMany(const Napi::CallbackInfo& info);
  Napi::Value SetMany(const Napi::CallbackInfo& info);
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value GetOrInsert(const Napi::CallbackInfo& info);
  Napi::Value CompareAndSet(const Napi::CallbackInfo& info);
  Napi::Value Take(const Napi::CallbackInfo& info);
  Napi::Value ShardEntries(const Napi::CallbackInfo& info);
  Napi::Value ShardValues(const Napi::CallbackInfo& info);
  // DashSet only.
  Napi::Value Insert(const Napi::CallbackInfo& info);
  Napi::Value InsertMany(const Napi::CallbackInfo& info);

  MapRef ref_;
};

}  // namespace threadmap::addon
