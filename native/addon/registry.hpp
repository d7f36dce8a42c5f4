// native/addon/registry.hpp: the process-wide registry of maps and their
// handles. This is the addon's one mutable static (STYLE.md, principle 8).
//
// Lifetime: a native map is owned by its handle's V8 BackingStore. Every
// map has exactly one BackingStore, created with the map; it is kept alive
// by every SharedArrayBuffer over it (in any isolate, i.e. any worker), by
// every message in flight that carries one (the serializer holds a
// shared_ptr to the store), and by every wrapper object (MapRef holds a
// shared_ptr). When the last of these goes, V8 calls the store's deleter,
// on whatever thread drops it; the deleter unregisters and deletes the map.
// So a map lives exactly while something in the process can reach it.
//
// Identity: the BackingStore's data is a small block this registry
// allocates; the block's address names the map. `attach` looks up the
// address of the SharedArrayBuffer it is given. No byte inside the buffer is
// ever read: a buffer that JS made (even one holding a copy of a handle's
// bytes) has another address and is rejected. An address cannot name a dead
// map: the deleter unregisters the block (under the registry mutex) before
// freeing it, and while a block is registered it is allocated, so no other
// buffer can have its address.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace v8 {
class BackingStore;
}

namespace threadmap::addon {

enum class map_kind : unsigned char {
  dash_map = 1,
  lock_map = 2,
  lru_lock_map = 3,
  lock_free_map = 4,
  hopscotch_map = 5,
  dash_set = 6,  // the DashMap engine with no values (dash_map_wrap.hpp)
};
const char* map_kind_name(map_kind k) noexcept;

// Size limits of one map's keys and values, in canonical bytes (a string
// key: 1 byte per code unit if all are < 256, else 2; a value: its native or
// serialized size). Set at construction, never changed: read without locks.
struct size_limits {
  static constexpr std::size_t default_key_bytes = std::size_t{64} << 10;    // 64 KiB
  static constexpr std::size_t default_value_bytes = std::size_t{64} << 20;  // 64 MiB
  std::size_t key_bytes = default_key_bytes;
  std::size_t value_bytes = default_value_bytes;
};

// What the registry owns: the engine of one map, type-erased.
struct shared_map {
  explicit shared_map(map_kind k) noexcept;
  virtual ~shared_map();
  shared_map(const shared_map&) = delete;
  shared_map& operator=(const shared_map&) = delete;
  const map_kind kind;
  size_limits limits;  // set by the creating thread before the map is shared
};

// A thread's reference to a map: keeps the map alive while it lives.
struct MapRef {
  std::shared_ptr<v8::BackingStore> store;
  shared_map* map = nullptr;
};

// Registers a new map and creates its BackingStore (the registry takes
// ownership of `map`, also if this throws).
MapRef register_map(std::unique_ptr<shared_map> map);

// The map whose handle's BackingStore is `store`, if it is live and of kind
// `kind`; otherwise an empty MapRef.
MapRef attach(std::shared_ptr<v8::BackingStore> store, map_kind kind);

// Native maps not yet freed, across the whole process (a diagnostic).
std::size_t live_maps() noexcept;

// Named maps (X.named(name) in lib/): a process-wide table from a name (a JS
// string, as UTF-16 code units) to a map's BackingStore. A name keeps its
// map alive, as a handle does, until drop_name; the table is never freed
// (a named map still named at exit is left to the OS, as the registry is).
// Every store that leaves the table (drop_name, a losing name_map) is
// released after the registry mutex is unlocked: releasing the last one
// runs the deleter, which takes that mutex.

// A named map, with the options its creating call gave (an opaque string
// that lib/ makes and compares: later calls that give options must give
// the same).
struct named_ref {
  MapRef ref;
  std::u16string options;
  std::uint64_t generation = 0;  // names_generation() as of this answer (read under the mutex)
};

// The map named `name` (an empty ref if none).
named_ref find_named(const std::u16string& name);
// Names the map of handle store `store` `name`, with `options`, unless the
// name is taken; returns the named map afterwards (store's, or the one that
// was there, with its options) and whether it is store's. An empty ref if
// `store` is not a live handle.
std::pair<named_ref, bool> name_map(const std::u16string& name, std::shared_ptr<v8::BackingStore> store,
                                    std::u16string options);
// Frees the name; its map lives on while anything else reaches it.
// Returns whether the name held a map.
bool drop_name(const std::u16string& name);
// A count of the changes to the name table (a name made or dropped), for
// lib/'s per-thread cache of named() results: a cached name -> map pair is
// current while this count is what it was when the pair was looked up.
// Lock-free. The acquire load pairs with the release increment made under
// the mutex, so a thread that learns of a change through any synchronization
// (a message, a join) reads the new count.
std::uint64_t names_generation() noexcept;
// Every name that holds a map, in no particular order.
std::vector<std::u16string> map_names();

}  // namespace threadmap::addon
