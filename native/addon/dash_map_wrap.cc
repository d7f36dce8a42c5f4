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

template <bool IsSet>
Napi::Function DashMapWrap<IsSet>::Define(Napi::Env env) {
  using W = DashMapWrap<IsSet>;
  std::vector<typename W::PropertyDescriptor> props = {
      W::template InstanceMethod<&W::Has>("has"),
      W::template InstanceMethod<&W::Delete>("delete"),
      W::template InstanceMethod<&W::Clear>("clear"),
      W::template InstanceMethod<&W::Size>("size"),
      W::template InstanceMethod<&W::DeleteMany>("deleteMany"),
      W::template InstanceMethod<&W::Retain>("retain"),
      W::template InstanceMethod<&W::ShardCount>("shardCount"),
      W::template InstanceMethod<&W::ShardKeys>("shardKeys"),
      W::template InstanceMethod<&W::ShardSizes>("shardSizes"),
      W::template InstanceMethod<&W::Handle>("handle"),
      W::template InstanceMethod<&W::NativeBytes>("nativeBytes"),
      W::template InstanceMethod<&W::FastPathObject>("fastPath"),
  };
  if constexpr (IsSet) {
    props.push_back(W::template InstanceMethod<&W::Insert>("insert"));
    props.push_back(W::template InstanceMethod<&W::InsertMany>("insertMany"));
  } else {
    props.push_back(W::template InstanceMethod<&W::Get>("get"));
    props.push_back(W::template InstanceMethod<&W::Set>("set"));
    props.push_back(W::template InstanceMethod<&W::GetMany>("getMany"));
    props.push_back(W::template InstanceMethod<&W::SetMany>("setMany"));
    props.push_back(W::template InstanceMethod<&W::Add>("add"));
    props.push_back(W::template InstanceMethod<&W::GetOrInsert>("getOrInsert"));
    props.push_back(W::template InstanceMethod<&W::CompareAndSet>("compareAndSet"));
    props.push_back(W::template InstanceMethod<&W::Take>("take"));
    props.push_back(W::template InstanceMethod<&W::ShardEntries>("shardEntries"));
    props.push_back(W::template InstanceMethod<&W::ShardValues>("shardValues"));
  }
  return W::DefineClass(env, IsSet ? "DashSet" : "DashMap", props);
}

