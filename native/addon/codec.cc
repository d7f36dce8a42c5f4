// native/addon/codec.cc: see codec.hpp.
#include "codec.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "addon.hpp"
#include "clone.hpp"
#include "v8_bridge.hpp"

namespace threadmap::addon {

namespace {

std::size_t element_size(napi_typedarray_type t) {
  switch (t) {
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
    default: return 1;
  }
}

// bigint -> sign byte + little-endian magnitude without trailing zero bytes.
void bigint_payload(Napi::Env env, napi_value v, std::string& out) {
  size_t count = 0;
  int sign = 0;
  NAPI_THROW_IF_FAILED_VOID(env, napi_get_value_bigint_words(env, v, nullptr, &count, nullptr));
  std::vector<uint64_t> words(count ? count : 1);
  NAPI_THROW_IF_FAILED_VOID(env, napi_get_value_bigint_words(env, v, &sign, &count, words.data()));
  out.assign(1, static_cast<char>(sign ? 1 : 0));
  for (size_t i = 0; i < count; ++i)
    for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((words[i] >> (8 * b)) & 0xFF));
  while (out.size() > 1 && out.back() == 0) out.pop_back();
  if (out.size() == 1) out[0] = 0;  // 0n has no sign
}

struct big {
  bool neg = false;
  std::vector<uint64_t> mag;  // little-endian words, no trailing zero words
};
big parse_big(const unsigned char* p, size_t len) {
  big r;
  r.neg = len && p[0];
  const size_t m = len ? len - 1 : 0;
  r.mag.assign((m + 7) / 8, 0);
  for (size_t i = 0; i < m; ++i) r.mag[i / 8] |= static_cast<uint64_t>(p[1 + i]) << (8 * (i % 8));
  return r;
}
Napi::Value bigint_from_payload(Napi::Env env, const unsigned char* p, size_t len) {
  big b = parse_big(p, len);
  if (b.mag.empty()) b.mag.push_back(0);  // 0n: Node-API wants at least one word
  const int sign = b.neg ? 1 : 0;
  std::vector<uint64_t>& words = b.mag;
  napi_value out;
  NAPI_THROW_IF_FAILED(env, napi_create_bigint_words(env, sign, words.size(), words.data(), &out), Napi::Value());
  return Napi::Value(env, out);
}

const char* type_name(napi_valuetype t) {
  switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_object: return "object";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_bigint: return "bigint";
  }
  return "value";
}

}  // namespace

bool string_payload(v8::Local<v8::String> str, std::string& out) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  const int len = std::max(0, str->Length());
  if (str->IsOneByte() || str->ContainsOnlyOneByte()) {
    out.resize(static_cast<size_t>(len));
    write_one_byte(isolate, str, reinterpret_cast<uint8_t*>(out.data()), len);
    return true;
  }
  out.resize(static_cast<size_t>(len) * 2);
  // std::string's buffer comes from operator new, aligned for uint16_t.
  write_two_byte(isolate, str, reinterpret_cast<uint16_t*>(out.data()), len);
  return false;
}

bool encode_string_key(v8::Isolate* isolate, v8::Local<v8::Value> value, Key& out) {
  if (!value->IsString()) return false;
  v8::Local<v8::String> str = value.As<v8::String>();
  // The commonest key of all, a short one-byte string, is written by V8
  // straight into the key: no buffer, no copy.
  const int len = std::max(0, str->Length());
  if (len <= static_cast<int>(Key::inline_capacity) && str->IsOneByte()) {
    out.assign_inline(key_kind::string1, static_cast<size_t>(len), [&](unsigned char* payload) {
      write_one_byte(isolate, str, payload, len);
    });
    return true;
  }
  thread_local std::string buf;
  const bool one_byte = string_payload(str, buf);
  out = Key(one_byte ? key_kind::string1 : key_kind::string2, buf.data(), buf.size());
  return true;
}

// "invalid key: <what>; keys are ..." or, for a member, "invalid member:
// <what>; a DashSet's members are ...".
[[noreturn]] static void throw_invalid_key(Napi::Env env, key_role role, const std::string& what, const char* note = "") {
  throw Napi::TypeError::New(env, std::string("invalid ") + role_noun(role) + ": " + what +
                                      (role == key_role::member ? "; a DashSet's members are" : "; keys are") +
                                      " strings, numbers, bigints, booleans or Uint8Arrays/Buffers" + note);
}

