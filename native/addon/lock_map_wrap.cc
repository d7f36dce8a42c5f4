// native/addon/lock_map_wrap.cc: see lock_map_wrap.hpp.
//
// As in dash_map_wrap.cc, arguments are encoded before any lock is taken
// and results decoded after it is released. Every lock call names this
// thread's LockHub as the owner, so a wait for a key the thread itself
// holds is ERR_WOULD_DEADLOCK. Writes outside a lock (set, delete, add, ...)
// wait for a held key up to the map's `timeout`.
//
// update(key, fn) takes the key's lock (not a shard lock) and calls fn with
// it held: fn may use the map freely except to write the same key (that is
// ERR_WOULD_DEADLOCK); if fn throws, the key is left as it was.
#include "lock_map_wrap.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "addon.hpp"
#include "atomic_ops.hpp"
#include "codec.hpp"
#include "lock_hub.hpp"
#include "v8_bridge.hpp"
#include "wrap_support.hpp"

namespace threadmap::addon {

namespace {

std::chrono::nanoseconds ttl_arg(Napi::Env env, Napi::Value v) {
  if (v.IsUndefined()) return std::chrono::nanoseconds(0);
  const double ms = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(ms > 0 && ms <= 1e12)) throw Napi::RangeError::New(env, "ttl must be a number of milliseconds in (0, 1e12]");
  return std::chrono::nanoseconds(static_cast<int64_t>(ms * 1e6));
}

}  // namespace

template <bool Lru>
threadmap::deadline LockMapWrap<Lru>::deadline_of(double ms) {
  if (!std::isfinite(ms)) return threadmap::deadline::never();
  return threadmap::deadline::after(std::chrono::nanoseconds(static_cast<int64_t>(std::max(0.0, ms) * 1e6)));
}

template <bool Lru>
Napi::Function LockMapWrap<Lru>::Define(Napi::Env env) {
  using W = LockMapWrap<Lru>;
  std::vector<typename Napi::ObjectWrap<W>::PropertyDescriptor> props = {
      W::template InstanceMethod<&W::Get>("get"),
      W::template InstanceMethod<&W::Set>("set"),
      W::template InstanceMethod<&W::Has>("has"),
      W::template InstanceMethod<&W::Delete>("delete"),
      W::template InstanceMethod<&W::Clear>("clear"),
      W::template InstanceMethod<&W::Size>("size"),
      W::template InstanceMethod<&W::GetMany>("getMany"),
      W::template InstanceMethod<&W::SetMany>("setMany"),
      W::template InstanceMethod<&W::DeleteMany>("deleteMany"),
      W::template InstanceMethod<&W::Add>("add"),
      W::template InstanceMethod<&W::GetOrInsert>("getOrInsert"),
      W::template InstanceMethod<&W::CompareAndSet>("compareAndSet"),
      W::template InstanceMethod<&W::Take>("take"),
      W::template InstanceMethod<&W::Retain>("retain"),
      W::template InstanceMethod<&W::Lock>("lock"),
      W::template InstanceMethod<&W::TryLock>("tryLock"),
      W::template InstanceMethod<&W::LockAsync>("lockAsync"),
      W::template InstanceMethod<&W::BatchLock>("batchLock"),
      W::template InstanceMethod<&W::OrderKeys>("orderKeys"),
      W::template InstanceMethod<&W::ShardCount>("shardCount"),
      W::template InstanceMethod<&W::ShardEntries>("shardEntries"),
      W::template InstanceMethod<&W::ShardKeys>("shardKeys"),
      W::template InstanceMethod<&W::ShardValues>("shardValues"),
      W::template InstanceMethod<&W::StateCount>("stateCount"),
      W::template InstanceMethod<&W::NativeBytes>("nativeBytes"),
      W::template InstanceMethod<&W::Handle>("handle"),
      W::template InstanceMethod<&W::FastPathObject>("fastPath"),
  };
  if constexpr (Lru) {
    props.push_back(W::template InstanceMethod<&W::Probe>("probe"));
    props.push_back(W::template InstanceMethod<&W::Peek>("peek"));
    props.push_back(W::template InstanceMethod<&W::PeekAfterHit>("peekAfterHit"));
    props.push_back(W::template InstanceMethod<&W::Stats>("stats"));
    props.push_back(W::template InstanceMethod<&W::Capacity>("capacity"));
  }
  return W::DefineClass(env, Lru ? "LruLockMap" : "LockMap", props);
}

