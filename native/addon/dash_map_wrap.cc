// native/addon/dash_map_wrap.cc: see dash_map_wrap.hpp.
//
// Every method encodes its arguments first (no lock held: encoding may run
// JS, e.g. a getter during serialization), then makes one engine call, then
// decodes the result after the lock is released. The exceptions are
// update() and retain(), whose JS callbacks run under the key's shard lock
// by contract; the engine's re-entry guard turns a callback's call back into
// the same shard into ERR_WOULD_DEADLOCK (see detail/lock_tracker.hpp).
#include "dash_map_wrap.hpp"

#include <string>
#include <utility>
#include <vector>

#include "addon.hpp"
#include "atomic_ops.hpp"
#include "codec.hpp"
#include "v8_bridge.hpp"
#include "wrap_support.hpp"

namespace threadmap::addon {

namespace {
// The kinds Define can make, as the `data` of their constructors.
constexpr map_kind kind_dash_map = map_kind::dash_map;
constexpr map_kind kind_dash_set = map_kind::dash_set;
}  // namespace

Napi::Function DashMapWrap::Define(Napi::Env env, map_kind kind) {
  const map_kind* data = kind == map_kind::dash_set ? &kind_dash_set : &kind_dash_map;
  return DefineClass(env, map_kind_name(kind),
                     {
                         InstanceMethod<&DashMapWrap::Get>("get"),
                         InstanceMethod<&DashMapWrap::Set>("set"),
                         InstanceMethod<&DashMapWrap::Has>("has"),
                         InstanceMethod<&DashMapWrap::Delete>("delete"),
                         InstanceMethod<&DashMapWrap::Clear>("clear"),
                         InstanceMethod<&DashMapWrap::Size>("size"),
                         InstanceMethod<&DashMapWrap::GetMany>("getMany"),
                         InstanceMethod<&DashMapWrap::SetMany>("setMany"),
                         InstanceMethod<&DashMapWrap::DeleteMany>("deleteMany"),
                         InstanceMethod<&DashMapWrap::Add>("add"),
                         InstanceMethod<&DashMapWrap::GetOrInsert>("getOrInsert"),
                         InstanceMethod<&DashMapWrap::GetOrInsertComputed>("getOrInsertComputed"),
                         InstanceMethod<&DashMapWrap::CompareAndSet>("compareAndSet"),
                         InstanceMethod<&DashMapWrap::Take>("take"),
                         InstanceMethod<&DashMapWrap::Update>("update"),
                         InstanceMethod<&DashMapWrap::Retain>("retain"),
                         InstanceMethod<&DashMapWrap::Insert>("insert"),
                         InstanceMethod<&DashMapWrap::ShardCount>("shardCount"),
                         InstanceMethod<&DashMapWrap::ShardEntries>("shardEntries"),
                         InstanceMethod<&DashMapWrap::ShardKeys>("shardKeys"),
                         InstanceMethod<&DashMapWrap::ShardSizes>("shardSizes"),
                         InstanceMethod<&DashMapWrap::Handle>("handle"),
                         InstanceMethod<&DashMapWrap::NativeBytes>("nativeBytes"),
                         InstanceMethod<&DashMapWrap::FastPathObject>("fastPath"),
                     },
                     const_cast<map_kind*>(data));
}

// new DashMap(capacity, shards, maxKeyBytes?, maxValueBytes?) creates a map;
// new DashMap(handle) attaches. The same for DashSet (Define's kind, passed
// as the constructor's data).
DashMapWrap::DashMapWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DashMapWrap>(info) {
  Napi::Env env = info.Env();
  const map_kind kind = *static_cast<const map_kind*>(info.Data());
  const std::string name = map_kind_name(kind);
  Napi::Value first = arg(info, 0);
  ref_ = attach_handle(env, first, kind);
  if (ref_.map) return;
  if (!first.IsNumber() || !arg(info, 1).IsNumber())
    throw Napi::TypeError::New(env, name + ": expected (capacity, shards) or (handle)");
  const size_t capacity = size_arg(env, first, 1e12, (name + ": capacity").c_str());
  const size_t shards = size_arg(env, arg(info, 1), 65536, (name + ": shards").c_str());
  const size_limits limits = limits_args(env, arg(info, 2), arg(info, 3));
  guarded(env, [&] {
    auto core = std::make_unique<dash_map_core>(kind, capacity, shards == 0 ? default_shard_count() : shards);
    core->limits = limits;
    ref_ = register_map(std::move(core));
  });
}

Napi::Value DashMapWrap::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  std::optional<addon::Value> v = guarded(env, [&] { return map().find(key); });
  return v ? decode_value(env, Addon::of(env), *v) : env.Undefined();
}

