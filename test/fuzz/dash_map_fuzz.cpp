// Differential fuzz target: DashMap against std::unordered_map (differential.hpp).
// Its keys opt into key_packing for the keys below 192 only, so a program that
// touches keys 192-255 turns shards' tables from packed to wide mid-run (and a
// clear packs them again). get() and add() go through the optimistic read
// and update_shared first, as the addon's fast paths do.
#include <threadmap/dash_map.hpp>
#include <threadmap/key_packing.hpp>

#include "differential.hpp"

namespace {

struct fuzz_key {
  fuzz_key(uint64_t k) : v(k) {}  // implicit: the harness speaks uint64_t
  uint64_t v;
  friend bool operator==(const fuzz_key&, const fuzz_key&) = default;
};
struct fuzz_key_hash {
  uint64_t operator()(const fuzz_key& k) const noexcept { return threadmap::hash_word(k.v, 0x9E3779B97F4A7C15ull); }
};

}  // namespace

template <>
struct threadmap::key_packing<fuzz_key> {
  static constexpr bool enabled = true;
  static bool pack(const fuzz_key& k, uint64_t& word) noexcept {
    word = k.v;
    return k.v < 192;
  }
  static fuzz_key unpack(uint64_t word) noexcept { return fuzz_key(word); }
};

namespace {

using engine = threadmap::DashMap<fuzz_key, uint64_t, fuzz_key_hash>;
using ops = threadmap_fuzz::alter_ops<engine, threadmap::alter_entry<uint64_t>>;

struct adaptor {
  engine m{0, 4};
  std::optional<uint64_t> insert(uint64_t k, uint64_t v) { return m.insert(k, v); }
  // Reads optimistically first (they answer in packed tables, keys < 192, and
  // must agree with the model there too), under the lock otherwise.
  std::optional<uint64_t> get(uint64_t k) {
    uint64_t out = 0;
    switch (m.read_optimistic(k, [&](const uint64_t& v) { out = v; return true; })) {
      case threadmap::optimistic_read::found: return out;
      case threadmap::optimistic_read::absent: return std::nullopt;
      case threadmap::optimistic_read::unavailable: break;
    }
    return m.find(k);
  }
  bool contains(uint64_t k) { return m.contains(k); }
  std::optional<uint64_t> take(uint64_t k) { return m.take(k); }
  bool insert_if_absent(uint64_t k, uint64_t v) { return m.try_insert(k, v); }
  bool compare_and_set(uint64_t k, uint64_t expected, uint64_t v) { return ops::compare_and_set(m, k, expected, v); }
  // In place under the shared lock when the key is there (update_shared),
  // as the addon's add does; through alter otherwise.
  uint64_t add(uint64_t k, uint64_t d) {
    uint64_t sum = 0;
    if (m.update_shared(k, [&](uint64_t& v) {
          sum = __atomic_add_fetch(&v, d, __ATOMIC_RELAXED);
          return true;
        }))
      return sum;
    return ops::add(m, k, d);
  }
  std::size_t size() { return m.size(); }
  void clear() { m.clear(); }
  template <class F>
  void for_each(F f) { m.for_each([&](const fuzz_key& k, uint64_t v) { f(k.v, v); }); }
  std::size_t capacity_bound() { return 0; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return threadmap_fuzz::run_program<adaptor>(data, size);
}
