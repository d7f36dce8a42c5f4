// native/addon/fast_path.cc: see fast_path.hpp.
#include "fast_path.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <initializer_list>

#include "codec.hpp"
#include "dash_map_wrap.hpp"
#include "lock_hub.hpp"
#include "lock_free_wrap.hpp"
#include "lock_map_wrap.hpp"
#include "v8_bridge.hpp"

namespace threadmap::addon {

struct fast_ref {
  MapRef ref;
  v8::Global<v8::Object> self;
  FastPath* owner;
  map_kind kind;  // ref.map->kind, one load nearer (ByKind reads it on every call)
  DashEngine& engine() { return static_cast<dash_map_core*>(ref.map)->engine; }
  DashSetEngine& set_engine() { return static_cast<dash_set_core*>(ref.map)->engine; }
};

namespace {

// The weak callback, run by the GC of the owning thread when the fast object
// is collected. A first-pass callback must not call into V8; this one only
// resets the handle and frees the record. Freeing the record releases a
// shared_ptr<BackingStore>, which may run the store's deleter: that touches
// only the registry and the map, never V8 (V8 itself releases backing
// stores from its GC threads, so doing so inside a GC is expected). All in
// one pass, so no callback is left pending that could outlive the FastPath.
void free_record(const v8::WeakCallbackInfo<fast_ref>& info) {
  fast_ref* r = info.GetParameter();
  r->self.Reset();
  r->owner->forget(r);
  delete r;
}

FastPath* owner_of(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<FastPath*>(info.Data().As<v8::External>()->Value());
}

// Returns the sentinel that makes lib/ repeat the call on the full path.
void fall_back(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(owner_of(info)->fallback(info.GetIsolate()));
}

// The receiver's record. The signature check of the template guarantees
// the receiver is one of our fast objects. Read once per call (ByKind,
// Direct), and passed down as `r`.
fast_ref* self(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<fast_ref*>(internal_pointer(info.This(), 0));
}

// The key argument (info[0]), if of a kind the fast path handles and within
// `limits`: one over maxKeyBytes falls back, and the full path reports the
// RangeError (numbers are 8 bytes and booleans 1, so a small limit applies
// to them too).
bool fast_key_of(v8::Isolate* isolate, v8::Local<v8::Value> v, Key& out, const size_limits& limits) {
  if (encode_string_key(isolate, v, out)) return out.size() <= limits.key_bytes;
  if (v->IsNumber()) {
    out = Key::number(v.As<v8::Number>()->Value());
  } else if (v->IsBoolean()) {
    out = Key::boolean(v->IsTrue());
  } else {
    return false;
  }
  return out.size() <= limits.key_bytes;
}

bool fast_key(const v8::FunctionCallbackInfo<v8::Value>& info, Key& out, const size_limits& limits) {
  return fast_key_of(info.GetIsolate(), info[0], out, limits);
}

// Values with a native form that needs no Node-API help, within `limits`.
bool fast_value(v8::Local<v8::Value> v, Value& out, const size_limits& limits) {
  if (v->IsNumber()) {
    out = Value::number(v.As<v8::Number>()->Value());
  } else if (v->IsString()) {
    thread_local std::string buf;
    const bool one_byte = string_payload(v.As<v8::String>(), buf);
    if (buf.size() > limits.value_bytes) return false;
    out = Value::make_blob(one_byte ? blob_kind::string1 : blob_kind::string2, buf.data(), buf.size());
  } else if (v->IsBoolean()) {
    out = Value::boolean(v->IsTrue());
  } else if (v->IsNull()) {
    out = Value::make_special(Value::special::null);
  } else if (v->IsUndefined()) {
    out = Value::make_special(Value::special::undefined);
  } else {
    return false;
  }
  return true;
}

// A copy of a stored value as far as the fast path can return it. Numbers
// and specials are copied as they are; strings into a thread-local buffer,
// so the V8 string is made after the shard lock is released.
struct value_copy {
  enum { absent, number, special, string1, string2, other } kind = absent;
  double num = 0;
  Value::special sp = Value::special::undefined;
  std::string* bytes = nullptr;
};

// Sets the call's return value to a number. One that is an int32 (and not
// -0) goes in as a small integer, which needs no V8 call (Number::New does);
// the rest go through Number::New.
void return_number(const v8::FunctionCallbackInfo<v8::Value>& info, double d) {
  if (d >= -2147483648.0 && d <= 2147483647.0) {
    const auto i = static_cast<int32_t>(d);
    if (static_cast<double>(i) == d && (i != 0 || !std::signbit(d))) return info.GetReturnValue().Set(i);
  }
  info.GetReturnValue().Set(d);
}

// Sets the call's return value to a copied-out value, or to the fallback
// sentinel for a kind the fast path does not decode (or a string V8 could
// not make).
void return_copy(const v8::FunctionCallbackInfo<v8::Value>& info, const value_copy& c) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::ReturnValue<v8::Value> ret = info.GetReturnValue();
  switch (c.kind) {
    case value_copy::absent: return ret.SetUndefined();
    case value_copy::number: return return_number(info, c.num);
    case value_copy::special:
      switch (c.sp) {
        case Value::special::undefined: return ret.SetUndefined();
        case Value::special::null: return ret.SetNull();
        case Value::special::false_: return ret.Set(false);
        case Value::special::true_: return ret.Set(true);
      }
      break;
    case value_copy::string1: {
      v8::Local<v8::String> s;
      if (v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(c.bytes->data()),
                                     v8::NewStringType::kNormal, static_cast<int>(c.bytes->size()))
              .ToLocal(&s))
        return ret.Set(s);
      break;
    }
    case value_copy::string2: {
      v8::Local<v8::String> s;
      if (v8::String::NewFromTwoByte(isolate, reinterpret_cast<const uint16_t*>(c.bytes->data()),
                                     v8::NewStringType::kNormal, static_cast<int>(c.bytes->size() / 2))
              .ToLocal(&s))
        return ret.Set(s);
      break;
    }
    case value_copy::other: break;
  }
  ret.Set(owner_of(info)->fallback(isolate));
}

