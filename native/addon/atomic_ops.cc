// native/addon/atomic_ops.cc: see atomic_ops.hpp.
#include "atomic_ops.hpp"

#include <string>

#include "addon.hpp"
#include "wrap_support.hpp"

namespace threadmap::addon {

add_delta parse_add_delta(Napi::Env env, Addon& addon, const shared_map& map, Napi::Value d) {
  add_delta out;
  out.max_bytes = map.limits.value_bytes;
  if (d.IsBigInt()) {
    out.big = true;
    out.bigint = value_arg(env, addon, map, d);
  } else if (d.IsNumber()) {
    out.number = d.As<Napi::Number>().DoubleValue();
  } else if (!d.IsUndefined()) {
    throw Napi::TypeError::New(env, "add: delta must be a number or a bigint");
  }
  return out;
}

void add_refusal::raise(Napi::Env env, const add_delta& d) const {
  if (mismatch) throw Napi::TypeError::New(env, mismatch);
  if (sum_bytes)
    throw Napi::RangeError::New(env, "add: the sum of " + std::to_string(sum_bytes) +
                                         " bytes would be over the map's maxValueBytes (" +
                                         std::to_string(d.max_bytes) + ")");
}

namespace {

// add's decision over either kind of entry (alter_entry, compute_entry).
template <class Entry>
Value add_to(Entry& e, const add_delta& d, add_refusal& refusal) {
  Value next;
  if (d.big) {
    const blob* db = d.bigint.as_blob();
    if (!e.exists()) {
      next = d.bigint;  // checked against max_bytes as it was parsed
    } else if (const blob* cur = e.value().as_blob(); cur && cur->kind == blob_kind::bigint) {
      next = bigint_add(cur->data(), cur->size, db->data(), db->size);
      if (next.as_blob()->size > d.max_bytes) {
        refusal.sum_bytes = next.as_blob()->size;
        return Value();
      }
    } else {
      refusal.mismatch = e.value().is_number() ? "add: the value is a number and the delta a bigint"
                                               : "add: the value is not a bigint";
      return Value();
    }
  } else if (!e.exists()) {
    next = Value::number(0.0 + d.number);  // counts from 0: 0 + -0 is 0, as in JS
  } else if (e.value().is_number()) {
    next = Value::number(e.value().as_number() + d.number);
  } else {
    refusal.mismatch = e.value().is_blob(blob_kind::bigint) ? "add: the value is a bigint and the delta a number"
                                                            : "add: the value is not a number";
    return Value();
  }
  e.assign(next);
  return next;
}

}  // namespace

Value apply_add(alter_entry<Value>& e, const add_delta& d, add_refusal& refusal) { return add_to(e, d, refusal); }
Value apply_add(compute_entry<Value>& e, const add_delta& d, add_refusal& refusal) { return add_to(e, d, refusal); }

}  // namespace threadmap::addon
