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

// setCodec({ serialize, deserialize, contentEqual, fallback }): the functions
// used for values that have no native form (objects), given by lib/native.js,
// and the sentinel of the fast path (fast_path.hpp).
Napi::Value Addon::SetCodec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "setCodec takes an object");
  Napi::Object codec = info[0].As<Napi::Object>();
  auto fn = [&](const char* name) {
    Napi::Value v = codec.Get(name);
    if (!v.IsFunction()) throw Napi::TypeError::New(env, std::string("setCodec: ") + name + " must be a function");
    return Napi::Persistent(v.As<Napi::Function>());
  };
  serialize = fn("serialize");
  deserialize = fn("deserialize");
  content_equal = fn("contentEqual");
  Napi::Value fallback = codec.Get("fallback");
  if (!fallback.IsSymbol()) throw Napi::TypeError::New(env, "setCodec: fallback must be a symbol");
  fast->set_fallback(fallback);
  return env.Undefined();
}

Napi::Value Addon::LiveMaps(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(live_maps()));
}

}  // namespace threadmap::addon

using threadmap::addon::Addon;
NODE_API_NAMED_ADDON(threadmap, Addon)
