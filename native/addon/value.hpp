// native/addon/value.hpp: how a JS map value is stored natively. No Node headers.
//
// A Value is one 64-bit word (NaN-boxing), so a number, boolean, null or
// undefined needs no allocation, and a DashMap slot is 16 bytes (keys that
// pack into a word, key.hpp) or 24 (other keys, up to 14 bytes inline):
//
//   any double            the double itself; every NaN is stored as the one
//                         positive quiet NaN 0x7FF8'0000'0000'0000, so the
//                         patterns below are never numbers
//   0xFFF9'0000'0000'000x a special: 0 undefined, 1 null, 2 false, 3 true
//   0xFFFA'pppp'pppp'pppp an owning pointer (48 bits) to a blob
//
// A blob is one malloc'd block: a header, then `size` bytes:
//   string1     Latin-1 code units (all < 256)
//   string2     UTF-16 code units
//   bigint      sign byte, magnitude little-endian (as in key.hpp)
//   bytes       a typed array's bytes; `sub` names its type (byte_type)
//   serialized  V8 structured-clone bytes (objects, arrays, Map, Date, ...; clone.hpp)
//
// Values are immutable once stored: a write replaces the Value. Copying a
// Value copies its blob (reads copy values out of the map under the shard
// lock; the blob is never shared between two Values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>
#include <string_view>

namespace threadmap::addon {

enum class blob_kind : uint8_t { string1 = 1, string2 = 2, bigint = 3, bytes = 4, serialized = 5 };

// The typed array kinds a `bytes` blob remembers (the value comes back as
// the same kind). Numbered as Node-API's napi_typedarray_type, plus buffer;
// dataview only for the views inside a serialized value (clone.hpp).
enum class byte_type : uint8_t {
  int8 = 0, uint8 = 1, uint8_clamped = 2, int16 = 3, uint16 = 4, int32 = 5, uint32 = 6,
  float32 = 7, float64 = 8, bigint64 = 9, biguint64 = 10, buffer = 64, dataview = 65,
};

struct blob {
  uint32_t size;
  blob_kind kind;
  uint8_t sub;  // byte_type for bytes blobs
  uint16_t reserved;
  unsigned char* data() noexcept { return reinterpret_cast<unsigned char*>(this + 1); }
  const unsigned char* data() const noexcept { return reinterpret_cast<const unsigned char*>(this + 1); }
};
static_assert(sizeof(blob) == 8);

class Value {
 public:
  enum class special : uint8_t { undefined = 0, null = 1, false_ = 2, true_ = 3 };

  Value() noexcept : bits_(special_tag | 0) {}  // undefined
  static Value number(double d) noexcept {
    if (d != d) d = __builtin_nan("");
    Value v;
    std::memcpy(&v.bits_, &d, 8);
    return v;
  }
  static Value make_special(special s) noexcept {
    Value v;
    v.bits_ = special_tag | static_cast<uint64_t>(s);
    return v;
  }
  static Value boolean(bool b) noexcept { return make_special(b ? special::true_ : special::false_); }
  // Throws std::bad_alloc, or std::length_error above 4 GiB.
  static Value make_blob(blob_kind kind, const void* data, std::size_t len, uint8_t sub = 0) {
    if (len > UINT32_MAX) throw std::length_error("value too large");
    auto* b = static_cast<blob*>(std::malloc(sizeof(blob) + len));
    if (!b) throw std::bad_alloc();
    b->size = static_cast<uint32_t>(len);
    b->kind = kind;
    b->sub = sub;
    b->reserved = 0;
    if (len) std::memcpy(b->data(), data, len);
    Value v;
    v.bits_ = blob_tag | reinterpret_cast<uintptr_t>(b);
    return v;
  }

  Value(const Value& o) : bits_(o.bits()) {
    if (const blob* b = o.as_blob()) {
      bits_ = special_tag;  // not o's blob: the assignment below frees what *this holds
      *this = make_blob(b->kind, b->data(), b->size, b->sub);
    }
  }
  Value(Value&& o) noexcept : bits_(o.bits_) { o.bits_ = special_tag; }
  Value& operator=(const Value& o) {
    if (this != &o) {
      Value copy(o);
      *this = std::move(copy);
    }
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      reset();
      bits_ = o.bits_;
      o.bits_ = special_tag;
    }
    return *this;
  }
  ~Value() { reset(); }

