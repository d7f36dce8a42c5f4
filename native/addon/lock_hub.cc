// native/addon/lock_hub.cc: see lock_hub.hpp.
#include "lock_hub.hpp"

#include <algorithm>

#include <threadmap/detail/lock_tracker.hpp>

#include "addon.hpp"
#include "codec.hpp"
#include "v8_bridge.hpp"

namespace threadmap::addon {

void throw_coded(v8::Isolate* isolate, errc code, const char* message) {
  v8::Local<v8::String> msg = v8::String::NewFromUtf8(isolate, message).ToLocalChecked();
  v8::Local<v8::Value> err = v8::Exception::Error(msg);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  const bool set = err.As<v8::Object>()
                       ->Set(context, v8::String::NewFromUtf8Literal(isolate, "code"),
                             v8::String::NewFromUtf8(isolate, errc_code(code)).ToLocalChecked())
                       .FromMaybe(false);
  (void)set;  // only fails if the isolate is terminating: the throw below is moot then
  isolate->ThrowException(err);
}

namespace {

LockHub* hub_of(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<LockHub*>(info.Data().As<v8::External>()->Value());
}

// new Entry() from JS: entries only come from the lock methods.
void EntryConstructor(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  isolate->ThrowException(v8::Exception::TypeError(
      v8::String::NewFromUtf8Literal(isolate, "Entry: entries come from lock(), tryLock() or lockAsync()")));
}

// The receiver is an Entry (the signature checks it); field 1 is the key.
void EntryKey(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.This()->GetInternalField(1).As<v8::Value>());  // Local<Data> since V8 12 (Node 22)
}

// The `uncloneable` getter: the symbol it was made with.
void EntryGuard(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.Data());
}

void EntryReleased(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(internal_pointer(info.This(), 0) == nullptr);
}

void EntryRelease(const v8::FunctionCallbackInfo<v8::Value>& info) {
  hub_of(info)->release(info.GetIsolate(), info.This());
}

}  // namespace

LockHub*& LockHub::releasing_hub() noexcept {
  thread_local LockHub* hub = nullptr;
  return hub;
}

LockHub*& LockHub::this_thread_hub() noexcept {
  thread_local LockHub* hub = nullptr;
  return hub;
}

void LockHub::release_now(std::unique_ptr<holder> h) noexcept {
  if (!h) return;
  // A release can hand the key to a waiter whose grant is dropped too (its
  // wait given up, its hub gone), whose release hands it on again: queued
  // here rather than recursing, so a long queue of such waiters cannot
  // overflow the stack.
  thread_local std::vector<std::unique_ptr<holder>>* queued = nullptr;
  if (queued) {
    try {
      queued->push_back(std::move(h));
      return;
    } catch (...) {
      // No memory: released here, one level deeper.
    }
  }
  std::vector<std::unique_ptr<holder>> later;
  const bool outermost = queued == nullptr;
  if (outermost) queued = &later;
  release_one(std::move(h));
  while (outermost && !later.empty()) {
    std::unique_ptr<holder> next = std::move(later.back());
    later.pop_back();
    release_one(std::move(next));
  }
  if (outermost) queued = nullptr;
}

void LockHub::release_one(std::unique_ptr<holder> h) noexcept {
  if (detail::this_thread_locks().depth == 0) {
    h.reset();  // a plain wait for the shard: cannot fail
    return;
  }
  try {
    h->release();  // the bounded nested wait; throws rather than deadlock
    h.reset();
    return;
  } catch (...) {
  }
  if (LockHub* hub = this_thread_hub()) {
    try {
      hub->unreleased_.push_back(std::move(h));
      hub->wake();
      return;
    } catch (...) {
      // No memory to keep it: released below, as a last resort.
    }
  }
  h.reset();
}

