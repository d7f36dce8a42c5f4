// native/addon/lock_free_wrap.cc: see lock_free_wrap.hpp.
//
// As in dash_map_wrap.cc, arguments are encoded first and results decoded
// after the engine call returns. The engines hold no lock while a callback
// runs (compute's callback runs on a pinned, unlocked read), so JS code may
// run inside compute(): update's fn, the getters that encoding its result
// may call, and the content comparison of compareAndSet.
//
// Re-entry: a write to the same map from inside its own update/retain
// callback would change what the callback read, so the CAS installing the
// callback's decision would lose, the callback would run again and write
// again: forever. Such a write is refused with ERR_WOULD_DEADLOCK (a
// livelock is a deadlock that burns a core). Reads are allowed, and so is
// any call on another map.
#include "lock_free_wrap.hpp"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>
#include <vector>

#include "addon.hpp"
#include "atomic_ops.hpp"
#include "codec.hpp"
#include "fast_path.hpp"
#include "v8_bridge.hpp"
#include "wrap_support.hpp"

namespace threadmap::addon {

namespace {

// Marks `map` as running a JS callback on this thread for its lifetime.
class callback_scope {
 public:
  callback_scope(Addon& addon, const shared_map* map) : list_(addon.lock_free_callbacks) { list_.push_back(map); }
  ~callback_scope() { list_.pop_back(); }
  callback_scope(const callback_scope&) = delete;
  callback_scope& operator=(const callback_scope&) = delete;

 private:
  std::vector<const shared_map*>& list_;
};

}  // namespace

template <class Engine>
Napi::Function LockFreeWrap<Engine>::Define(Napi::Env env) {
  using W = LockFreeWrap<Engine>;
  return W::DefineClass(env, name,
                        {
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
                            W::template InstanceMethod<&W::ShardCount>("shardCount"),
                            W::template InstanceMethod<&W::ShardEntries>("shardEntries"),
                            W::template InstanceMethod<&W::ShardKeys>("shardKeys"),
                            W::template InstanceMethod<&W::ShardValues>("shardValues"),
                            W::template InstanceMethod<&W::BucketCount>("bucketCount"),
                            W::template InstanceMethod<&W::NativeBytes>("nativeBytes"),
                            W::template InstanceMethod<&W::Handle>("handle"),
                            W::template InstanceMethod<&W::FastPathObject>("fastPath"),
                        });
}

// new (capacity, buckets, maxKeyBytes, maxValueBytes) creates a map (buckets
// is ignored by HopscotchMap); new (handle) attaches. Options arrive validated from
// lib/; the checks here only keep a direct call from crashing.
template <class Engine>
LockFreeWrap<Engine>::LockFreeWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LockFreeWrap<Engine>>(info) {
  Napi::Env env = info.Env();
  Napi::Value first = arg(info, 0);
  ref_ = attach_handle(env, first, lock_free_traits<Engine>::kind);
  if (ref_.map) return;
  const std::string n(name);
  if (!first.IsNumber()) throw Napi::TypeError::New(env, n + ": expected (capacity, ...) or (handle)");
  const std::size_t capacity = size_arg(env, first, 67108864, (n + ": capacity").c_str());
  const size_limits limits = limits_args(env, arg(info, 2), arg(info, 3));
  if constexpr (std::is_same_v<Engine, LockFreeEngine>) {
    const std::size_t buckets = size_arg(env, arg(info, 1), 67108864, (n + ": buckets").c_str());
    guarded(env, [&] {
      auto core = std::make_unique<lock_free_core<Engine>>(threadmap::lock_free_map_options{capacity, buckets});
      core->limits = limits;
      ref_ = register_map(std::move(core));
    });
  } else {
    guarded(env, [&] {
      auto core = std::make_unique<lock_free_core<Engine>>(capacity);
      core->limits = limits;
      ref_ = register_map(std::move(core));
    });
  }
}

template <class Engine>
void LockFreeWrap<Engine>::refuse_write_in_callback(Napi::Env env, const char* method) {
  refuse_write_in_callback(env, *ref_.map, method);
}

template <class Engine>
void LockFreeWrap<Engine>::refuse_write_in_callback(Napi::Env env, const shared_map& map, const char* method) {
  const auto& running = Addon::of(env).lock_free_callbacks;
  if (std::find(running.begin(), running.end(), &map) == running.end()) return;
  throw make_error(env, errc::would_deadlock,
                   std::string(name) + "." + method +
                       " from inside an update or retain callback of the same map: the callback's change could "
                       "never be installed (it would rerun forever), so the write is refused. Reads are allowed; "
                       "return the new value instead");
}

// ---- reads: lock-free, never wait ----

template <class Engine>
Napi::Value LockFreeWrap<Engine>::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  std::optional<addon::Value> v = guarded(env, [&] { return map().get(key); });
  return v ? decode_value(env, *v) : env.Undefined();
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::Has(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  return Napi::Boolean::New(env, guarded(env, [&] { return map().contains(key); }));
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(map().size()));
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::GetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<Key> keys = key_args(env, *ref_.map, require_array(env, arg(info, 0), "getMany: keys"));
  return values_array(env, keys, [&](const Key& k) { return map().get(k); });
}