// new (capacity, shards, timeoutMs, ttlMs, maxKeyBytes, maxValueBytes) creates
// a map; new (handle) attaches.
template <bool Lru>
LockMapWrap<Lru>::LockMapWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LockMapWrap<Lru>>(info) {
  Napi::Env env = info.Env();
  const char* name = Lru ? "LruLockMap" : "LockMap";
  ref_ = attach_handle(env, arg(info, 0), Lru ? map_kind::lru_lock_map : map_kind::lock_map);
  if (ref_.map) return;
  threadmap::lock_map_options opts;
  opts.capacity = size_arg(env, arg(info, 0), Lru ? 4294967296.0 : 1e12, (std::string(name) + ": capacity").c_str());
  opts.shards = size_arg(env, arg(info, 1), 65536, (std::string(name) + ": shards").c_str());
  if (opts.shards != 0 && (opts.shards & (opts.shards - 1)) != 0)
    throw Napi::RangeError::New(env, std::string(name) + ": shards must be a power of two");
  Napi::Value t = arg(info, 2);
  const double timeout = t.IsUndefined() ? INFINITY : t.IsNumber() ? t.As<Napi::Number>().DoubleValue() : -1;
  if (!(timeout >= 0)) throw Napi::RangeError::New(env, std::string(name) + ": timeout must be a number >= 0");
  if constexpr (Lru) {
    if (opts.capacity == 0) throw Napi::RangeError::New(env, "LruLockMap: capacity must be at least 1");
    opts.ttl = ttl_arg(env, arg(info, 3));
  }
  const size_limits limits = limits_args(env, arg(info, 4), arg(info, 5));
  guarded(env, [&] {
    auto core = std::make_unique<lock_map_core<Lru>>(opts, timeout);
    core->limits = limits;
    ref_ = register_map(std::move(core));
  });
}

// ---- reads: never wait for a key's lock ----

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  std::optional<addon::Value> v = guarded(env, [&] { return map().get(key); });
  return v ? decode_value(env, *v) : env.Undefined();
}

// probe(key): like get, but an absent key is the fallback symbol (so that a
// stored undefined and a miss differ, for getOrCompute).
template <bool Lru>
Napi::Value LockMapWrap<Lru>::Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  std::optional<addon::Value> v = guarded(env, [&] { return map().get(key); });
  Addon& addon = Addon::of(env);
  if (!v) return Napi::Value(env, to_napi(addon.fast->fallback(v8::Isolate::GetCurrent())));
  return decode_value(env, *v);
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Peek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  std::optional<addon::Value> v = guarded(env, [&] { return map().peek(key); });
  return v ? decode_value(env, *v) : env.Undefined();
}

// peekAfterHit(key): peek, for lib/ after the fast path counted a hit and
// left the value to it (the `counted` sentinel); if the value is gone by
// now (expired, removed), that hit becomes a miss, so that a get returning
// undefined never counts as a hit.
template <bool Lru>
Napi::Value LockMapWrap<Lru>::PeekAfterHit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  std::optional<addon::Value> v = guarded(env, [&] { return map().peek(key); });
  if (v) return decode_value(env, *v);
  if constexpr (Lru) guarded(env, [&] { map().hit_was_a_miss(key); });
  return env.Undefined();
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Has(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  return Napi::Boolean::New(env, guarded(env, [&] { return map().contains(key); }));
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::GetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<Key> keys = key_args(env, *ref_.map, require_array(env, arg(info, 0), "getMany: keys"));
  return values_array(env, keys, [&](const Key& k) { return map().get(k); });
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(guarded(info.Env(), [&] { return map().size(); })));
}

// ---- writes outside a lock: wait for a held key up to the map's timeout ----

