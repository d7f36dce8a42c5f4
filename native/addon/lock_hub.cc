// native/addon/lock_hub.cc: see lock_hub.hpp.
#include "lock_hub.hpp"

#include <cmath>

#include "addon.hpp"

namespace threadmap::addon {

namespace {
constexpr double token_gen_unit = 16777216.0;  // 2^24: slots per generation
constexpr uint32_t max_slots = 1u << 24;
constexpr uint32_t max_gen = 1u << 28;  // 2^24 x 2^28 = 2^52 < 2^53: tokens are exact doubles
}  // namespace

void hub_core::deliver(uint32_t id, std::unique_ptr<holder> h) noexcept {
  {
    std::lock_guard<std::mutex> g(mu);
    if (hub && tsfn) {
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
}

LockHub::LockHub(Napi::Env) : core_(std::make_shared<hub_core>()) { core_->hub = this; }

// The environment is going away (its thread exits, throws or is
// terminated): withdraw its waits and release its locks.
LockHub::~LockHub() {
  std::vector<std::pair<uint32_t, std::unique_ptr<holder>>> ready;
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
  for (auto& s : slots_) s.h.reset();  // releases: each lock goes to its next waiter
}

double LockHub::adopt(std::unique_ptr<holder> h) {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    if (slots_.size() >= max_slots) throw std::length_error("too many entries held by one thread (16,777,216)");
    slots_.emplace_back();
    index = static_cast<uint32_t>(slots_.size() - 1);
  }
  slot_rec& s = slots_[index];
  s.h = std::move(h);
  ++live_;
  return static_cast<double>(index) + static_cast<double>(s.gen) * token_gen_unit;
}

holder& LockHub::at(Napi::Env env, Napi::Value token) {
  const double t = token.IsNumber() ? token.As<Napi::Number>().DoubleValue() : -1;
  if (t >= 0 && t < token_gen_unit * max_gen && std::floor(t) == t) {
    const uint32_t gen = static_cast<uint32_t>(t / token_gen_unit);
    const double index = t - static_cast<double>(gen) * token_gen_unit;
    if (index < static_cast<double>(slots_.size())) {
      slot_rec& s = slots_[static_cast<std::size_t>(index)];
      if (s.gen == gen && s.h) return *s.h;
    }
  }
  throw make_error(env, errc::entry_released, "the entry was released: its lock is gone");
}

void LockHub::release(Napi::Env env, Napi::Value token) {
  holder& h = at(env, token);
  guarded(env, [&] { h.release(); });  // may throw (would_deadlock): the token stays valid
  const double t = token.As<Napi::Number>().DoubleValue();
  const uint32_t gen = static_cast<uint32_t>(t / token_gen_unit);
  const uint32_t index = static_cast<uint32_t>(t - static_cast<double>(gen) * token_gen_unit);
  slot_rec& s = slots_[index];
  s.h.reset();
  s.gen = (s.gen + 1) % max_gen;
  free_.push_back(index);
  --live_;
}

bool LockHub::cancel_wait(Napi::Env env, uint32_t id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  if (it->second->cancelled) return false;
  const bool withdrawn = guarded(env, [&] { return it->second->cancel(); });
  if (withdrawn) {
    pending_.erase(it);
    waits_changed(env);
  } else {
    it->second->cancelled = true;  // on_ready releases it when it arrives
  }
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
// finalized: then only drops).
void LockHub::on_ready(napi_env env, napi_value, void* context, void*) {
  auto& core = *static_cast<std::shared_ptr<hub_core>*>(context);
  LockHub* hub;
  {
    std::lock_guard<std::mutex> g(core->mu);
    hub = core->hub;
  }
  if (!env || !hub) return;  // the hub's destructor drains `ready`
  hub->deliver_ready(Napi::Env(env));
}

void LockHub::deliver_ready(Napi::Env env) {
  std::vector<std::pair<uint32_t, std::unique_ptr<holder>>> ready;
  {
    std::lock_guard<std::mutex> g(core_->mu);
    ready.swap(core_->ready);
  }
  std::optional<Napi::Error> first_error;
  for (auto& [id, h] : ready) {
    auto it = pending_.find(id);
    const bool wanted = it != pending_.end() && !it->second->cancelled;
    if (it != pending_.end()) pending_.erase(it);
    if (!wanted) {
      h.reset();  // given up: hand the lock on
      continue;
    }
    const double token = adopt(std::move(h));
    if (!dispatch_.IsEmpty()) {
      // The dispatcher only resolves a promise; an exception from it (none
      // is expected) must not stop the other grants: it is raised after.
      try {
        dispatch_.Call({Napi::Number::New(env, id), Napi::Number::New(env, token)});
      } catch (const Napi::Error& e) {
        if (!first_error) first_error = e;
      }
    }
  }
  waits_changed(env);
  if (first_error) first_error->ThrowAsJavaScriptException();
}

}  // namespace threadmap::addon
