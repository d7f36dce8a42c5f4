// native/addon/addon.cc: module initialisation and per-thread state.
#include "addon.hpp"

#include "dash_map_wrap.hpp"
#include "registry.hpp"

namespace threadmap::addon {

Napi::Error make_error(Napi::Env env, errc code, const std::string& message) {
  Napi::Error e = code == errc::invalid_handle ? Napi::TypeError::New(env, message) : Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, errc_code(code)));
  return e;
}

void throw_type_error(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }
void throw_range_error(Napi::Env env, const std::string& message) { throw Napi::RangeError::New(env, message); }

Addon::Addon(Napi::Env env, Napi::Object exports) {
  Napi::Function dash = DashMapWrap::Define(env);
  dash_map_ctor = Napi::Persistent(dash);
  buffer_ctor = Napi::Persistent(env.Global().Get("Buffer").As<Napi::Function>());
  fast = std::make_unique<FastPath>(env);
  DefineAddon(exports, {
                           InstanceMethod("setCodec", &Addon::SetCodec),
                           InstanceMethod("liveMaps", &Addon::LiveMaps),
                       });
  exports.Set("DashMap", dash);
}

// setCodec(serialize, deserialize, fallback): the functions used for values
// that have no native form (objects); lib/ passes node:v8's, wrapped to throw
// TypeError. `fallback` is the sentinel of the fast path (fast_path.hpp).
Napi::Value Addon::SetCodec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsFunction() || !info[1].IsFunction() || !info[2].IsSymbol())
    throw Napi::TypeError::New(env, "setCodec(serialize, deserialize, fallback) takes two functions and a symbol");
  serialize = Napi::Persistent(info[0].As<Napi::Function>());
  deserialize = Napi::Persistent(info[1].As<Napi::Function>());
  fast->set_fallback(info[2]);
  return env.Undefined();
}

Napi::Value Addon::LiveMaps(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(live_maps()));
}

}  // namespace threadmap::addon

using threadmap::addon::Addon;
NODE_API_NAMED_ADDON(threadmap, Addon)
