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

native.setCodec(serialize, (bytes) => v8.deserialize(bytes));

module.exports = native;