  bool is_number() const noexcept { return (bits() >> 48) < 0xFFF9; }
  bool is_special() const noexcept { return (bits() & tag_mask) == special_tag; }
  double as_number() const noexcept {
    const uint64_t b = bits();
    double d;
    std::memcpy(&d, &b, 8);
    return d;
  }
  special as_special() const noexcept { return static_cast<special>(bits() & 0xFF); }
  const blob* as_blob() const noexcept {
    const uint64_t b = bits();
    if ((b & tag_mask) != blob_tag) return nullptr;
    return reinterpret_cast<const blob*>(static_cast<uintptr_t>(b & payload_mask));
  }

  // set of a number, boolean, null or undefined (`next`, not a blob) over a
  // value that is not a blob either, in place, under the shard's shared
  // lock (as add_in_place): one atomic store, nothing owned changes hands.
  // False, changing nothing, when either is a blob (the exclusive path then
  // frees or takes ownership). Under the shared lock no one can turn the
  // value into a blob, so the check and the store need no loop.
  static bool store_inline(Value& v, const Value& next) noexcept {
    if (next.as_blob() || v.as_blob()) return false;
    __atomic_store_n(&v.bits_, next.bits(), __ATOMIC_RELAXED);  // relaxed: as add_in_place
    return true;
  }

  // add on a number in a table, in place: a CAS loop on the bits, made under
  // the shard's shared lock (DashMap::update_shared), so other threads may be
  // reading this value meanwhile (hence bits(), a relaxed atomic load, in
  // every reader above). The value stays a number, so what it owns (nothing)
  // never changes under a reader. False, changing nothing, if it is not a
  // number. The sum is canonicalized as Value::number does (one NaN).
  static bool add_in_place(Value& v, double delta, double& sum) noexcept {
    uint64_t old = v.bits();
    for (;;) {
      if ((old >> 48) >= 0xFFF9) return false;  // not a number
      double d;
      std::memcpy(&d, &old, 8);
      d += delta;
      if (d != d) d = __builtin_nan("");
      uint64_t next;
      std::memcpy(&next, &d, 8);
      // relaxed: the CAS only has to be atomic; the shard lock orders it
      // against writers that could replace the value.
      if (__atomic_compare_exchange_n(&v.bits_, &old, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        sum = d;
        return true;
      }
    }
  }
  bool is_blob(blob_kind k) const noexcept {
    const blob* b = as_blob();
    return b && b->kind == k;
  }
  std::size_t heap_bytes() const noexcept {
    const blob* b = as_blob();
    return b ? sizeof(blob) + b->size : 0;
  }

  // For a reader that holds no lock (DashMap's optimistic reads): reads
  // `racy`'s bits once and, if they hold a number or a special (nothing to
  // follow), makes `out` that value. False for a blob, whose memory a writer
  // may be freeing at this moment: such a value is read under the lock.
  static bool copy_inline(const Value& racy, Value& out) noexcept {
    const uint64_t b = racy.bits();  // once; the reader validates afterwards
    if ((b & tag_mask) == blob_tag) return false;
    out.reset();
    out.bits_ = b;
    return true;
  }

  // SameValueZero for primitives, content equality for everything else
  // (what compareAndSet needs: objects match by their cloned content).
  friend bool same_value_zero(const Value& a, const Value& b) noexcept {
    if (a.is_number() && b.is_number()) {
      const double x = a.as_number(), y = b.as_number();
      return x == y || (x != x && y != y);
    }
    const blob* p = a.as_blob();
    const blob* q = b.as_blob();
    if (p && q)
      return p->kind == q->kind && p->sub == q->sub && p->size == q->size &&
             std::memcmp(p->data(), q->data(), p->size) == 0;
    return a.bits_ == b.bits_;
  }

 private:
  static constexpr uint64_t tag_mask = 0xFFFF'0000'0000'0000ull;
  static constexpr uint64_t payload_mask = 0x0000'FFFF'FFFF'FFFFull;
  static constexpr uint64_t special_tag = 0xFFF9'0000'0000'0000ull;
  static constexpr uint64_t blob_tag = 0xFFFA'0000'0000'0000ull;

  void reset() noexcept {
    if (const blob* b = as_blob()) std::free(const_cast<blob*>(b));
    bits_ = special_tag;
  }

  // Values in a table may be read while add_in_place or store_inline change
  // them (or, by optimistic readers, while anything does): every read of a
  // value that may be shared goes through here.
  uint64_t bits() const noexcept { return __atomic_load_n(&bits_, __ATOMIC_RELAXED); }

  uint64_t bits_;
};

static_assert(sizeof(Value) == 8);

}  // namespace threadmap::addon
