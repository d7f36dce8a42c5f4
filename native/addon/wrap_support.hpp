// native/addon/wrap_support.hpp: argument guards and handle plumbing shared
// by the map wrappers (dash_map_wrap, lock_map_wrap).
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>
#include <vector>

#include "key.hpp"
#include "registry.hpp"

namespace threadmap::addon {

// info[i], or undefined past the end.
inline Napi::Value arg(const Napi::CallbackInfo& info, std::size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

Napi::Function require_function(Napi::Env env, Napi::Value v, const char* what);
Napi::Array require_array(Napi::Env env, Napi::Value v, const char* what);

// Every element encoded as a key (the first bad one is a TypeError).
std::vector<Key> encode_keys(Napi::Env env, Napi::Array keys);

// If `first` is a SharedArrayBuffer: the live map of `kind` it names, or an
// ERR_INVALID_HANDLE TypeError. Otherwise an empty MapRef (construct a map).
MapRef attach_handle(Napi::Env env, Napi::Value first, map_kind kind);

// A new SharedArrayBuffer over the map's one BackingStore (registry.hpp).
Napi::Value make_handle(Napi::Env env, const MapRef& ref);

// Integer option in [0, max] (RangeError otherwise), as validated numbers
// arrive from lib/.
std::size_t size_arg(Napi::Env env, Napi::Value v, double max, const char* what);

}  // namespace threadmap::addon
