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

Napi::Array require_array(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(what) + " must be an array");
  return v.As<Napi::Array>();
}

std::vector<Key> encode_keys(Napi::Env env, Napi::Array keys) {
  std::vector<Key> out;
  out.reserve(keys.Length());
  for (uint32_t i = 0; i < keys.Length(); ++i) out.push_back(encode_key(env, keys.Get(i)));
  return out;
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