// new DashMap(capacity, shards, maxKeyBytes?, maxValueBytes?) creates a map;
// new DashMap(handle) attaches. The same for DashSet (its maxValueBytes is
// never given).
template <bool IsSet>
DashMapWrap<IsSet>::DashMapWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DashMapWrap<IsSet>>(info) {
  Napi::Env env = info.Env();
  const std::string name = IsSet ? "DashSet" : "DashMap";
  Napi::Value first = arg(info, 0);
  ref_ = attach_handle(env, first, IsSet ? map_kind::dash_set : map_kind::dash_map);
  if (ref_.map) return;
  if (!first.IsNumber() || !arg(info, 1).IsNumber())
    throw Napi::TypeError::New(env, name + ": expected (capacity, shards) or (handle)");
  const size_t capacity = size_arg(env, first, 1e12, (name + ": capacity").c_str());
  const size_t shards = size_arg(env, arg(info, 1), 65536, (name + ": shards").c_str());
  const size_limits limits = limits_args(env, arg(info, 2), arg(info, 3));
  guarded(env, [&] {
    auto core = std::make_unique<dash_core<IsSet>>(capacity, shards == 0 ? default_shard_count() : shards);
    core->limits = limits;
    ref_ = register_map(std::move(core));
  });
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  std::optional<addon::Value> v = guarded(env, [&] { return map().find(key); });
  return v ? decode_value(env, *v) : env.Undefined();
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Set(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  addon::Value value = value_arg(env, Addon::of(env), *ref_.map, arg(info, 1));
  guarded(env, [&] { map().insert(std::move(key), std::move(value)); });
  return info.This();
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Has(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  return Napi::Boolean::New(env, guarded(env, [&] { return map().contains(key); }));
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  return Napi::Boolean::New(env, guarded(env, [&] { return map().erase(key); }));
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Clear(const Napi::CallbackInfo& info) {
  guarded(info.Env(), [&] { map().clear(); });
  return info.Env().Undefined();
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(guarded(info.Env(), [&] { return map().size(); })));
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::GetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<Key> keys = key_args(env, *ref_.map, require_array(env, arg(info, 0), "getMany: keys"));
  return values_array(env, keys, [&](const Key& k) { return map().find(k); });
}

// setMany(keys, values): every key and value is encoded (validated) before
// the first one is stored, so a bad entry leaves the map unchanged.
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::SetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto entries = entry_args(env, Addon::of(env), *ref_.map, arg(info, 0), arg(info, 1));
  guarded(env, [&] {
    for (auto& [k, v] : entries) map().insert(std::move(k), std::move(v));
  });
  return info.This();
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::DeleteMany(const Napi::CallbackInfo& info) {
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
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  const add_delta delta = parse_add_delta(env, addon, *ref_.map, arg(info, 1));
  add_refusal refusal;
  addon::Value result =
      guarded(env, [&] { return map().alter(key, [&](alter_entry<addon::Value>& e) { return apply_add(e, delta, refusal); }); });
  refusal.raise(env, delta);
  return decode_value(env, result);
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::GetOrInsert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  addon::Value value = value_arg(env, addon, *ref_.map, arg(info, 1));
  addon::Value result = guarded(
      env, [&] { return map().alter(key, [&](alter_entry<addon::Value>& e) { return apply_get_or_insert(e, value); }); });
  return decode_value(env, result);
}

// getOrInsertComputed(key, fn): the stored value, or fn(key) after storing
// it. A present key is a read (a cache's usual case: no exclusive lock);
// an absent one is looked up again under the key's shard lock, where fn
// runs (as update's), so at most once per insertion across every thread.
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::get_or_insert_computed(Napi::Env env, shared_map& m, Napi::Value js_key, Napi::Value js_fn) {
  Addon& addon = Addon::of(env);
  Engine& map = static_cast<dash_core<IsSet>&>(m).engine;
  Key key = key_arg(env, m, js_key);
  Napi::Function fn = require_function(env, js_fn, "getOrInsertComputed: fn");
  if (std::optional<addon::Value> v = guarded(env, [&] { return map.find(key); })) return decode_value(env, *v);
  addon::Value result = guarded(env, [&] {
    return map.alter(key, [&](alter_entry<addon::Value>& e) -> addon::Value {
      if (e.exists()) return e.value();
      addon::Value computed = computed_value(env, addon, m, fn, js_key);
      e.assign(computed);
      return computed;
    });
  });
  return decode_value(env, result);
}

// compareAndSet(key, expected, value): expected undefined means "absent".
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::CompareAndSet(const Napi::CallbackInfo& info) {
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

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Take(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  std::optional<addon::Value> v = guarded(env, [&] { return map().take(key); });
  return v ? decode_value(env, *v) : env.Undefined();
}

// update(key, fn): fn(old) -> new under the key's shard lock; undefined deletes.
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::update(Napi::Env env, shared_map& m, Napi::Value js_key, Napi::Value js_fn) {
  Addon& addon = Addon::of(env);
  Engine& map = static_cast<dash_core<IsSet>&>(m).engine;
  Key key = key_arg(env, m, js_key);
  Napi::Function fn = require_function(env, js_fn, "update: fn");
  std::optional<addon::Value> result = guarded(env, [&] {
    return map.alter(key, [&](alter_entry<addon::Value>& e) -> std::optional<addon::Value> {
      Napi::Value old = e.exists() ? decode_value(env, e.value()) : env.Undefined();
      Napi::Value next = callback_result(env, fn.Call({old}), "update: fn");
      if (next.IsUndefined()) {
        e.erase();
        return std::nullopt;
      }
      addon::Value stored = value_arg(env, addon, m, next);
      e.assign(stored);
      return stored;
    });
  });
  return result ? decode_value(env, *result) : env.Undefined();
}

// retain(fn): keeps entries where fn(value, key) (a set: fn(member)) is
// truthy; returns how many it removed.
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Retain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Function fn = require_function(env, arg(info, 0), "retain: fn");
  size_t removed = guarded(env, [&] {
    return map().retain([&](const Key& k, auto& v) {
      element_scope scope;  // this entry's handles go with it, not at the end of the walk
      Napi::Value keep;
      if constexpr (IsSet) {
        keep = fn.Call({decode_key(env, k)});
      } else {
        keep = fn.Call({decode_value(env, v), decode_key(env, k)});
      }
      return callback_result(env, keep, "retain: fn").ToBoolean().Value();
    });
  });
  return Napi::Number::New(env, static_cast<double>(removed));
}

// insert(member) -> whether it was absent (and is now a member): insert_member.
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Insert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  return Napi::Boolean::New(env, guarded(env, [&] { return insert_member(map(), std::move(key)); }));
}

// insertMany(members): every member is encoded (validated) before the first
// is inserted, so a bad one leaves the set unchanged. Returns how many were
// new.
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::InsertMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<Key> keys = key_args(env, *ref_.map, require_array(env, arg(info, 0), "insertMany: members"));
  const size_t added = guarded(env, [&] {
    size_t n = 0;
    for (Key& k : keys) n += map().try_insert(std::move(k), {}) ? 1 : 0;
    return n;
  });
  return Napi::Number::New(env, static_cast<double>(added));
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::ShardCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(map().shard_count()));
}

