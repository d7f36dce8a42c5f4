// conc_map_bench: threadmap::DashMap against other concurrent hash maps,
// under the operation mixes of the conc-map-bench idea (a reimplementation
// of the idea, not of its code).
//
// Workload. A key space of N distinct uniformly random u64 keys (default
// N = 2^21). A mix fixes the share of each operation and how much of the key
// space is inserted before the timed part:
//
//   mix        read  insert  remove  update  prefill
//   ReadHeavy   98      1       1       0     75%
//   Exchange    10     40      40      10     75%
//   RapidGrow    5     80       5      10      0% (from empty)
//
// Each operation draws its key uniformly from the key space, so a read or
// an update hits with the probability that the key is present at the
// time, an insert succeeds when it is absent, and so on. The whole sequence
// (op kind + key, default 2^21 ops) is generated once per mix, before any
// timing, and is the same for every map. With T threads, thread t runs the
// t-th of T equal slices of that sequence; the total work does not depend
// on T.
//
// One run = give the memory freed by earlier runs back to the kernel
// (glibc's malloc_trim; untimed), build an empty map (no capacity
// reserved), prefill (single thread, untimed), start T threads from a spin
// barrier, time from the release of the barrier to the join of the last
// thread (manual time), destroy the map (untimed). items_per_second is the
// total number of operations over all threads divided by that wall time.
//
// Why the trim: without it, a map that grows takes the pages that the
// runs before it freed and the allocator kept, already faulted in, and
// skips the page faults and zeroing that a program filling a new map pays.
// How much it skips depends on which maps ran before (the order is random)
// and on whether the map allocates through malloc at all (HopscotchMap's
// big tables are mapped from the kernel each time, detail/big_array.hpp),
// so RapidGrow figures measured that way rank the allocator's leftovers
// as much as the maps (bench/RESULTS.md, "RapidGrow and freed memory").
// --reuse-freed-memory skips the trim, for comparison.
//
// Operations, behind one small adapter per map:
//   read    find and copy the value out
//   insert  insert if absent (value = key)
//   remove  erase
//   update  value += 1 in place, under the map's own locking, if present
//
// Maps (names as in the results): DashMap (default shard count),
// DashMap-64shards (the same engine with 64 shards, to see what the shard
// count does), StdShardedRW (the baseline anyone would write: N
// std::unordered_map under std::shared_mutex, N = DashMap's default),
// TBB (tbb::concurrent_hash_map), Cuckoo (libcuckoo::cuckoohash_map),
// BoostCFM (boost::concurrent_flat_map). The last three only when CMake
// found them; otherwise their entries are reported as skipped.
// Issue 4 adds threadmap's lock-free engines, LockFreeMap and HopscotchMap
// (update = compute(), a copy-on-write CAS loop), and, when found, libcds'
// CDS-FeldmanHashMap and CDS-SplitListMap (hazard pointers) and liburcu's
// URCU-lfht (cds_lfht, urcu-memb flavour). Their table:
// scripts/lockfree-bench-table.js.
//
// Every map hashes with threadmap::hash<uint64_t> (std::hash<uint64_t> is
// the identity on libstdc++, which would hurt the open-addressing tables),
// except CDS-FeldmanHashMap, which uses the (random) key itself as its
// perfect hash, as libcds suggests for fixed-size keys.
//
// Counters: at 1 thread, reads_hit / inserted / removed / updated must be
// the same for every map (same sequence, same semantics); that is checked
// by scripts/native-bench.js and is the benchmark's own correctness test.
//
// Extra flags (besides Google Benchmark's):
//   --keyspace=N   number of distinct keys (default 2097152)
//   --ops=N        operations per run, all threads together (default 2097152)
//   --reuse-freed-memory   do not trim before each run (see "Why the trim")
// By default each benchmark runs 5 repetitions (--benchmark_repetitions
// overrides).

#include <benchmark/benchmark.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <threadmap/dash_map.hpp>
#include <threadmap/hash.hpp>
#include <threadmap/hopscotch_map.hpp>
#include <threadmap/lock_free_map.hpp>

