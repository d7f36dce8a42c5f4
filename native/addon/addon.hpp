// native/addon/addon.hpp: per-thread state of the addon (Node-API instance
// data). The addon is loaded once per worker thread; everything a thread's
// JS needs lives here, never in statics (STYLE.md, principle 8).
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include <threadmap/error.hpp>

#include "fast_path.hpp"
#include "lock_hub.hpp"
#include "registry.hpp"

namespace threadmap::addon {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);

  Napi::FunctionReference buffer_ctor;
  Napi::FunctionReference deep_equal;  // (a, b) -> util.isDeepStrictEqual(a, b), set by lib/ (setCodec)
  std::unique_ptr<FastPath> fast;       // V8-level hot methods (fast_path.hpp)
  // This thread's key locks (lock_hub.hpp). Destroyed with the environment:
  // that releases every lock the thread holds and drops its waits.
  std::unique_ptr<LockHub> locks;
  // The LockFreeMap / HopscotchMap maps whose update or retain callback is
  // running on this thread, innermost last: a write to one of them from its
  // own callback is refused (lock_free_wrap.cc).
  std::vector<const shared_map*> lock_free_callbacks;
  // An empty JS function this thread calls now and then while it waits for
  // a key's lock: the call fails once the thread is being stopped (see
  // thread_is_stopping in addon.cc).
  Napi::FunctionReference interrupt_probe;

  static Addon& of(Napi::Env env) { return *env.GetInstanceData<Addon>(); }

  ~Addon();
  Addon(const Addon&) = delete;
  Addon& operator=(const Addon&) = delete;

 private:
  Napi::Value SetCodec(const Napi::CallbackInfo& info);
  Napi::Value LiveMaps(const Napi::CallbackInfo& info);
  // Named maps (registry.hpp); lib/map_core.js validates the arguments.
  Napi::Value FindNamed(const Napi::CallbackInfo& info);
  Napi::Value NameMap(const Napi::CallbackInfo& info);
  Napi::Value DropName(const Napi::CallbackInfo& info);
  Napi::Value MapNames(const Napi::CallbackInfo& info);
  Napi::Value NamesGeneration(const Napi::CallbackInfo& info);
  // Entry operations (lib/lock_map.js adds them to Entry.prototype).
  Napi::Value EntryGet(const Napi::CallbackInfo& info);
  Napi::Value EntryExists(const Napi::CallbackInfo& info);
  Napi::Value EntrySet(const Napi::CallbackInfo& info);
  Napi::Value EntryDelete(const Napi::CallbackInfo& info);
  Napi::Value EntryFailure(const Napi::CallbackInfo& info);
  Napi::Value EntryPublishFailure(const Napi::CallbackInfo& info);
  Napi::Value CancelWait(const Napi::CallbackInfo& info);
  Napi::Value SetLockDispatch(const Napi::CallbackInfo& info);
  Napi::Value HeldEntries(const Napi::CallbackInfo& info);
};

// A JS Error with a `code` (ThreadmapError in lib/errors.js), as an exception.
Napi::Error make_error(Napi::Env env, errc code, const std::string& message);

// Runs f, turning engine and C++ exceptions into JS exceptions: threadmap::error
// -> ThreadmapError with its code, bad_alloc/length_error -> RangeError.
// Napi::Error (a JS exception) passes through.
template <class F>
auto guarded(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const threadmap::error& e) {
    throw make_error(env, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, "out of memory");
  } catch (const std::length_error& e) {
    throw Napi::RangeError::New(env, e.what());
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(env, e.what());
  }
}

}  // namespace threadmap::addon
