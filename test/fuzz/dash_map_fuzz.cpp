// Differential fuzz target: DashMap against std::unordered_map (differential.hpp).
#include <threadmap/dash_map.hpp>

#include "differential.hpp"

namespace {

using engine = threadmap::DashMap<uint64_t, uint64_t>;
using ops = threadmap_fuzz::alter_ops<engine, threadmap::alter_entry<uint64_t>>;

struct adaptor {
  engine m{0, 4};
  std::optional<uint64_t> insert(uint64_t k, uint64_t v) { return m.insert(k, v); }
  std::optional<uint64_t> get(uint64_t k) { return m.find(k); }
  bool contains(uint64_t k) { return m.contains(k); }
  std::optional<uint64_t> take(uint64_t k) { return m.take(k); }
  bool insert_if_absent(uint64_t k, uint64_t v) { return m.try_insert(k, v); }
  bool compare_and_set(uint64_t k, uint64_t expected, uint64_t v) { return ops::compare_and_set(m, k, expected, v); }
  uint64_t add(uint64_t k, uint64_t d) { return ops::add(m, k, d); }
  std::size_t size() { return m.size(); }
  void clear() { m.clear(); }
  template <class F>
  void for_each(F f) { m.for_each([&](uint64_t k, uint64_t v) { f(k, v); }); }
  std::size_t capacity_bound() { return 0; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return threadmap_fuzz::run_program<adaptor>(data, size);
}
