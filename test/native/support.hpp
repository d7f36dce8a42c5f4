// test/native/support.hpp: helpers shared by the native tests.
//
//   run_together(n, body)   n threads held at a std::latch until all exist,
//                           then body(thread_index) in each; rethrows the
//                           first exception a thread let escape.
//   failure_log             where worker threads record failed checks (the
//                           main thread asserts on it after join).
//   read_count_while_writing  a reader's loop that checks every count it
//                           reads against bounds while writers run.
//   rng, test_seed          a small seeded generator; THREADMAP_TEST_SEED in
//                           the environment replaces the default base seed.
//   fixed_hash              threadmap's hash with a fixed seed, so that a run
//                           with a given test seed lays out tables the same
//                           way every time (the default hash is seeded per
//                           process).
//   heap_key, tracked       a key type and a value type that own heap memory
//                           and count their live instances: a missed or
//                           doubled destructor shows up as a count, a use
//                           after move or free as a crash under ASan.
//   packable_key            a string key that opts into threadmap::key_packing
//                           when it is at most 7 bytes long (DashMap keeps
//                           such keys as 64-bit words until a longer one
//                           comes), hashed by fixed_hash.
//   process_memory()        this process's address space and resident set,
//                           in bytes (/proc/self/statm; zeros elsewhere).
//   scaled(n)               iteration counts, divided under sanitizers
//                           (THREADMAP_TEST_SANITIZED, set by CMakeLists.txt)
//                           and multiplied by THREADMAP_TEST_SCALE.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <unistd.h>

#include <threadmap/hash.hpp>
#include <threadmap/key_packing.hpp>

