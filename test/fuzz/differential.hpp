// test/fuzz/differential.hpp: the libFuzzer harness shared by every engine's
// differential target. The input is a program: each operation is 4 bytes
//   [opcode] [key] [value lo] [value hi]
// over 256 keys (enough for the tables to grow several times over, and to
// shrink back when most are taken out), run on the engine (through a small adaptor) and on a
// reference std::unordered_map; every result is compared at once and the
// whole contents every 64 operations and at the end. A mismatch aborts (the
// fuzzer reports it with the input that caused it).
//
// An adaptor A provides, for uint64_t keys and values:
//   std::optional<uint64_t> insert(k, v)   // previous value
//   std::optional<uint64_t> get(k)
//   bool contains(k)
//   std::optional<uint64_t> take(k)
//   bool insert_if_absent(k, v)
//   bool compare_and_set(k, expected, v)   // only if present and == expected
//   uint64_t add(k, d)                      // atomic add, absent counts from 0
//   std::size_t size()
//   void clear()
//   template <class F> void for_each(F f)  // f(k, v)
//   std::size_t capacity_bound()            // 0: unbounded; else size() <= it
// An adaptor with a bound (an LRU) is checked against the bound and the
// subset rule (everything it holds is what the reference holds), not equality.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <unordered_map>

namespace threadmap_fuzz {

[[noreturn]] inline void mismatch(const char* what, std::size_t step) {
  std::fprintf(stderr, "differential mismatch: %s at operation %zu\n", what, step);
  std::abort();
}

template <class Adaptor>
int run_program(const uint8_t* data, std::size_t size) {
  Adaptor map;
  std::unordered_map<uint64_t, uint64_t> ref;
  const bool bounded = map.capacity_bound() != 0;
  auto check = [&](bool ok, const char* what, std::size_t step) {
    if (!ok) mismatch(what, step);
  };
  auto ref_get = [&](uint64_t k) -> std::optional<uint64_t> {
    auto it = ref.find(k);
    return it == ref.end() ? std::nullopt : std::optional<uint64_t>(it->second);
  };
  // A bounded map may have dropped what the reference still has: then its
  // answer for that key is "absent", and the reference forgets the key too.
  auto sync_evicted = [&](uint64_t k) {
    if (bounded && ref.count(k) && !map.contains(k)) ref.erase(k);
  };
  const std::size_t ops = size / 4;
  for (std::size_t i = 0; i < ops; ++i) {
    const uint8_t* op = data + 4 * i;
    const uint64_t k = op[1];
    const uint64_t v = static_cast<uint64_t>(op[2]) | (static_cast<uint64_t>(op[3]) << 8);
    sync_evicted(k);
    switch (op[0] % 10) {
      case 0: case 1: {
        auto old = map.insert(k, v);
        check(old == ref_get(k), "insert's previous value", i);
        ref[k] = v;
        break;
      }
      case 2: check(map.get(k) == ref_get(k), "get", i); break;
      case 3: check(map.contains(k) == ref.count(k) > 0, "contains", i); break;
      case 4: {
        check(map.take(k) == ref_get(k), "take", i);
        ref.erase(k);
        break;
      }
      case 5: {
        const bool added = map.insert_if_absent(k, v);
        check(added == (ref.count(k) == 0), "insert_if_absent", i);
        ref.emplace(k, v);
        break;
      }
      case 6: {
        // expected: the current value half of the time (op[2] odd), else v.
        auto cur = ref_get(k);
        const uint64_t expected = (op[2] & 1) && cur ? *cur : v ^ 1;
        const bool want = cur && *cur == expected;
        check(map.compare_and_set(k, expected, v) == want, "compare_and_set", i);
        if (want) ref[k] = v;
        break;
      }
      case 7: {
        const uint64_t next = ref_get(k).value_or(0) + v;
        check(map.add(k, v) == next, "add", i);
        ref[k] = next;
        break;
      }
      case 8: {
        if (op[2] == 0 && op[3] == 0) {
          map.clear();
          ref.clear();
        }
        break;
      }
      default: break;
    }
    if (bounded) {
      check(map.size() <= map.capacity_bound(), "size within the capacity bound", i);
    } else if (i % 64 == 0) {
      check(map.size() == ref.size(), "size", i);
    }
  }
  std::size_t seen = 0;
  map.for_each([&](uint64_t k, uint64_t v) {
    ++seen;
    auto it = ref.find(k);
    check(it != ref.end() && it->second == v, "contents", ops);
  });
  check(seen == map.size(), "for_each agrees with size", ops);
  if (!bounded) check(seen == ref.size(), "final size", ops);
  return 0;
}

// compare_and_set, add and insert_if_absent through an engine's alter()
// (DashMap, LockMap, LruLockMap): for adaptors whose engine `m` has one.
template <class Engine, class AlterEntry>
struct alter_ops {
  static bool insert_if_absent(Engine& m, uint64_t k, uint64_t v) {
    return m.alter(k, [&](AlterEntry& e) {
      if (e.exists()) return false;
      e.assign(v);
      return true;
    });
  }
  static bool compare_and_set(Engine& m, uint64_t k, uint64_t expected, uint64_t v) {
    return m.alter(k, [&](AlterEntry& e) {
      if (!e.exists() || e.value() != expected) return false;
      e.assign(v);
      return true;
    });
  }
  static uint64_t add(Engine& m, uint64_t k, uint64_t d) {
    return m.alter(k, [&](AlterEntry& e) {
      const uint64_t next = (e.exists() ? e.value() : 0) + d;
      e.assign(next);
      return next;
    });
  }
};

}  // namespace threadmap_fuzz