// set(key, value, ttlMs?)
template <bool Lru>
Napi::Value LockMapWrap<Lru>::Set(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  addon::Value value = value_arg(env, addon, *ref_.map, arg(info, 1));
  // A plain set stores a new entry: the map's TTL unless `ttl` is given
  // (the writes that modify an entry, like update, keep its own TTL).
  const Napi::Value ttl_ms = arg(info, 2);
  const auto ttl = !Lru ? threadmap::keep_ttl : ttl_ms.IsUndefined() ? threadmap::map_ttl : ttl_arg(env, ttl_ms);
  guarded(env, [&] { map().insert(key, std::move(value), addon.locks->owner(), write_deadline(), ttl); });
  return info.This();
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  Addon& addon = Addon::of(env);
  return Napi::Boolean::New(env,
                            guarded(env, [&] { return map().remove(key, addon.locks->owner(), write_deadline()); }));
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Take(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  Addon& addon = Addon::of(env);
  std::optional<addon::Value> v = guarded(env, [&] { return map().take(key, addon.locks->owner(), write_deadline()); });
  return v ? decode_value(env, *v) : env.Undefined();
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Clear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  guarded(env, [&] { map().clear(addon.locks->owner(), write_deadline()); });
  return env.Undefined();
}

// setMany(keys, values): all encoded (validated) before the first store.
template <bool Lru>
Napi::Value LockMapWrap<Lru>::SetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  auto entries = entry_args(env, addon, *ref_.map, arg(info, 0), arg(info, 1));
  guarded(env, [&] {
    const threadmap::deadline dl = write_deadline();
    for (auto& [k, v] : entries) map().insert(k, std::move(v), addon.locks->owner(), dl, threadmap::map_ttl);  // set semantics
  });
  return info.This();
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::DeleteMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  std::vector<Key> keys = key_args(env, *ref_.map, require_array(env, arg(info, 0), "deleteMany: keys"));
  size_t removed = guarded(env, [&] {
    const threadmap::deadline dl = write_deadline();
    size_t n = 0;
    for (const Key& k : keys) n += map().remove(k, addon.locks->owner(), dl) ? 1 : 0;
    return n;
  });
  return Napi::Number::New(env, static_cast<double>(removed));
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  const add_delta delta = parse_add_delta(env, addon, *ref_.map, arg(info, 1));
  add_refusal refusal;
  addon::Value result = guarded(env, [&] {
    return map().alter(
        key, [&](alter_entry<addon::Value>& e) { return apply_add(e, delta, refusal); }, addon.locks->owner(),
        write_deadline());
  });
  refusal.raise(env, delta);
  return decode_value(env, result);
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::GetOrInsert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  addon::Value value = value_arg(env, addon, *ref_.map, arg(info, 1));
  addon::Value result = guarded(env, [&] {
    return map().alter(
        key, [&](alter_entry<addon::Value>& e) { return apply_get_or_insert(e, value); }, addon.locks->owner(),
        write_deadline());
  });
  return decode_value(env, result);
}

// getOrInsertComputed(key, fn): the stored value, or fn(key) after storing
// it. A present key is a read, as get (no wait for the key's lock; on an
// LruLockMap it counts as get does); an absent one is looked up again with
// the key's lock held, where fn runs (as update's fn: no shard lock, other
// keys free).
template <bool Lru>
Napi::Value LockMapWrap<Lru>::get_or_insert_computed(Napi::Env env, shared_map& m, Napi::Value js_key, Napi::Value js_fn) {
  Addon& addon = Addon::of(env);
  lock_map_core<Lru>& core = static_cast<lock_map_core<Lru>&>(m);
  Key key = key_arg(env, m, js_key);
  Napi::Function fn = require_function(env, js_fn, "getOrInsertComputed: fn");
  if (std::optional<addon::Value> v = guarded(env, [&] { return core.engine.get(key); })) return decode_value(env, *v);
  auto entry = guarded(env, [&] { return core.engine.lock(key, addon.locks->owner(), deadline_of(core.timeout_ms)); });
  if (std::optional<addon::Value> old = entry.get()) return decode_value(env, *old);
  addon::Value computed = computed_value(env, addon, m, fn, js_key);
  guarded(env, [&] { entry.set(computed); });
  return decode_value(env, computed);
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::CompareAndSet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  const bool expect_absent = arg(info, 1).IsUndefined();
  addon::Value expected = expect_absent ? addon::Value() : value_arg(env, addon, *ref_.map, arg(info, 1));
  addon::Value value = value_arg(env, addon, *ref_.map, arg(info, 2));
  bool swapped = guarded(env, [&] {
    return map().alter(
        key,
        [&](alter_entry<addon::Value>& e) {
          return apply_compare_and_set(env, addon, e, expect_absent, expected, value);
        },
        addon.locks->owner(), write_deadline());
  });
  return Napi::Boolean::New(env, swapped);
}

