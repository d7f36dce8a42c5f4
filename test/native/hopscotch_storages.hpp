// test/native/hopscotch_storages.hpp: HopscotchMap<u64, u64> in both of
// its storages (nodes, inline words), for typed tests that hold the two
// to the same checks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <threadmap/hopscotch_map.hpp>

#include "support.hpp"

namespace threadmap_test {

template <class Hash = fixed_hash>
using hopscotch_inline = threadmap::HopscotchMap<uint64_t, uint64_t, Hash, std::equal_to<uint64_t>, true>;
template <class Hash = fixed_hash>
using hopscotch_nodes = threadmap::HopscotchMap<uint64_t, uint64_t, Hash, std::equal_to<uint64_t>, false>;

using hopscotch_storages = ::testing::Types<hopscotch_inline<>, hopscotch_nodes<>>;

// A hash that keeps only a few bits: keys k and k + 97 land in the same
// aligned block of homes, so whole neighbourhoods fill up at a low load,
// and inserts displace entries far and force grows before the load factor
// does.
struct clumping_hash {
  uint64_t operator()(uint64_t k) const noexcept { return fixed_hash{}(k % 97) ^ (k / 97); }
};

struct hopscotch_storage_name {
  template <class M>
  static std::string GetName(int) {
    return M::inline_entries ? "Inline" : "Nodes";
  }
};

}  // namespace threadmap_test