#ifdef THREADMAP_BENCH_HAVE_TBB
#include <tbb/concurrent_hash_map.h>
#endif
#ifdef THREADMAP_BENCH_HAVE_CUCKOO
#include <libcuckoo/cuckoohash_map.hh>
#endif
#ifdef THREADMAP_BENCH_HAVE_BOOST_CFM
#include <boost/unordered/concurrent_flat_map.hpp>
#endif
#ifdef THREADMAP_BENCH_HAVE_CDS
#include <cds/init.h>
#include <cds/gc/hp.h>
#include <cds/container/feldman_hashmap_hp.h>
#include <cds/container/michael_list_hp.h>
#include <cds/container/split_list_map.h>
#endif
#ifdef THREADMAP_BENCH_HAVE_URCU
#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>
#endif

namespace {

// ---------------------------------------------------------------- workload

enum op_kind : uint8_t { op_read = 0, op_insert = 1, op_remove = 2, op_update = 3 };

struct mix_spec {
  const char* name;
  unsigned read, insert, remove, update;  // percentages, sum 100
  unsigned prefill_pct;                   // of the key space
};

constexpr mix_spec mixes[] = {
    {"ReadHeavy", 98, 1, 1, 0, 75},
    {"Exchange", 10, 40, 40, 10, 75},
    {"RapidGrow", 5, 80, 5, 10, 0},
};

std::size_t g_keyspace = std::size_t{1} << 21;
std::size_t g_ops = std::size_t{1} << 21;
bool g_trim_before_run = true;  // false with --reuse-freed-memory

// splitmix64: a bijection of its state, so N consecutive states give N
// distinct, uniformly spread outputs.
struct splitmix64 {
  uint64_t s;
  uint64_t next() noexcept {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (Lemire's multiply; the bias is < n / 2^64).
  uint64_t below(uint64_t n) noexcept {
    return static_cast<uint64_t>((static_cast<__uint128_t>(next()) * n) >> 64);
  }
};

struct workload {
  const mix_spec* mix = nullptr;
  const std::vector<uint64_t>* keyspace = nullptr;  // N distinct keys
  std::size_t prefill = 0;         // keyspace[0, prefill) is inserted first
  std::vector<uint64_t> op_keys;   // the timed sequence
  std::vector<uint8_t> op_kinds;
};

std::vector<uint64_t> make_keyspace(std::size_t n) {
  std::vector<uint64_t> keys(n);
  splitmix64 rng{0x5eed0000c0ffee11ull};
  for (auto& k : keys) k = rng.next();
  return keys;
}

workload make_workload(const mix_spec& mix, const std::vector<uint64_t>& keyspace, uint64_t seed) {
  workload w;
  w.mix = &mix;
  w.keyspace = &keyspace;
  w.prefill = keyspace.size() * mix.prefill_pct / 100;
  w.op_keys.resize(g_ops);
  w.op_kinds.resize(g_ops);
  splitmix64 rng{seed};
  const unsigned c_read = mix.read, c_insert = c_read + mix.insert, c_remove = c_insert + mix.remove;
  for (std::size_t i = 0; i < g_ops; ++i) {
    const unsigned r = static_cast<unsigned>(rng.below(100));
    w.op_kinds[i] = r < c_read ? op_read : r < c_insert ? op_insert : r < c_remove ? op_remove : op_update;
    w.op_keys[i] = keyspace[rng.below(keyspace.size())];
  }
  return w;
}

// ------------------------------------------------------------ the adapters
//
// Each adapter: default-constructible (empty map, default parameters),
//   bool read(k, out&)   bool insert(k, v)   bool remove(k)   bool update(k)
//   std::size_t size()   (untimed, for the counters)

struct mixed_hash {
  using is_avalanching = void;  // boost::unordered: the hash mixes all bits, no post-mixing needed
  std::size_t operator()(uint64_t k) const noexcept { return threadmap::hash<uint64_t>{}(k); }
};

template <std::size_t Shards>  // 0: threadmap's default shard count
struct dash_adapter {
  threadmap::DashMap<uint64_t, uint64_t> m{0, Shards ? Shards : threadmap::default_shard_count()};

  bool read(uint64_t k, uint64_t& out) {
    if (auto v = m.find(k)) {
      out = *v;
      return true;
    }
    return false;
  }
  bool insert(uint64_t k, uint64_t v) { return m.try_insert(k, v); }
  bool remove(uint64_t k) { return m.erase(k); }
  bool update(uint64_t k) {
    // DashMap has no "modify if present" member; alter() is its in-place
    // read-modify-write under the shard's exclusive lock.
    return m.alter(k, [](threadmap::alter_entry<uint64_t>& e) {
      if (!e.exists()) return false;
      e.assign(e.value() + 1);
      return true;
    });
  }
  std::size_t size() const { return m.size(); }
};

// The baseline anyone would write: N std::unordered_map, each under a
// std::shared_mutex; the shard is picked from the top bits of the hash, with
// the same shard count as DashMap's default.
struct std_sharded_adapter {
  struct alignas(64) shard {
    mutable std::shared_mutex mu;
    std::unordered_map<uint64_t, uint64_t, mixed_hash> map;
  };
  std::size_t count = threadmap::default_shard_count();
  unsigned shift = 64 - static_cast<unsigned>(std::countr_zero(count));
  std::unique_ptr<shard[]> shards = std::make_unique<shard[]>(count);

  shard& pick(uint64_t k) {
    return shards[count == 1 ? 0 : static_cast<std::size_t>(mixed_hash{}(k) >> shift)];
  }
  bool read(uint64_t k, uint64_t& out) {
    shard& s = pick(k);
    std::shared_lock lock(s.mu);
    auto it = s.map.find(k);
    if (it == s.map.end()) return false;
    out = it->second;
    return true;
  }
  bool insert(uint64_t k, uint64_t v) {
    shard& s = pick(k);
    std::unique_lock lock(s.mu);
    return s.map.try_emplace(k, v).second;
  }
  bool remove(uint64_t k) {
    shard& s = pick(k);
    std::unique_lock lock(s.mu);
    return s.map.erase(k) != 0;
  }
  bool update(uint64_t k) {
    shard& s = pick(k);
    std::unique_lock lock(s.mu);
    auto it = s.map.find(k);
    if (it == s.map.end()) return false;
    ++it->second;
    return true;
  }
  std::size_t size() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < count; ++i) {
      std::shared_lock lock(shards[i].mu);
      n += shards[i].map.size();
    }
    return n;
  }
};

#ifdef THREADMAP_BENCH_HAVE_TBB
struct tbb_adapter {
  struct hash_compare {
    std::size_t hash(uint64_t k) const noexcept { return mixed_hash{}(k); }
    bool equal(uint64_t a, uint64_t b) const noexcept { return a == b; }
  };
  using map_type = tbb::concurrent_hash_map<uint64_t, uint64_t, hash_compare>;
  map_type m;