namespace threadmap_test {

// ---- scaling ----

#if defined(THREADMAP_TEST_SANITIZED)
inline constexpr bool sanitized = true;
inline constexpr std::size_t scale_divisor = 4;
#else
inline constexpr bool sanitized = false;
inline constexpr std::size_t scale_divisor = 1;
#endif

// THREADMAP_TEST_SCALE=<n> in the environment multiplies the iteration
// counts of the heavier tests (a longer soak: THREADMAP_TEST_SCALE=20
// ctest -L stress). Default 1.
inline std::size_t scale_multiplier() {
  static const std::size_t m = [] {
    const char* s = std::getenv("THREADMAP_TEST_SCALE");
    const unsigned long long v = s ? std::strtoull(s, nullptr, 10) : 1;
    return static_cast<std::size_t>(v ? v : 1);
  }();
  return m;
}

struct memory_use {
  std::size_t address_space = 0;  // bytes mapped
  std::size_t resident = 0;       // bytes in RAM
};
inline memory_use process_memory() {
  std::ifstream f("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  if (!(f >> size >> resident)) return {};
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return {size * page, resident * page};
}

// n, divided under sanitizers (but never below `at_least`), times
// THREADMAP_TEST_SCALE.
inline std::size_t scaled(std::size_t n, std::size_t at_least = 1) {
  return std::max(n / scale_divisor, at_least) * scale_multiplier();
}

// ---- threads ----

// Starts n threads, releases them together from a latch, runs body(i) in
// thread i, joins them all, then rethrows the first exception any of them
// let escape. Gtest's fatal assertions only leave the function they are
// in, so bodies should record failures in a failure_log instead.
template <class F>
void run_together(std::size_t n, F&& body) {
  std::latch start(static_cast<std::ptrdiff_t>(n));
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  try {
    for (std::size_t i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        try {
          body(i);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      });
    }
  } catch (...) {
    // Could not start them all: release the ones that wait, then report.
    start.count_down(static_cast<std::ptrdiff_t>(n - threads.size()));
    for (auto& t : threads) t.join();
    throw;
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// Failed checks from worker threads: a count and the first few messages.
class failure_log {
 public:
  void add(std::string message) {
    std::lock_guard<std::mutex> g(mutex_);
    ++count_;
    if (messages_.size() < 10) messages_.push_back(std::move(message));
  }
  template <class... Parts>
  void fail(const Parts&... parts) {
    std::ostringstream os;
    (os << ... << parts);
    add(os.str());
  }
  std::size_t count() const {
    std::lock_guard<std::mutex> g(mutex_);
    return count_;
  }
  std::string summary() const {
    std::lock_guard<std::mutex> g(mutex_);
    std::string s;
    for (const auto& m : messages_) s += "\n  " + m;
    if (count_ > messages_.size()) s += "\n  ... and " + std::to_string(count_ - messages_.size()) + " more";
    return s;
  }

 private:
  mutable std::mutex mutex_;
  std::size_t count_ = 0;
  std::vector<std::string> messages_;
};

// A reader thread's loop: calls read() (a count) until writers_left reaches
// 0 and records in `failures` every answer outside [lo, hi]; returns how
// many reads it made.
template <class Read>
std::uint64_t read_count_while_writing(const std::atomic<int>& writers_left, failure_log& failures, std::size_t lo,
                                       std::size_t hi, Read&& read) {
  std::uint64_t reads = 0;
  while (writers_left.load(std::memory_order_relaxed) > 0) {
    const std::size_t n = read();
    ++reads;
    if (n < lo || n > hi) failures.fail("count ", n, " outside [", lo, ", ", hi, "]");
  }
  return reads;
}

// ---- randomness ----

// The base seed of a test run: THREADMAP_TEST_SEED if set, else a constant.
inline uint64_t test_seed() {
  if (const char* s = std::getenv("THREADMAP_TEST_SEED")) return std::strtoull(s, nullptr, 0);
  return 0x7468726561646d61ull;  // "threadma"
}

// splitmix64: small, fast and good enough to drive operation mixes.
class rng {
 public:
  explicit rng(uint64_t seed) noexcept : state_(seed) {}
  uint64_t next() noexcept {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n). Requires: n > 0.
  uint64_t below(uint64_t n) noexcept {
    return static_cast<uint64_t>((static_cast<__uint128_t>(next()) * n) >> 64);
  }
  // True with probability num/den.
  bool chance(uint64_t num, uint64_t den) noexcept { return below(den) < num; }

 private:
  uint64_t state_;
};

// A seed for stream `i` of a run: distinct streams never share a sequence.
inline uint64_t stream_seed(uint64_t base, uint64_t i) noexcept {
  return threadmap::hash_word(i, base) ^ (i * 0x9e3779b97f4a7c15ull);
}

// ---- hashing ----

inline constexpr uint64_t fixed_hash_seed = 0x243f6a8885a308d3ull;

struct fixed_hash {
  template <class K, std::enable_if_t<std::is_integral_v<K>, int> = 0>
  uint64_t operator()(K k) const noexcept {
    return threadmap::hash_word(static_cast<uint64_t>(k), fixed_hash_seed);
  }
  uint64_t operator()(const std::string& s) const noexcept {
    return threadmap::hash_bytes(s.data(), s.size(), fixed_hash_seed);
  }
  uint64_t operator()(const struct packable_key& k) const noexcept;
};

// ---- a key type that packs (threadmap/key_packing.hpp) ----

struct packable_key {
  std::string s;
  friend bool operator==(const packable_key& a, const packable_key& b) { return a.s == b.s; }
  friend std::ostream& operator<<(std::ostream& os, const packable_key& k) { return os << k.s; }
};
inline uint64_t fixed_hash::operator()(const packable_key& k) const noexcept { return (*this)(k.s); }

// ---- types with heap memory and instance counts ----

// A key that owns heap memory. Copies are deep; a moved-from key is empty,
// and hashing or comparing it is a bug the test must see, so both read
// through the pointer (a crash, or an ASan report).
class heap_key {
 public:
  static std::atomic<long>& live() {
    static std::atomic<long> n{0};
    return n;
  }

  explicit heap_key(uint64_t id) : text_(std::make_unique<std::string>(make_text(id))), id_(id) { ++live(); }
  heap_key(const heap_key& o) : text_(std::make_unique<std::string>(*o.text_)), id_(o.id_) { ++live(); }
  heap_key(heap_key&& o) noexcept : text_(std::move(o.text_)), id_(o.id_) { ++live(); }
  heap_key& operator=(const heap_key& o) {
    text_ = std::make_unique<std::string>(*o.text_);
    id_ = o.id_;
    return *this;
  }
  heap_key& operator=(heap_key&& o) noexcept {
    text_ = std::move(o.text_);
    id_ = o.id_;
    return *this;
  }
  ~heap_key() { --live(); }

  uint64_t id() const noexcept { return id_; }
  const std::string& text() const noexcept { return *text_; }
  friend bool operator==(const heap_key& a, const heap_key& b) noexcept { return *a.text_ == *b.text_; }

  struct hash {
    uint64_t operator()(const heap_key& k) const noexcept {
      return threadmap::hash_bytes(k.text_->data(), k.text_->size(), fixed_hash_seed);
    }
  };

 private:
  // Longer than any small-string buffer, so the string itself allocates too.
  static std::string make_text(uint64_t id) { return "heap-key-" + std::to_string(id) + "-padding-past-sso"; }
  std::unique_ptr<std::string> text_;
  uint64_t id_;
};

// A value that owns heap memory and counts live instances.
class tracked {
 public:
  static std::atomic<long>& live() {
    static std::atomic<long> n{0};
    return n;
  }

  explicit tracked(uint64_t v) : p_(std::make_unique<uint64_t>(v)) { ++live(); }
  tracked(const tracked& o) : p_(std::make_unique<uint64_t>(*o.p_)) { ++live(); }
  tracked(tracked&& o) noexcept : p_(std::move(o.p_)) { ++live(); }
  tracked& operator=(const tracked& o) {
    p_ = std::make_unique<uint64_t>(*o.p_);
    return *this;
  }
  tracked& operator=(tracked&& o) noexcept {
    p_ = std::move(o.p_);
    return *this;
  }
  ~tracked() { --live(); }

  uint64_t get() const noexcept { return *p_; }
  void set(uint64_t v) noexcept { *p_ = v; }
  friend bool operator==(const tracked& a, const tracked& b) noexcept { return *a.p_ == *b.p_; }

 private:
  std::unique_ptr<uint64_t> p_;
};

}  // namespace threadmap_test

// Up to 7 bytes pack: the length in the top byte, byte i in bits 8i..8i+7.
template <>
struct threadmap::key_packing<threadmap_test::packable_key> {
  static constexpr bool enabled = true;
  static bool pack(const threadmap_test::packable_key& k, uint64_t& word) noexcept {
    if (k.s.size() > 7) return false;
    word = uint64_t{k.s.size()} << 56;
    for (std::size_t i = 0; i < k.s.size(); ++i) word |= uint64_t{static_cast<unsigned char>(k.s[i])} << (8 * i);
    return true;
  }
  static threadmap_test::packable_key unpack(uint64_t word) noexcept {
    threadmap_test::packable_key k;
    const std::size_t len = static_cast<std::size_t>(word >> 56);
    for (std::size_t i = 0; i < len; ++i) k.s.push_back(static_cast<char>(word >> (8 * i)));
    return k;
  }
};

template <>
struct std::hash<threadmap_test::packable_key> {
  std::size_t operator()(const threadmap_test::packable_key& k) const noexcept { return std::hash<std::string>()(k.s); }
};