void hub_core::deliver(wait_id id, std::unique_ptr<holder> h) noexcept {
  {
    std::lock_guard<std::mutex> g(mu);
    if (auto it = std::find(abandoned.begin(), abandoned.end(), id); it != abandoned.end()) {
      abandoned.erase(it);  // given up: h is dropped below
    } else if (hub && hub == LockHub::releasing_hub()) {
      // The releasing thread is the waiter's: release() delivers it (see the header).
      try {
        hub->queue_local(id, std::move(h));
      } catch (...) {
        // Out of memory: h is still ours; dropped below, which releases it.
      }
    } else if (hub && tsfn) {
      try {
        ready.emplace_back(id, std::move(h));
      } catch (...) {
        // Out of memory: h is still ours; dropped below, which releases it.
      }
      if (!h && napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking) != napi_ok) {
        // The TSFN is closing (its thread is stopping): take the grant back.
        h = std::move(ready.back().second);
        ready.pop_back();
      }
    }
  }
  // h, if still here, is released now, outside mu: the lock goes on to the
  // next waiter (which may call deliver() of another hub, or of this one).
  LockHub::release_now(std::move(h));
}

LockHub::LockHub(Napi::Env env)
    : env_(env), isolate_(v8::Isolate::GetCurrent()), core_(std::make_shared<hub_core>()) {
  core_->hub = this;
  this_thread_hub() = this;
  v8::HandleScope scope(isolate_);
  v8::Local<v8::External> data = v8::External::New(isolate_, this);
  v8::Local<v8::FunctionTemplate> tmpl = v8::FunctionTemplate::New(isolate_, EntryConstructor, data);
  tmpl->SetClassName(v8::String::NewFromUtf8Literal(isolate_, "Entry"));
  tmpl->InstanceTemplate()->SetInternalFieldCount(2);
  // Each entry has the maps' clone guard (lib/map_core.js, uncloneableSymbol):
  // an own enumerable `uncloneable` property that reads as a symbol. Node
  // 20's structured clone refuses an object with internal fields anyway, but
  // from Node 22 on it copies one as an empty plain object, so the symbol is
  // what refuses. An accessor on the template, so that it lives in the
  // entries' shared map and a clone copies nothing more (as a data property
  // it cost lock + release 12-15 ns: bench/RESULTS.md, "Entry's
  // clone guard").
  v8::Local<v8::Symbol> guard = v8::Symbol::New(
      isolate_, v8::String::NewFromUtf8Literal(
                    isolate_, "an Entry cannot be cloned or posted: its lock belongs to this thread; release it here"));
  tmpl->InstanceTemplate()->SetAccessorProperty(v8::String::NewFromUtf8Literal(isolate_, "uncloneable"),
                                                v8::FunctionTemplate::New(isolate_, EntryGuard, guard),
                                                v8::Local<v8::FunctionTemplate>(), v8::DontDelete);
  v8::Local<v8::Signature> sig = v8::Signature::New(isolate_, tmpl);
  v8::Local<v8::ObjectTemplate> proto = tmpl->PrototypeTemplate();
  proto->Set(v8::String::NewFromUtf8Literal(isolate_, "release"), v8::FunctionTemplate::New(isolate_, EntryRelease, data, sig));
  proto->SetAccessorProperty(v8::String::NewFromUtf8Literal(isolate_, "key"),
                             v8::FunctionTemplate::New(isolate_, EntryKey, data, sig));
  proto->SetAccessorProperty(v8::String::NewFromUtf8Literal(isolate_, "released"),
                             v8::FunctionTemplate::New(isolate_, EntryReleased, data, sig));
  entry_template_.Reset(isolate_, tmpl);
  // Entries are shallow copies of one blank instance: Object::Clone costs
  // a fraction of ObjectTemplate::NewInstance (measured: lock + release
  // went from 425 to 293 ns, bench/js/locks.js).
  v8::Local<v8::Object> blank;
  if (tmpl->InstanceTemplate()->NewInstance(isolate_->GetCurrentContext()).ToLocal(&blank)) {
    set_internal_pointer(blank, 0, nullptr);
    entry_blank_.Reset(isolate_, blank);
  }
}

