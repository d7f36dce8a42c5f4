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

struct hopscotch_storage_name {
  template <class M>
  static std::string GetName(int) {
    return M::inline_entries ? "Inline" : "Nodes";
  }
};

}  // namespace threadmap_test