// ---- single-key writes ----

template <class Engine>
Napi::Value LockFreeWrap<Engine>::Set(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  refuse_write_in_callback(env, "set");
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  addon::Value value = value_arg(env, Addon::of(env), *ref_.map, arg(info, 1));
  guarded(env, [&] { map().insert_or_assign(std::move(key), std::move(value)); });
  return info.This();
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  refuse_write_in_callback(env, "delete");
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  return Napi::Boolean::New(env, guarded(env, [&] { return map().remove(key); }));
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::Clear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  refuse_write_in_callback(env, "clear");
  guarded(env, [&] { map().clear(); });
  return env.Undefined();
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::Take(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  refuse_write_in_callback(env, "take");
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  std::optional<addon::Value> v = guarded(env, [&] { return map().take(key); });
  return v ? decode_value(env, *v) : env.Undefined();
}

// setMany(keys, values): all encoded (validated) before the first store.
template <class Engine>
Napi::Value LockFreeWrap<Engine>::SetMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  refuse_write_in_callback(env, "setMany");
  Addon& addon = Addon::of(env);
  auto entries = entry_args(env, addon, *ref_.map, arg(info, 0), arg(info, 1));
  guarded(env, [&] {
    for (auto& [k, v] : entries) map().insert_or_assign(std::move(k), std::move(v));
  });
  return info.This();
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::DeleteMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  refuse_write_in_callback(env, "deleteMany");
  std::vector<Key> keys = key_args(env, *ref_.map, require_array(env, arg(info, 0), "deleteMany: keys"));
  size_t removed = guarded(env, [&] {
    size_t n = 0;
    for (const Key& k : keys) n += map().remove(k) ? 1 : 0;
    return n;
  });
  return Napi::Number::New(env, static_cast<double>(removed));
}

// ---- atomic single-key operations: CAS loops (compute) ----

// add(key, delta = 1): counts from 0 (0n). A CAS loop: reads the value,
// computes the sum, installs it if the key still holds what it read.
template <class Engine>
Napi::Value LockFreeWrap<Engine>::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  refuse_write_in_callback(env, "add");
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  const add_delta delta = parse_add_delta(env, addon, *ref_.map, arg(info, 1));
  add_refusal refusal;
  addon::Value result = guarded(env, [&] {
    return map().compute(key, [&](compute_entry<addon::Value>& e) {
      refusal = add_refusal();  // from a run that lost its CAS
      return apply_add(e, delta, refusal);
    });
  });
  refusal.raise(env, delta);
  return decode_value(env, result);
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::GetOrInsert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  refuse_write_in_callback(env, "getOrInsert");
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  addon::Value value = value_arg(env, addon, *ref_.map, arg(info, 1));
  addon::Value result = guarded(env, [&] { return map().get_or_insert(std::move(key), std::move(value)); });
  return decode_value(env, result);
}