Napi::Value DashMapWrap::Set(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  addon::Value value = value_arg(env, Addon::of(env), *ref_.map, arg(info, 1));
  guarded(env, [&] { map().insert(std::move(key), std::move(value)); });
  return info.This();
}

Napi::Value DashMapWrap::Has(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  return Napi::Boolean::New(env, guarded(env, [&] { return map().contains(key); }));
}

Napi::Value DashMapWrap::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  return Napi::Boolean::New(env, guarded(env, [&] { return map().erase(key); }));
}

Napi::Value DashMapWrap::Clear(const Napi::CallbackInfo& info) {
  guarded(info.Env(), [&] { map().clear(); });
  return info.Env().Undefined();
}

Napi::Value DashMapWrap::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(guarded(info.Env(), [&] { return map().size(); })));
}

Napi::Value DashMapWrap::GetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<Key> keys = key_args(env, *ref_.map, require_array(env, arg(info, 0), "getMany: keys"));
  return values_array(env, Addon::of(env), keys, [&](const Key& k) { return map().find(k); });
}

// setMany(keys, values): every key and value is encoded (validated) before
// the first one is stored, so a bad entry leaves the map unchanged.
Napi::Value DashMapWrap::SetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto entries = entry_args(env, Addon::of(env), *ref_.map, arg(info, 0), arg(info, 1));
  guarded(env, [&] {
    for (auto& [k, v] : entries) map().insert(std::move(k), std::move(v));
  });
  return info.This();
}

Napi::Value DashMapWrap::DeleteMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array keys = require_array(env, arg(info, 0), "deleteMany: keys");
  std::vector<Key> encoded = key_args(env, *ref_.map, keys);
  size_t removed = guarded(env, [&] {
    size_t n = 0;
    for (const Key& k : encoded) n += map().erase(k) ? 1 : 0;
    return n;
  });
  return Napi::Number::New(env, static_cast<double>(removed));
}

// add(key, delta = 1): counts from 0 (0n) for an absent key.
Napi::Value DashMapWrap::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  const add_delta delta = parse_add_delta(env, addon, arg(info, 1));
  const char* mismatch = nullptr;
  addon::Value result =
      guarded(env, [&] { return map().alter(key, [&](alter_entry<addon::Value>& e) { return apply_add(e, delta, mismatch); }); });
  if (mismatch) throw Napi::TypeError::New(env, mismatch);
  return decode_value(env, addon, result);
}

Napi::Value DashMapWrap::GetOrInsert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  addon::Value value = value_arg(env, addon, *ref_.map, arg(info, 1));
  addon::Value result = guarded(
      env, [&] { return map().alter(key, [&](alter_entry<addon::Value>& e) { return apply_get_or_insert(e, value); }); });
  return decode_value(env, addon, result);
}

// getOrInsertComputed(key, fn): the stored value, or fn(key) after storing
// it. A present key is a read (a cache's usual case: no exclusive lock);
// an absent one is looked up again under the key's shard lock, where fn
// runs (as update's), so at most once per insertion across every thread.
Napi::Value DashMapWrap::GetOrInsertComputed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Napi::Value js_key = arg(info, 0);
  Key key = key_arg(env, *ref_.map, js_key);
  Napi::Function fn = require_function(env, arg(info, 1), "getOrInsertComputed: fn");
  if (std::optional<addon::Value> v = guarded(env, [&] { return map().find(key); })) return decode_value(env, addon, *v);
  addon::Value result = guarded(env, [&] {
    return map().alter(key, [&](alter_entry<addon::Value>& e) -> addon::Value {
      if (e.exists()) return e.value();
      addon::Value computed = computed_value(env, addon, *ref_.map, fn, js_key);
      e.assign(computed);
      return computed;
    });
  });
  return decode_value(env, addon, result);
}

// compareAndSet(key, expected, value): expected undefined means "absent".
Napi::Value DashMapWrap::CompareAndSet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  const bool expect_absent = arg(info, 1).IsUndefined();
  addon::Value expected = expect_absent ? addon::Value() : value_arg(env, addon, *ref_.map, arg(info, 1));
  addon::Value value = value_arg(env, addon, *ref_.map, arg(info, 2));
  bool swapped = guarded(env, [&] {
    return map().alter(key, [&](alter_entry<addon::Value>& e) {
      return apply_compare_and_set(env, addon, e, expect_absent, expected, value);
    });
  });
  return Napi::Boolean::New(env, swapped);
}

