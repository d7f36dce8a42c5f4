// Differential fuzz targets: LockMap (writes outside a lock and through
// entries) and, built with THREADMAP_FUZZ_LRU, LruLockMap with a small
// capacity (checked against the bound and the reference's contents).
#include <threadmap/lock_map.hpp>

#include "differential.hpp"

namespace {

#if defined(THREADMAP_FUZZ_LRU)
using engine = threadmap::LruLockMap<uint64_t, uint64_t>;
constexpr std::size_t bound = 16;
#else
using engine = threadmap::LockMap<uint64_t, uint64_t>;
constexpr std::size_t bound = 0;
#endif

using ops = threadmap_fuzz::alter_ops<engine, threadmap::alter_entry<uint64_t>>;

struct adaptor {
  engine m{threadmap::lock_map_options{.shards = 4, .capacity = bound ? bound : 0}};
  // Odd values go through a held entry, even ones through a write outside a lock.
  std::optional<uint64_t> insert(uint64_t k, uint64_t v) {
    if (v & 1) {
      auto e = m.lock(k);
      auto old = e.get();
      e.set(v);
      return old;
    }
    return m.insert(k, v);
  }
  std::optional<uint64_t> get(uint64_t k) { return m.get(k); }
  bool contains(uint64_t k) { return m.contains(k); }
  std::optional<uint64_t> take(uint64_t k) {
    if (k & 1) {
      auto e = m.lock(k);
      auto old = e.get();
      e.remove();
      return old;
    }
    return m.take(k);
  }
  bool insert_if_absent(uint64_t k, uint64_t v) { return ops::insert_if_absent(m, k, v); }
  bool compare_and_set(uint64_t k, uint64_t expected, uint64_t v) { return ops::compare_and_set(m, k, expected, v); }
  uint64_t add(uint64_t k, uint64_t d) { return ops::add(m, k, d); }
  std::size_t size() { return m.size(); }
  void clear() { m.clear(); }
  template <class F>
  void for_each(F f) { m.for_each([&](uint64_t k, uint64_t v) { f(k, v); }); }
  std::size_t capacity_bound() { return bound; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return threadmap_fuzz::run_program<adaptor>(data, size);
}
