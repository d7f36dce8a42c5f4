// native/addon/wrap_support.hpp: argument guards and handle plumbing shared
// by the map wrappers (dash_map_wrap, lock_map_wrap).
#pragma once

#include <napi.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <type_traits>
#include <vector>

#include "key.hpp"
#include "registry.hpp"
#include "value.hpp"

namespace threadmap::addon {

// info[i], or undefined past the end.
inline Napi::Value arg(const Napi::CallbackInfo& info, std::size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

Napi::Function require_function(Napi::Env env, Napi::Value v, const char* what);
// What an update, retain or getOrInsertComputed callback returned, unless
// it is a Promise (an async callback): the callbacks run synchronously, so
// for retain a Promise would count as true and keep every entry (for the
// others it was already an uncloneable value; this names the mistake).
// That is a TypeError naming `what` ("update: fn").
Napi::Value callback_result(Napi::Env env, Napi::Value result, const char* what);
Napi::Array require_array(Napi::Env env, Napi::Value v, const char* what);

class Addon;

// A key or value argument of a call on `map`, encoded and checked against
// the map's size limits (RangeError above them, TypeError for a bad type).
Key key_arg(Napi::Env env, const shared_map& map, Napi::Value v);
Value value_arg(Napi::Env env, Addon& addon, const shared_map& map, Napi::Value v);
// getOrInsertComputed's value: fn(key), refused if a Promise (callback_result)
// and encoded as value_arg does.
Value computed_value(Napi::Env env, Addon& addon, const shared_map& map, Napi::Function fn, Napi::Value key);
// Every element as key_arg (the first bad one throws).
std::vector<Key> key_args(Napi::Env env, const shared_map& map, Napi::Array keys);
// RangeError if k or v is over `limits` (for values encoded elsewhere).
void check_key_size(Napi::Env env, const size_limits& limits, const Key& k, key_role role);
void check_value_size(Napi::Env env, const size_limits& limits, const Value& v);

// setMany's arguments (keys, values), every pair encoded and checked
// before the caller stores the first: a bad one throws, the map unchanged.
std::vector<std::pair<Key, Value>> entry_args(Napi::Env env, Addon& addon, const shared_map& map, Napi::Value keys,
                                              Napi::Value values);

// What an iteration copies out of a shard (or part): shardEntries gives
// [k0, v0, k1, v1, ...], shardKeys [k0, k1, ...] (keys() and a DashSet's
// members: no value copied or decoded), shardValues [v0, v1, ...] (no key).
enum class shard_part : unsigned char { entries, keys, values };

// One shard's items as a JS array: visit(f) calls f(const Key&, const V&)
// for each entry under the engine's lock (or pin); what `part` needs is
// copied there, and decoded after visit returns, with nothing held.
template <class Visit>
Napi::Array shard_items(Napi::Env env, shard_part part, Visit&& visit);

// getMany: `get(key) -> std::optional<Value>` per key, one call at a time.
template <class Get>
Napi::Array values_array(Napi::Env env, const std::vector<Key>& keys, Get&& get);

// nativeBytes(): the engine's allocated_bytes() plus the keys' and values'
// own heap blocks (a diagnostic for the memory benchmark). Walks every entry.
template <class Map>
Napi::Value native_bytes(Napi::Env env, Map& map);

// The limits options of a constructor: maxKeyBytes at info[i], maxValueBytes
// at info[i + 1] (undefined: the defaults); RangeError out of range.
size_limits limits_args(Napi::Env env, Napi::Value max_key, Napi::Value max_value);

// If `first` is a SharedArrayBuffer: the live map of `kind` it names, or an
// ERR_INVALID_HANDLE TypeError. Otherwise an empty MapRef (construct a map).
MapRef attach_handle(Napi::Env env, Napi::Value first, map_kind kind);

// A new SharedArrayBuffer over the map's one BackingStore (registry.hpp).
Napi::Value make_handle(Napi::Env env, const MapRef& ref);

// Integer option in [0, max] (RangeError otherwise), as validated numbers
// arrive from lib/.
std::size_t size_arg(Napi::Env env, Napi::Value v, double max, const char* what);

}  // namespace threadmap::addon

#include "addon.hpp"
#include "codec.hpp"
#include "v8_bridge.hpp"

namespace threadmap::addon {

template <class Map>
Napi::Value native_bytes(Napi::Env env, Map& map) {
  const std::size_t bytes = guarded(env, [&] {
    std::size_t n = map.allocated_bytes();
    map.for_each([&](const Key& k, const auto& v) { n += k.heap_bytes() + v.heap_bytes(); });
    return n;
  });
  return Napi::Number::New(env, static_cast<double>(bytes));
}

template <class Visit>
Napi::Array shard_items(Napi::Env env, shard_part part, Visit&& visit) {
  std::vector<Key> keys;
  std::vector<Value> values;
  guarded(env, [&] {
    visit([&](const Key& k, const auto& v) {
      if (part != shard_part::values) keys.push_back(k);
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, Value>) {
        if (part != shard_part::keys) values.push_back(v);
      }
    });
  });
  std::vector<v8::Local<v8::Value>> out;
  out.reserve(keys.size() + values.size());
  if (part == shard_part::entries) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      out.push_back(to_v8(decode_key(env, keys[i])));
      out.push_back(to_v8(decode_value(env, values[i])));
    }
  } else {
    for (const Key& k : keys) out.push_back(to_v8(decode_key(env, k)));
    for (const Value& v : values) out.push_back(to_v8(decode_value(env, v)));
  }
  return Napi::Array(env, array_of(out));
}

template <class Get>
Napi::Array values_array(Napi::Env env, const std::vector<Key>& keys, Get&& get) {
  std::vector<v8::Local<v8::Value>> out;
  out.reserve(keys.size());
  for (const Key& k : keys) {
    std::optional<Value> v = guarded(env, [&] { return get(k); });
    out.push_back(to_v8(v ? decode_value(env, *v) : env.Undefined()));
  }
  return Napi::Array(env, array_of(out));
}

}  // namespace threadmap::addon
