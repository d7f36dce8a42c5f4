// test/native/lockfree_suite.hpp: test bodies shared by the lock-free
// engines (LockFreeMap, HopscotchMap), which have the same API:
//
//   get, contains, visit, insert, insert_or_assign, insert_if_absent,
//   get_or_insert, remove, take, compare_and_set, compute, for_each, clear,
//   size
//
// Each *_test.cpp of a family calls these with its own map types, so the
// two engines are held to exactly the same checks:
//
//   run_model          seeded random single-thread sequences against
//                      std::unordered_map, op by op, with full comparisons
//                      every `check_every` steps; phases that grow the map
//                      far and shrink it back (resizes both ways)
//   stress_*           multi-thread stress, checked exactly at the end
//   check_linearizable small histories (few keys, few threads) recorded
//                      with a global ticket before and after each call,
//                      searched for a sequential order that respects real
//                      time and the model (Wing & Gong's backtracking)
//   churn              insert/remove churn with readers and short-lived
//                      threads, sampling pending garbage and RSS
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>
#include <threadmap/epoch.hpp>

#include "support.hpp"

namespace threadmap_test {

// ---------------------------------------------------------------- model

struct model_phase {
  uint64_t key_range;   // keys are drawn from [0, key_range)
  unsigned insert_pct;  // share of inserting operations (the rest: reads, removes, ...)
  unsigned remove_pct;
};

// Runs `ops` random operations on an empty `m` (keys u64, values u64),
// checked against std::unordered_map. Phases cycle every `phase_len` ops.
template <class Map>
void run_model(Map& m, uint64_t seed, std::size_t ops, std::size_t phase_len = 50000,
               std::size_t check_every = 10000) {
  static const model_phase phases[] = {
      {2000, 30, 20},    // steady on a small range
      {60000, 70, 5},    // grow
      {60000, 5, 70},    // shrink back
      {64, 35, 35},      // a few hot keys
  };
  std::unordered_map<uint64_t, uint64_t> model;
  rng r(seed);
  for (std::size_t step = 0; step < ops; ++step) {
    const model_phase& ph = phases[(step / phase_len) % std::size(phases)];
    const uint64_t k = r.below(ph.key_range);
    const uint64_t v = r.next() >> 1;
    const unsigned dice = static_cast<unsigned>(r.below(100));
    auto it = model.find(k);
    const bool present = it != model.end();
    auto where = [&] { return "seed " + std::to_string(seed) + " step " + std::to_string(step) + " key " + std::to_string(k); };
    if (dice < ph.insert_pct) {
      switch (r.below(5)) {
        case 0: {
          if (step & 1) {  // insert_or_assign: insert without the old value
            ASSERT_EQ(m.insert_or_assign(k, v), !present) << where();
            model[k] = v;
            break;
          }
          auto old = m.insert(k, v);
          ASSERT_EQ(old.has_value(), present) << where();
          if (present) {
            ASSERT_EQ(*old, it->second) << where();
          }
          model[k] = v;
          break;
        }
        case 1: {
          ASSERT_EQ(m.insert_if_absent(k, v), !present) << where();
          if (!present) model[k] = v;
          break;
        }
        case 2: {
          const uint64_t got = m.get_or_insert(k, v);
          ASSERT_EQ(got, present ? it->second : v) << where();
          if (!present) model[k] = v;
          break;
        }
        case 3: {  // compute: add 3 (absent counts from 0)
          const uint64_t got = m.compute(k, [](threadmap::compute_entry<uint64_t>& e) {
            const uint64_t nv = (e.exists() ? e.value() : 0) + 3;
            e.assign(nv);
            return nv;
          });
          const uint64_t want = (present ? it->second : 0) + 3;
          ASSERT_EQ(got, want) << where();
          model[k] = want;
          break;
        }
        default: {
          const uint64_t expected = present && r.chance(3, 4) ? it->second : v ^ 1;
          const bool ok = m.compare_and_set(k, expected, v);
          ASSERT_EQ(ok, present && it->second == expected) << where();
          if (ok) model[k] = v;
          break;
        }
      }
    } else if (dice < ph.insert_pct + ph.remove_pct) {
      switch (r.below(3)) {
        case 0:
          ASSERT_EQ(m.remove(k), present) << where();
          break;
        case 1: {
          auto got = m.take(k);
          ASSERT_EQ(got.has_value(), present) << where();
          if (present) {
            ASSERT_EQ(*got, it->second) << where();
          }
          break;
        }
        default: {  // compute that erases
          const bool had = m.compute(k, [](threadmap::compute_entry<uint64_t>& e) {
            e.erase();
            return e.exists();
          });
          ASSERT_EQ(had, present) << where();
          break;
        }
      }
      model.erase(k);
    } else {
      switch (r.below(4)) {
        case 0: {
          auto got = m.get(k);
          ASSERT_EQ(got.has_value(), present) << where();
          if (present) {
            ASSERT_EQ(*got, it->second) << where();
          }
          break;
        }
        case 1:
          ASSERT_EQ(m.contains(k), present) << where();
          break;
        case 2: {
          uint64_t seen = ~0ull;
          ASSERT_EQ(m.visit(k, [&](const uint64_t& x) { seen = x; }), present) << where();
          if (present) {
            ASSERT_EQ(seen, it->second) << where();
          }
          break;
        }
        default: {  // compute that keeps
          const bool had = m.compute(k, [](threadmap::compute_entry<uint64_t>& e) { return e.exists(); });
          ASSERT_EQ(had, present) << where();
          break;
        }
      }
    }
    if (step % 1000 == 0) {
      ASSERT_EQ(m.size(), model.size()) << where();
    }
    if (step % check_every == 0 || step + 1 == ops) {
      std::size_t seen = 0;
      bool bad = false;
      m.for_each([&](const uint64_t& key, const uint64_t& val) {
        ++seen;
        auto mi = model.find(key);
        if (mi == model.end() || mi->second != val) bad = true;
      });
      ASSERT_FALSE(bad) << where() << ": for_each saw an entry the model has not";
      ASSERT_EQ(seen, model.size()) << where();
    }
    if (step % 250000 == 249999) {  // a rare clear
      m.clear();
      model.clear();
      ASSERT_EQ(m.size(), 0u) << where();
    }
  }
}

// ---------------------------------------------------------------- stress

// Each thread owns keys t, t + n, t + 2n, ...: every result is checked
// against the thread's own model; at the end the map holds exactly the
// union of the models.
template <class Map>
void stress_disjoint(Map& m, std::size_t threads, std::size_t ops_per_thread) {
  failure_log log;
  std::vector<std::unordered_map<uint64_t, uint64_t>> models(threads);
  run_together(threads, [&](std::size_t t) {
    auto& model = models[t];
    rng r(stream_seed(test_seed(), t));
    for (std::size_t i = 0; i < ops_per_thread; ++i) {
      const uint64_t k = r.below(4096) * threads + t;
      const uint64_t v = r.next() >> 1;
      auto it = model.find(k);
      const bool present = it != model.end();
      switch (r.below(6)) {
        case 0: {
          auto old = m.insert(k, v);
          if (old.has_value() != present || (present && *old != it->second)) log.fail("insert ", k);
          model[k] = v;
          break;
        }
        case 1:
          if (m.insert_or_assign(k, v) == present) log.fail("insert_or_assign ", k);
          model[k] = v;
          break;
        case 2:
          if (m.remove(k) != present) log.fail("remove ", k);
          model.erase(k);
          break;
        case 3: {
          auto got = m.get(k);
          if (got.has_value() != present || (present && *got != it->second)) log.fail("get ", k);
          break;
        }
        case 4: {
          const uint64_t nv = m.compute(k, [](threadmap::compute_entry<uint64_t>& e) {
            const uint64_t x = (e.exists() ? e.value() : 0) + 1;
            e.assign(x);
            return x;
          });
          if (nv != (present ? it->second : 0) + 1) log.fail("compute ", k);
          model[k] = nv;
          break;
        }
        default:
          if (m.insert_if_absent(k, v) == present) log.fail("insert_if_absent ", k);
          if (!present) model[k] = v;
          break;
      }
    }
  });
  ASSERT_EQ(log.count(), 0u) << log.summary();
  std::size_t total = 0;
  for (const auto& model : models) {
    total += model.size();
    for (const auto& [k, v] : model) {
      auto got = m.get(k);
      ASSERT_TRUE(got.has_value()) << k;
      ASSERT_EQ(*got, v) << k;
    }
  }
  ASSERT_EQ(m.size(), total);
  std::size_t seen = 0;
  m.for_each([&](const uint64_t&, const uint64_t&) { ++seen; });
  ASSERT_EQ(seen, total);
}

// Every thread adds to shared counters (compute and compare_and_set
// loops), with inserts and removes of other shared keys in between (so
// buckets are rebuilt and the table resizes under the counters): the final
// counters are exact.
template <class Map>
void stress_counters(Map& m, std::size_t threads, std::size_t ops_per_thread) {
  constexpr uint64_t counters = 16;
  constexpr uint64_t noise_base = 1u << 20;
  std::atomic<uint64_t> noise_net{0};
  run_together(threads, [&](std::size_t t) {
    rng r(stream_seed(test_seed() ^ 0xc0u, t));
    int64_t net = 0;
    for (std::size_t i = 0; i < ops_per_thread; ++i) {
      const uint64_t c = r.below(counters);
      if (r.chance(1, 2)) {
        m.compute(c, [](threadmap::compute_entry<uint64_t>& e) { e.assign((e.exists() ? e.value() : 0) + 1); });
      } else {
        for (;;) {  // a CAS loop, as the JS add does
          auto cur = m.get(c);
          if (!cur) {
            if (m.insert_if_absent(c, 1)) break;
            continue;
          }
          if (m.compare_and_set(c, *cur, *cur + 1)) break;
        }
      }
      const uint64_t nk = noise_base + r.below(20000);
      if (r.chance(1, 2)) {
        net += m.insert_if_absent(nk, nk) ? 1 : 0;
      } else {
        net -= m.remove(nk) ? 1 : 0;
      }
    }
    noise_net.fetch_add(static_cast<uint64_t>(net), std::memory_order_relaxed);
  });
  uint64_t sum = 0;
  for (uint64_t c = 0; c < counters; ++c) sum += m.get(c).value_or(0);
  ASSERT_EQ(sum, threads * ops_per_thread);
  std::size_t noise_seen = 0;
  m.for_each([&](const uint64_t& k, const uint64_t& v) {
    if (k >= noise_base) {
      ++noise_seen;
      EXPECT_EQ(k, v);
    }
  });
  ASSERT_EQ(noise_seen, static_cast<std::size_t>(noise_net.load()));
  std::size_t all = 0;
  m.for_each([&](const uint64_t&, const uint64_t&) { ++all; });
  ASSERT_EQ(m.size(), all);
}

// for_each_part: each of n entries in exactly one part, the part its hash's
// low bits name, for part counts below, around and above the table's size.
template <class Map>
void check_parts(Map& m, uint64_t n) {
  for (uint64_t k = 0; k < n; ++k) m.insert(k, k * 3);
  for (const std::size_t parts : {std::size_t{1}, std::size_t{2}, std::size_t{16}, std::size_t{1024}, std::size_t{65536}}) {
    std::vector<int> seen(n, 0);
    for (std::size_t part = 0; part < parts; ++part) {
      m.for_each_part(part, parts, [&](const uint64_t& k, const uint64_t& v) {
        ASSERT_LT(k, n);
        EXPECT_EQ(v, k * 3);
        EXPECT_EQ(m.hash_function()(k) & (parts - 1), part) << k << " in the wrong part";
        ++seen[k];
      });
    }
    for (uint64_t k = 0; k < n; ++k) ASSERT_EQ(seen[k], 1) << "key " << k << " with " << parts << " parts";
  }
}

// Writers store values that encode their key; readers (get, visit,
// for_each) check every value they see, and that a set of keys never
// removed is never missing, while the table grows and shrinks.
template <class Map>
void stress_readers(Map& m, std::size_t writers, std::size_t readers, std::size_t ops_per_writer) {
  constexpr uint64_t stable = 512;  // keys [0, stable) are inserted first and never removed
  for (uint64_t k = 0; k < stable; ++k) m.insert(k, k << 32);
  failure_log log;
  std::atomic<std::size_t> writers_left{writers};
  run_together(writers + readers, [&](std::size_t t) {
    rng r(stream_seed(test_seed() ^ 0x5eu, t));
    if (t < writers) {
      for (std::size_t i = 0; i < ops_per_writer; ++i) {
        // Grow to tens of thousands of keys and back, repeatedly.
        const uint64_t span = (i / 20000) % 2 ? 2000 : 40000;
        const uint64_t k = stable + r.below(span);
        const uint64_t v = (k << 32) | (i & 0xffffffffu);
        if (r.chance(1, 2)) m.insert(k, v); else m.remove(k);
        if (r.chance(1, 8)) {  // rewrite a stable key (same encoding): replaced, never missing
          const uint64_t sk = r.below(stable);
          m.insert(sk, sk << 32);
        }
      }
      writers_left.fetch_sub(1);
    } else {
      while (writers_left.load() > 0) {
        const uint64_t k = r.below(stable + 40000);
        if (auto v = m.get(k)) {
          if ((*v >> 32) != k) log.fail("get ", k, " saw ", *v);
        } else if (k < stable) {
          log.fail("stable key ", k, " missing");
        }
        m.visit(k, [&](const uint64_t& v) {
          if ((v >> 32) != k) log.fail("visit ", k, " saw ", v);
        });
        if (r.chance(1, 2000)) {
          // The whole map in one call, or part by part (the table may
          // resize between two parts; 4096 parts outnumber the buckets
          // while it is small).
          static constexpr std::size_t part_counts[] = {1, 2, 8, 64, 4096};
          const std::size_t parts = part_counts[r.below(5)];
          std::vector<bool> seen(stable, false);
          for (std::size_t part = 0; part < parts; ++part) {
            m.for_each_part(part, parts, [&](const uint64_t& key, const uint64_t& v) {
              if ((v >> 32) != key) log.fail("for_each ", key, " saw ", v);
              if (key < stable) {
                if (seen[key]) log.fail("for_each (", parts, " parts) saw ", key, " twice");
                seen[key] = true;
              }
            });
          }
          for (uint64_t s = 0; s < stable; ++s)
            if (!seen[s]) log.fail("for_each (", parts, " parts) missed stable key ", s);
        }
      }
    }
  });
  ASSERT_EQ(log.count(), 0u) << log.summary();
}

// clear() while readers hold entries: a writer fills the map and clears it
// again and again; readers visit keys and, inside the callback (pinned,
// holding the entry), yield and then check the value, so a node freed under
// a reader shows as a wrong value here and as a use-after-free under
// AddressSanitizer. (HopscotchMap's clear() once retired its nodes before
// publishing the empty table: a reader pinned after an epoch advance made
// by those retirements could still reach one and lose it to a free.)
// Readers visit the keys clear() reaches first, where the window is widest:
// both engines place a key at hash & mask and clear in table order, so with
// at most 2^20 homes (keys <= 786,432) a key whose hash has its low 20 bits
// below 4096 is in the first 4096 homes.
template <class Map>
void stress_clear_under_readers(Map& m, std::size_t readers, std::size_t rounds, uint64_t keys) {
  std::vector<uint64_t> early;
  for (uint64_t k = 0; k < keys; ++k)
    if ((m.hash_function()(k) & ((uint64_t{1} << 20) - 1)) < 4096) early.push_back(k);
  ASSERT_FALSE(early.empty());
  failure_log log;
  std::atomic<bool> done{false};
  run_together(1 + readers, [&](std::size_t t) {
    if (t == 0) {
      for (std::size_t round = 0; round < rounds; ++round) {
        for (uint64_t k = 0; k < keys; ++k) m.insert(k, k * 3 + 1);
        m.clear();
        if (m.size() != 0) log.fail("size ", m.size(), " after clear in round ", round);
      }
      done.store(true);
      return;
    }
    rng r(stream_seed(test_seed() ^ 0xc1u, t));
    while (!done.load()) {
      const uint64_t k = early[r.below(early.size())];
      m.visit(k, [&](const uint64_t& v) {
        std::this_thread::yield();
        if (v != k * 3 + 1) log.fail("visit ", k, " saw ", v);
      });
    }
  });
  ASSERT_EQ(log.count(), 0u) << log.summary();
}

// ---------------------------------------------------------------- linearizability

// One recorded call. Tickets come from one global counter, taken just
// before the call and just after it returns: a.after < b.before means a
// really finished before b started.
struct lin_op {
  enum kind_t { get, insert, remove, add, cas, insert_if_absent, get_or_insert } kind;
  uint64_t key;
  uint64_t arg1 = 0, arg2 = 0;       // value / expected, desired
  std::optional<uint64_t> result;    // get, insert (old), add (new), get_or_insert
  bool flag = false;                 // remove, cas, insert_if_absent
  uint64_t before = 0, after = 0;
};

using lin_state = std::vector<std::optional<uint64_t>>;  // per key

// Applies op to the sequential model; returns whether the recorded
// result matches what the model gives.
inline bool lin_apply(lin_state& s, const lin_op& op) {
  auto& slot = s[op.key];
  switch (op.kind) {
    case lin_op::get: return slot == op.result;
    case lin_op::insert: {
      if (slot != op.result) return false;
      slot = op.arg1;
      return true;
    }
    case lin_op::remove: {
      if (slot.has_value() != op.flag) return false;
      slot.reset();
      return true;
    }
    case lin_op::add: {
      const uint64_t nv = slot.value_or(0) + op.arg1;
      if (op.result != nv) return false;
      slot = nv;
      return true;
    }
    case lin_op::cas: {
      const bool ok = slot.has_value() && *slot == op.arg1;
      if (ok != op.flag) return false;
      if (ok) slot = op.arg2;
      return true;
    }
    case lin_op::insert_if_absent: {
      if (slot.has_value() == op.flag) return false;
      if (op.flag) slot = op.arg1;
      return true;
    }
    case lin_op::get_or_insert: {
      const uint64_t want = slot.value_or(op.arg1);
      if (op.result != want) return false;
      slot = want;
      return true;
    }
  }
  return false;
}

// Wing & Gong: pick any pending op that no other pending op finished
// before, apply it, recurse; backtrack on a mismatch.
inline bool lin_search(const std::vector<lin_op>& ops, std::vector<bool>& done, lin_state& s, std::size_t left) {
  if (left == 0) return true;
  uint64_t min_after = ~0ull;
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (!done[i]) min_after = std::min(min_after, ops[i].after);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (done[i] || ops[i].before > min_after) continue;  // someone finished before it started
    lin_state saved = s;
    if (lin_apply(s, ops[i])) {
      done[i] = true;
      if (lin_search(ops, done, s, left - 1)) return true;
      done[i] = false;
    }
    s = saved;
  }
  return false;
}