// The shard index argument of shardEntries and shardKeys.
template <bool IsSet>
size_t DashMapWrap<IsSet>::shard_index(Napi::Env env, Napi::Value iv) {
  const double i = iv.IsNumber() ? iv.As<Napi::Number>().DoubleValue() : -1;
  if (!(i >= 0 && i < static_cast<double>(map().shard_count())) || i != static_cast<double>(static_cast<size_t>(i)))
    throw Napi::RangeError::New(env, "no such shard");
  return static_cast<size_t>(i);
}

// shardEntries(i), shardKeys(i), shardValues(i): one shard's items
// (wrap_support.hpp, shard_items), copied under its read lock, so an entry
// present throughout an iteration is seen once. A DashSet has only keys.
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::shard_part_of(const Napi::CallbackInfo& info, shard_part part) {
  Napi::Env env = info.Env();
  const size_t i = shard_index(env, arg(info, 0));
  return shard_items(env, part, [&](auto&& f) { map().for_each_in_shard(i, f); });
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::ShardEntries(const Napi::CallbackInfo& info) {
  return shard_part_of(info, shard_part::entries);
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::ShardKeys(const Napi::CallbackInfo& info) {
  return shard_part_of(info, shard_part::keys);
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::ShardValues(const Napi::CallbackInfo& info) {
  return shard_part_of(info, shard_part::values);
}

template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::ShardSizes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<size_t> sizes = guarded(env, [&] { return map().shard_sizes(); });
  Napi::Array out = Napi::Array::New(env, sizes.size());
  for (uint32_t j = 0; j < sizes.size(); ++j) out.Set(j, Napi::Number::New(env, static_cast<double>(sizes[j])));
  return out;
}

// A new SharedArrayBuffer over the map's one BackingStore (see registry.hpp).
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::Handle(const Napi::CallbackInfo& info) { return make_handle(info.Env(), ref_); }

// Native bytes held by this map (wrap_support.hpp). Walks every entry.
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::NativeBytes(const Napi::CallbackInfo& info) { return native_bytes(info.Env(), map()); }

// A V8-level object with the hot methods (fast_path.hpp), sharing this map.
template <bool IsSet>
Napi::Value DashMapWrap<IsSet>::FastPathObject(const Napi::CallbackInfo& info) {
  FastPath& fast = *Addon::of(info.Env()).fast;
  return IsSet ? fast.make_set(info.Env(), ref_) : fast.make(info.Env(), ref_);
}

// Define names the methods each class has; they are instantiated from it
// (the map-only ones would not compile over a set's engine, nor the reverse).
template Napi::Function DashMapWrap<false>::Define(Napi::Env);
template Napi::Function DashMapWrap<true>::Define(Napi::Env);
template Napi::Value DashMapWrap<false>::update(Napi::Env, shared_map&, Napi::Value, Napi::Value);
template Napi::Value DashMapWrap<false>::get_or_insert_computed(Napi::Env, shared_map&, Napi::Value, Napi::Value);

}  // namespace threadmap::addon