// The environment is going away (its thread exits, throws or is
// terminated): withdraw its waits and release its locks.
LockHub::~LockHub() {
  if (this_thread_hub() == this) this_thread_hub() = nullptr;  // release_now keeps nothing here any more
  unreleased_.clear();
  grant_list ready;
  {
    std::lock_guard<std::mutex> g(core_->mu);
    core_->hub = nullptr;  // from now on deliver() drops grants
    ready.swap(core_->ready);
  }
  ready.clear();
  for (auto& [id, w] : pending_) {
    // Withdrawn, or its grant is being delivered on another thread right
    // now: deliver() sees no hub and releases it (the waiter keeps itself
    // alive until then).
    try {
      w->cancel();
    } catch (...) {
      // cancel() only takes a shard lock; nothing to do if it cannot.
    }
  }
  pending_.clear();
  local_ready_.clear();
  deferred_.clear();
  while (head_) {
    holder* h = head_;
    h->self.Reset();
    drop(h);  // releases: the lock goes to its next waiter
  }
}

void LockHub::link(holder* h) noexcept {
  h->hub = this;
  h->prev = nullptr;
  h->next = head_;
  if (head_) head_->prev = h;
  head_ = h;
  ++live_;
}

void LockHub::unlink(holder* h) noexcept {
  (h->prev ? h->prev->next : head_) = h->next;
  if (h->next) h->next->prev = h->prev;
  h->prev = h->next = nullptr;
  --live_;
}

// Requires: this thread holds no shard lock (the release must not throw).
void LockHub::drop(holder* h) noexcept {
  unlink(h);
  delete h;
}

void LockHub::release_deferred() noexcept {
  if ((deferred_.empty() && unreleased_.empty()) || detail::this_thread_locks().depth != 0) return;
  std::vector<holder*> todo;
  todo.swap(deferred_);
  for (holder* h : todo) drop(h);
  std::vector<std::unique_ptr<holder>> unowned;
  unowned.swap(unreleased_);
  unowned.clear();
}

// The GC collected an Entry that still held its lock: release it, unless
// this thread is inside a callback under a shard lock (a GC can run there),
// where releasing could need that very shard: then at the next hub call.
// Releasing touches no V8 state (only the engine, and maybe another hub's
// thread-safe function), so it is allowed in a first-pass weak callback.
// Deferred, the release waits at most for the event loop's next turn: the
// thread-safe function is called to run deliver_ready, which releases the
// deferred holders (a thread that makes no more lock calls must not keep
// the key locked for good).
void LockHub::on_collected(const v8::WeakCallbackInfo<holder>& info) {
  holder* h = info.GetParameter();
  h->self.Reset();
  LockHub* hub = h->hub;
  if (detail::this_thread_locks().depth == 0) {
    hub->drop(h);
    return;
  }
  try {
    hub->deferred_.push_back(h);
  } catch (...) {
    // No memory to defer: the lock stays held until this thread exits.
    return;
  }
  hub->wake();
}

// Asks for a deliver_ready on this thread's event loop. On the hub's own
// thread only, which alone writes core.tsfn, so it is read without core.mu
// (a GC inside a callback calls this under a shard lock). The call touches
// no V8 state. If the function is closing, the hub's destructor releases
// everything anyway.
void LockHub::wake() noexcept {
  if (core_->tsfn) napi_call_threadsafe_function(core_->tsfn, nullptr, napi_tsfn_nonblocking);
}

// Requires: a HandleScope (every caller is a JS call).
v8::Local<v8::Object> LockHub::adopt(v8::Isolate* isolate, std::unique_ptr<holder> h, v8::Local<v8::Value> key) {
  if (!deferred_.empty() || !unreleased_.empty()) release_deferred();
  // The thread-safe function on_collected may need to wake this thread
  // with (made once; a throw releases h on the way out).
  if (!core_->tsfn) [[unlikely]] ensure_tsfn(Napi::Env(env_));
  if (entry_blank_.IsEmpty()) throw std::bad_alloc();  // the holder (and its lock) is released on the way out
  v8::Local<v8::Object> obj = entry_blank_.Get(isolate)->Clone();
  if (obj.IsEmpty()) throw std::bad_alloc();
  holder* raw = h.release();
  link(raw);
  set_internal_pointer(obj, 0, raw);
  obj->SetInternalField(1, key);
  raw->self.Reset(isolate, obj);
  raw->self.SetWeak(raw, on_collected, v8::WeakCallbackType::kParameter);
  return obj;
}

