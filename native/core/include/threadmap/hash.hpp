// threadmap/hash.hpp: the default hash of the engines.
//
// std::hash<uint64_t> is the identity on libstdc++, which is fatal for a
// table that takes its shard from the top bits and its group from the low
// bits. threadmap::hash<K> mixes integers with a 128-bit multiply and hashes
// byte strings with a multiply-fold over 8-byte words. Both are seeded once
// per process from std::random_device, so keys chosen by an outside party
// cannot be aimed at one shard or one probe sequence (hash flooding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>

namespace threadmap {
namespace detail {

// 64x64 -> 128 multiply, folded: the high and low halves xor-ed.
inline uint64_t mul_fold(uint64_t a, uint64_t b) noexcept {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t process_seed() noexcept {
  // Function-local static: initialised once, thread-safe (C++11 magic statics).
  static const uint64_t seed = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ 0x9e3779b97f4a7c15ull;
  }();
  return seed;
}

inline uint64_t load64(const unsigned char* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

constexpr uint64_t k0 = 0xa0761d6478bd642full;
constexpr uint64_t k1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t k2 = 0x8ebc6af09c88c6e3ull;

}  // namespace detail

// Hash of an unsigned 64-bit word. Every output bit depends on every input bit.
inline uint64_t hash_word(uint64_t x, uint64_t seed = detail::process_seed()) noexcept {
  return detail::mul_fold(detail::mul_fold(x ^ seed, detail::k0) ^ detail::k1, detail::k2 ^ seed);
}

// Hash of a byte string. Reads 8 bytes at a time; the tail is read with
// memcpy so that no byte past `len` is touched.
inline uint64_t hash_bytes(const void* data, size_t len,
                           uint64_t seed = detail::process_seed()) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = seed ^ (len * detail::k2);
  while (len >= 16) {
    h = detail::mul_fold(detail::load64(p) ^ detail::k0 ^ h, detail::load64(p + 8) ^ detail::k1);
    p += 16;
    len -= 16;
  }
  uint64_t a = 0, b = 0;
  if (len >= 8) {
    a = detail::load64(p);
    std::memcpy(&b, p + 8, len - 8);
  } else {
    std::memcpy(&a, p, len);
  }
  return detail::mul_fold(detail::mul_fold(a ^ detail::k0 ^ h, b ^ detail::k1), detail::k2 ^ len);
}

// threadmap::hash<K>: integers, enums and pointers are mixed; strings are
// hashed by content; anything else falls back to std::hash<K> and mixes its
// result (std::hash may be the identity).
template <class K, class = void>
struct hash {
  uint64_t operator()(const K& key) const noexcept(noexcept(std::hash<K>{}(key))) {
    return hash_word(static_cast<uint64_t>(std::hash<K>{}(key)));
  }
};

template <class K>
struct hash<K, std::enable_if_t<std::is_integral_v<K> || std::is_enum_v<K> || std::is_pointer_v<K>>> {
  // The process seed, read once when the hasher (i.e. the map) is made.
  uint64_t seed = detail::process_seed();
  uint64_t operator()(K key) const noexcept {
    if constexpr (std::is_pointer_v<K>) {
      return hash_word(reinterpret_cast<uintptr_t>(key), seed);
    } else {
      return hash_word(static_cast<uint64_t>(key), seed);
    }
  }
};

template <>
struct hash<std::string> {
  uint64_t operator()(const std::string& s) const noexcept { return hash_bytes(s.data(), s.size()); }
};

template <>
struct hash<std::string_view> {
  uint64_t operator()(std::string_view s) const noexcept { return hash_bytes(s.data(), s.size()); }
};

}  // namespace threadmap
