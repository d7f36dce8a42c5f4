// DashMap against a model: seeded random sequences of single-key and
// whole-map operations on a small key range (so hits and misses both
// happen), checked op by op against std::unordered_map, with the whole
// contents compared every `batch` steps and at the end.
//
// Every case prints its seed and the failing step. The base seed can be
// replaced with THREADMAP_TEST_SEED=<n> in the environment; tables use a
// fixed-seed hash, so a (seed, shard count) pair replays exactly.
#include <cstdint>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>
#include <threadmap/dash_map.hpp>

#include "support.hpp"

namespace {

using threadmap::alter_entry;
using threadmap::DashMap;
using threadmap_test::fixed_hash;
using threadmap_test::rng;

constexpr std::size_t ops_per_case = 100000;
constexpr std::size_t batch = 1000;
constexpr std::size_t seeds_per_shard_count = 4;
constexpr std::size_t shard_counts[] = {1, 4, 64};
static_assert(ops_per_case * seeds_per_shard_count * std::size(shard_counts) >= 1000000,
              "the model test must run at least a million operations (in every build)");

struct injected_failure : std::exception {};

// Makes keys of type K from small integers.
template <class K>
struct key_maker;
template <>
struct key_maker<uint32_t> {
  uint32_t operator()(uint64_t i) const { return static_cast<uint32_t>(i); }
};
template <>
struct key_maker<std::string> {
  // Short keys stay in the small-string buffer, every third one does not.
  std::string operator()(uint64_t i) const {
    return i % 3 == 0 ? "a-longer-key-that-allocates-" + std::to_string(i) : std::to_string(i);
  }
};

template <>
struct key_maker<threadmap_test::packable_key> {
  // Keys of up to 7 bytes pack; one in 97 is longer, so a shard's table
  // runs packed until its first long key turns it wide (and packed again
  // after a clear).
  threadmap_test::packable_key operator()(uint64_t i) const {
    return {i % 97 == 5 ? "longer-than-seven-" + std::to_string(i) : std::to_string(i)};
  }
};

template <class K>
std::string show(const K& k) {
  std::ostringstream os;
  os << k;
  return os.str();
}

template <class K, class Hash>
class model_run {
 public:
  using map_type = DashMap<K, uint64_t, Hash>;
  using model_type = std::unordered_map<K, uint64_t>;

  model_run(uint64_t seed, std::size_t shards, uint64_t key_range)
      : seed_(seed), shards_(shards), key_range_(key_range), map_(0, shards), r_(seed) {}

  // Runs `ops` steps; stops at the first mismatch (reported through gtest).
  // Returns the number of steps run.
  std::size_t run(std::size_t ops) {
    for (step_ = 0; step_ < ops; ++step_) {
      if (!one_step()) return step_;
      if ((step_ + 1) % batch == 0 && !compare_all()) return step_;
    }
    compare_all();
    return ops;
  }

  std::size_t clears() const { return clears_; }
  std::size_t retains() const { return retains_; }

 private:
  // Reports a mismatch with everything needed to replay it.
  bool fail(const std::string& what) {
    ADD_FAILURE() << "model mismatch: " << what << "\n  seed=" << seed_ << " (base THREADMAP_TEST_SEED="
                  << threadmap_test::test_seed() << ") shards=" << shards_ << " key_range=" << key_range_
                  << " step=" << step_ << " op=" << op_;
    return false;
  }

  template <class A, class B>
  bool check(const A& got, const B& want, const char* what) {
    if (got == want) return true;
    std::ostringstream os;
    os << what << " for key " << show(key_) << ": got " << describe(got) << ", expected " << describe(want);
    return fail(os.str());
  }
  static std::string describe(const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : "nullopt"; }
  static std::string describe(uint64_t v) { return std::to_string(v); }
  static std::string describe(bool v) { return v ? "true" : "false"; }

  std::optional<uint64_t> model_find(const K& k) const {
    auto it = model_.find(k);
    return it == model_.end() ? std::nullopt : std::optional<uint64_t>(it->second);
  }