Key encode_key(Napi::Env env, Napi::Value v, key_role role) {
  thread_local std::string buf;
  {
    Key k;
    if (encode_string_key(v8::Isolate::GetCurrent(), to_v8(v), k)) return k;  // every string key
  }
  switch (v.Type()) {
    case napi_number:
      return Key::number(v.As<Napi::Number>().DoubleValue());
    case napi_boolean:
      return Key::boolean(v.As<Napi::Boolean>().Value());
    case napi_bigint:
      bigint_payload(env, v, buf);
      return Key(key_kind::bigint, buf.data(), buf.size());
    case napi_object:
      if (v.IsTypedArray()) {
        napi_typedarray_type ta;
        size_t length = 0;
        void* data = nullptr;
        NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, v, &ta, &length, &data, nullptr, nullptr), Key());
        if (ta == napi_uint8_array) {
          // A Key keeps a 32-bit length; every maxKeyBytes is at most 2^30,
          // so a longer array is over the map's limit whatever it is.
          if (length > (std::size_t{1} << 30))
            throw Napi::RangeError::New(env, std::string(role_noun(role)) + " of " + std::to_string(length) +
                                                 " bytes is over the " + role_owner(role) + "'s maxKeyBytes");
          return Key(key_kind::bytes, data, length);
        }
      }
      throw_invalid_key(env, role, "an object", " (compared by content)");
    default:
      throw_invalid_key(env, role, std::string(type_name(v.Type())) + " is not a " + role_noun(role) + " type");
  }
}

Napi::Value decode_key(Napi::Env env, const Key& k) {
  switch (k.kind()) {
    case key_kind::number: return Napi::Number::New(env, k.as_number());
    case key_kind::boolean: return Napi::Boolean::New(env, k.data()[0] != 0);
    case key_kind::string1: {
      napi_value s;
      NAPI_THROW_IF_FAILED(env, napi_create_string_latin1(env, reinterpret_cast<const char*>(k.data()), k.size(), &s), Napi::Value());
      return Napi::Value(env, s);
    }
    case key_kind::string2: {
      std::u16string units(k.size() / 2, u'\0');
      std::memcpy(units.data(), k.data(), k.size());
      return Napi::String::New(env, units);
    }
    case key_kind::bigint: return bigint_from_payload(env, k.data(), k.size());
    case key_kind::bytes: return Napi::Buffer<uint8_t>::Copy(env, k.data(), k.size());
  }
  return env.Undefined();
}

byte_type typed_array_kind(Addon& addon, Napi::Value view, napi_typedarray_type ta) {
  if (ta == napi_uint8_array && view.As<Napi::Object>().InstanceOf(addon.buffer_ctor.Value())) return byte_type::buffer;
  return static_cast<byte_type>(ta);
}

Napi::Value typed_array_copy(Napi::Env env, byte_type type, const void* data, std::size_t bytes) {
  if (type == byte_type::buffer) return Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(data), bytes);
  auto ab = Napi::ArrayBuffer::New(env, bytes);
  if (bytes) std::memcpy(ab.Data(), data, bytes);
  if (type == byte_type::dataview) return Napi::DataView::New(env, ab);
  const auto ta = static_cast<napi_typedarray_type>(type);
  napi_value arr;
  NAPI_THROW_IF_FAILED(env, napi_create_typedarray(env, ta, bytes / element_size(ta), ab, 0, &arr), Napi::Value());
  return Napi::Value(env, arr);
}

Value encode_value(Napi::Env env, Addon& addon, Napi::Value v) {
  thread_local std::string buf;
  switch (v.Type()) {
    case napi_number: return Value::number(v.As<Napi::Number>().DoubleValue());
    case napi_undefined: return Value::make_special(Value::special::undefined);
    case napi_null: return Value::make_special(Value::special::null);
    case napi_boolean: return Value::boolean(v.As<Napi::Boolean>().Value());
    case napi_string: {
      const bool one = string_payload(to_v8(v).As<v8::String>(), buf);
      return Value::make_blob(one ? blob_kind::string1 : blob_kind::string2, buf.data(), buf.size());
    }
    case napi_bigint:
      bigint_payload(env, v, buf);
      return Value::make_blob(blob_kind::bigint, buf.data(), buf.size());
    case napi_object: {
      if (v.IsTypedArray()) {
        napi_typedarray_type ta;
        NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, v, &ta, nullptr, nullptr, nullptr, nullptr), Value());
        // The kind first: telling a Buffer from a Uint8Array is an
        // instanceof, which can run JS (a Proxy prototype's trap) that
        // shrinks, detaches or frees the array's memory. Its bytes are
        // located after that, with no JS in between (as write_view in
        // clone.cc does).
        const auto kind = static_cast<uint8_t>(typed_array_kind(addon, v, ta));
        size_t length = 0;
        void* data = nullptr;
        napi_value buffer = nullptr;
        NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, v, &ta, &length, &data, &buffer, nullptr), Value());
        // A typed array over shared memory goes on to the serializer, which
        // refuses it (clone.cc): the map could only copy the memory its
        // writer expects to share.
        if (!to_v8(buffer)->IsSharedArrayBuffer()) {
          return Value::make_blob(blob_kind::bytes, data, length * element_size(ta), kind);
        }
      }
      return serialize_object(env, addon, v);
    }
    default:
      throw Napi::TypeError::New(env, std::string("invalid value: ") + type_name(v.Type()) +
                                          " values cannot be cloned (values are what structured clone accepts)");
  }
}