inline std::string lin_show(const std::vector<lin_op>& ops) {
  static const char* names[] = {"get", "insert", "remove", "add", "cas", "insert_if_absent", "get_or_insert"};
  std::string out;
  for (const auto& op : ops) {
    out += "\n  [" + std::to_string(op.before) + "," + std::to_string(op.after) + "] " + names[op.kind] + "(" +
           std::to_string(op.key) + ", " + std::to_string(op.arg1) + ", " + std::to_string(op.arg2) + ") -> " +
           (op.result ? std::to_string(*op.result) : std::string("none")) + " / " + (op.flag ? "true" : "false");
  }
  return out;
}

// Runs `histories` histories of `threads` x `per_thread` random calls on
// `keys` keys, each on a fresh map from make(), and checks each one.
template <class MakeMap>
void check_linearizable(MakeMap make, std::size_t histories, std::size_t threads, std::size_t per_thread,
                        uint64_t keys) {
  std::atomic<uint64_t> ticket{0};
  for (std::size_t h = 0; h < histories; ++h) {
    auto m = make();
    // Some history starts from a non-empty map.
    if (h % 3 == 0)
      for (uint64_t k = 0; k < keys; ++k) m->insert(k, 100 + k);
    std::vector<std::vector<lin_op>> per(threads);
    run_together(threads, [&](std::size_t t) {
      rng r(stream_seed(test_seed() + h * 131, t));
      for (std::size_t i = 0; i < per_thread; ++i) {
        lin_op op{};
        op.kind = static_cast<lin_op::kind_t>(r.below(7));
        op.key = r.below(keys);
        op.arg1 = r.below(4) + 100;
        op.arg2 = r.below(4) + 100;
        op.before = ticket.fetch_add(1);
        switch (op.kind) {
          case lin_op::get: op.result = m->get(op.key); break;
          case lin_op::insert: op.result = m->insert(op.key, op.arg1); break;
          case lin_op::remove: op.flag = m->remove(op.key); break;
          case lin_op::add:
            op.arg1 = 1;
            op.result = m->compute(op.key, [](threadmap::compute_entry<uint64_t>& e) {
              const uint64_t nv = (e.exists() ? e.value() : 0) + 1;
              e.assign(nv);
              return nv;
            });
            break;
          case lin_op::cas: op.flag = m->compare_and_set(op.key, op.arg1, op.arg2); break;
          case lin_op::insert_if_absent: op.flag = m->insert_if_absent(op.key, op.arg1); break;
          case lin_op::get_or_insert: op.result = m->get_or_insert(op.key, op.arg1); break;
        }
        op.after = ticket.fetch_add(1);
        per[t].push_back(op);
      }
    });
    std::vector<lin_op> all;
    for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
    lin_state s(keys);
    if (h % 3 == 0)
      for (uint64_t k = 0; k < keys; ++k) s[k] = 100 + k;
    std::vector<bool> done(all.size(), false);
    ASSERT_TRUE(lin_search(all, done, s, all.size())) << "history " << h << " is not linearizable:" << lin_show(all);
  }
}

