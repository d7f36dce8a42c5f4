'use strict';
// LockMap and LruLockMap key locks on one thread: Entry, tryLock, lockAsync
// (timeouts, abort signals, a free event loop), batches, withLock, the
// error codes, and the release of dropped entries. Cross-thread behaviour is
// in lock_workers.test.js.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { threadmap, gcUntil, tick } = require('./helpers');

const { LockMap, LruLockMap, Entry, BatchEntry, codes, heldLocks } = threadmap;

const hasCode = (code) => (e) => {
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  return true;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

for (const [className, make] of [
  ['LockMap', (o) => new LockMap(o)],
  ['LruLockMap', (o) => new LruLockMap({ capacity: 1000, ...o })],
]) {
  describe(`${className}: entries`, () => {
    test('lock an absent key, insert through the entry, release', () => {
      const m = make();
      const e = m.lock('k');
      assert.ok(e instanceof Entry);
      assert.equal(e.key, 'k');
      assert.equal(e.exists, false);
      assert.equal(e.value, undefined);
      e.value = { n: 1 };
      assert.equal(e.exists, true);
      assert.deepStrictEqual(e.value, { n: 1 });
      assert.deepStrictEqual(m.get('k'), { n: 1 }, 'readers see the holder\'s last store at once');
      const copy = e.value;
      copy.n = 2;
      assert.deepStrictEqual(e.value, { n: 1 }, 'value is a copy');
      e.release();
      assert.equal(e.released, true);
      assert.deepStrictEqual(m.get('k'), { n: 1 });
      assert.equal(m.stateCount(), 1);
    });

    test('entry.delete removes the value and keeps the lock', () => {
      const m = make();
      m.set(1, 'one');
      const e = m.lock(1);
      assert.equal(e.delete(), true);
      assert.equal(e.delete(), false);
      assert.equal(m.has(1), false);
      assert.equal(m.tryLock(1), undefined, 'still held');
      e.release();
      assert.equal(m.stateCount(), 0, 'no state outlives its last user');
    });

    test('keys: -0 is 0, byte keys come back as Buffer copies', () => {
      const m = make();
      const e = m.lock(-0);
      assert.ok(Object.is(e.key, 0));
      e.release();
      const bytes = new Uint8Array([1, 2, 3]);
      const b = m.lock(bytes);
      bytes[0] = 9;
      assert.ok(Buffer.isBuffer(b.key));
      assert.deepEqual([...b.key], [1, 2, 3]);
      b.value = 'bytes';
      b.release();
      assert.equal(m.get(Buffer.from([1, 2, 3])), 'bytes');
    });

    test('a released entry throws ERR_ENTRY_RELEASED; Symbol.dispose is idempotent', () => {
      const m = make();
      const e = m.lock('k');
      e[Symbol.dispose]();
      assert.equal(e.released, true);
      e[Symbol.dispose]();
      assert.throws(() => e.value, hasCode(codes.ERR_ENTRY_RELEASED));
      assert.throws(() => { e.value = 1; }, hasCode(codes.ERR_ENTRY_RELEASED));
      assert.throws(() => e.exists, hasCode(codes.ERR_ENTRY_RELEASED));
      assert.throws(() => e.delete(), hasCode(codes.ERR_ENTRY_RELEASED));
      assert.throws(() => e.release(), hasCode(codes.ERR_ENTRY_RELEASED));
      assert.equal(e.key, 'k', 'the key stays readable');
      assert.equal(m.has('k'), false, 'nothing was stored');
    });

    // Storing encodes the value first, which runs its getters: one that
    // released the entry (and let another entry take the key) once had
    // the store go on through the released holder, a use after free.
    test('a value whose getter releases the entry being stored into: ERR_ENTRY_RELEASED, nothing stored', () => {
      const m = make();
      m.set('a', 'before');
      const e = m.lock('a');
      let other;
      const value = { get x() { e.release(); other = m.lock('a'); other.value = 'other'; return 1; } };
      assert.throws(() => { e.value = value; }, hasCode(codes.ERR_ENTRY_RELEASED));
      assert.equal(m.get('a'), 'other', 'the other holder\'s store stands');
      other.release();
      const batch = m.batchLock(['a', 'b']);
      assert.throws(() => batch.set('b', { get x() { batch.release(); return 1; } }), hasCode(codes.ERR_ENTRY_RELEASED));
      assert.equal(m.has('b'), false);
      assert.equal(batch.released, true);
      assert.deepEqual(heldLocks(), { held: 0, waiting: 0 });
    });

    test('entries cannot be made by hand', () => {
      assert.throws(() => new Entry(), TypeError);
      assert.throws(() => new BatchEntry(), TypeError);
    });

    test('the same thread locking a key it holds: ERR_WOULD_DEADLOCK at once, map unchanged', () => {
      const m = make({ timeout: 50 });
      m.set('k', 1);
      const e = m.lock('k');
      const t0 = performance.now();
      assert.throws(() => m.lock('k'), hasCode(codes.ERR_WOULD_DEADLOCK));
      assert.throws(() => m.lock('k', { timeout: 10_000 }), hasCode(codes.ERR_WOULD_DEADLOCK));
      assert.throws(() => m.set('k', 2), hasCode(codes.ERR_WOULD_DEADLOCK));
      assert.throws(() => m.delete('k'), hasCode(codes.ERR_WOULD_DEADLOCK));
      assert.throws(() => m.add('k'), hasCode(codes.ERR_WOULD_DEADLOCK));
      assert.throws(() => m.update('k', () => 3), hasCode(codes.ERR_WOULD_DEADLOCK));
      assert.throws(() => m.clear(), hasCode(codes.ERR_WOULD_DEADLOCK));
      assert.throws(() => m.batchLock(['a', 'k']), hasCode(codes.ERR_WOULD_DEADLOCK));
      assert.ok(performance.now() - t0 < 40, 'no waiting');
      const a = m.tryLock('a');
      assert.ok(a, 'batchLock released what it took');
      a.release();
      assert.equal(m.get('k'), 1);
      assert.equal(m.size, 1);
      e.release();
    });

    // Writes of free keys take the fast path (try_alter), which must leave a
    // held key alone even when it is in the same shard, and the full path
    // then refuses or waits.
    test('writes of free keys beside a held one in its shard go through; the held one is refused', () => {
      const m = make({ shards: 1, timeout: 50 });
      m.set('held', 'h');
      const e = m.lock('held');
      for (const [name, call, check] of [
        ['set', () => m.set('free', 1), () => m.get('free') === 1],
        ['add', () => m.add('free', 2), () => m.get('free') === 3],
        ['getOrInsert', () => m.getOrInsert('g', 'x'), () => m.get('g') === 'x'],
        ['compareAndSet', () => m.compareAndSet('g', 'x', 'y'), () => m.get('g') === 'y'],
        ['take', () => m.take('g'), () => !m.has('g')],
        ['delete', () => m.delete('free'), () => !m.has('free')],
      ]) {
        call();
        assert.ok(check(), name);
      }
      for (const write of [() => m.set('held', 1), () => m.getOrInsert('held', 1), () => m.compareAndSet('held', 'h', 1),
        () => m.take('held'), () => m.add('held')]) {
        assert.throws(write, hasCode(codes.ERR_WOULD_DEADLOCK));
      }
      assert.equal(e.value, 'h', 'the held key is unchanged');
      e.release();
      assert.equal(m.take('held'), 'h');
    });

    test('reads never wait for a held key', () => {
      const m = make();
      m.set('k', 'v');
      const e = m.lock('k');
      assert.equal(m.get('k'), 'v');
      assert.equal(m.has('k'), true);
      assert.deepEqual(m.getMany(['k']), ['v']);
      assert.deepEqual([...m.entries()], [['k', 'v']]);
      e.release();
    });

    test('tryLock: an Entry when free, undefined when held', () => {
      const m = make();
      const a = m.tryLock('x');
      assert.ok(a instanceof Entry);
      assert.equal(m.tryLock('x'), undefined);
      a.release();
      const b = m.tryLock('x');
      assert.ok(b);
      b.release();
    });

    test('update holds the key lock, not a shard lock: fn may use other keys', () => {
      const m = make({ shards: 1 });
      m.set('a', 1).set('b', 10);
      const r = m.update('a', (v) => {
        m.set('b', m.get('b') + v); // same shard, another key: allowed
        assert.throws(() => m.set('a', 5), hasCode(codes.ERR_WOULD_DEADLOCK));
        assert.equal(m.get('a'), 1, 'reads of the key itself do not wait');
        return v + 1;
      });
      assert.equal(r, 2);
      assert.equal(m.get('b'), 11);
    });
  });

  describe(`${className}: lockAsync`, () => {
    test('a free key resolves at once; a held one when released, in FIFO order', async () => {
      const m = make();
      const first = await m.lockAsync('k');
      const order = [];
      const waiters = [1, 2, 3].map((i) => m.lockAsync('k').then((e) => {
        order.push(i);
        e.value = i;
        e.release();
      }));
      await tick();
      assert.deepEqual(order, []);
      first.release();
      await Promise.all(waiters);
      assert.deepEqual(order, [1, 2, 3]);
      assert.equal(m.get('k'), 3);
      assert.deepEqual(heldLocks(), { held: 0, waiting: 0 });
    });

    test('a release hands the lock to a waiter of the same thread without an event-loop turn', async () => {
      const m = make();
      const holder = m.lock('k');
      let granted;
      const p = m.lockAsync('k').then((e) => { granted = e; });
      await tick();  // the wait is queued
      holder.release();
      // Only microtasks from here: a grant that went round the event loop
      // (a thread-safe function call) could not arrive.
      for (let i = 0; i < 5 && !granted; i++) await null;
      assert.ok(granted, 'granted within microtasks of release()');
      assert.equal(m.tryLock('k'), undefined);
      granted.release();
      await p;
      assert.deepEqual(heldLocks(), { held: 0, waiting: 0 });
    });

    test('the event loop stays free while waiting (setInterval keeps firing)', async () => {
      const m = make();
      const holder = m.lock('k');
      let ticks = 0;
      const iv = setInterval(() => { ticks++; }, 2);
      setTimeout(() => holder.release(), 80);
      const e = await m.lockAsync('k');
      clearInterval(iv);
      assert.ok(ticks >= 10, `interval fired ${ticks} times while waiting`);
      e.release();
    });

    test('timeout rejects ERR_LOCK_TIMEOUT and leaves no wait behind', async () => {
      const m = make();
      const holder = m.lock('k');
      const t0 = performance.now();
      await assert.rejects(m.lockAsync('k', { timeout: 30 }), hasCode(codes.ERR_LOCK_TIMEOUT));
      assert.ok(performance.now() - t0 >= 25);
      assert.equal(heldLocks().waiting, 0);
      holder.release();
      const again = m.tryLock('k');
      assert.ok(again, 'the lock still works');
      again.release();
    });

    test('an aborted signal rejects ERR_ABORTED (before and while waiting)', async () => {
      const m = make();
      const holder = m.lock('k');
      const ac = new AbortController();
      const p = m.lockAsync('k', { signal: ac.signal });
      setTimeout(() => ac.abort(new Error('stop')), 10);
      await assert.rejects(p, (e) => {
        assert.equal(e.code, codes.ERR_ABORTED);
        assert.equal(e.cause.message, 'stop');
        return true;
      });
      await assert.rejects(m.lockAsync('k', { signal: AbortSignal.abort() }), hasCode(codes.ERR_ABORTED));
      await assert.rejects(m.lockAsync('free', { signal: AbortSignal.abort() }), hasCode(codes.ERR_ABORTED));
      holder.release();
      assert.equal(heldLocks().waiting, 0);
      assert.equal(m.stateCount(), 0);
    });

    test('a sync lock behind this thread\'s own queued async wait is ERR_WOULD_DEADLOCK', async () => {
      const m = make();
      const holder = await m.lockAsync('k');
      const waiting = m.lockAsync('k');
      assert.throws(() => m.lock('k'), hasCode(codes.ERR_WOULD_DEADLOCK));
      holder.release();
      (await waiting).release();
    });

    test('bad options are TypeError / RangeError and queue nothing', async () => {
      const m = make();
      await assert.rejects(m.lockAsync('k', { timeout: -1 }), RangeError);
      await assert.rejects(m.lockAsync('k', { timeout: 1.5 }), RangeError);
      await assert.rejects(m.lockAsync('k', { timeout: '10' }), TypeError);
      await assert.rejects(m.lockAsync('k', { signal: {} }), TypeError);
      await assert.rejects(m.lockAsync('k', { bogus: 1 }), TypeError);
      await assert.rejects(m.lockAsync({}), TypeError);
      assert.throws(() => m.lock('k', { timeout: NaN }), RangeError);
      assert.throws(() => m.lock('k', 5), TypeError);
      assert.equal(m.stateCount(), 0);
    });
  });

  describe(`${className}: batches and withLock`, () => {
    test('batchLock: every key once, deadlock-free order, batch accessors', () => {
      const m = make();
      m.set('b', 2);
      const batch = m.batchLock(['b', 'a', 'b', 3n]);
      assert.ok(batch instanceof BatchEntry);
      assert.equal(batch.keys.length, 3);
      assert.deepEqual([...batch.keys].sort((x, y) => String(x).localeCompare(String(y))), ['3', 'a', 'b'].map((k) => (k === '3' ? 3n : k)));
      assert.equal(batch.get('b'), 2);
      batch.set('a', 1).set(3n, 'three');
      assert.equal(batch.has('a'), true);
      assert.equal(batch.delete('b'), true);
      assert.ok(batch.entry('a') instanceof Entry);
      assert.throws(() => batch.entry('zzz'), RangeError);
      for (const k of ['a', 'b', 3n]) assert.equal(m.tryLock(k), undefined, 'held');
      batch.release();
      assert.throws(() => batch.release(), hasCode(codes.ERR_ENTRY_RELEASED));
      batch[Symbol.dispose]();
      assert.equal(m.get('a'), 1);
      assert.equal(m.get(3n), 'three');
      assert.equal(m.has('b'), false);
      // Two maps' batches in opposite key orders take the same order.
      const other = m.batchLock(['z', 'y', 'x']);
      const again = m.batchLock(['x', 'y', 'z'].filter(() => false));
      assert.deepEqual(again.keys, []);
      other.release();
    });

    // Byte keys were looked up by a string made of their bytes, in the same
    // Map as string keys: a string key equal to that text found the byte
    // key's entry (and a store through it wrote the other key).
    test('a batch tells a byte key from a string key that spells its bytes', () => {
      const m = make();
      const text = '\u0000bytes:x';
      const batch = m.batchLock([text, Buffer.from('x')]);
      batch.set(text, 'for the string');
      batch.set(new Uint8Array([0x78]), 'for the bytes');
      batch.release();
      assert.equal(m.get(text), 'for the string');
      assert.equal(m.get(Buffer.from('x')), 'for the bytes');
    });

    test('batchLockAsync: an aborted signal rejects ERR_ABORTED naming batchLockAsync, before and while waiting, with or without keys', async () => {
      const m = make();
      for (const keys of [[], ['a']]) {
        await assert.rejects(m.batchLockAsync(keys, { signal: AbortSignal.abort() }), (e) => {
          assert.equal(e.code, codes.ERR_ABORTED);
          assert.match(e.message, /^batchLockAsync: aborted/);
          return true;
        });
      }
      const holder = m.lock('b');
      const ac = new AbortController();
      const p = m.batchLockAsync(['a', 'b'], { signal: ac.signal });
      setTimeout(() => ac.abort(new Error('stop')), 10);
      await assert.rejects(p, (e) => e.code === codes.ERR_ABORTED && /^batchLockAsync: aborted/.test(e.message) && e.cause.message === 'stop');
      holder.release();
      assert.deepEqual(heldLocks(), { held: 0, waiting: 0 });
    });

    test('an empty batch is held until released, once', async () => {
      const m = make();
      for (const batch of [m.batchLock([]), await m.batchLockAsync([])]) {
        assert.deepEqual(batch.keys, []);
        assert.equal(batch.released, false);
        batch.release();
        assert.equal(batch.released, true);
        assert.throws(() => batch.release(), hasCode(codes.ERR_ENTRY_RELEASED));
      }
    });

    // Ordered, then locked, then made into entries: each step once read the
    // caller's array again, so a getter answering differently the second
    // time locked one key under another's name, and one throwing the
    // second time left the keys already locked held.
    test('a batch reads each key of the array once', async () => {
      const m = make();
      for (const lock of [(keys) => m.batchLock(keys), (keys) => m.batchLockAsync(keys)]) {
        let reads = 0;
        const keys = ['x'];
        Object.defineProperty(keys, 1, { enumerable: true, get: () => (reads++ === 0 ? 'a' : 'b') });
        const batch = await lock(keys);
        assert.equal(reads, 1);
        assert.deepEqual([...batch.keys].sort(), ['a', 'x']);
        assert.equal(m.tryLock('a'), undefined, 'a is the key held');
        const b = m.tryLock('b');
        assert.ok(b, 'b is not');
        b.release();
        batch.set('a', 1);
        batch.release();
        assert.equal(m.get('a'), 1);
        assert.equal(m.has('b'), false);
      }
      assert.deepEqual(heldLocks(), { held: 0, waiting: 0 });
    });

    test('batchLockAsync waits for held keys and times out as a whole', async () => {
      const m = make();
      const holder = m.lock('y');
      await assert.rejects(m.batchLockAsync(['x', 'y', 'z'], { timeout: 30 }), hasCode(codes.ERR_LOCK_TIMEOUT));
      for (const k of ['x', 'z']) {
        const e = m.tryLock(k);
        assert.ok(e, `${k} was released after the failed batch`);
        e.release();
      }
      setTimeout(() => holder.release(), 20);
      const batch = await m.batchLockAsync(['x', 'y', 'z']);
      assert.equal(batch.keys.length, 3);
      batch.release();
    });

    test('withLock releases after fn resolves, throws or rejects; returns fn\'s result', async () => {
      const m = make();
      assert.equal(await m.withLock('k', (e) => { e.value = 1; return 'r'; }), 'r');
      assert.equal(await m.withLock('k', async (e) => { await tick(); e.value += 1; return e.value; }), 2);
      await assert.rejects(m.withLock('k', (e) => { e.value = 10; throw new Error('boom'); }), /boom/);
      assert.equal(m.get('k'), 10, 'as the callback last set it');
      await assert.rejects(m.withLock('k', async () => { throw new Error('late'); }), /late/);
      assert.equal(await m.withLock(['k', 'j'], (b) => { b.set('j', b.get('k') + 1); return b.keys.length; }), 2);
      assert.equal(m.get('j'), 11);
      assert.equal(await m.withLock('k', (e) => { e.release(); return 'released early'; }), 'released early');
      await assert.rejects(m.withLock('k', 'not a function'), TypeError);
      assert.deepEqual(heldLocks(), { held: 0, waiting: 0 });
    });
  });

  describe(`${className}: lifetime of entries`, () => {
    // A collection inside a callback that holds a shard lock defers the
    // release (it might need that shard); it then happens at the event
    // loop's next turn, not only at this thread's next lock call.
    test('an entry collected inside a callback is released by the next event-loop turn', async () => {
      const m = make({ shards: 1 });
      const other = make({ shards: 1 });
      other.set('x', 1);
      (() => { m.lock('k').value = 1; })();
      let held;
      other.retain(() => {
        globalThis.gc();
        globalThis.gc();
        held = heldLocks().held;
        return true;
      });
      assert.equal(held, 1, 'collected, but not released inside the callback');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(heldLocks().held, 0, 'released at the next turn, with no lock call from this thread');
    });

    test('an entry dropped without release() releases its lock when collected', async () => {
      const m = make();
      (() => { m.lock('dropped').value = 1; })();
      assert.equal(m.tryLock('dropped'), undefined);
      assert.ok(await gcUntil(() => heldLocks().held === 0), 'the dropped entry was released');
      const e = m.tryLock('dropped');
      assert.ok(e);
      assert.equal(e.value, 1);
      e.release();
    });
  });
}

describe('LruLockMap', () => {
  test('size never exceeds capacity; the least recently used unlocked entry goes first', () => {
    const m = new LruLockMap({ capacity: 3, shards: 1 });
    m.set('a', 1).set('b', 2).set('c', 3);
    assert.equal(m.get('a'), 1); // b is now the least recently used
    m.set('d', 4);
    assert.deepEqual([...m.keys()].sort(), ['a', 'c', 'd']);
    const held = m.lock('c'); // locking promotes c ...
    m.get('a');
    m.get('d'); // ... but now c is the coldest again, and held: it is skipped
    m.set('e', 5);
    assert.deepEqual([...m.keys()].sort(), ['c', 'd', 'e']);
    held.release();
    assert.equal(m.peek('c'), 3);
    for (let i = 0; i < 100; i++) {
      m.set(`k${i}`, i);
      assert.ok(m.size <= 3);
    }
    assert.equal(m.capacity, 3);
    assert.equal(m.stats().evictions, 102);
    assert.equal(m.stats().hits, 3, 'three get() hits');
  });

  test('the bound holds with many shards', () => {
    const m = new LruLockMap({ capacity: 10, shards: 64 });
    for (let i = 0; i < 1000; i++) m.set(i, i);
    assert.equal(m.size, 10);
    assert.equal([...m.keys()].length, 10);
  });

  test('peek neither promotes nor counts; get and getOrCompute count', async () => {
    const m = new LruLockMap({ capacity: 2, shards: 1 });
    m.set('a', 1).set('b', 2);
    assert.equal(m.peek('a'), 1);
    m.set('c', 3); // a was only peeked: it goes
    assert.equal(m.has('a'), false);
    assert.deepEqual(m.stats(), { hits: 0, misses: 0, evictions: 1, expirations: 0 });
    m.get('b');
    m.get('zz');
    assert.equal(await m.getOrCompute('b', () => 0), 2);
    assert.equal(await m.getOrCompute('n', () => 7), 7);
    assert.deepEqual(m.stats(), { hits: 2, misses: 2, evictions: 2, expirations: 0 });
    // Every value type counts once (objects and bigints take another decoding path).
    for (const v of [{ o: 1 }, 10n ** 30n, new Uint8Array([1]), 'str', 1.5, null]) {
      const lru = new LruLockMap({ capacity: 2 });
      lru.set('k', v);
      assert.deepStrictEqual(lru.get('k'), v);
      assert.deepEqual(lru.stats(), { hits: 1, misses: 0, evictions: 0, expirations: 0 }, `value ${typeof v}`);
    }
  });

  test('TTL: map-wide and per value; expired values are never returned', async () => {
    const m = new LruLockMap({ capacity: 10, ttl: 40 });
    m.set('short', 1);
    m.set('long', 2, { ttl: 5000 });
    m.set('undef', undefined);
    // A write that modifies an entry keeps its own TTL; a plain set forgets it.
    m.set('updated', 1, { ttl: 5000 });
    m.update('updated', (v) => v + 1);
    m.add('updated', 1);
    m.set('viaEntry', 1, { ttl: 5000 });
    { const e = m.lock('viaEntry'); e.value = 7; e.release(); }
    m.set('reset', 1, { ttl: 5000 });
    m.set('reset', 2);
    assert.equal(m.get('short'), 1);
    await sleep(80);
    assert.equal(m.get('updated'), 3);
    assert.equal(m.get('viaEntry'), 7);
    assert.equal(m.get('reset'), undefined);
    assert.equal(m.get('short'), undefined);
    assert.equal(m.has('short'), false);
    assert.equal(m.peek('short'), undefined);
    assert.equal(m.has('undef'), false);
    assert.equal(m.get('long'), 2);
    assert.equal(m.stats().expirations >= 1, true);
    assert.deepEqual([...m.keys()].sort(), ['long', 'updated', 'viaEntry']);
    assert.throws(() => m.set('x', 1, { ttl: 0 }), RangeError);
    assert.throws(() => m.set('x', 1, { ttl: 'soon' }), TypeError);
  });

  test('full of held entries: ERR_CACHE_FULL, map unchanged', () => {
    const m = new LruLockMap({ capacity: 2 });
    const a = m.lock('a');
    const b = m.lock('b');
    a.value = 1;
    b.value = 2;
    assert.throws(() => m.set('c', 3), hasCode(codes.ERR_CACHE_FULL));
    assert.equal(m.size, 2);
    assert.equal(m.has('c'), false);
    b.release();
    m.set('c', 3);
    assert.equal(m.has('b'), false);
    a.release();
  });

  // getOrCompute's lookup is the fast probe for the common key types (a
  // value it does not make, or a stored undefined, is then peeked), else the
  // full one: each way a hit or a miss counts once.
  // For a value the fast path does not decode (an object, a bigint, bytes)
  // get counts the hit, then reads the value by a second call; a value that
  // expired between the two was returned as undefined with a hit counted.
  test('a get that returns undefined is never counted as a hit, even if its value expires mid-call', () => {
    for (const value of [{ o: 1 }, 2n ** 70n, new Uint8Array([1, 2, 3]), 'a long string value of many bytes']) {
      const m = new LruLockMap({ capacity: 8 });
      let returned = 0;
      let missed = 0;
      for (let trial = 0; trial < 150; trial++) {
        m.set('a', value, { ttl: 1 });
        for (;;) {
          if (m.get('a') === undefined) {
            missed++;
            break;
          }
          returned++;
        }
      }
      const { hits, misses } = m.stats();
      assert.equal(hits, returned, `${typeof value}: hits are the gets that returned a value`);
      assert.equal(misses, missed, `${typeof value}: misses are the gets that returned undefined`);
    }
  });

  test('getOrCompute counts one hit or one miss for every value type and key type', async () => {
    const never = () => { throw new Error('not called: the key is present'); };
    for (const v of [{ o: 1 }, 10n ** 30n, new Uint8Array([1]), 'str', 1.5, null, undefined, true]) {
      for (const k of ['k', 7, Buffer.from('k'), 5n]) {
        const lru = new LruLockMap({ capacity: 4 });
        lru.set(k, v);
        assert.deepStrictEqual(await lru.getOrCompute(k, never), v, `value ${typeof v}, key ${typeof k}`);
        assert.deepEqual(lru.stats(), { hits: 1, misses: 0, evictions: 0, expirations: 0 }, `value ${typeof v}, key ${typeof k}`);
        assert.deepStrictEqual(await lru.getOrCompute('absent', () => v), v);
        assert.deepEqual(lru.stats(), { hits: 1, misses: 1, evictions: 0, expirations: 0 }, `miss, value ${typeof v}`);
      }
    }
  });

  test('getOrCompute: concurrent callers on one thread share one call; stored undefined is a hit', async () => {
    const m = new LruLockMap({ capacity: 10 });
    let calls = 0;
    const slow = async () => { calls++; await sleep(20); return { v: 1 }; };
    const results = await Promise.all([m.getOrCompute('k', slow), m.getOrCompute('k', slow), m.getOrCompute('k', slow)]);
    assert.equal(calls, 1);
    for (const r of results) assert.deepStrictEqual(r, { v: 1 });
    m.set('u', undefined);
    assert.equal(await m.getOrCompute('u', () => { throw new Error('not called'); }), undefined);
  });

  test('getOrCompute: a failure reaches every waiting caller and nothing is stored', async () => {
    const m = new LruLockMap({ capacity: 10 });
    let calls = 0;
    const failing = async () => {
      calls++;
      await sleep(20);
      const err = new RangeError('no data');
      err.code = 'E_NODATA';
      throw err;
    };
    const results = await Promise.allSettled([1, 2, 3].map(() => m.getOrCompute('k', failing)));
    assert.equal(calls, 1);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.equal(r.reason.name, 'RangeError');
      assert.equal(r.reason.message, 'no data');
      assert.equal(r.reason.code, 'E_NODATA');
    }
    assert.equal(m.has('k'), false);
    assert.equal(await m.getOrCompute('k', () => 'later'), 'later', 'a later call computes again');
    await assert.rejects(m.getOrCompute('k2', () => { throw 'plain'; }), (e) => e === 'plain');
  });

  test('options: capacity required and >= 1; bad ttl, shards and timeout rejected', () => {
    assert.throws(() => new LruLockMap(), TypeError);
    assert.throws(() => new LruLockMap({}), TypeError);
    assert.throws(() => new LruLockMap({ capacity: 0 }), RangeError);
    assert.throws(() => new LruLockMap({ capacity: -1 }), RangeError);
    assert.throws(() => new LruLockMap({ capacity: 1.5 }), RangeError);
    assert.throws(() => new LruLockMap({ capacity: 10, ttl: 0 }), RangeError);
    assert.throws(() => new LruLockMap({ capacity: 10, shards: 3 }), RangeError);
    assert.throws(() => new LruLockMap({ capacity: 10, timeout: -5 }), RangeError);
    assert.throws(() => new LockMap({ shards: 0 }), RangeError);
    assert.throws(() => new LockMap({ shards: 2 ** 30 }), RangeError);
    assert.throws(() => new LockMap({ timeout: 1.5 }), RangeError);
    assert.throws(() => new LockMap({ capacity: 10, ttl: 5 }), TypeError);
    assert.ok(new LruLockMap({ capacity: 1 }) instanceof LruLockMap);
    assert.ok(new LruLockMap({ capacity: 1 }) instanceof LockMap);
    assert.equal(Object.prototype.toString.call(new LruLockMap({ capacity: 1 })), '[object LruLockMap]');
  });

  test('handles: from() attaches; another kind\'s handle is ERR_INVALID_HANDLE', () => {
    const lru = new LruLockMap({ capacity: 5 });
    lru.set('x', 1);
    assert.equal(LruLockMap.from(lru.handle).get('x'), 1);
    assert.ok(LruLockMap.from(lru.handle) instanceof LruLockMap);
    const lm = new LockMap();
    assert.throws(() => LockMap.from(lru.handle), hasCode(codes.ERR_INVALID_HANDLE));
    assert.throws(() => LruLockMap.from(lm.handle), hasCode(codes.ERR_INVALID_HANDLE));
    assert.throws(() => threadmap.DashMap.from(lm.handle), hasCode(codes.ERR_INVALID_HANDLE));
    assert.throws(() => LockMap.from(new SharedArrayBuffer(16)), hasCode(codes.ERR_INVALID_HANDLE));
    assert.throws(() => LockMap.from({}), hasCode(codes.ERR_INVALID_HANDLE));
  });
});