// A value that no other thread changes while it is read (a local copy, an
// entry under an exclusive lock, a lock-free map's immutable node) into c.
void copy_out(const Value& v, value_copy& c) {
  thread_local std::string buffer;
  if (v.is_number()) {
    c.kind = value_copy::number;
    c.num = v.as_number();
  } else if (v.is_special()) {
    c.kind = value_copy::special;
    c.sp = v.as_special();
  } else if (const blob* b = v.as_blob(); b->kind == blob_kind::string1 || b->kind == blob_kind::string2) {
    c.kind = b->kind == blob_kind::string1 ? value_copy::string1 : value_copy::string2;
    buffer.assign(reinterpret_cast<const char*>(b->data()), b->size);
    c.bytes = &buffer;
  } else {
    c.kind = value_copy::other;
  }
}

// A DashMap's value read under its shard's shared lock, where set and add
// of numbers, booleans and null change it in place meanwhile (value.hpp,
// store_inline and add_in_place): copy_out's several loads could mix two
// values, or take a number for a blob and follow a null pointer. So its
// bits are loaded once; a blob stays a blob under that lock (only an
// exclusive writer makes or frees one), and its bytes with it.
void copy_out_shared(const Value& v, value_copy& c) {
  Value local;
  if (Value::copy_inline(v, local)) return copy_out(local, c);
  copy_out(v, c);
}

// Runs one engine call; any C++ exception (a lock error, an allocation
// failure) becomes a fallback, and the full path reports it properly.
template <class F>
void run(const v8::FunctionCallbackInfo<v8::Value>& info, F&& f) {
  try {
    f();
  } catch (...) {
    fall_back(info);
  }
}

// A DashMap's value for `key` copied out into c (c stays absent if there is
// none). First without the shard lock (an optimistic read: numbers and
// specials, the common case); strings and objects, and a shard a writer is
// in, are read under the lock.
void dash_read(const DashEngine& engine, const Key& key, value_copy& c) {
  Value inline_value;
  switch (engine.read_optimistic(key, [&](const Value& v) { return Value::copy_inline(v, inline_value); })) {
    case threadmap::optimistic_read::found: copy_out(inline_value, c); break;
    case threadmap::optimistic_read::absent: break;
    case threadmap::optimistic_read::unavailable: engine.visit(key, [&](const Value& v) { copy_out_shared(v, c); }); break;
  }
}

void Get(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  if (!fast_key(info, key, r.ref.map->limits)) return fall_back(info);
  run(info, [&] {
    value_copy c;
    dash_read(r.engine(), key, c);
    return_copy(info, c);
  });
}

// The DashMap or DashSet engine of the receiver (IsSet: which template made it).
template <bool IsSet>
auto& dash_engine(fast_ref& r) {
  if constexpr (IsSet) {
    return r.set_engine();
  } else {
    return r.engine();
  }
}

template <bool IsSet>
void Has(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  if (!fast_key(info, key, r.ref.map->limits)) return fall_back(info);
  run(info, [&] {
    auto& engine = dash_engine<IsSet>(r);
    // As Get: first without the lock; under it if a writer is in the shard.
    const threadmap::optimistic_read seen = engine.read_optimistic(key, [](const auto&) { return true; });
    info.GetReturnValue().Set(seen == threadmap::optimistic_read::unavailable
                                  ? engine.contains(key)
                                  : seen == threadmap::optimistic_read::found);
  });
}

template <bool IsSet>
void Delete(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  if (!fast_key(info, key, r.ref.map->limits)) return fall_back(info);
  run(info, [&] { info.GetReturnValue().Set(dash_engine<IsSet>(r).erase(key)); });
}

// A DashSet's insert(member) -> whether it was absent (DashMapWrap<true>::Insert).
void Insert(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  if (!fast_key(info, key, r.ref.map->limits)) return fall_back(info);
  run(info, [&] { info.GetReturnValue().Set(insert_member(r.set_engine(), std::move(key))); });
}

// The key and value arguments of a set, if the fast path handles both (a
// failure to allocate the value counts as "does not": the full path reports it).
bool fast_entry(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, Key& key, Value& value) {
  try {
    return fast_key(info, key, r.ref.map->limits) && fast_value(info[1], value, r.ref.map->limits);
  } catch (...) {
    return false;
  }
}

// A DashMap store. A number (or boolean, null, undefined) over one of those
// is stored in place under the shard's shared lock, as add does; anything
// else takes the exclusive lock.
void dash_set(DashEngine& engine, Key& key, Value& value) {
  if (engine.update_shared(key, [&](Value& v) { return Value::store_inline(v, value); })) return;
  engine.insert(std::move(key), std::move(value));
}

// set(key, value) -> undefined, or the fallback sentinel.
void Set(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  Value value;
  if (!fast_entry(info, r, key, value)) return fall_back(info);
  run(info, [&] { dash_set(r.engine(), key, value); });
}

// add(key, delta?)'s arguments, if the fast path handles them: a number or
// undefined delta (a bigint one takes the full path).
bool fast_add_args(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, Key& key, double& delta) {
  if (info[1]->IsNumber()) {
    delta = info[1].As<v8::Number>()->Value();
  } else if (!info[1]->IsUndefined()) {
    return false;
  }
  return fast_key(info, key, r.ref.map->limits);
}

// add's decision on an entry (DashMap's alter_entry, the lock-free engines'
// compute_entry): assigns and returns the sum, or returns nullopt and
// changes nothing when the value is not a number (the full path throws the
// TypeError).
template <class Entry>
std::optional<double> add_to(Entry& e, double delta) {
  if (e.exists() && !e.value().is_number()) return std::nullopt;
  const double next = (e.exists() ? e.value().as_number() : 0) + delta;
  e.assign(Value::number(next));
  return next;
}

