// threadmap/compute_entry.hpp: the handle that compute() callbacks of the
// lock-free engines (LockFreeMap, HopscotchMap) receive.
//
// compute(key, f) is an optimistic read-modify-write: it reads the key's
// current value, calls f(entry) outside any lock, and then tries to
// install f's decision with one compare-and-swap; if another writer
// changed the key in between, it calls f again with the new value. So f
// may run more than once and must have no side effects that cannot be
// repeated; only the last call's decision is applied, and compute returns
// that call's result. If f throws, nothing changes.
//
// f decides by calling entry.assign(v) (insert or replace), entry.erase()
// (remove, if present), or nothing (leave the key as it is).
#pragma once

#include <optional>
#include <utility>

#include "detail/config.hpp"

namespace threadmap {

namespace detail {
struct compute_access;
}

template <class V>
class compute_entry {
 public:
  bool exists() const noexcept { return current_ != nullptr; }
  // Requires: exists(). Valid until f returns.
  const V& value() const noexcept {
    THREADMAP_REQUIRE(current_);
    return *current_;
  }
  const V* value_ptr() const noexcept { return current_; }
  void assign(V v) {
    next_.emplace(std::move(v));
    action_ = action::assign;
  }
  void erase() noexcept {
    next_.reset();
    action_ = action::erase;
  }
  // Leave the key as it is (the default).
  void keep() noexcept {
    next_.reset();
    action_ = action::keep;
  }

 private:
  friend struct detail::compute_access;
  enum class action { keep, assign, erase };
  explicit compute_entry(const V* current) noexcept : current_(current) {}
  const V* current_;
  std::optional<V> next_;
  action action_ = action::keep;
};

namespace detail {
// The engines' view of a compute_entry.
struct compute_access {
  template <class V>
  static compute_entry<V> make(const V* current) noexcept {
    return compute_entry<V>(current);
  }
  template <class V>
  static bool wants_assign(const compute_entry<V>& e) noexcept {
    return e.action_ == compute_entry<V>::action::assign;
  }
  template <class V>
  static bool wants_erase(const compute_entry<V>& e) noexcept {
    return e.action_ == compute_entry<V>::action::erase;
  }
  template <class V>
  static V take_value(compute_entry<V>& e) {
    return std::move(*e.next_);
  }
};
}  // namespace detail

}  // namespace threadmap
