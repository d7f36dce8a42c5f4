// threadmap/detail/rw_lock.hpp: the reader-writer lock of one shard.
//
// One 32-bit word, plus (for a lock attached to reader slots) a few fields
// that are only read on the fast path: 24 bytes, so that a shard's lock and
// its table header fit in one cache line (a lookup touches that line once):
//
//   bit 31  WRITER          held exclusively
//   bit 30  WRITER_WAITING  a writer waits behind readers: new readers
//                           hold back, so a stream of readers cannot
//                           starve writers (a writer waiting behind a
//                           writer does not set it)
//   bit 29  SLEEPERS        some thread is (or is about to be) blocked in
//                           std::atomic::wait on this word; the releaser
//                           must notify
//   bit 28  BIAS            attached locks: readers count in their slots
//   bits 0-27               number of (plain) readers
//
// Beside the word, a write sequence (seq_) for readers that take no lock at
// all (DashMap's optimistic reads, a seqlock over the shard): every
// exclusive holder makes it odd when it takes the lock and even again when
// it releases it, so a reader that saw the same even value before and after
// reading saw no writer's work (see read_seq / unchanged_since below).
//
// Waiting spins briefly (critical sections are short: a probe of one table)
// and then sleeps on the word (a futex, detail/parking.hpp), so a thread
// whose lock is held for long (a JS callback under update) does not burn a
// core. lock_stoppable / lock_shared_stoppable sleep in slices and ask the
// thread's wait_interrupt check between them (parking.hpp): a Node worker
// being stopped gives its wait up instead of waiting for a callback that
// may never return (process.exit() inside it waits for that worker).
//
// Memory orders: acquisitions are acquire and releases are release, which is
// exactly what a lock needs: everything written inside a critical section
// happens-before everything read in the next one on the same lock. Plain
// loads used to decide whether to try a CAS are relaxed: they only guide the
// CAS, which re-checks the value. The SLEEPERS handshake is safe because a
// sleeper sets the bit with a CAS on the exact value it then waits on:
// if a releaser changes the word in between, wait() returns at once.
//
// Striped readers (a lock attached to a reader_slots, see below; DashMap's
// shards are). Counting readers in the word makes every read a write to the
// lock's cache line: two threads reading the same map then pass that line
// back and forth on every call, and reads of a shared map stop scaling (on
// the 2-core test machine two threads did fewer reads than one). While BIAS
// is set in its word, an attached lock counts readers in per-thread-slot
// counters instead, each on a cache line of its own, so a reader writes
// only its own slot's line and only reads the word. The price is paid by
// writers, who must scan every slot's counter, so BIAS adapts (as in BRAVO,
// Dice and Kogan 2019): a writer that finds it set clears it (in the CAS
// that takes the lock) and waits for the striped readers; later readers
// count in the word again, until a reader finds that the shard's previous
// plain reader was another thread (no write in between): then it sets BIAS
// again. A shard read by one thread alone never turns it on, so a single
// thread pays only a compare; a shard read by several threads and written
// now and then is read in slots most of the time. The protocol between
// striped readers and writers is Dekker's, so its four steps are seq_cst
// (on x86 the RMWs are locked instructions either way and the loads plain
// moves; nothing is added):
//   reader: counter += 1; load word; unless it shows BIAS and neither
//           WRITER nor WRITER_WAITING: back out (counter -= 1, wake a
//           sleeping writer) and take the plain path.
//   writer: set WRITER and clear BIAS in the word (CAS); then wait until
//           every slot's counter of this lock is 0.
// In the single total order of seq_cst operations either the reader's load
// sees WRITER (and it backs out) or the writer's scan sees the reader's
// increment (and it waits for its release). A reader that leaves (unlock or
// back-out) decrements with seq_cst and then loads the word; a writer going
// to sleep sets SLEEPERS (seq_cst RMW), reads the drained word, scans the counters
// and sleeps on it (drained()): by the same argument the last reader out sees
// SLEEPERS and bumps it, or the writer sees 0 and does not sleep.
// Synchronization: a reader's load of the word reads the writer's release
// of it (acquire); a writer's scan reads each reader's decrement (seq_cst is
// acquire and release), so critical sections are ordered as in the plain
// mode. Plain and striped readers may be inside together; a writer waits
// for both (the word's count, then the slots'). Invariant: a striped reader
// is inside only while BIAS is set, or while the writer that cleared it
// holds WRITER and has not finished its scan; so a writer that finds BIAS
// clear (lock()'s fast path) has no striped reader to wait for, and a
// try_lock() that gives up after clearing BIAS sets it again. Threads share
// a slot when there are more threads than slots; a counter is only ever
// changed by RMWs, so that is correct, only slower. A shared lock is
// released by the thread (the slot) that took it: the guards
// (lock_tracker.hpp) pass the slot to both calls.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