  bool read(uint64_t k, uint64_t& out) {
    map_type::const_accessor a;
    if (!m.find(a, k)) return false;
    out = a->second;
    return true;
  }
  bool insert(uint64_t k, uint64_t v) { return m.insert(map_type::value_type(k, v)); }
  bool remove(uint64_t k) { return m.erase(k); }
  bool update(uint64_t k) {
    map_type::accessor a;
    if (!m.find(a, k)) return false;
    ++a->second;
    return true;
  }
  std::size_t size() const { return m.size(); }
};
#endif

#ifdef THREADMAP_BENCH_HAVE_CUCKOO
struct cuckoo_adapter {
  libcuckoo::cuckoohash_map<uint64_t, uint64_t, mixed_hash> m;

  bool read(uint64_t k, uint64_t& out) { return m.find(k, out); }
  bool insert(uint64_t k, uint64_t v) { return m.insert(k, v); }
  bool remove(uint64_t k) { return m.erase(k); }
  bool update(uint64_t k) { return m.update_fn(k, [](uint64_t& v) { ++v; }); }
  std::size_t size() const { return m.size(); }
};
#endif

#ifdef THREADMAP_BENCH_HAVE_BOOST_CFM
struct boost_adapter {
  boost::concurrent_flat_map<uint64_t, uint64_t, mixed_hash> m;