test('util.inspect shows an entry\'s key and held value, a batch\'s keys and values, and never throws', () => {
  const { inspect } = require('node:util');
  for (const m of [new LockMap([['a', { x: [1, 2] }]]), new LruLockMap([['a', { x: [1, 2] }]], { capacity: 4 })]) {
    const stats = m instanceof LruLockMap ? m.stats() : undefined;
    const held = m.lock('a');
    assert.equal(inspect(held), "Entry { key: 'a', value: { x: [ 1, 2 ] } }");
    const absent = m.lock('zz');
    assert.equal(inspect(absent), "Entry { key: 'zz', value: <absent> }");
    assert.equal(inspect({ outer: { e: absent } }, { depth: 1 }), '{ outer: { e: [Entry] } }');
    absent.release();
    held.release();
    assert.equal(inspect(held), "Entry { key: 'a', released: true }");
    const batch = m.batchLock(['a', 'zz']);
    const shown = inspect(batch);
    assert.match(shown, /^BatchEntry\(2\) \{ /);
    assert.ok(shown.includes("'a' => { x: [ 1, 2 ] }") && shown.includes("'zz' => <absent>"), shown);
    batch.entry('zz').release();
    assert.ok(inspect(batch).includes("'zz' => <released>"), inspect(batch));
    batch.release();
    assert.match(inspect(batch), /^BatchEntry \{ keys: \[ '(a|zz)', '(a|zz)' \], released: true \}$/);
    if (stats) assert.deepEqual(m.stats(), stats, 'inspecting is not a get');
  }
});

test('nativeBytes counts a state per live key and the values\' own blocks (LockMap, LruLockMap)', () => {
  for (const m of [new LockMap(), new LruLockMap({ capacity: 100000 })]) {
    const empty = m.nativeBytes();
    assert.ok(empty > 0);
    for (let i = 0; i < 10000; i++) m.set(i, i);
    const filled = m.nativeBytes();
    assert.ok(filled - empty >= 10000 * 64, `${m[Symbol.toStringTag]}: ${empty} -> ${filled} for 10,000 keys`);
    assert.ok(filled < 10000 * 500, `${m[Symbol.toStringTag]}: ${filled}`);
    m.set('long', 'x'.repeat(100000));
    const withLong = m.nativeBytes();
    assert.ok(withLong - filled >= 100000, `${m[Symbol.toStringTag]}: +${withLong - filled}`);
    const held = m.lock('held-only');  // a state with no value
    assert.ok(m.nativeBytes() > withLong);
    held.release();
    m.delete('long');
    assert.ok(m.nativeBytes() < withLong - 100000 + 1000);
    // It locks each shard in turn: from a callback that holds one, it is
    // refused, never a self-deadlock.
    assert.throws(() => m.retain(() => { m.nativeBytes(); return true; }), { code: 'ERR_WOULD_DEADLOCK' });
    m.clear();
    assert.equal(m.nativeBytes(), empty, `${m[Symbol.toStringTag]}: clear() frees the grown tables too`);
  }
});