#include "config.hpp"
#include "parking.hpp"

namespace threadmap::detail {

// Reader slot numbers are leased: a thread takes the lowest free number on
// its first shared lock and gives it back when it exits, so the threads
// alive at one time have distinct numbers (main thread 0, then its workers),
// whatever number of threads came and went before. (A plain counter gave
// two live threads the same slot half the time once threads had come and
// gone, and their reads of a shared map stopped scaling again.) Past 64 live
// threads, numbers are shared; that is only slower.
inline constexpr unsigned leased_reader_slots = 64;

inline std::atomic<uint64_t>& reader_slots_in_use() noexcept {
  static std::atomic<uint64_t> used{0};
  return used;
}

struct reader_slot_lease {
  unsigned slot;
  reader_slot_lease() noexcept : slot(leased_reader_slots) {
    std::atomic<uint64_t>& used = reader_slots_in_use();
    // relaxed: a slot number only spreads threads over counters; any value is correct.
    uint64_t u = used.load(std::memory_order_relaxed);
    while (~u != 0) {
      const unsigned i = static_cast<unsigned>(std::countr_one(u));
      if (used.compare_exchange_weak(u, u | (uint64_t{1} << i), std::memory_order_relaxed)) {
        slot = i;
        break;
      }
    }
  }
  ~reader_slot_lease() {
    // relaxed, as in the constructor: a reused number is only a hint.
    if (slot < leased_reader_slots) reader_slots_in_use().fetch_and(~(uint64_t{1} << slot), std::memory_order_relaxed);
  }
  reader_slot_lease(const reader_slot_lease&) = delete;
  reader_slot_lease& operator=(const reader_slot_lease&) = delete;
};

// This thread's reader slot number (see above). The thread_local with a
// destructor is touched only here, once per thread: held_locks caches the
// number (lock_tracker.hpp).
[[gnu::noinline, gnu::cold]] inline unsigned this_thread_reader_slot() noexcept {
  thread_local reader_slot_lease lease;
  return lease.slot;
}

class reader_slots;

// One reader counter on a cache line of its own (see reader_slots).
struct alignas(cache_line) reader_line {
  std::atomic<uint32_t> count{0};
};

// How a shared lock was taken; it is released the same way.
enum class read_mode : uint8_t { none = 0, plain, striped };

class rw_lock {
 public:
  rw_lock() noexcept = default;
  rw_lock(const rw_lock&) = delete;
  rw_lock& operator=(const rw_lock&) = delete;