Napi::Value LockHub::entry_value(Napi::Env env, std::unique_ptr<holder> h, const Key& key) {
  Napi::Value k = decode_key(env, key);
  return Napi::Value(env, to_napi(adopt(isolate_, std::move(h), to_v8(k))));
}

holder& LockHub::at(Napi::Env env, Napi::Value v) {
  release_deferred();
  v8::Local<v8::Value> local = to_v8(v);
  if (!local->IsObject() || !entry_template_.Get(isolate_)->HasInstance(local))
    throw Napi::TypeError::New(env, "not an Entry");
  auto* h = static_cast<holder*>(internal_pointer(local.As<v8::Object>(), 0));
  if (!h) throw make_error(env, errc::entry_released, "the entry was released: its lock is gone");
  return *h;
}

void LockHub::release(v8::Isolate* isolate, v8::Local<v8::Value> v) {
  if (!deferred_.empty() || !unreleased_.empty()) release_deferred();
  v8::Local<v8::Object> obj = v.As<v8::Object>();  // the signature checked it is an Entry
  auto* h = static_cast<holder*>(internal_pointer(obj, 0));
  if (!h) return throw_coded(isolate, errc::entry_released, "the entry was already released");
  {
    // While the engine releases, grants to this hub's own waiters are
    // queued in local_ready_ (see the header); the previous value comes
    // back on every way out of this block.
    struct releasing_scope {
      LockHub*& slot;
      LockHub* const outer;
      releasing_scope(LockHub*& s, LockHub* hub) : slot(s), outer(s) { slot = hub; }
      ~releasing_scope() { slot = outer; }
    } scope(releasing_hub(), this);
    try {
      h->release();
    } catch (const threadmap::error& e) {
      return throw_coded(isolate, e.code(), e.what());  // still held
    }
  }
  set_internal_pointer(obj, 0, nullptr);
  h->self.Reset();
  drop(h);
  if (!local_ready_.empty()) {
    grant_list ready;
    ready.swap(local_ready_);
    dispatch_grants(Napi::Env(env_), ready);
  }
}

Napi::Value LockHub::entry_class(Napi::Env env) {
  v8::Local<v8::Function> fn;
  if (!entry_template_.Get(isolate_)->GetFunction(isolate_->GetCurrentContext()).ToLocal(&fn))
    throw Napi::Error::New(env, "threadmap: cannot create the Entry class");
  return Napi::Value(env, to_napi(fn));
}

bool LockHub::cancel_wait(Napi::Env env, wait_id id) {
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second->cancelled) return false;
  bool withdrawn = false;
  try {
    withdrawn = it->second->cancel();
  } catch (const threadmap::error&) {
    // Inside a callback that holds the key's shard (would_deadlock): the
    // wait stays queued for now; abandoned below, its grant is released
    // the moment it is made.
  }
  std::unique_ptr<holder> arrived;
  if (!withdrawn) {
    std::lock_guard<std::mutex> g(core_->mu);
    auto r = std::find_if(core_->ready.begin(), core_->ready.end(), [&](const auto& e) { return e.first == id; });
    if (r != core_->ready.end()) {
      arrived = std::move(r->second);
      core_->ready.erase(r);
    } else {
      try {
        core_->abandoned.push_back(id);
      } catch (...) {
        // No memory: the grant is released when it reaches dispatch_grants.
        it->second->cancelled = true;
        return false;
      }
    }
  }
  pending_.erase(it);
  waits_changed(env);
  // Released outside core.mu (the lock may go on to a waiter of this hub,
  // whose deliver() takes core.mu); inside a callback, release_now may
  // have to keep it until this thread's next turn.
  release_now(std::move(arrived));
  return withdrawn;
}

