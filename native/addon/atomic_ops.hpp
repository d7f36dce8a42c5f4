// native/addon/atomic_ops.hpp: the decisions of the single-key atomic
// operations (add, getOrInsert, compareAndSet), written once for every
// engine. Each `apply_*` runs inside an engine's alter() callback, under the
// key's lock (shard lock or key lock, per engine), reads the current value
// from an alter_entry and records its decision there; or inside a lock-free
// engine's compute() callback (compute_entry), where it may run more than
// once: the engine installs the last run's decision by CAS and runs it again
// if the key changed meanwhile, so the decision must depend only on the
// entry (and a caller must reset any output it reads, like `mismatch`).
#pragma once

#include <napi.h>

#include <threadmap/compute_entry.hpp>
#include <threadmap/dash_map.hpp>

#include "codec.hpp"
#include "registry.hpp"
#include "value.hpp"

namespace threadmap::addon {

class Addon;

// add()'s delta: a number (default 1) or a bigint (encoded as a blob), and
// the map's maxValueBytes, which a bigint sum must not pass either.
struct add_delta {
  bool big = false;
  double number = 1;
  Value bigint;
  std::size_t max_bytes = 0;
};

// Validates the delta argument for `map` (TypeError for anything but
// undefined, a number or a bigint; a bigint over the map's maxValueBytes is
// a RangeError, as for any value).
add_delta parse_add_delta(Napi::Env env, Addon& addon, const shared_map& map, Napi::Value d);

// Why an add changed nothing: the stored value's type does not fit the
// delta, or a bigint sum would pass the map's maxValueBytes.
struct add_refusal {
  const char* mismatch = nullptr;  // the TypeError's message
  std::size_t sum_bytes = 0;       // nonzero: the sum's size, over max_bytes
  // Throws the refusal's error (TypeError, RangeError), if there is one.
  void raise(Napi::Env env, const add_delta& d) const;
};

// add: the new value, assigned; or nothing changed and `refusal` says why.
// (A compute_entry's run may be repeated: a caller resets `refusal` first.)
Value apply_add(alter_entry<Value>& e, const add_delta& d, add_refusal& refusal);
Value apply_add(compute_entry<Value>& e, const add_delta& d, add_refusal& refusal);

// getOrInsert: the stored value, or `value` after assigning it.
template <class Entry>
Value apply_get_or_insert(Entry& e, const Value& value) {
  if (e.exists()) return e.value();
  e.assign(value);
  return value;
}

// compareAndSet: whether the current value matched `expected` (absent if
// expect_absent), in which case `value` is assigned.
template <class Entry>
bool apply_compare_and_set(Napi::Env env, Addon& addon, Entry& e, bool expect_absent,
                                  const Value& expected, const Value& value) {
  const bool match = expect_absent ? !e.exists() : e.exists() && values_match(env, addon, e.value(), expected);
  if (match) e.assign(value);
  return match;
}

}  // namespace threadmap::addon