  // `slot`: the calling thread's reader slot (held_locks::reader_slot()); it
  // only matters for a lock attached to a reader_slots. A shared lock must
  // be released with the slot and the read_mode it was taken with (no
  // defaults, so that no caller can forget either).
  read_mode try_lock_shared(unsigned slot) noexcept {
    // relaxed: this load only chooses the path; the striped path checks the
    // word again with seq_cst after its increment, the plain one by its RMW.
    if (counters_ && (word_.load(std::memory_order_relaxed) & bias)) {
      if (try_lock_shared_striped(counter(slot))) [[likely]] return read_mode::striped;
    }
    // One read-modify-write, no load first: a load followed by a CAS costs two
    // coherence transactions when another core owns the line, this costs one.
    // A reader that finds a writer (or a waiting writer) backs out through
    // unlock_shared, which wakes a sleeping writer if the back-out was the
    // last reader. Writers never overwrite the reader count (unlock clears
    // only its own bits), so a transient increment is never lost.
    const uint32_t prev = word_.fetch_add(1, std::memory_order_acquire);
    if ((prev & (writer | writer_waiting)) == 0) [[likely]] {
      if (counters_ && !(prev & bias)) note_plain_reader(slot);
      return read_mode::plain;
    }
    unlock_shared(slot, read_mode::plain);
    return read_mode::none;
  }

  read_mode lock_shared(unsigned slot) noexcept {
    const read_mode m = try_lock_shared(slot);
    if (m != read_mode::none) [[likely]] return m;
    return lock_shared_slow<false>(slot);
  }
  // lock_shared with a way out: while it sleeps, the thread's wait_interrupt
  // check (parking.hpp) is asked every interrupt_poll_period; read_mode::none
  // when it says stop (nothing held).
  read_mode lock_shared_stoppable(unsigned slot) noexcept {
    const read_mode m = try_lock_shared(slot);
    if (m != read_mode::none) [[likely]] return m;
    return lock_shared_slow<true>(slot);
  }
  template <bool Stoppable>
  [[gnu::noinline, gnu::cold]] read_mode lock_shared_slow(unsigned slot) noexcept {
    for (int spin = 0;; ++spin) {
      uint32_t s = word_.load(std::memory_order_relaxed);
      if ((s & (writer | writer_waiting)) == 0) {
        if (counters_ && (s & bias)) {
          if (try_lock_shared_striped(counter(slot))) return read_mode::striped;
        } else if (word_.compare_exchange_weak(s, s + 1, std::memory_order_acquire, std::memory_order_relaxed)) {
          return read_mode::plain;
        }
        continue;
      }
      if (spin < spin_limit) {
        THREADMAP_PAUSE();
      } else if (!sleep_on<Stoppable>(s)) {
        return read_mode::none;  // told to stop: this reader never counted itself in
      }
    }
  }

  void unlock_shared(unsigned slot, read_mode m) noexcept {
    if (m == read_mode::striped) return leave_striped(counter(slot));
    uint32_t prev = word_.fetch_sub(1, std::memory_order_release);
    // The last reader out wakes a writer that went to sleep.
    if ((prev & readers) == 1 && (prev & sleepers)) wake_all();
  }

  bool try_lock() noexcept {
    uint32_t s = word_.load(std::memory_order_relaxed);
    if ((s & (writer | readers)) != 0 ||
        !word_.compare_exchange_strong(s, writer | (s & sleepers), std::memory_order_seq_cst,
                                       std::memory_order_relaxed))
      return false;
    if ((s & bias) && revoke_bias(false)) {
      // Striped readers inside: give WRITER back (waking readers that saw
      // it) and BIAS with it. BIAS must come back: a lock without BIAS and
      // without WRITER is taken by lock()'s fast path with no scan, and
      // those readers are still inside.
      word_.fetch_or(bias, std::memory_order_relaxed);  // we hold WRITER: no reader enters before unlock()
      release_writer();
      return false;
    }
    begin_write();
    return true;
  }

