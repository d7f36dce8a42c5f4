// threadmap/key_packing.hpp: two opt-ins of DashMap's key types: packing
// (keys that usually fit in 64 bits) and optimistic reads (keys that can be
// compared without following pointers).
//
// DashMap stores a shard's keys as 64-bit words for as long as every key of
// that shard packs into one (detail/flat_table.hpp, dual_table), which
// makes its slots smaller when K is larger than 8 bytes but mostly holds
// small values (the addon's 16-byte keys holding numbers or short strings:
// 24-byte slots become 16-byte ones). The first key that does not pack turns the shard's
// table into ordinary {K, V} slots.
//
// To opt in, specialize key_packing<K> with
//   static constexpr bool enabled = true;
//   static bool pack(const K& key, uint64_t& word) noexcept;  // false: does not pack
//   static K unpack(uint64_t word) noexcept;
// such that, with the map's Hash and Eq:
//   - unpack(w) is a key that packs to w again, and hash(unpack(w)) is the
//     hash of every key that packs to w;
//   - for keys a and b that both pack, eq(a, b) exactly when their words are
//     equal (the packed table compares words, not keys);
//   - a key that packs is never equal to one that does not (a packed table
//     answers "absent" to a key that does not pack without looking).
#pragma once

#include <cstdint>
#include <type_traits>

namespace threadmap {

template <class K>
struct key_packing {
  static constexpr bool enabled = false;
};

// optimistic_key<K>: whether DashMap may look a key up without taking its
// shard's lock (its optimistic reads, dash_map.hpp). Such a lookup compares
// the key with stored keys that a writer may be changing at that moment;
// the result is thrown away unless no writer ran, but the comparison itself
// must be safe on a stale or half-written stored key: it may read the
// stored key's own bytes and nothing they point to. Packed tables compare
// words and need nothing from this trait; it is for the ordinary {K, V}
// slots. Enabled for integers and enums, compared with ==. To opt in,
// specialize with
//   static constexpr bool enabled = true;
//   static bool comparable(const K& probe) noexcept;  // may probe be looked up so?
//   static bool equal(const K& stored, const K& probe) noexcept;
// where equal reads only stored's own bytes and, for a whole stored key
// and a comparable probe, agrees with the map's Eq.
template <class K>
struct optimistic_key {
  static constexpr bool enabled = std::is_integral_v<K> || std::is_enum_v<K>;
  static bool comparable(const K&) noexcept { return true; }
  static bool equal(const K& stored, const K& probe) noexcept { return __atomic_load_n(&stored, __ATOMIC_RELAXED) == probe; }
};

}  // namespace threadmap
