// native/addon/v8_bridge.hpp: the one place the addon steps from Node-API to
// V8's own API, for what Node-API (before Node 26) cannot do: a
// SharedArrayBuffer over native memory whose deleter frees the map, and
// reading the BackingStore of a SharedArrayBuffer given back to us.
//
// Node implements napi_value as a v8::Local<v8::Value> (same size, same
// bits; node's js_native_api_v8.h converts between them by memcpy), so the
// conversion below is what Node itself does. The static_assert guards the
// size part of that assumption at build time.
#pragma once

#include <cstring>

#include <node_api.h>
#include <v8.h>

namespace threadmap::addon {

inline v8::Local<v8::Value> to_v8(napi_value v) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(v), "napi_value is a v8::Local");
  std::memcpy(static_cast<void*>(&local), &v, sizeof(v));
  return local;
}

inline napi_value to_napi(v8::Local<v8::Value> local) {
  napi_value v;
  std::memcpy(&v, static_cast<void*>(&local), sizeof(v));
  return v;
}

}  // namespace threadmap::addon
