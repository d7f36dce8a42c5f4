// native/addon/atomic_ops.cc: see atomic_ops.hpp.
#include "atomic_ops.hpp"

#include "addon.hpp"

namespace threadmap::addon {

add_delta parse_add_delta(Napi::Env env, Addon& addon, Napi::Value d) {
  add_delta out;
  if (d.IsBigInt()) {
    out.big = true;
    out.bigint = encode_value(env, addon, d);
  } else if (d.IsNumber()) {
    out.number = d.As<Napi::Number>().DoubleValue();
  } else if (!d.IsUndefined()) {
    throw Napi::TypeError::New(env, "add: delta must be a number or a bigint");
  }
  return out;
}

namespace {

// add's decision over either kind of entry (alter_entry, compute_entry).
template <class Entry>
Value add_to(Entry& e, const add_delta& d, const char*& mismatch) {
  Value next;
  if (d.big) {
    const blob* db = d.bigint.as_blob();
    if (!e.exists()) {
      next = d.bigint;
    } else if (const blob* cur = e.value().as_blob(); cur && cur->kind == blob_kind::bigint) {
      next = bigint_add(cur->data(), cur->size, db->data(), db->size);
    } else {
      mismatch = e.value().is_number() ? "add: the value is a number and the delta a bigint"
                                       : "add: the value is not a bigint";
      return Value();
    }
  } else if (!e.exists()) {
    next = Value::number(d.number);
  } else if (e.value().is_number()) {
    next = Value::number(e.value().as_number() + d.number);
  } else {
    mismatch = e.value().is_blob(blob_kind::bigint) ? "add: the value is a bigint and the delta a number"
                                                    : "add: the value is not a number";
    return Value();
  }
  e.assign(next);
  return next;
}

}  // namespace

Value apply_add(alter_entry<Value>& e, const add_delta& d, const char*& mismatch) { return add_to(e, d, mismatch); }
Value apply_add(compute_entry<Value>& e, const add_delta& d, const char*& mismatch) { return add_to(e, d, mismatch); }

}  // namespace threadmap::addon
