// native/addon/v8_bridge.hpp: the conversions between Node-API's values and
// V8's own, for what Node-API (before Node 26) cannot do or does slowly: a
// SharedArrayBuffer over native memory whose deleter frees the map, reading
// the BackingStore of a SharedArrayBuffer given back to us, the fast path's
// plain V8 functions (fast_path.hpp), structured clone (clone.hpp),
// arrays made in one step (array_of) and handle scopes without a heap
// wrapper (element_scope).
//
// Node implements napi_value as a v8::Local<v8::Value> (same size, same
// bits; node's js_native_api_v8.h converts between them by memcpy), so the
// conversion below is what Node itself does. The static_assert guards the
// size part of that assumption at build time.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

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

// V8's API as it changed across the Node versions this builds for (Node
// 20: V8 11.3, 22: 12.4, 24: 13.6, 26: 14.6), in one place.

// The native pointer in an object's internal field `index`. From V8 14 the
// field also carries a type tag, which must be the same for the get as for
// the set; ours is V8's default tag.
inline void* internal_pointer(v8::Local<v8::Object> obj, int index) {
#if V8_MAJOR_VERSION >= 14
  return obj->GetAlignedPointerFromInternalField(index, v8::kEmbedderDataTypeTagDefault);
#else
  return obj->GetAlignedPointerFromInternalField(index);
#endif
}
inline void set_internal_pointer(v8::Local<v8::Object> obj, int index, void* p) {
#if V8_MAJOR_VERSION >= 14
  obj->SetAlignedPointerInInternalField(index, p, v8::kEmbedderDataTypeTagDefault);
#else
  obj->SetAlignedPointerInInternalField(index, p);
#endif
}

// A string's first `length` characters written to `out` as Latin-1 bytes
// (write_one_byte) or UTF-16 units (write_two_byte), without a terminator.
// V8 13 added the V2 writers; V8 14 removed the old ones.
inline void write_one_byte(v8::Isolate* isolate, v8::Local<v8::String> str, uint8_t* out, int length) {
#if V8_MAJOR_VERSION >= 13
  str->WriteOneByteV2(isolate, 0, static_cast<uint32_t>(length), out);
#else
  str->WriteOneByte(isolate, out, 0, length, v8::String::NO_NULL_TERMINATION);
#endif
}
inline void write_two_byte(v8::Isolate* isolate, v8::Local<v8::String> str, uint16_t* out, int length) {
#if V8_MAJOR_VERSION >= 13
  str->WriteV2(isolate, 0, static_cast<uint32_t>(length), out);
#else
  str->Write(isolate, out, 0, length, v8::String::NO_NULL_TERMINATION);
#endif
}

// A handle scope for one element of a loop that makes JS values (a
// retain's entry, a batch's key): its handles go with it. Node-API's scope
// (napi_open_handle_scope) allocates a wrapper on the heap, a malloc and a
// free per element: retain ran 10-12% faster without them (bench/RESULTS.md,
// "retain's handle scopes").
struct element_scope {
  v8::HandleScope scope{v8::Isolate::GetCurrent()};
};

// A JS array of `elements`, made in one step (v8::Array::New copies them in).
// Node-API sets elements only one at a time (napi_set_element, a generic
// property store each): that was 60% of the time of a map's iteration and
// getMany (bench/RESULTS.md, "Iteration and arrays in one step").
inline napi_value array_of(const std::vector<v8::Local<v8::Value>>& elements) {
  return to_napi(v8::Array::New(v8::Isolate::GetCurrent(), const_cast<v8::Local<v8::Value>*>(elements.data()), elements.size()));
}

}  // namespace threadmap::addon