  bool one_step() {
    key_ = make_(r_.below(key_range_));
    const uint64_t value = r_.next();
    const uint64_t dice = r_.below(1000);
    const std::optional<uint64_t> before = model_find(key_);

    if (dice < 180) {
      op_ = "insert";
      if (!check(map_.insert(key_, value), before, "insert's previous value")) return false;
      model_[key_] = value;
    } else if (dice < 280) {
      op_ = "try_insert";
      if (!check(map_.try_insert(key_, value), !before.has_value(), "try_insert's result")) return false;
      model_.try_emplace(key_, value);
    } else if (dice < 400) {
      op_ = "erase";
      if (!check(map_.erase(key_), before.has_value(), "erase's result")) return false;
      model_.erase(key_);
    } else if (dice < 480) {
      op_ = "take";
      if (!check(map_.take(key_), before, "take's value")) return false;
      model_.erase(key_);
    } else if (dice < 630) {
      op_ = "find";
      if (!check(map_.find(key_), before, "find's value")) return false;
    } else if (dice < 710) {
      op_ = "contains";
      if (!check(map_.contains(key_), before.has_value(), "contains")) return false;
    } else if (dice < 760) {
      op_ = "visit";
      std::optional<uint64_t> seen;
      const bool found = map_.visit(key_, [&](const uint64_t& v) { seen = v; });
      if (!check(found, before.has_value(), "visit's result") || !check(seen, before, "visit's value")) return false;
    } else if (dice < 880) {
      return alter_step(before, value);
    } else if (dice < 930) {
      op_ = "upsert";
      const bool inserted = map_.upsert(key_, value, [](uint64_t& v) { v = v * 3 + 1; });
      if (!check(inserted, !before.has_value(), "upsert's result")) return false;
      model_[key_] = before ? *before * 3 + 1 : value;
    } else if (dice < 990) {
      op_ = "erase_if";
      const bool want = before && (*before & 1);
      if (!check(map_.erase_if(key_, [](const uint64_t& v) { return (v & 1) != 0; }), want, "erase_if's result"))
        return false;
      if (want) model_.erase(key_);
    } else {
      return rare_step();
    }
    return true;
  }

  bool alter_step(const std::optional<uint64_t>& before, uint64_t value) {
    op_ = "alter";
    const uint64_t how = r_.below(5);
    std::optional<uint64_t> seen;
    bool threw = false;
    bool existed = false;
    try {
      existed = map_.alter(key_, [&](alter_entry<uint64_t>& e) {
        if (e.exists()) seen = e.value();
        switch (how) {
          case 0: e.assign(value); break;                                  // set
          case 1: if (e.exists()) e.assign(e.value() + 1); else e.erase(); break;  // increment or nothing
          case 2: e.erase(); break;                                        // delete
          case 3: break;                                                   // look only
          case 4: e.assign(value); throw injected_failure();               // changes nothing
        }
        return e.exists();
      });
    } catch (const injected_failure&) {
      threw = true;
    }
    if (!check(seen, before, "alter's entry value") || !check(threw, how == 4, "alter threw")) return false;
    if (!threw && !check(existed, before.has_value(), "alter's returned exists()")) return false;
    switch (how) {
      case 0: model_[key_] = value; break;
      case 1: if (before) model_[key_] = *before + 1; break;
      case 2: model_.erase(key_); break;
      default: break;
    }
    return true;
  }

  bool rare_step() {
    const uint64_t which = r_.below(100);
    if (which == 0) {
      op_ = "clear";
      map_.clear();
      model_.clear();
      ++clears_;
      return check(map_.size(), uint64_t{0}, "size after clear");
    }
    if (which < 10) {
      op_ = "retain";
      ++retains_;
      const uint64_t modulus = 2 + r_.below(5);
      // Keeps the entries whose value is not a multiple of `modulus`, and
      // bumps the kept ones (retain lends values mutably).
      std::size_t calls = 0;
      const std::size_t removed = map_.retain([&](const K& k, uint64_t& v) {
        ++calls;
        auto it = model_.find(k);
        if (it == model_.end() || it->second != v) mismatch_in_callback_ = true;
        if (v % modulus == 0) return false;
        ++v;
        return true;
      });
      std::size_t want_removed = 0;
      for (auto it = model_.begin(); it != model_.end();) {
        if (it->second % modulus == 0) {
          it = model_.erase(it);
          ++want_removed;
        } else {
          ++it->second;
          ++it;
        }
      }
      if (mismatch_in_callback_) return fail("retain lent an entry the model does not have");
      return check(uint64_t{calls}, uint64_t{want_removed + model_.size()}, "retain's call count") &&
             check(uint64_t{removed}, uint64_t{want_removed}, "retain's removed count");
    }
    op_ = "size";
    return check(uint64_t{map_.size()}, uint64_t{model_.size()}, "size") &&
           check(map_.empty(), model_.empty(), "empty");
  }

  bool compare_all() {
    op_ = "compare";
    std::unordered_set<K> seen;
    std::string problem;
    map_.for_each([&](const K& k, const uint64_t& v) {
      if (!problem.empty()) return;
      if (!seen.insert(k).second) problem = "for_each saw key " + show(k) + " twice";
      auto it = model_.find(k);
      if (it == model_.end())
        problem = "map has key " + show(k) + " that the model has not";
      else if (it->second != v)
        problem = "key " + show(k) + ": map " + std::to_string(v) + ", model " + std::to_string(it->second);
    });
    if (!problem.empty()) return fail(problem);
    if (seen.size() != model_.size()) {
      for (const auto& [k, v] : model_)
        if (!seen.count(k)) return fail("map lacks key " + show(k) + " (value " + std::to_string(v) + ")");
    }
    std::size_t sum = 0;
    for (std::size_t s : map_.shard_sizes()) sum += s;
    return check(uint64_t{map_.size()}, uint64_t{model_.size()}, "size") &&
           check(uint64_t{sum}, uint64_t{model_.size()}, "sum of shard sizes");
  }

