// native/addon/addon.cc: module initialisation and per-thread state.
#include "addon.hpp"

#include "codec.hpp"
#include "dash_map_wrap.hpp"
#include "lock_free_wrap.hpp"
#include "lock_map_wrap.hpp"
#include "registry.hpp"
#include "v8_bridge.hpp"
#include "wrap_support.hpp"

#include <threadmap/detail/parking.hpp>

namespace threadmap::addon {

Napi::Error make_error(Napi::Env env, errc code, const std::string& message) {
  Napi::Error e = code == errc::invalid_handle ? Napi::TypeError::New(env, message) : Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, errc_code(code)));
  return e;
}


// The wait_interrupt check (threadmap/detail/parking.hpp) of a thread with
// this addon. worker.terminate() and process.exit() stop a worker by asking
// V8 to terminate its JS (TerminateExecution), then join its thread; V8
// acts on that request only when the thread runs JS again, and a thread
// parked in a synchronous lock() runs none, so its joiner (the main thread,
// and with it process.exit) waited for ever. Calling an empty JS function
// runs V8's pending interrupts: the call fails once termination is under
// way (or the environment no longer runs JS), and the wait gives up.
namespace {
bool thread_is_stopping(void* ctx) {
  const Addon& a = *static_cast<const Addon*>(ctx);
  napi_env env = a.interrupt_probe.Env();
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return true;
  napi_value fn = nullptr;
  napi_value recv = nullptr;
  napi_value result = nullptr;
  const bool stopping = napi_get_reference_value(env, a.interrupt_probe, &fn) != napi_ok || fn == nullptr ||
                        napi_get_undefined(env, &recv) != napi_ok ||
                        napi_call_function(env, recv, fn, 0, nullptr, &result) != napi_ok;
  napi_close_handle_scope(env, scope);
  return stopping;
}
}  // namespace

Addon::~Addon() {
  // The environment (and this object) goes before its thread may end: a
  // later wait on this thread must not call into it.
  if (threadmap::detail::tl_wait_interrupt.ctx == this) threadmap::detail::tl_wait_interrupt = {};
}

Addon::Addon(Napi::Env env, Napi::Object exports) {
  interrupt_probe = Napi::Persistent(env.RunScript("(function threadmapInterruptProbe() {})").As<Napi::Function>());
  buffer_ctor = Napi::Persistent(env.Global().Get("Buffer").As<Napi::Function>());
  locks = std::make_unique<LockHub>(env);
  fast = std::make_unique<FastPath>(env, *locks, lock_free_callbacks);
  DefineAddon(exports, {
                           InstanceMethod("setCodec", &Addon::SetCodec),
                           InstanceMethod("liveMaps", &Addon::LiveMaps),
                           InstanceMethod("findNamed", &Addon::FindNamed),
                           InstanceMethod("nameMap", &Addon::NameMap),
                           InstanceMethod("dropName", &Addon::DropName),
                           InstanceMethod("mapNames", &Addon::MapNames),
                           InstanceMethod("namesGeneration", &Addon::NamesGeneration),
                           InstanceMethod("entryGet", &Addon::EntryGet),
                           InstanceMethod("entryExists", &Addon::EntryExists),
                           InstanceMethod("entrySet", &Addon::EntrySet),
                           InstanceMethod("entryDelete", &Addon::EntryDelete),
                           InstanceMethod("entryFailure", &Addon::EntryFailure),
                           InstanceMethod("entryPublishFailure", &Addon::EntryPublishFailure),
                           InstanceMethod("cancelWait", &Addon::CancelWait),
                           InstanceMethod("setLockDispatch", &Addon::SetLockDispatch),
                           InstanceMethod("heldEntries", &Addon::HeldEntries),
                       });
  exports.Set("DashMap", DashMapWrap<false>::Define(env));
  exports.Set("DashSet", DashMapWrap<true>::Define(env));
  exports.Set("LockMap", LockMapWrap<false>::Define(env));
  exports.Set("LruLockMap", LockMapWrap<true>::Define(env));
  exports.Set("LockFreeMap", LockFreeWrap<LockFreeEngine>::Define(env));
  exports.Set("HopscotchMap", LockFreeWrap<HopscotchEngine>::Define(env));
  exports.Set("Entry", locks->entry_class(env));
  // The defaults of the maxKeyBytes and maxValueBytes options (registry.hpp),
  // for lib/ to compare options with (named maps).
  exports.Set("defaultMaxKeyBytes", Napi::Number::New(env, static_cast<double>(size_limits::default_key_bytes)));
  exports.Set("defaultMaxValueBytes", Napi::Number::New(env, static_cast<double>(size_limits::default_value_bytes)));
  // Last: a constructor that threw above leaves no check pointing at it.
  threadmap::detail::tl_wait_interrupt = {&thread_is_stopping, this};
}