// ---------------------------------------------------------------- reclamation

inline std::size_t rss_bytes() { return process_memory().resident; }

inline double churn_seconds_default(double scaled_default) {
  if (const char* s = std::getenv("THREADMAP_CHURN_SECONDS")) return std::strtod(s, nullptr);
  return scaled_default;
}

struct churn_report {
  double seconds = 0;
  uint64_t ops = 0;
  uint64_t epochs = 0;          // epoch advances during the run
  std::size_t max_pending = 0;  // most retired-not-freed entries seen in one sample
  std::size_t rss_start = 0, rss_warm = 0, rss_max_after_warm = 0, rss_end = 0;
  std::size_t short_threads = 0;  // threads started, used, and exited during the run
  std::size_t records = 0;        // epoch records at the end (reused across exits)
};

// Insert/remove churn on `keys` keys by `writers` threads, `readers`
// threads reading, and a spawner starting short-lived threads that do a
// little of everything and exit, for `seconds`. Samples pending garbage
// and RSS every 50 ms.
template <class Map>
churn_report churn(Map& m, double seconds, std::size_t writers, std::size_t readers, uint64_t keys) {
  churn_report rep;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ops{0};
  std::atomic<std::size_t> short_threads{0};
  rep.rss_start = rss_bytes();
  const uint64_t epoch0 = threadmap::epoch::stats().epoch;
  std::thread sampler([&] {
    const auto t0 = std::chrono::steady_clock::now();
    bool warm = false;
    while (!stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const auto st = threadmap::epoch::stats();
      rep.max_pending = std::max(rep.max_pending, st.pending);
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const std::size_t rss = rss_bytes();
      if (!warm && el >= seconds * 0.2) {
        warm = true;
        rep.rss_warm = rss;
      }
      if (warm) rep.rss_max_after_warm = std::max(rep.rss_max_after_warm, rss);
    }
  });
  std::thread spawner([&] {
    uint64_t n = 0;
    while (!stop.load()) {
      std::thread short_lived([&, n] {
        rng r(stream_seed(test_seed() ^ 0x51u, n));
        for (int i = 0; i < 500; ++i) {
          const uint64_t k = r.below(keys);
          if (r.chance(1, 2)) m.insert(k, k); else m.remove(k);
          (void)m.get(r.below(keys));
        }
        ops.fetch_add(1000, std::memory_order_relaxed);
      });
      short_lived.join();
      ++n;
      short_threads.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < writers + readers; ++t) {
    workers.emplace_back([&, t] {
      rng r(stream_seed(test_seed() ^ 0xc4u, t));
      uint64_t local = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 256; ++i) {
          const uint64_t k = r.below(keys);
          if (t < writers) {
            if (r.chance(1, 2)) m.insert(k, k); else m.remove(k);
          } else {
            (void)m.get(k);
          }
        }
        local += 256;
      }
      ops.fetch_add(local, std::memory_order_relaxed);
    });
  }
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop.store(true);
  for (auto& w : workers) w.join();
  spawner.join();
  sampler.join();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rep.ops = ops.load();
  rep.epochs = threadmap::epoch::stats().epoch - epoch0;
  rep.short_threads = short_threads.load();
  rep.records = threadmap::epoch::stats().records;
  rep.rss_end = rss_bytes();
  if (!rep.rss_warm) rep.rss_warm = rep.rss_start;
  return rep;
}

inline void print_churn(const char* what, const churn_report& r) {
  std::printf(
      "[churn] %s: %.1f s, %.1f M ops, %llu epoch advances, max pending %zu, %zu short-lived threads, %zu records; "
      "RSS start %.1f MB, after warm-up %.1f MB, max after warm-up %.1f MB, end %.1f MB\n",
      what, r.seconds, static_cast<double>(r.ops) / 1e6, static_cast<unsigned long long>(r.epochs), r.max_pending,
      r.short_threads, r.records, static_cast<double>(r.rss_start) / 1e6, static_cast<double>(r.rss_warm) / 1e6,
      static_cast<double>(r.rss_max_after_warm) / 1e6, static_cast<double>(r.rss_end) / 1e6);
}

}  // namespace threadmap_test