Napi::Value decode_value(Napi::Env env, const Value& v) {
  if (v.is_number()) return Napi::Number::New(env, v.as_number());
  if (v.is_special()) {
    switch (v.as_special()) {
      case Value::special::undefined: return env.Undefined();
      case Value::special::null: return env.Null();
      case Value::special::false_: return Napi::Boolean::New(env, false);
      case Value::special::true_: return Napi::Boolean::New(env, true);
    }
  }
  const blob* b = v.as_blob();
  switch (b->kind) {
    case blob_kind::string1: {
      napi_value s;
      NAPI_THROW_IF_FAILED(env, napi_create_string_latin1(env, reinterpret_cast<const char*>(b->data()), b->size, &s), Napi::Value());
      return Napi::Value(env, s);
    }
    case blob_kind::string2: {
      napi_value s;
      std::u16string units(b->size / 2, u'\0');
      std::memcpy(units.data(), b->data(), b->size);
      NAPI_THROW_IF_FAILED(env, napi_create_string_utf16(env, units.data(), units.size(), &s), Napi::Value());
      return Napi::Value(env, s);
    }
    case blob_kind::bigint: return bigint_from_payload(env, b->data(), b->size);
    case blob_kind::bytes: return typed_array_copy(env, static_cast<byte_type>(b->sub), b->data(), b->size);
    case blob_kind::serialized: return deserialize_object(env, b);
  }
  return env.Undefined();
}

bool values_match(Napi::Env env, Addon& addon, const Value& a, const Value& b) {
  if (same_value_zero(a, b)) return true;
  const blob* p = a.as_blob();
  const blob* q = b.as_blob();
  if (!p || !q || p->kind != blob_kind::serialized || q->kind != blob_kind::serialized) return false;
  // Two serializations of equal content can differ in bytes (V8 writes a
  // number as a small integer or a double depending on how it holds it), so
  // the clones are compared.
  if (p->size == q->size && std::memcmp(p->data(), q->data(), p->size) == 0) return true;
  return addon.deep_equal.Call({deserialize_object(env, p), deserialize_object(env, q)}).ToBoolean().Value();
}

namespace {
int cmp_mag(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}
void trim(std::vector<uint64_t>& v) {
  while (!v.empty() && v.back() == 0) v.pop_back();
}
}  // namespace

Value bigint_add(const unsigned char* ap, size_t alen, const unsigned char* bp, size_t blen) {
  big a = parse_big(ap, alen), b = parse_big(bp, blen);
  big r;
  if (a.neg == b.neg) {
    r.neg = a.neg;
    const size_t n = std::max(a.mag.size(), b.mag.size());
    r.mag.assign(n + 1, 0);
    unsigned __int128 carry = 0;
    for (size_t i = 0; i < n; ++i) {
      unsigned __int128 s = carry;
      if (i < a.mag.size()) s += a.mag[i];
      if (i < b.mag.size()) s += b.mag[i];
      r.mag[i] = static_cast<uint64_t>(s);
      carry = s >> 64;
    }
    r.mag[n] = static_cast<uint64_t>(carry);
  } else {
    // |a| - |b| or |b| - |a|; the sign is the larger magnitude's.
    const big* hi = &a;
    const big* lo = &b;
    if (cmp_mag(a.mag, b.mag) < 0) std::swap(hi, lo);
    r.neg = hi->neg;
    r.mag = hi->mag;
    uint64_t borrow = 0;
    for (size_t i = 0; i < r.mag.size(); ++i) {
      const uint64_t sub = (i < lo->mag.size() ? lo->mag[i] : 0);
      const uint64_t x = r.mag[i];
      const uint64_t d1 = x - sub;
      const uint64_t b1 = x < sub;
      const uint64_t d2 = d1 - borrow;
      const uint64_t b2 = d1 < borrow;
      r.mag[i] = d2;
      borrow = b1 | b2;
    }
  }
  trim(r.mag);
  std::string out(1, static_cast<char>(r.mag.empty() ? 0 : (r.neg ? 1 : 0)));
  for (uint64_t w : r.mag)
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((w >> (8 * i)) & 0xFF));
  while (out.size() > 1 && out.back() == 0) out.pop_back();
  return Value::make_blob(blob_kind::bigint, out.data(), out.size());
}

}  // namespace threadmap::addon