void return_sum(const v8::FunctionCallbackInfo<v8::Value>& info, const std::optional<double>& sum) {
  if (sum) return return_number(info, *sum);
  fall_back(info);
}

void Add(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  double delta = 1;
  if (!fast_add_args(info, r, key, delta)) return fall_back(info);
  run(info, [&] {
    DashEngine& engine = r.engine();
    // A number already there is added to in place under the shard's shared
    // lock (a CAS: update_shared), so workers adding to one map do not take
    // each other's lock lines; a new key or another value takes the
    // exclusive lock.
    double sum;
    if (engine.update_shared(key, [&](Value& v) { return Value::add_in_place(v, delta, sum); })) return return_number(info, sum);
    return_sum(info, engine.alter(key, [&](alter_entry<Value>& e) { return add_to(e, delta); }));
  });
}

// ---- getOrInsert, take and compareAndSet (DashMap and the lock-free classes) ----
//
// Each decides on an entry: DashMap's alter_entry, under the key's shard
// lock, or a lock-free engine's compute_entry, in a CAS loop where the
// decision may run more than once (so it starts from a reset copy each
// time). What it returns is copied out in place. When the value it would
// return is one the fast path cannot make (an object, a bigint, a typed
// array), it decides nothing and the call falls back: the full path runs it
// again on the map as it was.

// getOrInsert: copies out the stored value; or assigns `value` and returns
// true (the caller returns its own argument).
template <class Entry>
bool get_or_insert_in(Entry& e, const Value& value, value_copy& out) {
  out = value_copy{};
  if (e.exists()) {
    copy_out(e.value(), out);
    return false;
  }
  e.assign(value);
  return true;
}

// delete: erases the entry; returns whether there was one.
template <class Entry>
bool erase_in(Entry& e) {
  const bool present = e.exists();
  e.erase();
  return present;
}

// set: a decision that stores a copy of `value` (an LRU map's try_alter
// may run it twice) and returns true.
inline auto assign_in(const Value& value) {
  return [&value](auto& e) {
    e.assign(value);
    return true;
  };
}

// take: copies out the stored value and erases it, unless the fast path
// cannot return it (then the key stays, and the call falls back).
template <class Entry>
void take_in(Entry& e, value_copy& out) {
  out = value_copy{};
  if (!e.exists()) return;
  copy_out(e.value(), out);
  if (out.kind != value_copy::other) e.erase();
}

// compareAndSet with an `expected` the fast path encoded (a number, string,
// boolean or null; never an object): matching it is SameValueZero, as the
// full path's values_match for such a value.
template <class Entry>
bool compare_and_set_in(Entry& e, bool expect_absent, const Value& expected, const Value& value) {
  const bool match = expect_absent ? !e.exists() : e.exists() && same_value_zero(e.value(), expected);
  if (match) e.assign(value);
  return match;
}

// take's answer. A value of a kind the fast path does not make was kept
// (take_in): that falls back. Any other was removed, so a string V8 cannot
// make (out of memory) is an error, not a fallback (the full path would find
// the key gone).
void return_taken(const v8::FunctionCallbackInfo<v8::Value>& info, const value_copy& c) {
  return_copy(info, c);
  v8::Isolate* isolate = info.GetIsolate();
  const bool removed = c.kind != value_copy::absent && c.kind != value_copy::other;
  if (removed && info.GetReturnValue().Get() == owner_of(info)->fallback(isolate)) {
    isolate->ThrowException(v8::Exception::RangeError(
        v8::String::NewFromUtf8Literal(isolate, "take: the value was removed but no JS string could be made of it")));
  }
}

// compareAndSet(key, expected, value)'s arguments, if the fast path handles
// them: expected undefined (absent) or a value fast_value encodes, and value.
bool fast_cas_args(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, Key& key, bool& expect_absent,
                   Value& expected, Value& value) {
  try {
    const size_limits& limits = r.ref.map->limits;
    expect_absent = info[1]->IsUndefined();
    return fast_key(info, key, limits) && (expect_absent || fast_value(info[1], expected, limits)) &&
           fast_value(info[2], value, limits);
  } catch (...) {
    return false;
  }
}

// getOrInsert(key, value): a present key is a read (first without the lock,
// as get), an absent one is inserted under the shard lock.
void GetOrInsert(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  Value value;
  if (!fast_entry(info, r, key, value)) return fall_back(info);
  run(info, [&] {
    DashEngine& engine = r.engine();
    value_copy c;
    dash_read(engine, key, c);
    if (c.kind == value_copy::absent &&
        engine.alter(key, [&](alter_entry<Value>& e) { return get_or_insert_in(e, value, c); })) {
      return info.GetReturnValue().Set(info[1]);
    }
    return_copy(info, c);
  });
}

void Take(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  if (!fast_key(info, key, r.ref.map->limits)) return fall_back(info);
  run(info, [&] {
    value_copy c;
    r.engine().alter(key, [&](alter_entry<Value>& e) { take_in(e, c); });
    return_taken(info, c);
  });
}

void CompareAndSet(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  bool expect_absent = false;
  Value expected, value;
  if (!fast_cas_args(info, r, key, expect_absent, expected, value))
    return fall_back(info);
  run(info, [&] {
    info.GetReturnValue().Set(r.engine().alter(
        key, [&](alter_entry<Value>& e) { return compare_and_set_in(e, expect_absent, expected, value); }));
  });
}

// ---- setMany and deleteMany (DashMap and the lock-free classes) ----
//
// lib/ passes plain arrays it made itself (keys, values: no getters, so no
// JS runs while they are read here). Every element is encoded before the
// first change; if one is of a kind the fast path does not encode (or over
// a limit), nothing has changed and the call falls back, so the full path
// encodes them again and reports the error. Node-API reads an array one
// napi_get_element at a time, each with its own scope and checks: that
// made setMany 4x slower per entry than a loop of set (bench/RESULTS.md,
// "setMany and deleteMany").

