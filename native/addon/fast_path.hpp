// native/addon/fast_path.hpp: the hot methods of every map class (and of
// DashSet) as plain V8 functions.
//
// Why: a Node-API method call costs several times a JS Map.get on this
// class of machine (callback info, napi_unwrap of the wrapper), and Node 20
// exposes no V8 fast API calls to addons. A V8 FunctionTemplate method whose
// receiver keeps its native pointer in an internal field costs about a
// third of that. So get/set/has/delete/add/getOrInsert/take/compareAndSet
// and size for the common types (string, number and boolean keys; number,
// boolean, null, undefined and string values) run here; for anything else
// they return the per-thread `fallback` sentinel and lib/ calls the
// Node-API method, which handles every type and every error. A fallback
// happens before the map is changed (only reads, a decision not to change
// it, or a failure to take a lock or to allocate), so repeating the call on
// the full path is safe.
//
// update and getOrInsertComputed, which run a JS callback, are on the fast
// object too, for every type: there they run the full path's own bodies
// (fast_path.cc, full_body), entered from V8 instead of through Node-API.
//
// LockFreeMap and HopscotchMap get the same methods from the same template
// (fast_path.cc, ByKind); a write from inside an update/retain callback of
// the same map falls back, and the full path refuses it. Every class's
// setMany and deleteMany stop at their first error and say how far they got.
//
// LockMap and LruLockMap get them too, from the same template, and lock(),
// tryLock(), peek() and (LruLockMap) probe, getOrCompute's lookup
// (Entry.prototype.release is already a V8 function, see lock_hub.hpp).
// Their writes change only a key nobody holds (a held one falls back, and
// the full path waits for it); their setMany and deleteMany stop at the
// first held key, and lib/ gives the full path only the rest. Lock errors
// are thrown from here with their codes (a fallback would wait a second
// time); other failures fall back.
//
// Lifetime: each fast object owns a MapRef (keeps the map alive) in a
// heap record pointed to by its internal field. The record is freed by a
// weak callback when the object is collected, or by the thread's Addon at
// env teardown (a worker that exits), whichever comes first.
#pragma once

#include <napi.h>
#include <v8.h>

#include <unordered_set>
#include <vector>

#include "registry.hpp"

namespace threadmap::addon {

struct fast_ref;
class LockHub;

class FastPath {
 public:
  // running_lock_free_callbacks: the thread's Addon::lock_free_callbacks.
  // Like `locks`, it belongs to the same Addon and is read only by the fast
  // methods, which run while the thread's JS does; the Addon's members go
  // in reverse order at teardown, and this destructor touches neither.
  FastPath(napi_env env, LockHub& locks, const std::vector<const shared_map*>& running_lock_free_callbacks);
  ~FastPath();
  FastPath(const FastPath&) = delete;
  FastPath& operator=(const FastPath&) = delete;

  // A new fast object over `ref`, a map of any class (not a DashSet).
  Napi::Value make(Napi::Env env, const MapRef& ref);
  // A new fast object over a DashSet: has, insert, delete.
  Napi::Value make_set(Napi::Env env, const MapRef& ref);
  // The sentinel the fast methods return to ask for the full path.
  void set_fallback(Napi::Value sentinel, Napi::Value counted);

  void forget(fast_ref* r) { live_.erase(r); }
  v8::Local<v8::Value> fallback(v8::Isolate* isolate) const { return fallback_.Get(isolate); }
  // What an LruLockMap get returns when it found (and counted, and
  // promoted) a value it cannot decode here: lib/ then peeks it, so that
  // the lookup is counted once.
  v8::Local<v8::Value> counted(v8::Isolate* isolate) const { return counted_.Get(isolate); }
  // The thread's env, for the methods whose bodies are the full path's
  // (update, getOrInsertComputed: see fast_path.cc, full_body).
  napi_env env() const { return env_; }

 private:
  napi_env env_;
  v8::Isolate* isolate_;
  Napi::Value wrap(Napi::Env env, v8::Local<v8::FunctionTemplate> tmpl, const MapRef& ref);
  v8::Global<v8::FunctionTemplate> template_;
  v8::Global<v8::FunctionTemplate> set_template_;
  v8::Global<v8::Value> fallback_;
  v8::Global<v8::Value> counted_;
  std::unordered_set<fast_ref*> live_;  // this thread's fast objects not yet collected

 public:
  LockHub& locks;
  const std::vector<const shared_map*>& lock_free_callbacks;
};

}  // namespace threadmap::addon
