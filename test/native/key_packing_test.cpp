// The addon's key packing (native/addon/key.hpp, key_packing<Key>): the rules
// threadmap/key_packing.hpp asks of a specialization, checked over many keys
// of every kind. key.hpp has no Node headers, so it is tested here.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

#include "../../native/addon/key.hpp"
#include "support.hpp"

namespace {

using threadmap::addon::Key;
using threadmap::addon::key_kind;
using threadmap::addon::KeyHash;
using packing = threadmap::key_packing<Key>;

Key string1(const std::string& units) { return Key(key_kind::string1, units.data(), units.size()); }

std::vector<Key> sample_keys() {
  std::vector<Key> keys;
  const double specials[] = {0.0, -0.0, 1.0, -1.0, 0.5, std::numeric_limits<double>::quiet_NaN(),
                             -std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::max(),
                             std::numeric_limits<double>::denorm_min(), 9007199254740992.0, -2147483648.0};
  for (double d : specials) keys.push_back(Key::number(d));
  keys.push_back(Key::boolean(false));
  keys.push_back(Key::boolean(true));
  threadmap_test::rng r(threadmap_test::stream_seed(threadmap_test::test_seed(), 4242));
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = r.next();
    double d;
    std::memcpy(&d, &bits, 8);
    keys.push_back(Key::number(d));  // every pattern, NaNs included (canonicalized)
  }
  // Strings of every length up to 9, from alphabets on each side of the
  // packing rules: ASCII without 0, with 0, Latin-1 above 127.
  const std::string alphabets[] = {"ab", std::string("a\0", 2), "\x7f\x01", "\x80\xff", std::string("\0\xe9", 2)};
  for (const std::string& alphabet : alphabets) {
    for (std::size_t len = 0; len <= 9; ++len) {
      for (int n = 0; n < 40; ++n) {
        std::string s;
        for (std::size_t i = 0; i < len; ++i) s.push_back(alphabet[r.below(alphabet.size())]);
        keys.push_back(string1(s));
      }
    }
  }
  const char16_t units[] = {u'a', u'\u2603'};
  keys.push_back(Key(key_kind::string2, units, sizeof units));
  const unsigned char big[] = {0, 1};
  keys.push_back(Key(key_kind::bigint, big, sizeof big));
  keys.push_back(Key(key_kind::bytes, big, sizeof big));
  return keys;
}

bool is_ascii_without_nul(const Key& k) {
  for (std::size_t i = 0; i < k.size(); ++i)
    if (k.data()[i] == 0 || k.data()[i] > 0x7F) return false;
  return true;
}

TEST(AddonKeyPacking, WhatPacksUnpacksToTheSameKeyAndHashAndEveryKeyHasItsOwnWord) {
  const KeyHash hash;
  std::unordered_map<uint64_t, Key> owner_of_word;
  std::size_t packed = 0;
  for (const Key& k : sample_keys()) {
    uint64_t w = 0;
    const bool packs = packing::pack(k, w);
    bool should = false;
    switch (k.kind()) {
      case key_kind::number:
      case key_kind::boolean: should = true; break;
      case key_kind::string1:
        should = (k.size() <= 7 && is_ascii_without_nul(k)) || (k.size() >= 1 && k.size() <= 6);
        break;
      default: should = false;
    }
    ASSERT_EQ(packs, should) << "kind " << int(k.kind()) << " length " << k.size();
    if (!packs) continue;
    ++packed;
    const Key back = packing::unpack(w);
    ASSERT_TRUE(back == k) << "word " << std::hex << w;
    ASSERT_EQ(hash(back), hash(k));
    uint64_t again = 0;
    ASSERT_TRUE(packing::pack(back, again));
    ASSERT_EQ(again, w);
    auto [it, fresh] = owner_of_word.try_emplace(w, k);
    ASSERT_TRUE(fresh || it->second == k) << "two different keys share the word " << std::hex << w;
  }
  EXPECT_GT(packed, 20000u);
}

}  // namespace
