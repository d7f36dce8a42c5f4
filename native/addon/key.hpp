// native/addon/key.hpp: how a JS map key is stored natively. No Node headers.
//
// A Key is 16 bytes, so that a short key needs no allocation of its own:
//
//   inline form (payload <= 14 bytes)      heap form (longer payloads)
//   byte  0     kind                       byte  0     kind | heap_bit
//   byte  1     payload length             bytes 1-3   zero
//   bytes 2-15  payload, zero padded       bytes 4-7   payload length (uint32)
//                                          bytes 8-15  owning pointer (malloc)
//
// Payload per kind (the canonical form: one JS key has exactly one payload,
// so equality is byte equality and the map's equality is SameValueZero):
//   number   the double's 8 bytes; -0 stored as +0, every NaN as one NaN
//   string1  a string whose UTF-16 code units are all < 256: one byte each
//   string2  any other string: its UTF-16 code units (lone surrogates kept)
//   bigint   sign byte (0 or 1), then the magnitude little-endian with no
//            trailing zero bytes (0n is just the sign byte 0)
//   boolean  one byte, 0 or 1
//   bytes    a Uint8Array's/Buffer's content (compared by content)
// Whether a payload is inline depends only on its length, so a key has one
// representation and the two words of an inline key compare as integers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <threadmap/hash.hpp>
#include <threadmap/key_packing.hpp>

namespace threadmap::addon {

// What a Key stands for at the JS surface, for the words of an error: a
// map's key, or a DashSet's member (a member is stored as a key).
enum class key_role : uint8_t { key, member };
// The words errors use for a role: "key" of a "map", "member" of a "set".
constexpr const char* role_noun(key_role r) noexcept { return r == key_role::member ? "member" : "key"; }
constexpr const char* role_owner(key_role r) noexcept { return r == key_role::member ? "set" : "map"; }

enum class key_kind : uint8_t { number = 1, string1 = 2, string2 = 3, bigint = 4, boolean = 5, bytes = 6 };

class Key {
 public:
  static constexpr std::size_t inline_capacity = 14;
  static constexpr uint8_t heap_bit = 0x80;

  Key() noexcept { std::memset(b_, 0, sizeof b_); }

  // Throws std::bad_alloc if a heap payload cannot be allocated, and
  // std::length_error for a payload whose length does not fit 32 bits
  // (callers refuse such keys first: over any maxKeyBytes).
  Key(key_kind kind, const void* payload, std::size_t len) {
    if (len > UINT32_MAX) throw std::length_error("threadmap: a key of 4 GiB or more");
    std::memset(b_, 0, sizeof b_);
    if (len <= inline_capacity) {
      b_[0] = static_cast<unsigned char>(kind);
      b_[1] = static_cast<unsigned char>(len);
      if (len) std::memcpy(b_ + 2, payload, len);
    } else {
      void* p = std::malloc(len);
      if (!p) throw std::bad_alloc();
      std::memcpy(p, payload, len);
      b_[0] = static_cast<unsigned char>(kind) | heap_bit;
      const uint32_t l32 = static_cast<uint32_t>(len);
      std::memcpy(b_ + 4, &l32, 4);
      std::memcpy(b_ + 8, &p, sizeof p);
    }
  }

  static Key number(double d) noexcept {
    if (d == 0) d = 0;          // -0 -> +0
    if (d != d) d = __builtin_nan("");  // one NaN
    Key k;
    k.b_[0] = static_cast<unsigned char>(key_kind::number);
    k.b_[1] = 8;
    std::memcpy(k.b_ + 2, &d, 8);
    return k;
  }
  // An inline key. Requires: len <= inline_capacity.
  static Key inline_key(key_kind kind, const void* payload, std::size_t len) noexcept {
    Key k;
    k.b_[0] = static_cast<unsigned char>(kind);
    k.b_[1] = static_cast<unsigned char>(len);
    if (len) std::memcpy(k.b_ + 2, payload, len);
    return k;
  }
  // Makes this an inline key of `len` payload bytes, which write(unsigned
  // char* payload) fills in place. Requires: len <= inline_capacity.
  template <class Write>
  void assign_inline(key_kind kind, std::size_t len, Write&& write) {
    if (is_heap()) std::free(heap_ptr());
    std::memset(b_, 0, sizeof b_);
    b_[0] = static_cast<unsigned char>(kind);
    b_[1] = static_cast<unsigned char>(len);
    write(b_ + 2);
  }
  static Key boolean(bool v) noexcept {
    Key k;
    k.b_[0] = static_cast<unsigned char>(key_kind::boolean);
    k.b_[1] = 1;
    k.b_[2] = v ? 1 : 0;
    return k;
  }