  bool read(uint64_t k, uint64_t& out) {
    return m.cvisit(k, [&out](const auto& kv) { out = kv.second; }) != 0;
  }
  bool insert(uint64_t k, uint64_t v) { return m.emplace(k, v); }
  bool remove(uint64_t k) { return m.erase(k) != 0; }
  bool update(uint64_t k) {
    return m.visit(k, [](auto& kv) { ++kv.second; }) != 0;
  }
  std::size_t size() const { return m.size(); }
};
#endif

// threadmap's lock-free engines (issue 4). update is their optimistic
// read-modify-write (compute): copy-on-write, retried on conflict.
struct lock_free_adapter {
  threadmap::LockFreeMap<uint64_t, uint64_t> m;
  bool read(uint64_t k, uint64_t& out) {
    return m.visit(k, [&](const uint64_t& v) { out = v; });
  }
  bool insert(uint64_t k, uint64_t v) { return m.insert_if_absent(k, v); }
  bool remove(uint64_t k) { return m.remove(k); }
  bool update(uint64_t k) {
    return m.compute(k, [](threadmap::compute_entry<uint64_t>& e) {
      if (e.exists()) e.assign(e.value() + 1);
      return e.exists();
    });
  }
  std::size_t size() const { return m.size(); }
};

struct hopscotch_adapter {
  threadmap::HopscotchMap<uint64_t, uint64_t> m;
  bool read(uint64_t k, uint64_t& out) {
    return m.visit(k, [&](const uint64_t& v) { out = v; });
  }
  bool insert(uint64_t k, uint64_t v) { return m.insert_if_absent(k, v); }
  bool remove(uint64_t k) { return m.remove(k); }
  bool update(uint64_t k) {
    return m.compute(k, [](threadmap::compute_entry<uint64_t>& e) {
      if (e.exists()) e.assign(e.value() + 1);
      return e.exists();
    });
  }
  std::size_t size() const { return m.size(); }
};

#ifdef THREADMAP_BENCH_HAVE_CDS
// libcds needs cds::Initialize, one HP collector alive, and every thread
// that touches a map attached (thread_begin / thread_end below; the main
// thread is attached in main()).
struct cds_thread {
  static void thread_begin() { cds::threading::Manager::attachThread(); }
  static void thread_end() { cds::threading::Manager::detachThread(); }
};

// FeldmanHashMap: the key itself is the (perfect) hash, as its docs
// suggest for fixed-size keys; the keys here are random u64.
struct cds_feldman_adapter : cds_thread {
  using map_type = cds::container::FeldmanHashMap<cds::gc::HP, uint64_t, uint64_t>;
  map_type m;
  bool read(uint64_t k, uint64_t& out) {
    auto gp = m.get(k);
    if (!gp) return false;
    out = gp->second;
    return true;
  }
  bool insert(uint64_t k, uint64_t v) { return m.insert(k, v); }
  bool remove(uint64_t k) { return m.erase(k); }
  bool update(uint64_t k) {
    // Feldman's update installs a new node (copy-on-write), like ours.
    auto r = m.update(k, [](map_type::value_type& item, map_type::value_type* old) {
      if (old) item.second = old->second + 1;
    }, false);
    return r.first;
  }
  std::size_t size() const { return m.size(); }
};

struct cds_split_traits : public cds::container::split_list::traits {
  typedef cds::container::michael_list_tag ordered_list;
  typedef mixed_hash hash;
  typedef cds::atomicity::item_counter item_counter;
  struct ordered_list_traits : public cds::container::michael_list::traits {
    typedef std::less<uint64_t> less;
  };
};

// SplitListMap over Michael lists. Its update modifies the value in place
// without synchronisation (libcds leaves that to the caller), so the
// counter is an atomic add here.
struct cds_split_adapter : cds_thread {
  using map_type = cds::container::SplitListMap<cds::gc::HP, uint64_t, uint64_t, cds_split_traits>;
  map_type m;
  bool read(uint64_t k, uint64_t& out) {
    return m.find(k, [&](map_type::value_type& item) { out = __atomic_load_n(&item.second, __ATOMIC_RELAXED); });
  }
  bool insert(uint64_t k, uint64_t v) { return m.insert(k, v); }
  bool remove(uint64_t k) { return m.erase(k); }
  bool update(uint64_t k) {
    return m.find(k, [](map_type::value_type& item) { __atomic_fetch_add(&item.second, 1, __ATOMIC_RELAXED); });
  }
  std::size_t size() const { return m.size(); }
};
#endif

#ifdef THREADMAP_BENCH_HAVE_URCU
// liburcu's RCU lock-free resizable hash table, urcu-memb flavour (the
// default flavour), auto-resizing. Nodes freed with call_rcu. Every thread
// registers with RCU (thread_begin / thread_end; main() registers the main
// thread). Values are updated in place with an atomic add.
struct urcu_adapter {
  struct entry {
    uint64_t key;
    uint64_t value;
    cds_lfht_node node;
    rcu_head rcu;
  };
  static int match(cds_lfht_node* n, const void* key) {
    return caa_container_of(n, entry, node)->key == *static_cast<const uint64_t*>(key);
  }
  static void free_entry(rcu_head* h) { delete caa_container_of(h, entry, rcu); }
  static void thread_begin() { urcu_memb_register_thread(); }
  static void thread_end() { urcu_memb_unregister_thread(); }