  const uint64_t seed_;
  const std::size_t shards_;
  const uint64_t key_range_;
  map_type map_;
  model_type model_;
  rng r_;
  key_maker<K> make_;
  K key_{};
  std::size_t step_ = 0;
  const char* op_ = "";
  bool mismatch_in_callback_ = false;
  std::size_t clears_ = 0;
  std::size_t retains_ = 0;
};

struct model_case {
  std::size_t shards;
  std::size_t seed_index;
};
void PrintTo(const model_case& c, std::ostream* os) { *os << c.shards << " shards, seed index " << c.seed_index; }

// Key ranges by seed index: tiny (dense, many hits), medium, large (sparse,
// many misses and more growth), odd-sized.
constexpr uint64_t key_ranges[seeds_per_shard_count] = {64, 512, 4096, 300};

uint64_t case_seed(std::size_t shards, std::size_t seed_index) {
  return threadmap_test::stream_seed(threadmap_test::test_seed(), shards * 100 + seed_index);
}

class DashMapModel : public ::testing::TestWithParam<model_case> {};

TEST_P(DashMapModel, RandomOperationsMatchUnorderedMap) {
  const auto [shards, seed_index] = GetParam();
  const uint64_t seed = case_seed(shards, seed_index);
  model_run<uint32_t, fixed_hash> run(seed, shards, key_ranges[seed_index]);
  const std::size_t ops = ops_per_case * threadmap_test::scale_multiplier();
  EXPECT_EQ(run.run(ops), ops) << "seed=" << seed;
  EXPECT_GT(run.retains(), 0u);
}

std::vector<model_case> all_cases() {
  std::vector<model_case> out;
  for (std::size_t shards : shard_counts)
    for (std::size_t i = 0; i < seeds_per_shard_count; ++i) out.push_back({shards, i});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Seeds, DashMapModel, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<model_case>& info) {
                           return "shards" + std::to_string(info.param.shards) + "_seed" +
                                  std::to_string(info.param.seed_index);
                         });

// A hash with only 16 distinct values: long probe chains of equal tags, full
// of tombstones, exercised by the same random sequences.
struct sixteen_hashes {
  uint64_t operator()(uint32_t k) const noexcept { return threadmap::hash_word(k % 16, 7); }
};

class DashMapModelCollisions : public ::testing::TestWithParam<std::size_t> {};

TEST_P(DashMapModelCollisions, RandomOperationsMatchUnorderedMap) {
  const uint64_t seed = case_seed(GetParam(), 77);
  model_run<uint32_t, sixteen_hashes> run(seed, GetParam(), 400);
  const std::size_t ops = threadmap_test::scaled(40000, 10000);
  EXPECT_EQ(run.run(ops), ops) << "seed=" << seed;
}

INSTANTIATE_TEST_SUITE_P(Shards, DashMapModelCollisions, ::testing::Values(1, 4, 64),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return "shards" + std::to_string(info.param);
                         });

TEST(DashMapModelStrings, RandomOperationsMatchUnorderedMap) {
  for (std::size_t shards : {std::size_t{1}, std::size_t{8}}) {
    const uint64_t seed = case_seed(shards, 99);
    model_run<std::string, fixed_hash> run(seed, shards, 700);
    const std::size_t ops = threadmap_test::scaled(60000, 10000);
    EXPECT_EQ(run.run(ops), ops) << "seed=" << seed << " shards=" << shards;
  }
}

TEST(DashMapModelPackedKeys, RandomOperationsMatchUnorderedMap) {
  // The same sequences on keys that pack (threadmap/key_packing.hpp): tables
  // start packed, widen at their first long key, pack again after clear.
  for (std::size_t shards : {std::size_t{1}, std::size_t{8}}) {
    for (uint64_t range : {uint64_t{90}, uint64_t{3000}}) {
      const uint64_t seed = case_seed(shards, 98 + range);
      model_run<threadmap_test::packable_key, fixed_hash> run(seed, shards, range);
      const std::size_t ops = threadmap_test::scaled(100000, 10000);
      EXPECT_EQ(run.run(ops), ops) << "seed=" << seed << " shards=" << shards << " range=" << range;
      EXPECT_GT(run.clears(), 0u);
    }
  }
}

}  // namespace