// update(key, fn): fn(old) -> new with the key's lock held; undefined deletes.
template <bool Lru>
Napi::Value LockMapWrap<Lru>::update(Napi::Env env, shared_map& m, Napi::Value js_key, Napi::Value js_fn) {
  Addon& addon = Addon::of(env);
  lock_map_core<Lru>& core = static_cast<lock_map_core<Lru>&>(m);
  Key key = key_arg(env, m, js_key);
  Napi::Function fn = require_function(env, js_fn, "update: fn");
  auto entry = guarded(env, [&] { return core.engine.lock(key, addon.locks->owner(), deadline_of(core.timeout_ms)); });
  std::optional<addon::Value> old = entry.get();
  Napi::Value next = callback_result(env, fn.Call({old ? decode_value(env, *old) : env.Undefined()}), "update: fn");
  if (next.IsUndefined()) {
    guarded(env, [&] { entry.remove(); });
    return env.Undefined();
  }
  addon::Value stored = value_arg(env, addon, m, next);
  guarded(env, [&] { entry.set(stored); });
  return decode_value(env, stored);
}

// retain(fn): keeps the values where fn(value, key) is truthy; returns how
// many it removed. fn runs under the shard lock for free keys (a call back
// into the same shard is ERR_WOULD_DEADLOCK) and waits for held ones.
template <bool Lru>
Napi::Value LockMapWrap<Lru>::Retain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Napi::Function fn = require_function(env, arg(info, 0), "retain: fn");
  size_t removed = guarded(env, [&] {
    return map().retain(
        [&](const Key& k, const addon::Value& v) {
          element_scope scope;  // this entry's handles go with it, not at the end of the walk
          return callback_result(env, fn.Call({decode_value(env, v), decode_key(env, k)}), "retain: fn")
              .ToBoolean()
              .Value();
        },
        addon.locks->owner(), write_deadline());
  });
  return Napi::Number::New(env, static_cast<double>(removed));
}

// ---- key locks: Entry objects (lock_hub.hpp) ----

template <bool Lru>
Napi::Value LockMapWrap<Lru>::entry(Napi::Env env, typename Engine::entry e, Napi::Value js_key, const Key& key) {
  Addon& addon = Addon::of(env);
  auto h = std::make_unique<holder_of<Engine>>(ref_, std::move(e));
  // The key as the Entry reports it: byte keys as a Buffer copy, -0 as 0.
  v8::Local<v8::Value> k = to_v8(js_key);
  if (k->IsArrayBufferView() || (k->IsNumber() && k.As<v8::Number>()->Value() == 0)) k = to_v8(decode_key(env, key));
  return Napi::Value(env, to_napi(addon.locks->adopt(v8::Isolate::GetCurrent(), std::move(h), k)));
}

// lock(key, timeoutMs?) -> Entry
template <bool Lru>
Napi::Value LockMapWrap<Lru>::Lock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  Napi::Value t = arg(info, 1);
  const threadmap::deadline dl = t.IsNumber() ? deadline_of(t.As<Napi::Number>().DoubleValue()) : threadmap::deadline{};
  return guarded(env, [&] { return entry(env, map().lock(key, addon.locks->owner(), dl), info[0], key); });
}

// tryLock(key) -> Entry or undefined
template <bool Lru>
Napi::Value LockMapWrap<Lru>::TryLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  return guarded(env, [&]() -> Napi::Value {
    auto e = map().try_lock(key, addon.locks->owner());
    return e ? entry(env, std::move(*e), info[0], key) : env.Undefined();
  });
}

// lockAsync(key) -> Entry now, or the wait id (a number) of a queued wait:
// see LockHub::lock_async.
template <bool Lru>
Napi::Value LockMapWrap<Lru>::LockAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  wait_id id = 0;
  Napi::Value now = guarded(env, [&] { return addon.locks->lock_async(env, ref_, map(), key, id); });
  return now.IsUndefined() ? Napi::Number::New(env, static_cast<double>(id)) : now;
}

