// native/addon/dash_map_wrap.hpp: the native half of the JS classes DashMap
// and DashSet. lib/dash_map.js and lib/dash_set.js are the public faces; they
// validate options and implement iteration on top of shardEntries() and
// shardKeys(). A DashSet is the same engine holding `true` for each member,
// registered as its own kind (map_kind::dash_set), so that the handle of one
// class never attaches as the other.
#pragma once

#include <napi.h>

#include <threadmap/dash_map.hpp>

#include "key.hpp"
#include "registry.hpp"
#include "value.hpp"

namespace threadmap::addon {

using DashEngine = threadmap::DashMap<Key, Value, KeyHash>;

struct dash_map_core final : shared_map {
  dash_map_core(map_kind kind, std::size_t capacity, std::size_t shards) : shared_map(kind), engine(capacity, shards) {}
  DashEngine engine;
};

class DashMapWrap : public Napi::ObjectWrap<DashMapWrap> {
 public:
  // kind: map_kind::dash_map (the class DashMap) or map_kind::dash_set (DashSet).
  static Napi::Function Define(Napi::Env env, map_kind kind);
  explicit DashMapWrap(const Napi::CallbackInfo& info);

 private:
  DashEngine& map() { return static_cast<dash_map_core*>(ref_.map)->engine; }
  size_t shard_index(Napi::Env env, Napi::Value i);

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
  Napi::Value GetOrInsertComputed(const Napi::CallbackInfo& info);
  Napi::Value CompareAndSet(const Napi::CallbackInfo& info);
  Napi::Value Take(const Napi::CallbackInfo& info);
  Napi::Value Update(const Napi::CallbackInfo& info);
  Napi::Value Retain(const Napi::CallbackInfo& info);
  Napi::Value Insert(const Napi::CallbackInfo& info);
  Napi::Value ShardCount(const Napi::CallbackInfo& info);
  Napi::Value ShardEntries(const Napi::CallbackInfo& info);
  Napi::Value ShardKeys(const Napi::CallbackInfo& info);
  Napi::Value ShardSizes(const Napi::CallbackInfo& info);
  Napi::Value Handle(const Napi::CallbackInfo& info);
  Napi::Value NativeBytes(const Napi::CallbackInfo& info);
  Napi::Value FastPathObject(const Napi::CallbackInfo& info);

  MapRef ref_;
};

}  // namespace threadmap::addon
