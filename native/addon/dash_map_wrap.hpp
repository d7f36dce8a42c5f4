// native/addon/dash_map_wrap.hpp: the JS class DashMap's native half.
// lib/dash_map.js is the public face; it validates options and implements
// iteration on top of shardEntries().
#pragma once

#include <napi.h>

#include <threadmap/dash_map.hpp>

#include "key.hpp"
#include "registry.hpp"
#include "value.hpp"

namespace threadmap::addon {

using DashEngine = threadmap::DashMap<Key, Value, KeyHash>;

struct dash_map_core final : shared_map {
  dash_map_core(std::size_t capacity, std::size_t shards)
      : shared_map(map_kind::dash_map), engine(capacity, shards) {}
  DashEngine engine;
};

class DashMapWrap : public Napi::ObjectWrap<DashMapWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit DashMapWrap(const Napi::CallbackInfo& info);

 private:
  DashEngine& map() { return static_cast<dash_map_core*>(ref_.map)->engine; }

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
  Napi::Value ShardCount(const Napi::CallbackInfo& info);
  Napi::Value ShardEntries(const Napi::CallbackInfo& info);
  Napi::Value ShardSizes(const Napi::CallbackInfo& info);
  Napi::Value Handle(const Napi::CallbackInfo& info);
  Napi::Value NativeBytes(const Napi::CallbackInfo& info);
  Napi::Value FastPathObject(const Napi::CallbackInfo& info);

  MapRef ref_;
};

}  // namespace threadmap::addon