Napi::Value DashMapWrap::Take(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  std::optional<addon::Value> v = guarded(env, [&] { return map().take(key); });
  return v ? decode_value(env, Addon::of(env), *v) : env.Undefined();
}

// update(key, fn): fn(old) -> new under the key's shard lock; undefined deletes.
Napi::Value DashMapWrap::Update(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  Napi::Function fn = require_function(env, arg(info, 1), "update: fn");
  std::optional<addon::Value> result = guarded(env, [&] {
    return map().alter(key, [&](alter_entry<addon::Value>& e) -> std::optional<addon::Value> {
      Napi::Value old = e.exists() ? decode_value(env, addon, e.value()) : env.Undefined();
      Napi::Value next = callback_result(env, fn.Call({old}), "update: fn");
      if (next.IsUndefined()) {
        e.erase();
        return std::nullopt;
      }
      addon::Value stored = value_arg(env, addon, *ref_.map, next);
      e.assign(stored);
      return stored;
    });
  });
  return result ? decode_value(env, addon, *result) : env.Undefined();
}

// retain(fn): keeps entries where fn(value, key) is truthy; returns how many it removed.
Napi::Value DashMapWrap::Retain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Napi::Function fn = require_function(env, arg(info, 0), "retain: fn");
  size_t removed = guarded(env, [&] {
    return map().retain([&](const Key& k, addon::Value& v) {
      return callback_result(env, fn.Call({decode_value(env, addon, v), decode_key(env, k)}), "retain: fn").ToBoolean().Value();
    });
  });
  return Napi::Number::New(env, static_cast<double>(removed));
}

// insert(key) -> whether the key was absent (and is now stored, holding
// true): DashSet's add. A member already there is found without a lock
// (find's optimistic read, where the key allows it); an absent one is
// inserted under its shard's exclusive lock.
Napi::Value DashMapWrap::Insert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  return Napi::Boolean::New(env, guarded(env, [&] {
    return !map().contains(key) && map().try_insert(std::move(key), addon::Value::boolean(true));
  }));
}

Napi::Value DashMapWrap::ShardCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(map().shard_count()));
}

// The shard index argument of shardEntries and shardKeys.
size_t DashMapWrap::shard_index(Napi::Env env, Napi::Value iv) {
  const double i = iv.IsNumber() ? iv.As<Napi::Number>().DoubleValue() : -1;
  if (!(i >= 0 && i < static_cast<double>(map().shard_count())) || i != static_cast<double>(static_cast<size_t>(i)))
    throw Napi::RangeError::New(env, "no such shard");
  return static_cast<size_t>(i);
}

// shardEntries(i) -> [k0, v0, k1, v1, ...]: a copy of one shard taken under
// its read lock, so an entry present throughout an iteration is seen once.
Napi::Value DashMapWrap::ShardEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t i = shard_index(env, arg(info, 0));
  std::vector<std::pair<Key, addon::Value>> copy;
  guarded(env, [&] { map().for_each_in_shard(i, [&](const Key& k, const addon::Value& v) { copy.emplace_back(k, v); }); });
  return entries_array(env, Addon::of(env), copy);
}

// shardKeys(i) -> [k0, k1, ...]: as shardEntries, without the values
// (keys() decodes no value, a DashSet's iteration no `true`).
Napi::Value DashMapWrap::ShardKeys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t i = shard_index(env, arg(info, 0));
  std::vector<Key> copy;
  guarded(env, [&] { map().for_each_in_shard(i, [&](const Key& k, const addon::Value&) { copy.push_back(k); }); });
  return keys_array(env, copy);
}

Napi::Value DashMapWrap::ShardSizes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<size_t> sizes = guarded(env, [&] { return map().shard_sizes(); });
  Napi::Array out = Napi::Array::New(env, sizes.size());
  for (uint32_t j = 0; j < sizes.size(); ++j) out.Set(j, Napi::Number::New(env, static_cast<double>(sizes[j])));
  return out;
}

// A new SharedArrayBuffer over the map's one BackingStore (see registry.hpp).
Napi::Value DashMapWrap::Handle(const Napi::CallbackInfo& info) { return make_handle(info.Env(), ref_); }

// Native bytes held by this map (wrap_support.hpp). Walks every entry.
Napi::Value DashMapWrap::NativeBytes(const Napi::CallbackInfo& info) { return native_bytes(info.Env(), map()); }

// A V8-level object with the hot methods (fast_path.hpp), sharing this map.
Napi::Value DashMapWrap::FastPathObject(const Napi::CallbackInfo& info) {
  return Addon::of(info.Env()).fast->make(info.Env(), ref_);
}

}  // namespace threadmap::addon