  cds_lfht* ht = cds_lfht_new_flavor(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, &urcu_memb_flavor, nullptr);

  ~urcu_adapter() {
    std::vector<entry*> all;
    urcu_memb_read_lock();
    cds_lfht_iter it;
    cds_lfht_first(ht, &it);
    while (cds_lfht_node* n = cds_lfht_iter_get_node(&it)) {
      if (cds_lfht_del(ht, n) == 0) all.push_back(caa_container_of(n, entry, node));
      cds_lfht_next(ht, &it);
    }
    urcu_memb_read_unlock();
    urcu_memb_synchronize_rcu();
    for (entry* e : all) delete e;
    cds_lfht_destroy(ht, nullptr);
  }
  bool read(uint64_t k, uint64_t& out) {
    const uint64_t h = mixed_hash{}(k);
    urcu_memb_read_lock();
    cds_lfht_iter it;
    cds_lfht_lookup(ht, h, match, &k, &it);
    cds_lfht_node* n = cds_lfht_iter_get_node(&it);
    if (n) out = __atomic_load_n(&caa_container_of(n, entry, node)->value, __ATOMIC_RELAXED);
    urcu_memb_read_unlock();
    return n != nullptr;
  }
  bool insert(uint64_t k, uint64_t v) {
    entry* e = new entry{k, v, {}, {}};
    urcu_memb_read_lock();
    cds_lfht_node* got = cds_lfht_add_unique(ht, mixed_hash{}(k), match, &k, &e->node);
    urcu_memb_read_unlock();
    if (got != &e->node) {
      delete e;
      return false;
    }
    return true;
  }
  bool remove(uint64_t k) {
    urcu_memb_read_lock();
    cds_lfht_iter it;
    cds_lfht_lookup(ht, mixed_hash{}(k), match, &k, &it);
    cds_lfht_node* n = cds_lfht_iter_get_node(&it);
    const bool ok = n && cds_lfht_del(ht, n) == 0;
    urcu_memb_read_unlock();
    if (ok) urcu_memb_call_rcu(&caa_container_of(n, entry, node)->rcu, free_entry);
    return ok;
  }
  bool update(uint64_t k) {
    urcu_memb_read_lock();
    cds_lfht_iter it;
    cds_lfht_lookup(ht, mixed_hash{}(k), match, &k, &it);
    cds_lfht_node* n = cds_lfht_iter_get_node(&it);
    if (n) __atomic_fetch_add(&caa_container_of(n, entry, node)->value, 1, __ATOMIC_RELAXED);
    urcu_memb_read_unlock();
    return n != nullptr;
  }
  std::size_t size() const {
    long before = 0, after = 0;
    unsigned long count = 0;
    urcu_memb_read_lock();
    cds_lfht_count_nodes(ht, &before, &count, &after);
    urcu_memb_read_unlock();
    return count;
  }
};
#endif

// Per-thread hooks: adapters of libraries that need every thread
// registered define static thread_begin / thread_end.
template <class M>
struct thread_scope {
  thread_scope() {
    if constexpr (requires { M::thread_begin(); }) M::thread_begin();
  }
  ~thread_scope() {
    if constexpr (requires { M::thread_end(); }) M::thread_end();
  }
};

// --------------------------------------------------------------- the driver

struct slice_result {
  uint64_t ok[4] = {0, 0, 0, 0};  // successful ops by kind
  uint64_t sink = 0;              // sum of values read (keeps reads alive)
};

template <class M>
slice_result run_slice(M& m, const uint64_t* keys, const uint8_t* kinds, std::size_t n) {
  slice_result r;
  for (std::size_t i = 0; i < n; ++i) {
    const uint64_t k = keys[i];
    switch (kinds[i]) {
      case op_read: {
        uint64_t v = 0;
        if (m.read(k, v)) {
          ++r.ok[op_read];
          r.sink += v;
        }
        break;
      }
      case op_insert: r.ok[op_insert] += m.insert(k, k); break;
      case op_remove: r.ok[op_remove] += m.remove(k); break;
      default: r.ok[op_update] += m.update(k); break;
    }
  }
  benchmark::DoNotOptimize(r.sink);
  return r;
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Runs the sequence on `threads` threads (the calling thread is thread 0)
// and returns the wall time from the common start to the last thread's end.
template <class M>
double run_threads(M& m, const workload& w, int threads, slice_result& total) {
  const std::size_t n = w.op_keys.size();
  auto slice_begin = [&](int t) { return n * static_cast<std::size_t>(t) / static_cast<std::size_t>(threads); };
  std::vector<slice_result> results(static_cast<std::size_t>(threads));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads - 1));
  for (int t = 1; t < threads; ++t) {
    workers.emplace_back([&, t] {
      thread_scope<M> registered;
      const std::size_t b = slice_begin(t), e = slice_begin(t + 1);
      ready.fetch_add(1, std::memory_order_release);
      while (!go.load(std::memory_order_acquire)) cpu_relax();
      results[static_cast<std::size_t>(t)] = run_slice(m, w.op_keys.data() + b, w.op_kinds.data() + b, e - b);
    });
  }
  while (ready.load(std::memory_order_acquire) != threads - 1) std::this_thread::yield();
  const auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  {
    const std::size_t e = slice_begin(1);
    results[0] = run_slice(m, w.op_keys.data(), w.op_kinds.data(), e);
  }
  for (auto& th : workers) th.join();
  const auto t1 = std::chrono::steady_clock::now();
  for (const auto& r : results) {
    for (int i = 0; i < 4; ++i) total.ok[i] += r.ok[i];
    total.sink += r.sink;
  }
  return std::chrono::duration<double>(t1 - t0).count();
}

