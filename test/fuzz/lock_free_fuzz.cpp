// Differential fuzz targets: LockFreeMap, or HopscotchMap when built with
// THREADMAP_FUZZ_HOPSCOTCH (its default, inline storage for u64 -> u64)
// or THREADMAP_FUZZ_HOPSCOTCH_NODES (node storage, as the addon's keys
// use). Small initial tables, so the fuzzer reaches growth and shrinking.
#include <threadmap/hopscotch_map.hpp>
#include <threadmap/lock_free_map.hpp>

#include "differential.hpp"

namespace {

#if defined(THREADMAP_FUZZ_HOPSCOTCH)
using engine = threadmap::HopscotchMap<uint64_t, uint64_t>;
static_assert(engine::inline_entries);
#elif defined(THREADMAP_FUZZ_HOPSCOTCH_NODES)
using engine = threadmap::HopscotchMap<uint64_t, uint64_t, threadmap::hash<uint64_t>, std::equal_to<uint64_t>, false>;
#else
using engine = threadmap::LockFreeMap<uint64_t, uint64_t>;
#endif

struct adaptor {
  engine m{std::size_t{4}};
  std::optional<uint64_t> insert(uint64_t k, uint64_t v) { return m.insert(k, v); }
  std::optional<uint64_t> get(uint64_t k) { return m.get(k); }
  bool contains(uint64_t k) { return m.contains(k); }
  std::optional<uint64_t> take(uint64_t k) { return m.take(k); }
  bool insert_if_absent(uint64_t k, uint64_t v) { return m.insert_if_absent(k, v); }
  bool compare_and_set(uint64_t k, uint64_t expected, uint64_t v) { return m.compare_and_set(k, expected, v); }
  uint64_t add(uint64_t k, uint64_t d) {
    return m.compute(k, [&](threadmap::compute_entry<uint64_t>& e) {
      const uint64_t next = (e.exists() ? e.value() : 0) + d;
      e.assign(next);
      return next;
    });
  }
  std::size_t size() { return m.size(); }
  void clear() { m.clear(); }
  template <class F>
  void for_each(F f) { m.for_each([&](const uint64_t& k, const uint64_t& v) { f(k, v); }); }
  std::size_t capacity_bound() { return 0; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return threadmap_fuzz::run_program<adaptor>(data, size);
}
