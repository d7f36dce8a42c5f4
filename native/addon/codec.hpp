// native/addon/codec.hpp: JS values <-> Key / Value (key.hpp, value.hpp).
//
// Keys: string, number, bigint, boolean, Uint8Array/Buffer; anything else is
// a TypeError. Values: primitives and typed arrays take the native path;
// other objects are stored as V8's structured-clone bytes (v8::ValueSerializer,
// called from codec.cc); functions and symbols are TypeErrors.
// Encoding happens before any lock is taken, so a throwing getter or a
// value that cannot be cloned leaves the map untouched.
#pragma once

#include <napi.h>

#include <string>
#include <v8.h>

#include "key.hpp"
#include "value.hpp"

namespace threadmap::addon {

class Addon;

// TypeError for a value that cannot be a key (or member).
Key encode_key(Napi::Env env, Napi::Value v, key_role role = key_role::key);
// The hot path for the commonest key, a string: read straight from V8 (one
// call, no UTF-16 round trip for one-byte strings). Returns false, leaving
// `out` alone, if `v` is not a string. `isolate`: the current one.
bool encode_string_key(v8::Isolate* isolate, v8::Local<v8::Value> v, Key& out);
// The canonical payload of a string, as keys and values store it: its UTF-16
// code units, one byte each if all are < 256 (returns true), else two.
bool string_payload(v8::Local<v8::String> str, std::string& out);
Napi::Value decode_key(Napi::Env env, const Key& k);

Value encode_value(Napi::Env env, Addon& addon, Napi::Value v);
// The byte_type a typed array `view` of Node-API type `ta` is stored as
// (a Buffer is remembered as one).
byte_type typed_array_kind(Addon& addon, Napi::Value view, napi_typedarray_type ta);
// A new typed array (or Buffer) of kind `type` holding a copy of `bytes`.
Napi::Value typed_array_copy(Napi::Env env, byte_type type, const void* data, std::size_t bytes);
Napi::Value decode_value(Napi::Env env, const Value& v);

// compareAndSet's match: SameValueZero for primitives, equal cloned content
// for objects (equal bytes, or clones that lib/'s deepEqual finds equal).
bool values_match(Napi::Env env, Addon& addon, const Value& a, const Value& b);

// bigint arithmetic for add(): a + b, both bigint blobs or encoded payloads
// (sign byte, little-endian magnitude).
Value bigint_add(const unsigned char* a, std::size_t alen, const unsigned char* b, std::size_t blen);

}  // namespace threadmap::addon