template <class Adapter>
void bm_mix(benchmark::State& state, const workload* w, int threads) {
  slice_result total;
  std::size_t final_size = 0;
  for (auto _ : state) {
#if defined(__GLIBC__)
    if (g_trim_before_run) malloc_trim(0);
#endif
    auto m = std::make_unique<Adapter>();
    for (std::size_t i = 0; i < w->prefill; ++i) m->insert((*w->keyspace)[i], (*w->keyspace)[i]);
    slice_result r;
    state.SetIterationTime(run_threads(*m, *w, threads, r));
    for (int i = 0; i < 4; ++i) total.ok[i] += r.ok[i];
    final_size = m->size();
    m.reset();  // destruction is outside the manual time
  }
  const double iters = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(w->op_keys.size()));
  state.counters["worker_threads"] = threads;
  state.counters["reads_hit"] = static_cast<double>(total.ok[op_read]) / iters;
  state.counters["inserted"] = static_cast<double>(total.ok[op_insert]) / iters;
  state.counters["removed"] = static_cast<double>(total.ok[op_remove]) / iters;
  state.counters["updated"] = static_cast<double>(total.ok[op_update]) / iters;
  state.counters["final_size"] = static_cast<double>(final_size);
}

void bm_skipped(benchmark::State& state, std::string why) {
  state.SkipWithError(why.c_str());
  for (auto _ : state) {
  }
}

std::vector<std::unique_ptr<workload>> g_workloads;

template <class Adapter>
void register_map(const char* map_name) {
  for (const auto& w : g_workloads) {
    for (int threads : {1, 2}) {
      const std::string name = std::string(w->mix->name) + "/" + map_name + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(name.c_str(), bm_mix<Adapter>, w.get(), threads)
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond);
    }
  }
}

[[maybe_unused]] void register_missing(const char* map_name, const char* what) {
  const std::string why = std::string("skipped: ") + what + " not installed (install with scripts/install-extras.sh)";
  std::fprintf(stderr, "%s\n", why.c_str());
  for (const auto& w : g_workloads) {
    for (int threads : {1, 2}) {
      const std::string name = std::string(w->mix->name) + "/" + map_name + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(name.c_str(), bm_skipped, why)->Iterations(1);
    }
  }
}