// The elements of `array` (a plain JS array, at most UINT32_MAX long) passed
// one by one to f(v8::Local<v8::Value>) -> bool, in order, until f returns
// false. Returns whether every call returned true.
template <class F>
bool each_element(v8::Isolate* isolate, v8::Local<v8::Value> array, F&& f) {
  if (!array->IsArray()) return false;
  v8::Local<v8::Array> a = array.As<v8::Array>();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  const uint32_t n = a->Length();
  constexpr uint32_t chunk = 1024;  // elements per handle scope
  for (uint32_t base = 0; base < n; base += chunk) {
    v8::HandleScope scope(isolate);
    for (uint32_t i = base; i < n && i < base + chunk; ++i) {
      v8::Local<v8::Value> v;
      if (!a->Get(context, i).ToLocal(&v) || !f(v)) return false;
    }
  }
  return true;
}

// setMany(keys, values)'s entries, all encoded, or false.
bool fast_entries(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r,
                  std::vector<std::pair<Key, Value>>& out) {
  try {
    v8::Isolate* isolate = info.GetIsolate();
    const size_limits& limits = r.ref.map->limits;
    if (!info[0]->IsArray() || !info[1]->IsArray() ||
        info[0].As<v8::Array>()->Length() != info[1].As<v8::Array>()->Length())
      return false;
    out.resize(info[0].As<v8::Array>()->Length());
    // Bounded by out's size, not by each array's length when read: a getter
    // on an element (a hand-made call; lib/'s arrays have none) may have
    // grown an array meanwhile.
    std::size_t i = 0;
    if (!each_element(isolate, info[0], [&](v8::Local<v8::Value> k) {
          return i < out.size() && fast_key_of(isolate, k, out[i++].first, limits);
        }))
      return false;
    i = 0;
    return each_element(isolate, info[1], [&](v8::Local<v8::Value> v) {
      return i < out.size() && fast_value(v, out[i++].second, limits);
    });
  } catch (...) {
    return false;  // out of memory: the full path reports it
  }
}

// deleteMany(keys)'s keys, all encoded, or false.
bool fast_keys(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, std::vector<Key>& out) {
  try {
    v8::Isolate* isolate = info.GetIsolate();
    const size_limits& limits = r.ref.map->limits;
    return each_element(isolate, info[0], [&](v8::Local<v8::Value> k) {
      out.emplace_back();
      return fast_key_of(isolate, k, out.back(), limits);
    });
  } catch (...) {
    return false;
  }
}

// Every class's setMany and deleteMany store or remove one key at a time,
// as the full path does, and stop at the first key they cannot serve: an
// error (the thread is stopping; out of memory; a call from inside an
// update callback that meets its held shard) or, on the lock maps, a key
// that is held. They then return how far they got, and lib/ hands only the
// rest to the full path, which waits for that key or reports the error
// (lib/map_core.js, [kSetMany] and deleteMany). So no key is written twice
// and deleteMany's count covers every key.

// Runs step(0), step(1), ... while each returns true, up to n; a C++
// exception ends it as a false would. Returns how many returned true.
template <class F>
std::size_t while_free(std::size_t n, F&& step) {
  std::size_t done = 0;
  try {
    while (done < n && step(done)) ++done;
  } catch (...) {
  }
  return done;
}

// setMany's answer after writing `done` of `n` entries: undefined when all
// were written, the fallback sentinel when none was, else `done`.
void return_set_progress(const v8::FunctionCallbackInfo<v8::Value>& info, std::size_t done, std::size_t n) {
  if (done == 0 && n != 0) return fall_back(info);
  if (done < n) return_number(info, static_cast<double>(done));
}

// deleteMany's answer after `done` of `n` keys, `removed` of them present:
// the count when all were done, the fallback sentinel when none was, else
// [done, removed].
void return_delete_progress(const v8::FunctionCallbackInfo<v8::Value>& info, std::size_t done, std::size_t n,
                            std::size_t removed) {
  if (done == 0 && n != 0) return fall_back(info);
  if (done == n) return return_number(info, static_cast<double>(removed));
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Value> partial[] = {v8::Number::New(isolate, static_cast<double>(done)),
                                    v8::Number::New(isolate, static_cast<double>(removed))};
  info.GetReturnValue().Set(v8::Array::New(isolate, partial, 2));
}

void SetMany(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  std::vector<std::pair<Key, Value>> entries;
  if (!fast_entries(info, r, entries)) return fall_back(info);
  DashEngine& engine = r.engine();
  const std::size_t done = while_free(entries.size(), [&](std::size_t i) {
    dash_set(engine, entries[i].first, entries[i].second);
    return true;
  });
  return_set_progress(info, done, entries.size());
}

template <bool IsSet>
void DeleteMany(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  std::vector<Key> keys;
  if (!fast_keys(info, r, keys)) return fall_back(info);
  auto& engine = dash_engine<IsSet>(r);
  std::size_t removed = 0;
  const std::size_t done = while_free(keys.size(), [&](std::size_t i) {
    removed += engine.erase(keys[i]) ? 1 : 0;
    return true;
  });
  return_delete_progress(info, done, keys.size(), removed);
}

// A DashSet's insertMany(members) -> how many were absent (as deleteMany:
// all encoded first, then inserted one at a time).
void InsertMany(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  std::vector<Key> keys;
  if (!fast_keys(info, r, keys)) return fall_back(info);
  run(info, [&] {
    DashSetEngine& set = r.set_engine();
    std::size_t added = 0;
    for (Key& k : keys) added += insert_member(set, std::move(k)) ? 1 : 0;
    return_number(info, static_cast<double>(added));
  });
}

// ---- LockMap / LruLockMap: lock(key, timeoutMs?) and tryLock(key) ----

// The key as its Entry reports it (fast keys only: -0 is 0).
v8::Local<v8::Value> entry_key(v8::Isolate* isolate, v8::Local<v8::Value> k) {
  if (k->IsNumber() && k.As<v8::Number>()->Value() == 0) return v8::Number::New(isolate, 0);
  return k;
}

