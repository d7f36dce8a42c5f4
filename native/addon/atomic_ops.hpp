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
#include "value.hpp"

namespace threadmap::addon {

class Addon;

// add()'s delta: a number (default 1) or a bigint (encoded as a blob).
struct add_delta {
  bool big = false;
  double number = 1;
  Value bigint;
};

// Validates the delta argument (TypeError for anything but undefined, a
// number or a bigint).
add_delta parse_add_delta(Napi::Env env, Addon& addon, Napi::Value d);

// add: the new value, assigned; or, if the stored value's type does not fit
// the delta, `mismatch` set to the TypeError's message and nothing changed.
Value apply_add(alter_entry<Value>& e, const add_delta& d, const char*& mismatch);
Value apply_add(compute_entry<Value>& e, const add_delta& d, const char*& mismatch);

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