  Key(const Key& o) : Key() {
    if (o.is_heap()) {
      Key copy(o.kind(), o.data(), o.size());
      swap(copy);
    } else {
      std::memcpy(b_, o.b_, sizeof b_);
    }
  }
  Key(Key&& o) noexcept {
    std::memcpy(b_, o.b_, sizeof b_);
    std::memset(o.b_, 0, sizeof o.b_);
  }
  Key& operator=(Key o) noexcept {
    swap(o);
    return *this;
  }
  ~Key() {
    if (is_heap()) std::free(heap_ptr());
  }
  void swap(Key& o) noexcept {
    unsigned char t[16];
    std::memcpy(t, b_, 16);
    std::memcpy(b_, o.b_, 16);
    std::memcpy(o.b_, t, 16);
  }

  key_kind kind() const noexcept { return static_cast<key_kind>(b_[0] & ~heap_bit); }
  bool is_heap() const noexcept { return (b_[0] & heap_bit) != 0; }
  std::size_t size() const noexcept {
    if (!is_heap()) return b_[1];
    uint32_t l;
    std::memcpy(&l, b_ + 4, 4);
    return l;
  }
  const unsigned char* data() const noexcept {
    return is_heap() ? static_cast<const unsigned char*>(heap_ptr()) : b_ + 2;
  }
  std::string_view bytes() const noexcept { return {reinterpret_cast<const char*>(data()), size()}; }
  double as_number() const noexcept {
    double d;
    std::memcpy(&d, b_ + 2, 8);
    return d;
  }

  uint64_t word(int i) const noexcept {
    uint64_t w;
    std::memcpy(&w, b_ + 8 * i, 8);
    return w;
  }

  friend bool operator==(const Key& a, const Key& b) noexcept {
    if (a.word(0) != b.word(0)) return false;  // kind, heap bit, length
    if (!a.is_heap()) return a.word(1) == b.word(1);
    return std::memcmp(a.heap_ptr(), b.heap_ptr(), a.size()) == 0;
  }

  // A total order (kind, length, bytes): batch locks take keys in it.
  friend bool operator<(const Key& a, const Key& b) noexcept {
    if (a.kind() != b.kind()) return a.kind() < b.kind();
    if (a.size() != b.size()) return a.size() < b.size();
    return std::memcmp(a.data(), b.data(), a.size()) < 0;
  }

  // Bytes of heap memory this key owns (0 for an inline key).
  std::size_t heap_bytes() const noexcept { return is_heap() ? size() : 0; }

 private:
  void* heap_ptr() const noexcept {
    void* p;
    std::memcpy(&p, b_ + 8, sizeof p);
    return p;
  }
  alignas(8) unsigned char b_[16];
};

static_assert(sizeof(Key) == 16);

struct KeyHash {
  uint64_t seed = detail::process_seed();  // read once, when the map is made
  uint64_t operator()(const Key& k) const noexcept {
    if (!k.is_heap()) {
      return detail::mul_fold(detail::mul_fold(k.word(0) ^ seed ^ detail::k0, k.word(1) ^ detail::k1),
                              detail::k2 ^ seed);
    }
    return hash_bytes(k.data(), k.size(), seed ^ static_cast<uint64_t>(k.kind()));
  }
};

}  // namespace threadmap::addon

// DashMap's optimistic reads (dash_map.hpp, read_optimistic) may compare an
// inline key with stored keys while writers change them: an inline key
// equals a stored key exactly when both words match (a heap key's first
// word has the heap bit, which an inline key's never has), and comparing
// words follows no pointer. A heap key is read under the lock.
template <>
struct threadmap::optimistic_key<threadmap::addon::Key> {
  static constexpr bool enabled = true;
  static bool comparable(const addon::Key& probe) noexcept { return !probe.is_heap(); }
  static bool equal(const addon::Key& stored, const addon::Key& probe) noexcept {
    return stored.word(0) == probe.word(0) && stored.word(1) == probe.word(1);
  }
};