template <bool Lru, bool Try>
void lock_now(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, const Key& key) {
  using Engine = LockEngine<Lru>;
  FastPath* owner = owner_of(info);
  v8::Isolate* isolate = info.GetIsolate();
  Engine& engine = static_cast<lock_map_core<Lru>*>(r.ref.map)->engine;
  try {
    std::unique_ptr<holder> h;
    if constexpr (Try) {
      std::optional<typename Engine::entry> e = engine.try_lock(key, owner->locks.owner());
      if (!e) return info.GetReturnValue().SetUndefined();
      h = std::make_unique<holder_of<Engine>>(r.ref, std::move(*e));
    } else {
      threadmap::deadline dl;
      if (info[1]->IsNumber()) {
        const double ms = info[1].As<v8::Number>()->Value();
        if (std::isfinite(ms)) dl = threadmap::deadline::after(std::chrono::nanoseconds(static_cast<int64_t>(ms * 1e6)));
      }
      h = std::make_unique<holder_of<Engine>>(r.ref, engine.lock(key, owner->locks.owner(), dl));
    }
    info.GetReturnValue().Set(owner->locks.adopt(isolate, std::move(h), entry_key(isolate, info[0])));
  } catch (const threadmap::error& e) {
    throw_coded(isolate, e.code(), e.what());
  } catch (...) {
    info.GetReturnValue().Set(owner->fallback(isolate));
  }
}

// get / peek / has on a lock map: reads, which never wait for a key's lock.
// probe: an LruLockMap's getOrCompute lookup, counted as get counts it;
// unlike get it tells a stored undefined from an absent key (the one
// returns the `counted` sentinel, the other undefined), so lib/ knows
// whether to compute.
enum class lock_read { get, peek, has, probe };

template <bool Lru, lock_read Op>
void lock_map_read(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, const Key& key) {
  auto& engine = static_cast<lock_map_core<Lru>*>(r.ref.map)->engine;
  run(info, [&] {
    if constexpr (Op == lock_read::has) {
      info.GetReturnValue().Set(engine.contains(key));
    } else {
      value_copy c;
      const auto take = [&](const Value& v) { copy_out(v, c); };  // in place: a string is not copied twice
      if constexpr (Op == lock_read::peek) {
        engine.peek_visit(key, take);
      } else {
        engine.visit(key, take);
      }
      // Counted (LRU) and not returned from here: lib/ peeks it.
      const bool stored_undefined = c.kind == value_copy::special && c.sp == Value::special::undefined;
      const bool counted = c.kind == value_copy::other || (Op == lock_read::probe && stored_undefined);
      if (Lru && Op != lock_read::peek && counted) {
        return info.GetReturnValue().Set(owner_of(info)->counted(info.GetIsolate()));
      }
      return_copy(info, c);
    }
  });
}

template <lock_read Op>
void LockRead(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  if (!fast_key(info, key, r.ref.map->limits)) return fall_back(info);
  if (r.ref.map->kind == map_kind::lru_lock_map) {
    lock_map_read<true, Op>(info, r, key);
  } else {
    lock_map_read<false, Op>(info, r, key);
  }
}

// LockFreeMap / HopscotchMap reads: get and has, through the engine's
// visit (pinned, lock-free; the value is copied out in place).
template <class Engine, bool Has>
void lock_free_read(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, const Key& key) {
  const Engine& engine = static_cast<lock_free_core<Engine>*>(r.ref.map)->engine;
  run(info, [&] {
    if constexpr (Has) {
      info.GetReturnValue().Set(engine.contains(key));
    } else {
      value_copy c;
      engine.visit(key, [&](const Value& v) { copy_out(v, c); });
      return_copy(info, c);
    }
  });
}

// The writes of the lock-free classes and of the lock maps.
enum class write_op { set, erase, add, get_or_insert, take, compare_and_set, set_many, delete_many };

// A write's arguments, as its fast function takes them.
struct write_args {
  Key key;
  Value value;
  Value expected;              // compare_and_set
  bool expect_absent = false;  // compare_and_set
  double delta = 1;            // add
  std::vector<std::pair<Key, Value>> entries;  // set_many
  std::vector<Key> keys;                       // delete_many
};

template <class Engine, write_op Op>
void lock_free_write(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, write_args& a) {
  Engine& engine = static_cast<lock_free_core<Engine>*>(r.ref.map)->engine;
  // compute() is a CAS loop: its function may run again (on the value
  // another writer installed meanwhile); each run decides afresh.
  run(info, [&] {
    value_copy c;
    if constexpr (Op == write_op::erase) {
      info.GetReturnValue().Set(engine.remove(a.key));
    } else if constexpr (Op == write_op::set) {
      engine.insert_or_assign(std::move(a.key), std::move(a.value));
    } else if constexpr (Op == write_op::add) {
      return_sum(info, engine.compute(a.key, [&](compute_entry<Value>& e) { return add_to(e, a.delta); }));
    } else if constexpr (Op == write_op::get_or_insert) {
      // A present key is a read (lock-free, no CAS).
      engine.visit(a.key, [&](const Value& v) { copy_out(v, c); });
      if (c.kind == value_copy::absent &&
          engine.compute(a.key, [&](compute_entry<Value>& e) { return get_or_insert_in(e, a.value, c); })) {
        return info.GetReturnValue().Set(info[1]);
      }
      return_copy(info, c);
    } else if constexpr (Op == write_op::take) {
      engine.compute(a.key, [&](compute_entry<Value>& e) { take_in(e, c); });
      return_taken(info, c);
    } else if constexpr (Op == write_op::set_many) {
      const std::size_t done = while_free(a.entries.size(), [&](std::size_t i) {
        engine.insert_or_assign(std::move(a.entries[i].first), std::move(a.entries[i].second));
        return true;
      });
      return_set_progress(info, done, a.entries.size());
    } else if constexpr (Op == write_op::delete_many) {
      std::size_t removed = 0;
      const std::size_t done = while_free(a.keys.size(), [&](std::size_t i) {
        removed += engine.remove(a.keys[i]) ? 1 : 0;
        return true;
      });
      return_delete_progress(info, done, a.keys.size(), removed);
    } else {
      info.GetReturnValue().Set(engine.compute(
          a.key, [&](compute_entry<Value>& e) { return compare_and_set_in(e, a.expect_absent, a.expected, a.value); }));
    }
  });
}