void LockHub::ensure_tsfn(Napi::Env env) {
  {
    std::lock_guard<std::mutex> g(core_->mu);
    if (core_->tsfn) return;
  }
  auto* finalize_data = new std::shared_ptr<hub_core>(core_);
  napi_threadsafe_function tsfn = nullptr;
  napi_value name = Napi::String::New(env, "threadmap.lockGranted");
  napi_status st = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, finalize_data, on_tsfn_finalize,
                                                   finalize_data, on_ready, &tsfn);
  if (st != napi_ok) {
    delete finalize_data;
    throw Napi::Error::New(env, "threadmap: could not create the thread-safe function for lock grants");
  }
  napi_unref_threadsafe_function(env, tsfn);
  tsfn_ref_ = false;
  std::lock_guard<std::mutex> g(core_->mu);
  core_->tsfn = tsfn;
}

// While a wait is pending the TSFN keeps the event loop alive (like a
// pending I/O request); with none it does not.
void LockHub::waits_changed(Napi::Env env) {
  napi_threadsafe_function tsfn;
  {
    std::lock_guard<std::mutex> g(core_->mu);
    tsfn = core_->tsfn;
  }
  if (!tsfn) return;
  const bool want = !pending_.empty();
  if (want == tsfn_ref_) return;
  if (want) {
    napi_ref_threadsafe_function(env, tsfn);
  } else {
    napi_unref_threadsafe_function(env, tsfn);
  }
  tsfn_ref_ = want;
}

void LockHub::on_tsfn_finalize(napi_env, void* data, void*) {
  auto* core = static_cast<std::shared_ptr<hub_core>*>(data);
  {
    std::lock_guard<std::mutex> g((*core)->mu);
    (*core)->tsfn = nullptr;
  }
  delete core;
}

// On the hub's JS thread (or with env == nullptr while the TSFN is being
// finalized: then nothing; the hub's destructor drains `ready`).
void LockHub::on_ready(napi_env env, napi_value, void* context, void*) {
  auto& core = *static_cast<std::shared_ptr<hub_core>*>(context);
  LockHub* hub;
  {
    std::lock_guard<std::mutex> g(core->mu);
    hub = core->hub;
  }
  if (!env || !hub) return;
  hub->deliver_ready(Napi::Env(env));
}

void LockHub::deliver_ready(Napi::Env env) {
  if (!deferred_.empty() || !unreleased_.empty()) release_deferred();  // see on_collected
  grant_list ready;
  {
    std::lock_guard<std::mutex> g(core_->mu);
    ready.swap(core_->ready);
  }
  dispatch_grants(env, ready);
}

// Hands grants to the JS dispatcher (or releases those nobody waits for).
// Never throws a C++ exception: a JS exception from the dispatcher is set
// pending after every grant was handed on.
void LockHub::dispatch_grants(Napi::Env env, grant_list& ready) {
  std::optional<Napi::Error> first_error;
  for (auto& [id, h] : ready) {
    auto it = pending_.find(id);
    const bool wanted = it != pending_.end() && !it->second->cancelled;
    if (it != pending_.end()) pending_.erase(it);
    if (!wanted || dispatch_.IsEmpty()) {
      release_now(std::move(h));  // given up: hand the lock on
      continue;
    }
    // The dispatcher only resolves a promise; an exception from it (none
    // is expected) must not stop the other grants: it is raised after.
    try {
      const Key& key = h->key();
      Napi::Value entry = entry_value(env, std::move(h), key);
      dispatch_.Call({Napi::Number::New(env, static_cast<double>(id)), entry});
    } catch (const Napi::Error& e) {
      if (!first_error) first_error = e;
    } catch (const std::exception&) {
      // No memory for the Entry: the holder was released on the way out.
    }
  }
  waits_changed(env);
  if (first_error) first_error->ThrowAsJavaScriptException();
}

}  // namespace threadmap::addon
