// threadmap/error.hpp: the one exception type the engines throw for
// conditions a caller must handle (as opposed to bad_alloc and friends).
//
// Each error carries an errc whose names match the JS error codes of
// DESIGN.md one to one, so the addon maps them without a table of strings
// in two places: errc::would_deadlock <-> ERR_WOULD_DEADLOCK, and so on.
#pragma once

#include <stdexcept>
#include <string>

namespace threadmap {

enum class errc {
  would_deadlock,  // the caller already holds a lock that this call needs
  lock_timeout,    // a bounded wait for a lock ran out
  aborted,         // a wait was cancelled by its caller
  invalid_handle,  // a handle that does not name a live map of this kind
  entry_released,  // a lock holder used after it released the lock
  cache_full,      // an LruLockMap store found every entry held: none could be evicted
};

inline const char* errc_code(errc e) noexcept {
  switch (e) {
    case errc::would_deadlock: return "ERR_WOULD_DEADLOCK";
    case errc::lock_timeout: return "ERR_LOCK_TIMEOUT";
    case errc::aborted: return "ERR_ABORTED";
    case errc::invalid_handle: return "ERR_INVALID_HANDLE";
    case errc::entry_released: return "ERR_ENTRY_RELEASED";
    case errc::cache_full: return "ERR_CACHE_FULL";
  }
  return "ERR_UNKNOWN";
}

class error : public std::runtime_error {
 public:
  error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  errc code() const noexcept { return code_; }

 private:
  errc code_;
};

}  // namespace threadmap
