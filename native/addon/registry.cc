// native/addon/registry.cc: see registry.hpp for the lifetime and identity rules.
#include "registry.hpp"

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <v8.h>

namespace threadmap::addon {
namespace {

// The size of a handle's buffer. Its bytes mean nothing (they are never
// read); it is not empty so that its data pointer is a real allocation.
constexpr std::size_t handle_bytes = 16;

struct registry_state {
  std::mutex mu;  // guards `maps` and `names`
  std::unordered_map<const void*, shared_map*> maps;  // handle block -> map
  // Named maps: each store keeps its map registered in `maps`, so a named
  // store's Data() is always found there.
  struct named_store {
    std::shared_ptr<v8::BackingStore> store;
    std::u16string options;
  };
  std::unordered_map<std::u16string, named_store> names;
  // Bumped (under mu) whenever `names` changes: a name made or dropped.
  // Read without the mutex by names_generation().
  std::atomic<std::uint64_t> names_generation{0};
};

registry_state& state() {
  // Leaked on purpose: deleters can run during process teardown, after
  // static destructors; a leaked registry is still valid then.
  static registry_state* s = new registry_state();
  return *s;
}

// Maps constructed and not yet destroyed. Relaxed: a diagnostic count that
// guards no other data; a reader after a join or a GC sees the final value
// through that synchronisation, and nothing is decided on a stale one.
std::atomic<std::size_t> live_count{0};

// The BackingStore deleter. May run on any thread (V8 documents this),
// including a GC helper thread, and after the isolate that made the store is
// gone. It touches nothing but the registry and the map.
void delete_handle(void* data, std::size_t, void*) {
  shared_map* map = nullptr;
  {
    std::lock_guard<std::mutex> lock(state().mu);
    auto it = state().maps.find(data);
    if (it != state().maps.end()) {
      map = it->second;
      state().maps.erase(it);
    }
  }
  delete map;
  delete[] static_cast<unsigned char*>(data);
}

}  // namespace

const char* map_kind_name(map_kind k) noexcept {
  switch (k) {
    case map_kind::dash_map: return "DashMap";
    case map_kind::lock_map: return "LockMap";
    case map_kind::lru_lock_map: return "LruLockMap";
    case map_kind::lock_free_map: return "LockFreeMap";
    case map_kind::hopscotch_map: return "HopscotchMap";
    case map_kind::dash_set: return "DashSet";
  }
  return "map";
}

shared_map::shared_map(map_kind k) noexcept : kind(k) { live_count.fetch_add(1, std::memory_order_relaxed); }
shared_map::~shared_map() { live_count.fetch_sub(1, std::memory_order_relaxed); }

MapRef register_map(std::unique_ptr<shared_map> map) {
  auto block = std::make_unique<unsigned char[]>(handle_bytes);
  shared_map* raw = map.get();
  {
    std::lock_guard<std::mutex> lock(state().mu);
    state().maps.emplace(block.get(), raw);
  }
  map.release();  // owned by the registry entry now; freed by delete_handle
  void* data = block.release();
  std::unique_ptr<v8::BackingStore> store =
      v8::SharedArrayBuffer::NewBackingStore(data, handle_bytes, delete_handle, nullptr);
  return MapRef{std::shared_ptr<v8::BackingStore>(std::move(store)), raw};
}

MapRef attach(std::shared_ptr<v8::BackingStore> store, map_kind kind) {
  if (!store || !store->IsShared()) return {};
  std::lock_guard<std::mutex> lock(state().mu);
  auto it = state().maps.find(store->Data());
  if (it == state().maps.end() || it->second->kind != kind) return {};
  return MapRef{std::move(store), it->second};
}

std::size_t live_maps() noexcept { return live_count.load(std::memory_order_relaxed); }

named_ref find_named(const std::u16string& name) {
  std::lock_guard<std::mutex> lock(state().mu);
  auto it = state().names.find(name);
  if (it == state().names.end()) return {};
  const auto& [store, options] = it->second;
  // relaxed: under the mutex, which orders every change of the count.
  return {MapRef{store, state().maps.at(store->Data())}, options,
          state().names_generation.load(std::memory_order_relaxed)};
}

std::pair<named_ref, bool> name_map(const std::u16string& name, std::shared_ptr<v8::BackingStore> store,
                                    std::u16string options) {
  if (!store || !store->IsShared()) return {};
  std::lock_guard<std::mutex> lock(state().mu);
  auto live = state().maps.find(store->Data());
  if (live == state().maps.end()) return {};
  if (auto it = state().names.find(name); it != state().names.end()) {
    // Taken. `store` is still held by the caller's handle, so releasing this
    // copy at return does not run the deleter.
    const auto& held = it->second;
    return {{MapRef{held.store, state().maps.at(held.store->Data())}, held.options,
             state().names_generation.load(std::memory_order_relaxed)},  // relaxed: under the mutex
            false};
  }
  state().names.emplace(name, registry_state::named_store{store, options});
  // release: pairs with names_generation()'s acquire (see registry.hpp).
  const std::uint64_t generation = state().names_generation.fetch_add(1, std::memory_order_release) + 1;
  return {{MapRef{std::move(store), live->second}, std::move(options), generation}, true};
}

bool drop_name(const std::u16string& name) {
  std::shared_ptr<v8::BackingStore> dropped;  // released after the unlock (see registry.hpp)
  {
    std::lock_guard<std::mutex> lock(state().mu);
    auto it = state().names.find(name);
    if (it == state().names.end()) return false;
    dropped = std::move(it->second.store);
    state().names.erase(it);
    state().names_generation.fetch_add(1, std::memory_order_release);  // release: see name_map
  }
  return true;
}

std::uint64_t names_generation() noexcept {
  return state().names_generation.load(std::memory_order_acquire);
}

std::vector<std::u16string> map_names() {
  std::lock_guard<std::mutex> lock(state().mu);
  std::vector<std::u16string> out;
  out.reserve(state().names.size());
  for (const auto& [name, named] : state().names) out.push_back(name);
  return out;
}

}  // namespace threadmap::addon