// setCodec({ deepEqual, fallback, counted }): compareAndSet's comparison of
// two object values (util.isDeepStrictEqual), given by lib/native.js, and
// the sentinels of the fast path (fast_path.hpp).
Napi::Value Addon::SetCodec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "setCodec takes an object");
  Napi::Object codec = info[0].As<Napi::Object>();
  auto fn = [&](const char* name) {
    Napi::Value v = codec.Get(name);
    if (!v.IsFunction()) throw Napi::TypeError::New(env, std::string("setCodec: ") + name + " must be a function");
    return Napi::Persistent(v.As<Napi::Function>());
  };
  deep_equal = fn("deepEqual");
  Napi::Value fallback = codec.Get("fallback");
  Napi::Value counted = codec.Get("counted");
  if (!fallback.IsSymbol() || !counted.IsSymbol())
    throw Napi::TypeError::New(env, "setCodec: fallback and counted must be symbols");
  fast->set_fallback(fallback, counted);
  return env.Undefined();
}

Napi::Value Addon::LiveMaps(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(live_maps()));
}

// ---- named maps: info[0] is the name (a string, checked by lib/) ----

namespace {
std::u16string name_arg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "a map's name must be a string");
  return info[0].As<Napi::String>().Utf16Value();
}

// A JS string of exactly these code units, lone surrogates included
// (made through V8, as fast_path.cc makes keys).
Napi::Value utf16_value(Napi::Env env, const std::u16string& units) {
  v8::Local<v8::String> s;
  if (!v8::String::NewFromTwoByte(v8::Isolate::GetCurrent(), reinterpret_cast<const uint16_t*>(units.data()),
                                  v8::NewStringType::kNormal, static_cast<int>(units.size()))
           .ToLocal(&s))
    throw Napi::RangeError::New(env, "a string too long for JS");
  return Napi::Value(env, to_napi(s));
}

// [class name, handle, options, generation], as findNamed and nameMap
// return a named map (generation: the names generation of this answer).
Napi::Array named_answer(Napi::Env env, const named_ref& named) {
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, Napi::String::New(env, map_kind_name(named.ref.map->kind)));
  out.Set(1u, make_handle(env, named.ref));
  out.Set(2u, utf16_value(env, named.options));
  out.Set(3u, Napi::Number::New(env, static_cast<double>(named.generation)));
  return out;
}
}  // namespace

// findNamed(name) -> [className, handle, options, generation] | undefined
Napi::Value Addon::FindNamed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const named_ref named = find_named(name_arg(info));
  return named.ref.map ? Napi::Value(named_answer(env, named)) : env.Undefined();
}

// nameMap(name, handle, options) -> [className, handle, options, generation, named]:
// names handle's map, with the creating call's options (a string), unless
// the name is taken (named: whether it did); the map the name holds.
Napi::Value Addon::NameMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::u16string name = name_arg(info);
  v8::Local<v8::Value> v = info.Length() > 1 ? to_v8(info[1]) : v8::Local<v8::Value>();
  if (v.IsEmpty() || !v->IsSharedArrayBuffer())
    throw make_error(env, errc::invalid_handle, "nameMap: the second argument must be a map's handle");
  if (info.Length() < 3 || !info[2].IsString()) throw Napi::TypeError::New(env, "nameMap: the options must be a string");
  auto [named, made] =
      name_map(name, v.As<v8::SharedArrayBuffer>()->GetBackingStore(), info[2].As<Napi::String>().Utf16Value());
  if (!named.ref.map) throw make_error(env, errc::invalid_handle, "nameMap: not a live map's handle");
  Napi::Array out = named_answer(env, named);
  out.Set(4u, Napi::Boolean::New(env, made));
  return out;
}