bool take_size_flag(const char* arg, const char* flag, std::size_t& out) {
  const std::size_t len = std::strlen(flag);
  if (std::strncmp(arg, flag, len) != 0 || arg[len] != '=') return false;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(arg + len + 1, &end, 10);
  if (!end || *end != '\0' || v == 0) {
    std::fprintf(stderr, "bad value in %s\n", arg);
    std::exit(2);
  }
  out = static_cast<std::size_t>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Our flags out, a default repetition count in (a later flag on the
  // command line overrides it).
  std::vector<char*> args;
  args.push_back(argv[0]);
  static char default_reps[] = "--benchmark_repetitions=5";
  args.push_back(default_reps);
  for (int i = 1; i < argc; ++i) {
    if (take_size_flag(argv[i], "--keyspace", g_keyspace) || take_size_flag(argv[i], "--ops", g_ops)) continue;
    if (std::strcmp(argv[i], "--reuse-freed-memory") == 0) {
      g_trim_before_run = false;
      continue;
    }
    args.push_back(argv[i]);
  }
  int bargc = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&bargc, args.data());
  if (benchmark::ReportUnrecognizedArguments(bargc, args.data())) return 1;

  static const auto keyspace = make_keyspace(g_keyspace);
  uint64_t seed = 0x0123456789abcdefull;
  for (const auto& mix : mixes) g_workloads.push_back(std::make_unique<workload>(make_workload(mix, keyspace, seed++)));

  benchmark::AddCustomContext("threadmap.keyspace", std::to_string(g_keyspace));
  benchmark::AddCustomContext("threadmap.ops_per_run", std::to_string(g_ops));
  benchmark::AddCustomContext("threadmap.dash_default_shards", std::to_string(threadmap::default_shard_count()));
#if defined(__GLIBC__)
  benchmark::AddCustomContext("threadmap.freed_memory", g_trim_before_run
                                                            ? "given back to the kernel before each run (malloc_trim)"
                                                            : "kept by the allocator for later runs (--reuse-freed-memory)");
#else
  benchmark::AddCustomContext("threadmap.freed_memory", "as the allocator keeps it (no malloc_trim outside glibc)");
#endif
  benchmark::AddCustomContext("threadmap.threading",
                              "each run starts its own std::threads; 'threads:N' in the name is that N "
                              "(Google Benchmark's own 'threads' field stays 1)");

#ifdef THREADMAP_BENCH_HAVE_CDS
  cds::Initialize();
  static cds::gc::HP hp_gc;  // the hazard-pointer collector, alive for the whole run
  cds::threading::Manager::attachThread();
#endif
#ifdef THREADMAP_BENCH_HAVE_URCU
  urcu_memb_register_thread();
#endif
  register_map<dash_adapter<0>>("DashMap");
  register_map<lock_free_adapter>("LockFreeMap");
  register_map<hopscotch_adapter>("HopscotchMap");
  register_map<dash_adapter<64>>("DashMap-64shards");
  register_map<std_sharded_adapter>("StdShardedRW");
#ifdef THREADMAP_BENCH_HAVE_TBB
  register_map<tbb_adapter>("TBB");
#else
  register_missing("TBB", "TBB (tbb::concurrent_hash_map)");
#endif
#ifdef THREADMAP_BENCH_HAVE_CUCKOO
  register_map<cuckoo_adapter>("Cuckoo");
#else
  register_missing("Cuckoo", "libcuckoo (cuckoohash_map)");
#endif
#ifdef THREADMAP_BENCH_HAVE_BOOST_CFM
  register_map<boost_adapter>("BoostCFM");
#else
  register_missing("BoostCFM", "Boost >= 1.83 (boost::concurrent_flat_map)");
#endif

#ifdef THREADMAP_BENCH_HAVE_CDS
  register_map<cds_feldman_adapter>("CDS-FeldmanHashMap");
  register_map<cds_split_adapter>("CDS-SplitListMap");
#else
  register_missing("CDS-FeldmanHashMap", "libcds (FeldmanHashMap)");
  register_missing("CDS-SplitListMap", "libcds (SplitListMap)");
#endif
#ifdef THREADMAP_BENCH_HAVE_URCU
  register_map<urcu_adapter>("URCU-lfht");
#else
  register_missing("URCU-lfht", "liburcu (cds_lfht)");
#endif

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