  void lock() noexcept {
    uint32_t expected = 0;  // the uncontended case (and no bias), in one CAS
    // seq_cst (not just acquire): when it clears BIAS, this CAS and the scan
    // of the reader counters after it are the writer's half of the protocol.
    if (word_.compare_exchange_strong(expected, writer, std::memory_order_seq_cst, std::memory_order_relaxed)) [[likely]]
      return begin_write();
    lock_slow<false>();
  }
  // lock with a way out (as lock_shared_stoppable): false when the thread's
  // wait_interrupt check said stop; then nothing is held and the word is as
  // if this writer had never come (see lock_slow).
  [[nodiscard]] bool lock_stoppable() noexcept {
    uint32_t expected = 0;
    if (word_.compare_exchange_strong(expected, writer, std::memory_order_seq_cst, std::memory_order_relaxed)) [[likely]] {
      begin_write();
      return true;
    }
    return lock_slow<true>();
  }
  template <bool Stoppable>
  [[gnu::noinline]] bool lock_slow() noexcept {
    for (int spin = 0;; ++spin) {
      uint32_t s = word_.load(std::memory_order_relaxed);
      if ((s & (writer | readers)) == 0) {
        // Taking the lock clears WRITER_WAITING (other waiting writers set it
        // again) and BIAS (new readers count in the word again).
        if (word_.compare_exchange_weak(s, writer | (s & sleepers), std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
          if ((s & bias) && !revoke_bias_and_drain<Stoppable>()) {
            // Told to stop while striped readers were still inside: give
            // WRITER back and BIAS with it (as try_lock does: those readers
            // are inside, and a lock without BIAS would let the next writer
            // in without a scan).
            word_.fetch_or(bias, std::memory_order_relaxed);  // we hold WRITER: no reader enters before unlock()
            release_writer();
            return false;
          }
          begin_write();
          return true;
        }
        continue;
      }
      // WRITER_WAITING holds back new readers, so that readers cannot starve
      // a writer. Behind another writer there are no readers to hold back:
      // setting it then would only take the line from the holder, which
      // needs it again for its table header and its unlock.
      if ((s & (writer | writer_waiting)) == 0) {
        word_.compare_exchange_weak(s, s | writer_waiting, std::memory_order_relaxed);
        continue;
      }
      if (spin < spin_limit) {
        THREADMAP_PAUSE();
      } else if (!sleep_on<Stoppable>(s)) {
        // Told to stop. WRITER_WAITING may be ours: clear it, or readers
        // would hold back for a writer that is gone. Another waiting writer
        // sets it again when it next looks (wake_all wakes it to look).
        // relaxed: the bit publishes nothing (it is set relaxed, above).
        word_.fetch_and(~writer_waiting, std::memory_order_relaxed);
        wake_all();
        return false;
      }
    }
  }

  void unlock() noexcept {
    // Even again: the write is over. release: a reader that loads this
    // value (acquire, read_seq) sees every write of the critical section.
    seq_.store(seq_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    release_writer();
  }

  // ---- optimistic readers (a seqlock; they take no lock and write nothing) ----
  //
  // A reader: v = read_seq(); if v is odd a writer is inside (read another
  // way); otherwise read, then unchanged_since(v): true means no exclusive
  // holder took the lock between the two calls, so what was read is what a
  // reader holding the lock would have read. The reads in between race with
  // writers by design: they must only copy bits (nothing read may be
  // dereferenced or trusted before unchanged_since says yes), and the memory
  // they touch must stay allocated meanwhile (DashMap retires its tables
  // through epoch.hpp). Ordering (Boehm, "Can seqlocks get along with
  // programming language memory models?", 2012): the writer makes seq_ odd,
  // then a release fence, then writes; the reader reads, then an acquire
  // fence, then loads seq_: if any of its reads saw a write made after the
  // writer's fence, its load of seq_ sees the odd value or a later one.
  // 32 bits: to be fooled, a reader would have to stall through exactly a
  // multiple of 2^31 write sections of this one lock between its two loads.
  // Holders of the *shared* lock do not move seq_; those that change data
  // under it (DashMap::update_shared) must make each change one atomic
  // write of what an optimistic reader copies.
  uint32_t read_seq() const noexcept { return seq_.load(std::memory_order_acquire); }
  bool unchanged_since(uint32_t v) const noexcept {
    THREADMAP_SEQLOCK_FENCE(std::memory_order_acquire);
    // relaxed: ordered after the reads by the fence above.
    return seq_.load(std::memory_order_relaxed) == v;
  }

 private:
  // The exclusive lock was just taken: make seq_ odd before any write of the
  // critical section. Only the holder writes seq_, so load + store is enough
  // (relaxed load: it reads its own or the previous holder's store, ordered
  // by the lock's acquire). The release fence orders the odd value before
  // every later store of this thread (see read_seq).
  void begin_write() noexcept {
    seq_.store(seq_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    THREADMAP_SEQLOCK_FENCE(std::memory_order_release);
  }

  void release_writer() noexcept {
    // Clears WRITER and SLEEPERS only: transient reader increments (see
    // try_lock_shared) and WRITER_WAITING of another writer stay.
    uint32_t prev = word_.fetch_and(~(writer | sleepers), std::memory_order_release);
    if (prev & sleepers) [[unlikely]] notify_cold();
  }

 public:
  [[gnu::noinline, gnu::cold]] void notify_cold() noexcept { detail::wake_all(word_); }

  // Bounded acquisition, by spinning and yielding (used only on the rare
  // nested path, see lock_tracker.hpp). Returns how the lock was taken
  // (read_mode::plain for an exclusive one), or none.
  template <bool Exclusive>
  read_mode try_lock_for(std::chrono::nanoseconds limit, unsigned slot = 0) noexcept {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (int spin = 0;; ++spin) {
      if constexpr (Exclusive) {
        if (try_lock()) return read_mode::plain;
      } else {
        const read_mode m = try_lock_shared(slot);
        if (m != read_mode::none) return m;
      }
      if (spin < spin_limit) {
        THREADMAP_PAUSE();
      } else {
        if (std::chrono::steady_clock::now() >= deadline) return read_mode::none;
        std::this_thread::yield();
      }
    }
  }

 private:
  friend class reader_slots;

  std::atomic<uint32_t>& counter(unsigned slot) const noexcept {
    return counters_[static_cast<std::size_t>(slot & slot_mask_) * stride_].count;
  }
  // Attached locks: bumped by readers leaving while SLEEPERS is set (a writer
  // sleeps on it). It lives in reader_slots' extra row, off the lock's line:
  // it is touched only when a writer sleeps.
  std::atomic<uint32_t>& drained() const noexcept {
    return counters_[(static_cast<std::size_t>(slot_mask_) + 1) * stride_].count;
  }

  bool try_lock_shared_striped(std::atomic<uint32_t>& c) noexcept {
    c.fetch_add(1, std::memory_order_seq_cst);  // the reader's half: see the header
    if ((word_.load(std::memory_order_seq_cst) & (writer | writer_waiting | bias)) == bias) [[likely]] return true;
    leave_striped(c);
    return false;
  }

  // A striped reader leaves (unlock, or backing out): decrement, then wake
  // a writer that sleeps waiting for the readers to drain.
  void leave_striped(std::atomic<uint32_t>& c) noexcept {
    c.fetch_sub(1, std::memory_order_seq_cst);
    if (word_.load(std::memory_order_seq_cst) & sleepers) [[unlikely]] notify_drained();
  }
  [[gnu::noinline, gnu::cold]] void notify_drained() noexcept {
    drained().fetch_add(1, std::memory_order_seq_cst);
    detail::wake_all(drained());
  }

  // A plain read of an attached lock without BIAS. If the previous plain
  // reader since the last write was another thread, two threads are reading
  // this shard: turn BIAS on (measured on the 2-thread ReadHeavy mix: BIAS
  // back after 16 plain reads gave 25-29 Mops/s, after 2 gave 35-41; this
  // rule is as quick as 2 when threads share a shard, and never fires for a
  // thread alone, which kept paying for revocations it did not need: a 7:1
  // get:set mix from one JS worker lost 20-25%). The record is a hint: a
  // relaxed load, and a store only when the reader changes, on the word's
  // cache line, which this reader has just written anyway; a lost update
  // only delays BIAS by a read.
  void note_plain_reader(unsigned slot) noexcept {
    const auto me = static_cast<uint16_t>(slot | 0x8000u);  // never 0 (0 = nobody yet)
    const uint16_t last = last_reader_.load(std::memory_order_relaxed);
    if (last == me) [[likely]] return;
    last_reader_.store(me, std::memory_order_relaxed);
    if (last != 0) enable_bias();
  }
  [[gnu::noinline]] void enable_bias() noexcept {
    uint32_t s = word_.load(std::memory_order_relaxed);
    // relaxed: BIAS publishes nothing; readers that see it take the striped
    // path, whose seq_cst steps order them against writers (see the header).
    while ((s & (writer | writer_waiting | bias)) == 0 &&
           !word_.compare_exchange_weak(s, s | bias, std::memory_order_relaxed, std::memory_order_relaxed)) {
    }
  }

  // The writer has just cleared BIAS (its seq_cst CAS): striped readers may
  // still be inside. Wait = true: waits for them (lock); false: only
  // reports whether there are any (try_lock). The reader record restarts,
  // so BIAS comes back only when two threads read the shard again.
  [[gnu::noinline]] bool revoke_bias(bool wait) noexcept {
    last_reader_.store(0, std::memory_order_relaxed);
    if (!wait) return striped_readers() != 0;
    drain_striped_readers<false>();
    return false;
  }
  // revoke_bias(true) with a way out: false if told to stop before the
  // striped readers drained (they may still be inside).
  template <bool Stoppable>
  [[gnu::noinline]] bool revoke_bias_and_drain() noexcept {
    last_reader_.store(0, std::memory_order_relaxed);
    return drain_striped_readers<Stoppable>();
  }

  uint32_t striped_readers() const noexcept {
    uint32_t n = 0;
    for (uint32_t k = 0; k <= slot_mask_; ++k) n += counters_[static_cast<std::size_t>(k) * stride_].count.load(std::memory_order_seq_cst);
    return n;
  }

  // Holding WRITER: waits until every reader that got in before it left.
  // It sleeps on the drained word, not on the lock word: the word's value is not what it
  // waits for (readers sleeping on the word set and reset SLEEPERS, so a
  // wait on the word could see its old value again and sleep through the
  // last reader's exit). SLEEPERS is set with a seq_cst RMW before
  // drained() is read and the counters are scanned; a striped reader that
  // leaves after that scan sees SLEEPERS and bumps drained() (see the
  // header), and whoever else clears SLEEPERS meanwhile (wake_all) bumps
  // it too: the wait cannot miss the last reader's exit.
  // Returns false only for Stoppable, when told to stop first.
  template <bool Stoppable>
  bool drain_striped_readers() noexcept {
    for (int spin = 0; striped_readers() != 0; ++spin) {
      if (spin < spin_limit) {
        THREADMAP_PAUSE();
        continue;
      }
      word_.fetch_or(sleepers, std::memory_order_seq_cst);
      const uint32_t seen = drained().load(std::memory_order_seq_cst);
      if (striped_readers() == 0) return true;
      if (!park<Stoppable>(drained(), seen)) return false;
    }
    return true;
  }

  static constexpr uint32_t writer = 1u << 31;
  static constexpr uint32_t writer_waiting = 1u << 30;
  static constexpr uint32_t sleepers = 1u << 29;
  static constexpr uint32_t bias = 1u << 28;  // attached locks only: readers count in their slots
  static constexpr uint32_t readers = bias - 1;
  static constexpr int spin_limit = 128;

  // Sleeps while the word is `s` (setting SLEEPERS first). Returns false
  // only for Stoppable, when told to stop.
  template <bool Stoppable>
  bool sleep_on(uint32_t s) noexcept {
    if ((s & sleepers) == 0) {
      if (!word_.compare_exchange_weak(s, s | sleepers, std::memory_order_relaxed)) return true;
      s |= sleepers;
    }
    return park<Stoppable>(word_, s);
  }

  // One futex sleep on `w` while it holds `v` (parking.hpp: a raw futex, so
  // every wake-up here goes through detail::wake_all, never through
  // std::atomic::notify_all, whose waiter count would not see these
  // sleepers). Stoppable with a wait_interrupt check installed: sleeps at
  // most interrupt_poll_period, then asks the check; false: stop.
  template <bool Stoppable>
  static bool park(std::atomic<uint32_t>& w, uint32_t v) noexcept {
    if constexpr (Stoppable) {
      const wait_interrupt intr = tl_wait_interrupt;
      if (intr.interrupted) {
        if (wait_until(w, v, park_clock::now() + interrupt_poll_period)) return true;
        return !intr.interrupted(intr.ctx);
      }
    }
    wait_until(w, v, park_clock::time_point::max());
    return true;
  }

  [[gnu::noinline, gnu::cold]] void wake_all() noexcept {
    // Clear SLEEPERS before waking: every woken thread re-reads the word and
    // sets the bit again if it must sleep once more. Relaxed: the bit
    // publishes no data (the caller's release already did that), and being an
    // RMW on the word it cannot be lost against a sleeper's CAS.
    word_.fetch_and(~sleepers, std::memory_order_relaxed);
    detail::wake_all(word_);
    if (counters_) notify_drained();  // a writer draining striped readers may sleep on SLEEPERS too
  }

  std::atomic<uint32_t> word_{0};
  std::atomic<uint32_t> seq_{0};             // the write sequence: odd while an exclusive holder is inside
  uint32_t stride_ = 0;                      // attached: lines between two slots' counters of this lock
  std::atomic<uint16_t> last_reader_{0};     // attached: slot | 0x8000 of the last plain reader since BIAS was revoked (a hint)
  uint16_t slot_mask_ = 0;                   // attached: slots - 1
  reader_line* counters_ = nullptr;          // attached: slot 0's counter of this lock; null: not attached
};

// Per-thread-slot reader counters for a group of rw_locks (one map's
// shards): one cache line per (slot, lock), so a reader writes only a line of
// its own slot and lock, and a writer's scan of its lock's counters takes
// lines from no reader of another lock. (Packing one slot's counters of all
// locks into shared lines was tried: a write to one shard then pulled in the
// line every other shard's readers of that slot write, and a 7:1 read:write
// mix from 2 workers stopped scaling.) The slot count is the hardware thread
// count rounded up to a power of two, at least 4 (a Node process has a main
// thread besides its workers) and at most 8: memory is slots x locks x 64
// bytes (2 KiB for 8 shards on 2 cores, 32 KiB for 64 shards on 16). Attach
// the locks before the group is shared; the counters must outlive every use
// of the locks.
class reader_slots {
 public:
  explicit reader_slots(std::size_t locks)
      : slots_(static_cast<uint32_t>(std::clamp<std::size_t>(std::bit_ceil(hardware_threads()), 4, 8))),
        locks_(locks),
        lines_(std::make_unique<reader_line[]>((slots_ + 1) * locks_)) {}

  void attach(rw_lock& l, std::size_t index) noexcept {
    l.counters_ = &lines_[index];
    l.stride_ = static_cast<uint32_t>(locks_);
    l.slot_mask_ = static_cast<uint16_t>(slots_ - 1);
  }

  std::size_t bytes() const noexcept { return (slots_ + 1) * locks_ * sizeof(reader_line); }

 private:
  uint32_t slots_;
  std::size_t locks_;
  // slot k's line for lock i: lines_[k * locks + i]; then one row of lines
  // holding each lock's drained word (rw_lock::drained).
  std::unique_ptr<reader_line[]> lines_;
};

}  // namespace threadmap::detail