// batchLock(keys, timeoutMs?) -> Entries, in the order of orderKeys(keys).
template <bool Lru>
Napi::Value LockMapWrap<Lru>::BatchLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Addon& addon = Addon::of(env);
  Napi::Array arr = require_array(env, arg(info, 0), "batchLock: keys");
  std::vector<Key> keys = key_args(env, *ref_.map, arr);
  Napi::Value t = arg(info, 1);
  const threadmap::deadline dl = t.IsNumber() ? deadline_of(t.As<Napi::Number>().DoubleValue()) : threadmap::deadline{};
  auto entries = guarded(env, [&] { return map().batch_lock(keys, addon.locks->owner(), dl); });
  Napi::Array out = Napi::Array::New(env, entries.size());
  for (uint32_t j = 0; j < entries.size(); ++j) {
    // The JS key of each: the first of `keys` equal to the entry's.
    uint32_t i = 0;
    while (i < keys.size() && !(keys[i] == entries[j].key())) ++i;
    const Key k = entries[j].key();
    out.Set(j, guarded(env, [&] { return entry(env, std::move(entries[j]), arr.Get(i), k); }));
  }
  return out;
}

// orderKeys(keys) -> indices into keys: batch lock order, duplicates once.
template <bool Lru>
Napi::Value LockMapWrap<Lru>::OrderKeys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array arr = require_array(env, arg(info, 0), "keys");
  std::vector<Key> keys = key_args(env, *ref_.map, arr);
  std::vector<Key> ordered = keys;
  map().order_keys(ordered);
  Napi::Array out = Napi::Array::New(env, ordered.size());
  for (uint32_t j = 0; j < ordered.size(); ++j) {
    for (uint32_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == ordered[j]) {
        out.Set(j, Napi::Number::New(env, i));
        break;
      }
    }
  }
  return out;
}

// ---- whole map, diagnostics ----

template <bool Lru>
Napi::Value LockMapWrap<Lru>::ShardCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(map().shard_count()));
}

// shardEntries(i) -> [k0, v0, k1, v1, ...], copied under the shard's read lock.
template <bool Lru>
size_t LockMapWrap<Lru>::shard_index(Napi::Env env, Napi::Value iv) {
  const size_t i = size_arg(env, iv, 65535, "shard");
  if (i >= map().shard_count()) throw Napi::RangeError::New(env, "no such shard");
  return i;
}

// shardEntries(i), shardKeys(i), shardValues(i): one shard's items
// (wrap_support.hpp, shard_items), copied under its lock.
template <bool Lru>
Napi::Value LockMapWrap<Lru>::shard_part_of(const Napi::CallbackInfo& info, shard_part part) {
  Napi::Env env = info.Env();
  const size_t i = shard_index(env, arg(info, 0));
  return shard_items(env, part, [&](auto&& f) { map().for_each_in_shard(i, f); });
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::ShardEntries(const Napi::CallbackInfo& info) {
  return shard_part_of(info, shard_part::entries);
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::ShardKeys(const Napi::CallbackInfo& info) {
  return shard_part_of(info, shard_part::keys);
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::ShardValues(const Napi::CallbackInfo& info) {
  return shard_part_of(info, shard_part::values);
}

// Native bytes held by this map (wrap_support.hpp). Walks every entry.
template <bool Lru>
Napi::Value LockMapWrap<Lru>::NativeBytes(const Napi::CallbackInfo& info) {
  return native_bytes(info.Env(), map());
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::StateCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(guarded(info.Env(), [&] { return map().state_count(); })));
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const threadmap::lru_stats st = guarded(env, [&] { return map().stats(); });
  Napi::Object out = Napi::Object::New(env);
  out.Set("hits", Napi::Number::New(env, static_cast<double>(st.hits)));
  out.Set("misses", Napi::Number::New(env, static_cast<double>(st.misses)));
  out.Set("evictions", Napi::Number::New(env, static_cast<double>(st.evictions)));
  out.Set("expirations", Napi::Number::New(env, static_cast<double>(st.expirations)));
  return out;
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Capacity(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(map().capacity()));
}

template <bool Lru>
Napi::Value LockMapWrap<Lru>::Handle(const Napi::CallbackInfo& info) {
  return make_handle(info.Env(), ref_);
}

// A V8-level object with lock() and tryLock() for common keys (fast_path.hpp).
template <bool Lru>
Napi::Value LockMapWrap<Lru>::FastPathObject(const Napi::CallbackInfo& info) {
  return Addon::of(info.Env()).fast->make(info.Env(), ref_);
}

template class LockMapWrap<false>;
template class LockMapWrap<true>;

}  // namespace threadmap::addon