// dropName(name) -> whether the name held a map
Napi::Value Addon::DropName(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), drop_name(name_arg(info)));
}

// mapNames() -> string[]
Napi::Value Addon::MapNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::vector<std::u16string> names = map_names();
  Napi::Array out = Napi::Array::New(env, names.size());
  for (uint32_t i = 0; i < names.size(); ++i) out.Set(i, utf16_value(env, names[i]));
  return out;
}

// namesGeneration() -> a number that changes whenever a name is made or
// dropped (registry.hpp). Exact as a double up to 2^53 changes.
Napi::Value Addon::NamesGeneration(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(names_generation()));
}

// ---- entries: info[0] is an Entry (lock_hub.hpp) ----

Napi::Value Addon::EntryGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  holder& h = locks->at(env, info[0]);
  std::optional<Value> v = guarded(env, [&] { return h.get(); });
  return v ? decode_value(env, *v) : env.Undefined();
}

Napi::Value Addon::EntryExists(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  holder& h = locks->at(env, info[0]);
  return Napi::Boolean::New(env, guarded(env, [&] { return h.exists(); }));
}

// entrySet(entry, value, ttlMs?)
// The value is encoded before the holder is taken: encoding can run JS (a
// getter of the value), which may release the entry, so a holder taken
// before it could be gone (or its lock another entry's) by the store. The
// entry is checked first too, so a released one fails before any of that.
Napi::Value Addon::EntrySet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const MapRef ref = locks->at(env, info[0]).ref;
  Value v = value_arg(env, *this, *ref.map, info[1]);
  holder& h = locks->at(env, info[0]);
  std::chrono::nanoseconds ttl(0);
  if (info.Length() > 2 && info[2].IsNumber()) ttl = std::chrono::nanoseconds(static_cast<int64_t>(info[2].As<Napi::Number>().DoubleValue() * 1e6));
  guarded(env, [&] { h.set(std::move(v), ttl); });
  return env.Undefined();
}

Napi::Value Addon::EntryDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  holder& h = locks->at(env, info[0]);
  return Napi::Boolean::New(env, guarded(env, [&] { return h.remove(); }));
}

// entryFailure(entry): the failure a previous holder published after this
// entry queued (getOrCompute), or undefined.
Napi::Value Addon::EntryFailure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  holder& h = locks->at(env, info[0]);
  std::optional<Value> v = guarded(env, [&] { return h.failure(); });
  return v ? decode_value(env, *v) : env.Undefined();
}

// As EntrySet: the value first (encoding may run JS), then the holder.
Napi::Value Addon::EntryPublishFailure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  locks->at(env, info[0]);
  Value v = encode_value(env, *this, info[1]);
  holder& h = locks->at(env, info[0]);
  guarded(env, [&] { h.publish_failure(std::move(v)); });
  return env.Undefined();
}

// cancelWait(id) -> whether the wait was withdrawn before any grant.
Napi::Value Addon::CancelWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double id = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(id >= 0 && id <= 9007199254740991.0)) throw Napi::TypeError::New(env, "cancelWait: bad wait id");
  return Napi::Boolean::New(env, locks->cancel_wait(env, static_cast<wait_id>(id)));
}

// setLockDispatch(fn): fn(waitId, entry) is called when a queued wait is granted.
Napi::Value Addon::SetLockDispatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "setLockDispatch takes a function");
  locks->set_dispatch(info[0].As<Napi::Function>());
  return env.Undefined();
}

// heldEntries() -> { held, waiting }: this thread's entries and queued waits (a diagnostic).
Napi::Value Addon::HeldEntries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("held", Napi::Number::New(env, static_cast<double>(locks->held())));
  out.Set("waiting", Napi::Number::New(env, static_cast<double>(locks->waiting())));
  return out;
}

}  // namespace threadmap::addon

using threadmap::addon::Addon;
NODE_API_NAMED_ADDON(threadmap, Addon)
