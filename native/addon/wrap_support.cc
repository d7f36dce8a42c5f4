// native/addon/wrap_support.cc: see wrap_support.hpp.
#include "wrap_support.hpp"

#include "addon.hpp"
#include "codec.hpp"
#include "v8_bridge.hpp"

namespace threadmap::addon {

Napi::Function require_function(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsFunction()) throw Napi::TypeError::New(env, std::string(what) + " must be a function");
  return v.As<Napi::Function>();
}

Napi::Value callback_result(Napi::Env env, Napi::Value result, const char* what) {
  if (result.IsPromise())
    throw Napi::TypeError::New(env, std::string(what) +
                                        " returned a Promise (an async function?): it must return its result "
                                        "synchronously (it runs while the map holds the key; do async work first)");
  return result;
}

Napi::Array require_array(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(what) + " must be an array");
  return v.As<Napi::Array>();
}

void check_key_size(Napi::Env env, const size_limits& limits, const Key& k, key_role role) {
  if (k.size() > limits.key_bytes)
    throw Napi::RangeError::New(env, std::string(role_noun(role)) + " of " + std::to_string(k.size()) + " bytes is over the " +
                                         role_owner(role) + "'s maxKeyBytes (" + std::to_string(limits.key_bytes) + ")");
}

void check_value_size(Napi::Env env, const size_limits& limits, const Value& v) {
  const blob* b = v.as_blob();
  const std::size_t n = b ? b->size : 0;  // numbers and other immediates are never over
  if (n > limits.value_bytes)
    throw Napi::RangeError::New(env, "value of " + std::to_string(n) + " bytes is over the map's maxValueBytes (" +
                                         std::to_string(limits.value_bytes) + ")");
}

// Encoding copies into native memory: guarded() turns a failed allocation
// into RangeError('out of memory') instead of an exception no JS can catch.
Key key_arg(Napi::Env env, const shared_map& map, Napi::Value v) {
  const key_role role = map.kind == map_kind::dash_set ? key_role::member : key_role::key;
  Key k = guarded(env, [&] { return encode_key(env, v, role); });
  check_key_size(env, map.limits, k, role);
  return k;
}

Value value_arg(Napi::Env env, Addon& addon, const shared_map& map, Napi::Value v) {
  Value out = guarded(env, [&] { return encode_value(env, addon, v); });
  check_value_size(env, map.limits, out);
  return out;
}

Value computed_value(Napi::Env env, Addon& addon, const shared_map& map, Napi::Function fn, Napi::Value key) {
  return value_arg(env, addon, map, callback_result(env, fn.Call({key}), "getOrInsertComputed: fn"));
}

std::vector<Key> key_args(Napi::Env env, const shared_map& map, Napi::Array keys) {
  std::vector<Key> out;
  out.reserve(keys.Length());
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    element_scope scope;  // this key's handles go now, not when the call returns
    out.push_back(key_arg(env, map, keys.Get(i)));
  }
  return out;
}

std::vector<std::pair<Key, Value>> entry_args(Napi::Env env, Addon& addon, const shared_map& map, Napi::Value keys_v,
                                              Napi::Value values_v) {
  Napi::Array keys = require_array(env, keys_v, "setMany: keys");
  Napi::Array values = require_array(env, values_v, "setMany: values");
  if (keys.Length() != values.Length()) throw Napi::TypeError::New(env, "setMany: keys and values differ in length");
  std::vector<std::pair<Key, Value>> entries;
  entries.reserve(keys.Length());
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    // This entry's handles (those a getter or a key's string makes) go
    // now, not when the call returns.
    element_scope scope;
    Key k = key_arg(env, map, keys.Get(i));
    entries.emplace_back(std::move(k), value_arg(env, addon, map, values.Get(i)));
  }
  return entries;
}

size_limits limits_args(Napi::Env env, Napi::Value max_key, Napi::Value max_value) {
  size_limits l;
  if (!max_key.IsUndefined()) l.key_bytes = size_arg(env, max_key, 1 << 30, "maxKeyBytes");
  if (!max_value.IsUndefined()) l.value_bytes = size_arg(env, max_value, 4294967295.0, "maxValueBytes");
  if (l.key_bytes == 0 || l.value_bytes == 0) throw Napi::RangeError::New(env, "maxKeyBytes and maxValueBytes must be at least 1");
  return l;
}

MapRef attach_handle(Napi::Env env, Napi::Value first, map_kind kind) {
  v8::Local<v8::Value> v = to_v8(first);
  if (!v->IsSharedArrayBuffer()) return {};
  MapRef ref = attach(v.As<v8::SharedArrayBuffer>()->GetBackingStore(), kind);
  if (!ref.map)
    throw make_error(env, errc::invalid_handle,
                     std::string("not a live ") + map_kind_name(kind) + " handle: pass the `handle` of a " +
                         map_kind_name(kind) +
                         " (a SharedArrayBuffer made by threadmap; a copy of its bytes is not a handle)");
  return ref;
}

Napi::Value make_handle(Napi::Env env, const MapRef& ref) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  v8::Local<v8::SharedArrayBuffer> sab = v8::SharedArrayBuffer::New(isolate, ref.store);
  return Napi::Value(env, to_napi(sab));
}

std::size_t size_arg(Napi::Env env, Napi::Value v, double max, const char* what) {
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= max) || d != static_cast<double>(static_cast<std::size_t>(d)))
    throw Napi::RangeError::New(env, std::string(what) + " must be an integer in [0, " + std::to_string(static_cast<long long>(max)) + "]");
  return static_cast<std::size_t>(d);
}

}  // namespace threadmap::addon
