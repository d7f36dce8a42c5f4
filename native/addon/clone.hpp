// native/addon/clone.hpp: object values as V8's structured-clone bytes.
//
// Objects are stored in V8's ValueSerializer format (what structuredClone
// and node:v8 use), written and read in C++ by v8::ValueSerializer and
// ValueDeserializer: no JS serializer object and no Buffer per call.
// Typed arrays, Buffers and DataViews inside an object are written as host
// objects (a byte_type, a byte length, the bytes), so only the view's bytes are
// stored (V8's own format would write the whole ArrayBuffer behind a view,
// e.g. Node's 8 KiB Buffer pool slab) and a Buffer comes back as a Buffer.
// SharedArrayBuffers, and views of one, are TypeErrors: the map could only
// copy memory its writer expects to share. A value that cannot be cloned is
// a TypeError; an error thrown by a getter reaches the caller as it is.
#pragma once

#include <napi.h>

#include "value.hpp"

namespace threadmap::addon {

class Addon;

// The structured-clone bytes of `v` (an object), as a serialized blob.
Value serialize_object(Napi::Env env, Addon& addon, Napi::Value v);
// A fresh JS value from a serialized blob.
Napi::Value deserialize_object(Napi::Env env, const blob* b);

}  // namespace threadmap::addon