// DashMap packs a shard's keys into 64-bit words while they all fit
// (threadmap/key_packing.hpp): a map keyed by numbers or short strings then
// has 16-byte slots instead of 24. The words, NaN-boxed beside the doubles
// (key.hpp's numbers have one NaN, 0x7FF8'0000'0000'0000, so every other
// NaN pattern is free; "top 13" is bits 51..63):
//   number            the canonical double's bits
//   short ASCII       up to 7 units, each in 1..127: top 13 bits 0x1FFF, bit
//                     50 clear, unit i in bits 7i..7i+6 (the length is where
//                     the units end: no unit is 0)
//   boolean           top 13 bits 0x1FFF, bit 50 set, bit 0 the value
//   other string1     1 to 6 units < 256 (a 0 or one >= 128 among them): top
//                     13 bits 0x0FFF, the length in bits 48..50 (never 0, so
//                     never the canonical NaN), unit i in bits 8i..8i+7
// Every other key (longer or UTF-16 strings, bigints, bytes) does not pack.
// The rules key_packing asks for hold: a key has one word (short ASCII is
// tried first), the word is a function of the key's canonical bytes and
// unpack() rebuilds exactly those bytes (so the KeyHash of the unpacked key
// is the key's hash); keys are equal exactly when their bytes are, and a key
// that packs differs in kind or bytes from every key that does not.
template <>
struct threadmap::key_packing<threadmap::addon::Key> {
  static constexpr bool enabled = true;
  using Key = addon::Key;
  using key_kind = addon::key_kind;
  static constexpr uint64_t negative_nan = 0x1FFF;  // top 13 bits
  static constexpr uint64_t positive_nan = 0x0FFF;
  static constexpr uint64_t boolean_bit = uint64_t{1} << 50;
  static constexpr std::size_t max_ascii = 7;
  static constexpr std::size_t max_latin1 = 6;

  static bool pack(const Key& k, uint64_t& word) noexcept {
    if (k.is_heap()) return false;
    switch (k.kind()) {
      case key_kind::number: {
        const double d = k.as_number();
        std::memcpy(&word, &d, 8);
        return true;
      }
      case key_kind::boolean:
        word = negative_nan << 51 | boolean_bit | k.data()[0];
        return true;
      case key_kind::string1:
        return pack_ascii(k.data(), k.size(), word) || pack_latin1(k.data(), k.size(), word);
      default:
        return false;
    }
  }

  static Key unpack(uint64_t word) noexcept {
    const uint64_t top = word >> 51;
    if (top == negative_nan) {
      if (word & boolean_bit) return Key::boolean((word & 1) != 0);
      unsigned char units[max_ascii];
      std::size_t len = 0;
      for (; len < max_ascii; ++len) {
        units[len] = static_cast<unsigned char>((word >> (7 * len)) & 0x7F);
        if (units[len] == 0) break;
      }
      return Key::inline_key(key_kind::string1, units, len);
    }
    const std::size_t latin1_len = static_cast<std::size_t>((word >> 48) & 7);
    if (top == positive_nan && latin1_len != 0) {
      unsigned char units[max_latin1];
      for (std::size_t i = 0; i < latin1_len; ++i) units[i] = static_cast<unsigned char>(word >> (8 * i));
      return Key::inline_key(key_kind::string1, units, latin1_len);
    }
    double d;
    std::memcpy(&d, &word, 8);
    return Key::number(d);
  }

 private:
  static bool pack_ascii(const unsigned char* units, std::size_t len, uint64_t& word) noexcept {
    if (len > max_ascii) return false;
    uint64_t bits = 0;
    for (std::size_t i = 0; i < len; ++i) {
      if (units[i] == 0 || units[i] > 0x7F) return false;
      bits |= uint64_t{units[i]} << (7 * i);
    }
    word = negative_nan << 51 | bits;
    return true;
  }
  static bool pack_latin1(const unsigned char* units, std::size_t len, uint64_t& word) noexcept {
    if (len == 0 || len > max_latin1) return false;  // the empty string is short ASCII
    uint64_t bits = 0;
    for (std::size_t i = 0; i < len; ++i) bits |= uint64_t{units[i]} << (8 * i);
    word = positive_nan << 51 | uint64_t{len} << 48 | bits;
    return true;
  }
};