// getOrInsertComputed(key, fn): the stored value, or fn(key) after storing
// it. fn runs once per call, with nothing held (it may write this map), only
// if the key was absent when looked up; the insert is getOrInsert's, so if
// another thread inserted the key meanwhile, its value is returned and fn's
// result dropped.
template <class Engine>
Napi::Value LockFreeWrap<Engine>::get_or_insert_computed(Napi::Env env, shared_map& m, Napi::Value js_key,
                                                         Napi::Value js_fn) {
  refuse_write_in_callback(env, m, "getOrInsertComputed");
  Addon& addon = Addon::of(env);
  Engine& map = static_cast<lock_free_core<Engine>&>(m).engine;
  Key key = key_arg(env, m, js_key);
  Napi::Function fn = require_function(env, js_fn, "getOrInsertComputed: fn");
  if (std::optional<addon::Value> v = guarded(env, [&] { return map.get(key); })) return decode_value(env, *v);
  addon::Value computed = computed_value(env, addon, m, fn, js_key);
  addon::Value result = guarded(env, [&] { return map.get_or_insert(std::move(key), std::move(computed)); });
  return decode_value(env, result);
}

// compareAndSet(key, expected, value): expected undefined means "absent".
template <class Engine>
Napi::Value LockFreeWrap<Engine>::CompareAndSet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  refuse_write_in_callback(env, "compareAndSet");
  Addon& addon = Addon::of(env);
  Key key = key_arg(env, *ref_.map, arg(info, 0));
  const bool expect_absent = arg(info, 1).IsUndefined();
  addon::Value expected = expect_absent ? addon::Value() : value_arg(env, addon, *ref_.map, arg(info, 1));
  addon::Value value = value_arg(env, addon, *ref_.map, arg(info, 2));
  bool swapped = guarded(env, [&] {
    if (expect_absent) return map().insert_if_absent(std::move(key), std::move(value));
    return map().compute(key, [&](compute_entry<addon::Value>& e) {
      // Comparing objects runs JS (util.isDeepStrictEqual, which reads
      // properties: a user getter on a built-in prototype), like a
      // callback: a write from it to this map is refused, since it would
      // make the CAS fail and the comparison run again, forever.
      callback_scope scope(addon, ref_.map);
      return apply_compare_and_set(env, addon, e, false, expected, value);
    });
  });
  return Napi::Boolean::New(env, swapped);
}