// Encodes Op's arguments into a; false if the fast path does not take them.
template <write_op Op>
bool encode_write(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, write_args& a) {
  if constexpr (Op == write_op::set || Op == write_op::get_or_insert) {
    return fast_entry(info, r, a.key, a.value);
  } else if constexpr (Op == write_op::add) {
    return fast_add_args(info, r, a.key, a.delta);
  } else if constexpr (Op == write_op::compare_and_set) {
    return fast_cas_args(info, r, a.key, a.expect_absent, a.expected, a.value);
  } else if constexpr (Op == write_op::set_many) {
    return fast_entries(info, r, a.entries);
  } else if constexpr (Op == write_op::delete_many) {
    return fast_keys(info, r, a.keys);
  } else {
    return fast_key(info, a.key, r.ref.map->limits);
  }
}

// LockFreeMap / HopscotchMap writes. One from inside an update/retain
// callback of the same map falls back: the full path refuses it with
// ERR_WOULD_DEADLOCK (lock_free_wrap.cc, refuse_write_in_callback).
template <write_op Op>
void LockFreeWrite(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  write_args a;
  const shared_map* map = r.ref.map;
  const auto& running = owner_of(info)->lock_free_callbacks;
  if (!encode_write<Op>(info, r, a) || std::find(running.begin(), running.end(), map) != running.end()) {
    return fall_back(info);
  }
  if (map->kind == map_kind::hopscotch_map) {
    lock_free_write<HopscotchEngine, Op>(info, r, a);
  } else {
    lock_free_write<LockFreeEngine, Op>(info, r, a);
  }
}

// LockMap / LruLockMap writes of a key nobody holds, through try_alter
// (lock_map.hpp): a key that is held, by this thread or another, is left
// alone and the call falls back to the full path, which waits for it (up
// to the map's timeout) or reports ERR_WOULD_DEADLOCK; so does an error
// (a call from a retain callback into its shard). LRU: a plain set stores
// with the map's TTL, the others keep the entry's own (as the full path).
// f may run twice on an LRU map (after room was made in another shard), so
// each decision copies what it stores. setMany and deleteMany stop at the
// first held key and say how far they got (see while_free).
template <bool Lru, write_op Op>
void lock_map_write(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, write_args& a) {
  auto& engine = static_cast<lock_map_core<Lru>*>(r.ref.map)->engine;
  run(info, [&] {
    value_copy c;
    if constexpr (Op == write_op::set) {
      const auto ttl = Lru ? threadmap::map_ttl : threadmap::keep_ttl;
      if (!engine.try_alter(a.key, assign_in(a.value), ttl)) fall_back(info);
    } else if constexpr (Op == write_op::erase) {
      const auto had = engine.try_alter(a.key, erase_in<alter_entry<Value>>);
      if (!had) return fall_back(info);
      info.GetReturnValue().Set(*had);
    } else if constexpr (Op == write_op::add) {
      const auto sum = engine.try_alter(a.key, [&](alter_entry<Value>& e) { return add_to(e, a.delta); });
      if (!sum) return fall_back(info);
      return_sum(info, *sum);
    } else if constexpr (Op == write_op::get_or_insert) {
      const auto inserted = engine.try_alter(a.key, [&](alter_entry<Value>& e) { return get_or_insert_in(e, a.value, c); });
      if (!inserted) return fall_back(info);
      if (*inserted) return info.GetReturnValue().Set(info[1]);
      return_copy(info, c);
    } else if constexpr (Op == write_op::take) {
      if (!engine.try_alter(a.key, [&](alter_entry<Value>& e) { take_in(e, c); return true; })) return fall_back(info);
      return_taken(info, c);
    } else if constexpr (Op == write_op::compare_and_set) {
      const auto swapped = engine.try_alter(
          a.key, [&](alter_entry<Value>& e) { return compare_and_set_in(e, a.expect_absent, a.expected, a.value); });
      if (!swapped) return fall_back(info);
      info.GetReturnValue().Set(*swapped);
    } else if constexpr (Op == write_op::set_many) {
      const auto ttl = Lru ? threadmap::map_ttl : threadmap::keep_ttl;
      const std::size_t done = while_free(a.entries.size(), [&](std::size_t i) {
        return engine.try_alter(a.entries[i].first, assign_in(a.entries[i].second), ttl).has_value();
      });
      return_set_progress(info, done, a.entries.size());
    } else {
      static_assert(Op == write_op::delete_many);
      std::size_t removed = 0;
      const std::size_t done = while_free(a.keys.size(), [&](std::size_t i) {
        const auto had = engine.try_alter(a.keys[i], erase_in<alter_entry<Value>>);
        removed += had.value_or(false) ? 1 : 0;
        return had.has_value();
      });
      return_delete_progress(info, done, a.keys.size(), removed);
    }
  });
}

template <write_op Op>
void LockWrite(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  write_args a;
  if (!encode_write<Op>(info, r, a)) return fall_back(info);
  if (r.kind == map_kind::lru_lock_map) {
    lock_map_write<true, Op>(info, r, a);
  } else {
    lock_map_write<false, Op>(info, r, a);
  }
}

template <bool Has>
void LockFreeRead(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  if (!fast_key(info, key, r.ref.map->limits)) return fall_back(info);
  if (r.ref.map->kind == map_kind::hopscotch_map) {
    lock_free_read<HopscotchEngine, Has>(info, r, key);
  } else {
    lock_free_read<LockFreeEngine, Has>(info, r, key);
  }
}

