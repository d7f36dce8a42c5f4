// threadmap/key_packing.hpp: an opt-in for keys that usually fit in 64 bits.
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

namespace threadmap {

template <class K>
struct key_packing {
  static constexpr bool enabled = false;
};

}  // namespace threadmap