// update(key, fn): fn(old) -> new; undefined deletes. fn runs with no lock
// held and may run more than once (each time with the value then current);
// the last run's result is installed. If fn throws, the key is unchanged.
template <class Engine>
Napi::Value LockFreeWrap<Engine>::update(Napi::Env env, shared_map& m, Napi::Value js_key, Napi::Value js_fn) {
  refuse_write_in_callback(env, m, "update");
  Addon& addon = Addon::of(env);
  Engine& map = static_cast<lock_free_core<Engine>&>(m).engine;
  Key key = key_arg(env, m, js_key);
  Napi::Function fn = require_function(env, js_fn, "update: fn");
  std::optional<addon::Value> result = guarded(env, [&] {
    return map.compute(key, [&](compute_entry<addon::Value>& e) -> std::optional<addon::Value> {
      callback_scope scope(addon, &m);
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

// Iteration (lib/map_core.js, entries()) copies the map one "shard" at a
// time. For these maps a shard is a part of the hash space (the engines'
// for_each_part), about iteration_part_entries entries each: a big map is
// not copied all at once, and a loop that stops early copies little. The
// parts split hashes, not the table, so a resize between two parts loses
// or repeats nothing.
constexpr std::size_t iteration_part_entries = 8192;
constexpr std::size_t max_iteration_parts = std::size_t{1} << 12;

// How many parts an iteration (or a retain) that starts now walks: a power
// of two, about iteration_part_entries entries each.
template <class Engine>
std::size_t LockFreeWrap<Engine>::iteration_parts() {
  return std::min(max_iteration_parts, std::bit_ceil(map().size() / iteration_part_entries + 1));
}

// retain(fn): keeps the entries where fn(value, key) is truthy; returns how
// many it removed. Weakly consistent, like iteration, and part by part as
// iteration: it collects one part's keys, then visits each by one compute
// (fn may run again for a key whose value changed meanwhile; a key removed
// meanwhile is skipped), so it holds one part's keys at a time, not a copy
// of every key. An entry present throughout is visited once (a key's part
// is fixed by its hash); one added meanwhile may or may not be.
template <class Engine>
Napi::Value LockFreeWrap<Engine>::Retain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  refuse_write_in_callback(env, "retain");
  Addon& addon = Addon::of(env);
  Napi::Function fn = require_function(env, arg(info, 0), "retain: fn");
  size_t removed = 0;
  const std::size_t parts = iteration_parts();
  std::vector<Key> keys;
  for (std::size_t part = 0; part < parts; ++part) {
    keys.clear();
    guarded(env, [&] { map().for_each_part(part, parts, [&](const Key& k, const addon::Value&) { keys.push_back(k); }); });
    removed += retain_keys(env, addon, fn, keys);
  }
  return Napi::Number::New(env, static_cast<double>(removed));
}

// retain's decisions on one part's keys; returns how many it removed.
template <class Engine>
std::size_t LockFreeWrap<Engine>::retain_keys(Napi::Env env, Addon& addon, Napi::Function fn, const std::vector<Key>& keys) {
  std::size_t removed = 0;
  for (const Key& k : keys) {
    element_scope scope;  // this key's handles go with it, not at the end of the walk
    const bool erased = guarded(env, [&] {
      return map().compute(k, [&](compute_entry<addon::Value>& e) {
        if (!e.exists()) return false;
        callback_scope scope(addon, ref_.map);
        const bool keep =
            callback_result(env, fn.Call({decode_value(env, e.value()), decode_key(env, k)}), "retain: fn")
                .ToBoolean()
                .Value();
        if (keep) return false;
        e.erase();
        return true;
      });
    });
    removed += erased ? 1 : 0;
  }
  return removed;
}

// ---- whole map ----

// shardCount() -> how many parts an iteration that starts now walks: a
// power of two.
template <class Engine>
Napi::Value LockFreeWrap<Engine>::ShardCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(iteration_parts()));
}

// The (part, parts) arguments of shardEntries and shardKeys (parts: what
// shardCount() gave when the iteration started; 1 when left out).
template <class Engine>
std::pair<std::size_t, std::size_t> LockFreeWrap<Engine>::part_args(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::size_t parts = arg(info, 1).IsUndefined() ? 1 : size_arg(env, arg(info, 1), max_iteration_parts, "parts");
  if (!std::has_single_bit(parts)) throw Napi::RangeError::New(env, "parts must be a power of two");
  return {size_arg(env, arg(info, 0), static_cast<double>(parts - 1), "part"), parts};
}

// shardEntries(part, parts?), shardKeys(part, parts?), shardValues(part,
// parts?): the items of one part (wrap_support.hpp, shard_items), copied
// while pinned.
template <class Engine>
Napi::Value LockFreeWrap<Engine>::shard_part_of(const Napi::CallbackInfo& info, shard_part what) {
  const auto [part, parts] = part_args(info);
  return shard_items(info.Env(), what, [&](auto&& f) { map().for_each_part(part, parts, f); });
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::ShardEntries(const Napi::CallbackInfo& info) {
  return shard_part_of(info, shard_part::entries);
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::ShardKeys(const Napi::CallbackInfo& info) {
  return shard_part_of(info, shard_part::keys);
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::ShardValues(const Napi::CallbackInfo& info) {
  return shard_part_of(info, shard_part::values);
}

// The engine's current number of buckets (a diagnostic).
template <class Engine>
Napi::Value LockFreeWrap<Engine>::BucketCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(guarded(info.Env(), [&] { return map().bucket_count(); })));
}

// Native bytes held by this map (wrap_support.hpp). Walks every entry.
template <class Engine>
Napi::Value LockFreeWrap<Engine>::NativeBytes(const Napi::CallbackInfo& info) {
  return native_bytes(info.Env(), map());
}

template <class Engine>
Napi::Value LockFreeWrap<Engine>::Handle(const Napi::CallbackInfo& info) {
  return make_handle(info.Env(), ref_);
}

// The V8-level get/has of this map (fast_path.hpp), for lib/ to keep.
template <class Engine>
Napi::Value LockFreeWrap<Engine>::FastPathObject(const Napi::CallbackInfo& info) {
  return Addon::of(info.Env()).fast->make(info.Env(), ref_);
}

template class LockFreeWrap<LockFreeEngine>;
template class LockFreeWrap<HopscotchEngine>;

}  // namespace threadmap::addon
