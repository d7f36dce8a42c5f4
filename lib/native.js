'use strict';
// Loads the addon once per thread (each worker gets its own instance data)
// and gives it the value codec for objects: node:v8's structured-clone
// serializer, with its errors turned into TypeErrors.
const path = require('node:path');
const v8 = require('node:v8');

const native = require(path.join(__dirname, '..', 'build', 'Release', 'threadmap.node'));

function serialize(value) {
  try {
    return v8.serialize(value);
  } catch (err) {
    throw new TypeError(`invalid value: it cannot be cloned (${err.message})`);
  }
}

// What the fast path (native/addon/fast_path.hpp) returns when a call needs
// the full Node-API path: a type it does not handle, or an error to report.
const FALLBACK = Symbol('threadmap.fallback');

native.setCodec(serialize, (bytes) => v8.deserialize(bytes), FALLBACK);

module.exports = { native, FALLBACK };