template <bool Try>
void LockMethod(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  Key key;
  if (!fast_key(info, key, r.ref.map->limits)) return fall_back(info);
  if (r.ref.map->kind == map_kind::lru_lock_map) {
    lock_now<true, Try>(info, r, key);
  } else {
    lock_now<false, Try>(info, r, key);
  }
}

// size() -> number of entries, for every kind of map (each template has it,
// so that each class's size getter calls one function: see ByKind). An
// error (a call from inside a callback of the map) falls back, and the full
// path reports it.
void Size(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  run(info, [&] {
    shared_map* m = r.ref.map;
    std::size_t n = 0;
    switch (m->kind) {
      case map_kind::dash_map: n = static_cast<dash_map_core*>(m)->engine.size(); break;
      case map_kind::dash_set: n = static_cast<dash_set_core*>(m)->engine.size(); break;
      case map_kind::lock_map: n = static_cast<lock_map_core<false>*>(m)->engine.size(); break;
      case map_kind::lru_lock_map: n = static_cast<lock_map_core<true>*>(m)->engine.size(); break;
      case map_kind::lock_free_map: n = static_cast<lock_free_core<LockFreeEngine>*>(m)->engine.size(); break;
      case map_kind::hopscotch_map: n = static_cast<lock_free_core<HopscotchEngine>*>(m)->engine.size(); break;
    }
    info.GetReturnValue().Set(static_cast<double>(n));
  });
}

// ---- update and getOrInsertComputed: the full path's bodies, entered here ----
//
// These run a JS callback, so the fast path's types-only shortcut buys
// little; what they paid on Node-API was the call itself (callback info,
// napi_unwrap of the wrapper: entered here, a DashMap update went from 250
// to 180 ns; bench/RESULTS.md, "update and getOrInsertComputed through the
// fast object") and, in
// a program using several map classes, a polymorphic call site per class
// (MapCore's one method calling each class's own Node-API object). So the
// fast object has them for every key and value type: each is its family's
// static body (DashMapWrap::update, ...), which works in Node-API values
// and throws node-addon-api's C++ exceptions, called with this thread's
// env. Those bodies call Node-API outside a Node-API callback, which Node
// allows (its functions record a JS exception as pending, and node-addon-api
// takes it back into the Napi::Error it throws); full_body then throws each
// error into V8 as the Node-API wrapper would have. They never fall back:
// every error they meet is the full path's own.
using full_method = Napi::Value (*)(Napi::Env, shared_map&, Napi::Value, Napi::Value);

void full_body(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r, full_method body) {
  v8::Isolate* isolate = info.GetIsolate();
  Napi::Env env(owner_of(info)->env());
  try {
    Napi::Value result = body(env, *r.ref.map, Napi::Value(env, to_napi(info[0])), Napi::Value(env, to_napi(info[1])));
    info.GetReturnValue().Set(to_v8(result));
  } catch (const Napi::Error& e) {
    // As node-addon-api's own wrapper: an empty error (none could be made,
    // e.g. while the thread is being terminated) throws nothing.
    if (!e.IsEmpty()) isolate->ThrowException(to_v8(e.Value()));
  } catch (const std::exception& e) {
    // What node-addon-api's wrapper makes of one (NODE_ADDON_API_CPP_EXCEPTIONS_ALL).
    v8::Local<v8::String> message;
    if (!v8::String::NewFromUtf8(isolate, e.what()).ToLocal(&message)) message = v8::String::Empty(isolate);
    isolate->ThrowException(v8::Exception::Error(message));
  }
}

// The family's body of one such method: Which picks it from a wrap class.
template <template <class> class Which>
void FullBody(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref& r) {
  switch (r.kind) {
    case map_kind::dash_map: return full_body(info, r, Which<DashMapWrap<false>>::body);
    case map_kind::lock_free_map: return full_body(info, r, Which<LockFreeWrap<LockFreeEngine>>::body);
    case map_kind::hopscotch_map: return full_body(info, r, Which<LockFreeWrap<HopscotchEngine>>::body);
    case map_kind::lock_map: return full_body(info, r, Which<LockMapWrap<false>>::body);
    case map_kind::lru_lock_map: return full_body(info, r, Which<LockMapWrap<true>>::body);
    case map_kind::dash_set: break;
  }
  fall_back(info);
}

template <class W>
struct update_of {
  static constexpr full_method body = &W::update;
};
template <class W>
struct get_or_insert_computed_of {
  static constexpr full_method body = &W::get_or_insert_computed;
};

// For a method a family does not have on the fast path.
void Fallback(const v8::FunctionCallbackInfo<v8::Value>& info, fast_ref&) {
  fall_back(info);
}

// A fast method's body: the call, and its receiver's record (read once per
// call: reading it is a chain of dependent loads through the receiver's V8
// object, which was 15% of a get's time when each helper read it again).
using fast_method = void (*)(const v8::FunctionCallbackInfo<v8::Value>&, fast_ref&);

// The map classes' methods as one function each, which runs the receiver's
// family's own: Dash for a DashMap, LockFree for a LockFreeMap or
// HopscotchMap, Lock for a LockMap or LruLockMap (Fallback where a family
// has none; any other receiver falls back too, so a fast object reached by
// hand cannot make a method misread its map). Those classes share their JS
// methods (MapCore in lib/map_core.js); with a template per family, a
// program that used two families made each of those call sites see two
// receiver shapes and two function targets, and V8 then calls through its
// generic path: DashMap's get, has and set took 35-60% longer in such a
// process (bench/RESULTS.md, "One fast template").
template <fast_method Dash, fast_method LockFree, fast_method Lock>
void ByKind(const v8::FunctionCallbackInfo<v8::Value>& info) {
  fast_ref& r = *self(info);
  switch (r.kind) {
    case map_kind::dash_map: return Dash(info, r);
    case map_kind::lock_free_map:
    case map_kind::hopscotch_map: return LockFree(info, r);
    case map_kind::lock_map:
    case map_kind::lru_lock_map: return Lock(info, r);
    case map_kind::dash_set: break;
  }
  Fallback(info, r);
}

void RefuseConstruction(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  isolate->ThrowException(v8::Exception::TypeError(
      v8::String::NewFromUtf8Literal(isolate, "threadmap: a map's fast path object cannot be constructed")));
}

// A method with one body for every receiver (size, and DashSet's methods).
template <fast_method F>
void Direct(const v8::FunctionCallbackInfo<v8::Value>& info) {
  F(info, *self(info));
}

}  // namespace

FastPath::FastPath(napi_env env, LockHub& hub, const std::vector<const shared_map*>& running_lock_free_callbacks)
    : env_(env), isolate_(v8::Isolate::GetCurrent()), locks(hub), lock_free_callbacks(running_lock_free_callbacks) {
  v8::HandleScope scope(isolate_);
  v8::Local<v8::External> data = v8::External::New(isolate_, this);
  // One template per JS face (every map class shares one, see ByKind; a
  // DashSet has its own): its instances keep their fast_ref in internal
  // field 0, and the signature lets only those call its methods.
  using method = std::pair<const char*, v8::FunctionCallback>;
  auto make_template = [&](const char* class_name, std::initializer_list<method> methods) {
    // Its constructor (reachable from JS through a fast object's
    // `constructor`) refuses to make one: an instance it made would have
    // no record in field 0 for the methods to read. Ours come from
    // InstanceTemplate()->NewInstance (wrap), which does not call it.
    v8::Local<v8::FunctionTemplate> tmpl = v8::FunctionTemplate::New(isolate_, RefuseConstruction);
    tmpl->SetClassName(v8::String::NewFromUtf8(isolate_, class_name).ToLocalChecked());
    tmpl->InstanceTemplate()->SetInternalFieldCount(1);
    v8::Local<v8::Signature> sig = v8::Signature::New(isolate_, tmpl);
    for (const auto& [name, callback] : methods) {
      tmpl->PrototypeTemplate()->Set(v8::String::NewFromUtf8(isolate_, name).ToLocalChecked(),
                                     v8::FunctionTemplate::New(isolate_, callback, data, sig));
    }
    return tmpl;
  };
  template_.Reset(
      isolate_,
      make_template(
          "MapFastPath",
          {{"get", ByKind<Get, LockFreeRead<false>, LockRead<lock_read::get>>},
           {"has", ByKind<Has<false>, LockFreeRead<true>, LockRead<lock_read::has>>},
           {"peek", ByKind<Fallback, Fallback, LockRead<lock_read::peek>>},
           {"probe", ByKind<Fallback, Fallback, LockRead<lock_read::probe>>},
           {"set", ByKind<Set, LockFreeWrite<write_op::set>, LockWrite<write_op::set>>},
           {"delete", ByKind<Delete<false>, LockFreeWrite<write_op::erase>, LockWrite<write_op::erase>>},
           {"add", ByKind<Add, LockFreeWrite<write_op::add>, LockWrite<write_op::add>>},
           {"getOrInsert", ByKind<GetOrInsert, LockFreeWrite<write_op::get_or_insert>, LockWrite<write_op::get_or_insert>>},
           {"take", ByKind<Take, LockFreeWrite<write_op::take>, LockWrite<write_op::take>>},
           {"compareAndSet",
            ByKind<CompareAndSet, LockFreeWrite<write_op::compare_and_set>, LockWrite<write_op::compare_and_set>>},
           {"setMany", ByKind<SetMany, LockFreeWrite<write_op::set_many>, LockWrite<write_op::set_many>>},
           {"deleteMany",
            ByKind<DeleteMany<false>, LockFreeWrite<write_op::delete_many>, LockWrite<write_op::delete_many>>},
           {"lock", ByKind<Fallback, Fallback, LockMethod<false>>},
           {"tryLock", ByKind<Fallback, Fallback, LockMethod<true>>},
           {"update", Direct<FullBody<update_of>>},
           {"getOrInsertComputed", Direct<FullBody<get_or_insert_computed_of>>},
           {"size", Direct<Size>}}));
  set_template_.Reset(isolate_, make_template("DashSetFastPath", {{"has", Direct<Has<true>>},
                                                                  {"insert", Direct<Insert>},
                                                                  {"delete", Direct<Delete<true>>},
                                                                  {"size", Direct<Size>},
                                                                  {"insertMany", Direct<InsertMany>},
                                                                  {"deleteMany", Direct<DeleteMany<true>>}}));
}

FastPath::~FastPath() {
  // Env teardown (the thread is exiting): free what the GC did not.
  for (fast_ref* r : live_) {
    r->self.Reset();
    delete r;
  }
  live_.clear();
}

void FastPath::set_fallback(Napi::Value sentinel, Napi::Value counted) {
  fallback_.Reset(isolate_, to_v8(sentinel));
  counted_.Reset(isolate_, to_v8(counted));
}

Napi::Value FastPath::make(Napi::Env env, const MapRef& ref) { return wrap(env, template_.Get(isolate_), ref); }

Napi::Value FastPath::make_set(Napi::Env env, const MapRef& ref) { return wrap(env, set_template_.Get(isolate_), ref); }


Napi::Value FastPath::wrap(Napi::Env env, v8::Local<v8::FunctionTemplate> tmpl, const MapRef& ref) {
  v8::Local<v8::Context> context = isolate_->GetCurrentContext();
  v8::Local<v8::Object> obj;
  if (!tmpl->InstanceTemplate()->NewInstance(context).ToLocal(&obj))
    throw Napi::Error::New(env, "threadmap: cannot create the fast path object");
  auto* r = new fast_ref{ref, {}, this, ref.map->kind};
  live_.insert(r);
  set_internal_pointer(obj, 0, r);
  r->self.Reset(isolate_, obj);
  r->self.SetWeak(r, free_record, v8::WeakCallbackType::kParameter);
  return Napi::Value(env, to_napi(obj));
}

}  // namespace threadmap::addon
