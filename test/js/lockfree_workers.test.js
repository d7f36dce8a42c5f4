'use strict';
// LockFreeMap and HopscotchMap shared by 4 workers through their handles:
// exact counter totals from add() and update() (CAS loops), consistency of
// mixed writes on overlapping keys while the table resizes, handles of the
// wrong kind, and lifetime (liveMaps() back to its baseline). Also the
// lock-free classes' own rules: options, and writes from a callback into
// its own map (ERR_WOULD_DEADLOCK instead of a livelock).
const { describe, test, before, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { LIB, threadmap, startWorker, terminateAll, gcUntil, sortedEntries } = require('./helpers');

const { LockFreeMap, HopscotchMap, DashMap, liveMaps } = threadmap;

const WORKERS = 4;

const variants = [
  ['LockFreeMap', () => new LockFreeMap()],
  // Four buckets, never resized: long chains, every write contends.
  ['LockFreeMap', () => new LockFreeMap({ buckets: 4 }), 'buckets: 4'],
  ['HopscotchMap', () => new HopscotchMap()],
];

let baseline = 0;
before(async () => {
  assert.ok(await gcUntil(() => liveMaps() === 0, 3000), `maps alive at start: ${liveMaps()}`);
  baseline = liveMaps();
});
afterEach(terminateAll);

// Starts WORKERS fixture workers on the map's handle and releases them together.
async function runWorkers(map, className, mode, iterations) {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  const workers = Array.from({ length: WORKERS }, (_, id) => startWorker('lockfree.js', {
    workerData: { className, handle: map.handle, mode, id, iterations, gate },
  }));
  while (Atomics.load(gate, 0) < WORKERS) await new Promise((r) => setTimeout(r, 2));
  Atomics.store(gate, 1, 1);
  Atomics.notify(gate, 1);
  const results = await Promise.all(workers.map((w) => w.done));
  for (const r of results) assert.equal(r.code, 0);
  return results.map((r) => r.messages[0]);
}

for (const [className, make, label] of variants) {
  const title = label ? `${className} (${label})` : className;
  describe(`${title} across ${WORKERS} workers`, () => {
    test('add and update on shared counters give exact totals', async () => {
      const m = make();
      const N = 5000;
      const results = await runWorkers(m, className, 'count', N);
      assert.equal(m.get('total'), WORKERS * N);
      let slots = 0;
      for (let s = 0; s < 8; s++) slots += m.get(`slot${s}`);
      assert.equal(slots, WORKERS * N * 2);
      assert.equal(m.get('big'), BigInt(WORKERS * N));
      assert.equal(m.get('updated'), WORKERS * N);
      assert.equal(m.get(Buffer.from('bytes')), WORKERS * (N / 8));
      const calls = results.reduce((n, r) => n + r.updateCalls, 0);
      // A callback runs again only when another thread changed the key: at
      // least once per call, and every extra run was a lost CAS.
      assert.ok(calls >= WORKERS * N, `update callbacks ran ${calls} times`);
      assert.equal(m.size, 12); // total, 8 slots, big, updated, bytes
    });

    test('mixed set/delete/get/take/getOrInsert on overlapping keys stay consistent', async () => {
      const m = make();
      const N = 4000;
      const results = await runWorkers(m, className, 'mix', N);
      for (const r of results) assert.equal(r.bad, 0, 'a read saw a value not written for its key');
      const entries = sortedEntries(m);
      assert.equal(entries.length, m.size, 'iteration and size agree when quiescent');
      const own = new Map(results.flatMap((r) => r.own));
      let sharedSeen = 0;
      for (const [k, v] of entries) {
        if (typeof k === 'string' && k.startsWith('w')) {
          assert.ok(own.has(k), `${k} was deleted last by its worker but is present`);
          assert.equal(v, own.get(k), `${k}: the last value its worker wrote`);
        } else {
          sharedSeen++;
          assert.equal(typeof v, 'string');
          assert.ok(v.startsWith(`${k}|`), `value ${v} under key ${k}`);
          const [, writer, seq] = v.split('|').map(Number);
          assert.ok(writer >= 0 && writer < WORKERS && seq >= 0 && seq < N, v);
          assert.equal(m.get(k), v);
          assert.equal(m.has(k), true);
        }
      }
      assert.equal(entries.length - sharedSeen, own.size, 'every key a worker kept is present');
      for (const k of own.keys()) assert.equal(m.has(k), true, k);
      // Still a working map: delete everything.
      assert.equal(m.deleteMany(entries.map(([k]) => k)), entries.length);
      assert.equal(m.size, 0);
      assert.deepStrictEqual([...m], []);
    });
  });
}

describe('handles across threads', () => {
  test('from(handle) in a worker sees the same map; a handle of another kind is ERR_INVALID_HANDLE', async () => {
    const lf = new LockFreeMap();
    const hs = new HopscotchMap();
    const dash = new DashMap();
    lf.set('who', 'main');
    hs.set('who', 'main');
    const w = startWorker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const { LockFreeMap, HopscotchMap } = require(${JSON.stringify(LIB)});
      const { lf, hs, dash } = workerData;
      const out = {};
      const a = LockFreeMap.from(lf);
      const b = HopscotchMap.from(hs);
      out.read = [a.get('who'), b.get('who')];
      a.set('from', 'worker');
      b.add('n', 5);
      const codeOf = (f) => { try { f(); return 'no error'; } catch (e) { return e.constructor.name + ':' + e.code; } };
      out.errors = [
        codeOf(() => LockFreeMap.from(hs)),
        codeOf(() => HopscotchMap.from(lf)),
        codeOf(() => LockFreeMap.from(dash)),
        codeOf(() => HopscotchMap.from(new SharedArrayBuffer(16))),
      ];
      parentPort.postMessage(out);
    `, { workerData: { lf: lf.handle, hs: hs.handle, dash: dash.handle } });
    const { code, messages } = await w.done;
    assert.equal(code, 0);
    assert.deepStrictEqual(messages[0].read, ['main', 'main']);
    assert.deepStrictEqual(messages[0].errors, Array(4).fill('TypeError:ERR_INVALID_HANDLE'));
    assert.equal(lf.get('from'), 'worker');
    assert.equal(hs.get('n'), 5);
    assert.throws(() => DashMap.from(lf.handle), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_HANDLE');
    assert.throws(() => LockFreeMap.from(hs.handle), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_HANDLE');
    assert.throws(() => HopscotchMap.from({}), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_HANDLE');
  });

  test('liveMaps() returns to its baseline once the workers are done and the maps dropped', async () => {
    await (async () => {
      for (const [className, make] of variants) {
        const m = make();
        m.set('x', { big: 'y'.repeat(100) });
        await runWorkers(m, className, 'count', 200);
      }
    })();
    assert.ok(await gcUntil(() => liveMaps() === baseline, 5000), `liveMaps() is ${liveMaps()}, baseline ${baseline}`);
  });
});

describe('lock-free classes: their own rules', () => {
  for (const [className, Class] of [['LockFreeMap', LockFreeMap], ['HopscotchMap', HopscotchMap]]) {
    describe(className, () => {
      const isDeadlock = (e) => e instanceof Error && e.code === 'ERR_WOULD_DEADLOCK';
      const writes = {
        set: (m, k) => m.set(k, 2),
        delete: (m, k) => m.delete(k),
        add: (m, k) => m.add(k, 1),
        take: (m, k) => m.take(k),
        getOrInsert: (m, k) => m.getOrInsert(k, 1),
        getOrInsertComputed: (m, k) => m.getOrInsertComputed(k, () => 1),
        compareAndSet: (m, k) => m.compareAndSet(k, 1, 2),
        update: (m, k) => m.update(k, () => 5),
        setMany: (m, k) => m.setMany([[k, 1]]),
        deleteMany: (m, k) => m.deleteMany([k]),
        clear: (m) => m.clear(),
        retain: (m) => m.retain(() => true),
      };
      for (const [name, call] of Object.entries(writes)) {
        test(`${name} from inside update/retain on the same map: ERR_WOULD_DEADLOCK, nothing changed`, () => {
          const m = new Class();
          const alias = Class.from(m.handle);
          m.set('k', 1).set('other', 'o');
          let inner;
          const r = m.update('k', (old) => {
            try { call(alias, 'other'); } catch (e) { inner = e; }
            return old + 1;
          });
          assert.ok(inner && isDeadlock(inner), `${name}: ${inner && inner.message}`);
          assert.equal(r, 2);
          inner = undefined;
          assert.equal(m.retain(() => {
            try { call(m, 'k'); } catch (e) { inner = e; }
            return true;
          }), 0);
          assert.ok(inner && isDeadlock(inner), `${name} in retain: ${inner && inner.message}`);
          assert.deepStrictEqual(sortedEntries(m), [['k', 2], ['other', 'o']]);
          assert.equal(m.update('k', (v) => v + 1), 3, 'the map still works');
        });
      }

      test('reads, and writes to other maps, are allowed inside update/retain', () => {
        const m = new Class();
        const other = new Class();
        m.set('k', 1).set('j', 10);
        assert.equal(m.update('k', (v) => {
          other.set('k', v);
          return v + m.get('j') + m.size + [...m].length;
        }), 15);
        assert.equal(other.get('k'), 1);
        assert.equal(m.retain((v, k) => { other.update(k, () => v); return m.has(k); }), 0);
        assert.equal(other.get('j'), 10);
      });

      test('update: a throwing fn leaves the key unchanged; undefined deletes', () => {
        const m = new Class();
        m.set('k', { n: 1 });
        assert.throws(() => m.update('k', (v) => { v.n = 99; throw new Error('boom'); }), /boom/);
        assert.deepStrictEqual(m.get('k'), { n: 1 });
        assert.throws(() => m.update('new', () => { throw new Error('boom'); }), /boom/);
        assert.equal(m.has('new'), false);
        assert.equal(m.update('k', () => undefined), undefined);
        assert.equal(m.has('k'), false);
        assert.equal(m.size, 0);
      });

      test('iteration copies the map part by part, each entry once, also when the table resizes between parts', () => {
        const m = new Class();
        assert.equal(m.shardCount, 1, 'a small map is one part');
        for (let i = 0; i < 5000; i++) m.set(i, i * 2);
        assert.ok(m.bucketCount() >= 4096, `grew to ${m.bucketCount()} buckets`);
        const seen = [...m.keys()].sort((a, b) => a - b);
        assert.equal(seen.length, 5000);
        assert.equal(seen[4999], 4999);
        for (let i = 0; i < 5000; i += 2) m.delete(i);
        assert.equal([...m.values()].length, 2500);
        assert.equal(m.retain((v) => v % 4 !== 2), 2500);
        assert.equal(m.size, 0);
        // A big map: parts of about 8,192 entries (by hash). Growing it to
        // four times its size, then shrinking it back, while the loop is
        // between parts loses or repeats none of the entries present
        // throughout.
        for (let i = 0; i < 50000; i++) m.set(i, i);
        const parts = m.shardCount;
        assert.ok(parts >= 4 && (parts & (parts - 1)) === 0, `${parts} parts`);
        // How many times each stable key (its value is itself) came out of
        // `items`, which grows the map at its 20,000th item and shrinks it
        // back at its 40,000th.
        const countWhileResizing = (items, stableKeyOf) => {
          const count = new Uint8Array(50000);
          let step = 0;
          for (const item of items) {
            const k = stableKeyOf(item);
            if (k < 50000) count[k]++;
            if (++step === 20000) for (let i = 50000; i < 200000; i++) m.set(i, i);
            if (step === 40000) for (let i = 50000; i < 200000; i++) m.delete(i);
          }
          return count;
        };
        const seenBy = {
          entries: countWhileResizing(m, ([k, v]) => { assert.equal(v, k); return k; }),
          // keys() and values() walk the same parts (shardKeys: no value
          // copied; shardValues: no key copied).
          keys: countWhileResizing(m.keys(), (k) => k),
          values: countWhileResizing(m.values(), (v) => v),
        };
        for (const [way, count] of Object.entries(seenBy)) {
          for (let i = 0; i < 50000; i++) assert.equal(count[i], 1, `${way}: key ${i}`);
        }
        const native = m[Object.getOwnPropertySymbols(m)[0]];
        // retain walks the same parts: every entry once, holding one part's keys at a time.
        const visits = new Uint8Array(50000);
        assert.equal(m.retain((v, k) => { visits[k]++; return k % 3 !== 0; }), 16667);
        for (let i = 0; i < 50000; i++) assert.equal(visits[i], 1, `retain visited key ${i} ${visits[i]} times`);
        assert.equal(m.size, 50000 - 16667);
        assert.ok(!m.has(0) && m.has(1) && !m.has(49998) && m.has(49999));
        assert.throws(() => native.shardKeys(parts, parts), RangeError);
        assert.throws(() => native.shardKeys(0, 3), RangeError, 'not a power of two');
        assert.throws(() => native.shardEntries(parts, parts), RangeError);
        assert.throws(() => native.shardEntries(0, 3), RangeError, 'not a power of two');
        assert.throws(() => native.shardEntries(0, 2 ** 40), RangeError);
        assert.throws(() => native.shardEntries(-1, 2), RangeError);
        assert.throws(() => native.shardEntries(1), RangeError, 'one part by default');
        assert.throws(() => native.shardValues(parts, parts), RangeError);
        assert.throws(() => native.shardValues(0, 3), RangeError, 'not a power of two');
      });
    });
  }

  describe('options', () => {
    const cases = [
      [LockFreeMap, { capacity: -1 }, RangeError, /capacity/],
      [LockFreeMap, { capacity: 1.5 }, RangeError, /capacity/],
      [LockFreeMap, { capacity: 2 ** 27 }, RangeError, /capacity/],
      [LockFreeMap, { capacity: '8' }, TypeError, /capacity/],
      [LockFreeMap, { buckets: 0 }, RangeError, /buckets/],
      [LockFreeMap, { buckets: 3 }, RangeError, /buckets.*power of two/],
      [LockFreeMap, { buckets: 2 ** 27 }, RangeError, /buckets/],
      [LockFreeMap, { buckets: NaN }, RangeError, /buckets/],
      [LockFreeMap, { buckets: 4n }, TypeError, /buckets/],
      [LockFreeMap, { buckets: null }, TypeError, /buckets/],
      [LockFreeMap, { buckets: 8, capacity: 100 }, TypeError, /not both/],
      [LockFreeMap, { shards: 4 }, TypeError, /unknown option "shards"/],
      [LockFreeMap, null, TypeError, /options/],
      [HopscotchMap, { capacity: -1 }, RangeError, /capacity/],
      [HopscotchMap, { capacity: Infinity }, RangeError, /capacity/],
      [HopscotchMap, { capacity: 2 ** 27 }, RangeError, /capacity/],
      [HopscotchMap, { capacity: true }, TypeError, /capacity/],
      [HopscotchMap, { buckets: 4 }, TypeError, /unknown option "buckets"/],
      [HopscotchMap, 'big', TypeError, /options/],
    ];
    for (const [Class, options, Ctor, pattern] of cases) {
      test(`${Class.name}: ${Ctor.name} for ${typeof options === 'object' && options !== null ? JSON.stringify(options, (k, v) => (typeof v === 'bigint' ? `${v}n` : Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v)) : String(options)}`, () => {
        const live = liveMaps();
        assert.throws(() => new Class(options), (e) => {
          assert.equal(e.constructor, Ctor, `${e.constructor.name}: ${e.message}`);
          assert.match(e.message, pattern);
          return true;
        });
        assert.ok(liveMaps() <= live, 'no map was created');
      });
    }

    test('valid options work; buckets fixes the bucket count', () => {
      for (const [Class, options] of [[LockFreeMap, undefined], [LockFreeMap, {}], [LockFreeMap, { capacity: 0 }],
        [LockFreeMap, { capacity: 1000 }], [LockFreeMap, { buckets: 1 }], [LockFreeMap, { buckets: 1024 }],
        [HopscotchMap, undefined], [HopscotchMap, { capacity: 1000 }], [HopscotchMap, { capacity: undefined }]]) {
        const m = new Class(options);
        m.set('k', 1);
        assert.equal(m.get('k'), 1);
      }
      const fixed = new LockFreeMap({ buckets: 8 });
      for (let i = 0; i < 1000; i++) fixed.set(i, i);
      assert.equal(fixed.bucketCount(), 8, 'never resized');
      assert.equal(fixed.size, 1000);
      assert.ok(new LockFreeMap({ capacity: 1000 }).bucketCount() >= 1000 / 0.75);
    });

    test('nativeBytes counts the table, a node per entry and the values\' own heap blocks', () => {
      for (const Class of [LockFreeMap, HopscotchMap]) {
        const m = new Class();
        const empty = m.nativeBytes();
        assert.ok(empty > 0, `${Class.name}: the empty table ${empty}`);
        for (let i = 0; i < 10000; i++) m.set(i, i);
        const filled = m.nativeBytes();
        // At least a node of a key and a value of 8 bytes each per entry.
        assert.ok(filled - empty >= 10000 * 16, `${Class.name}: ${empty} -> ${filled} for 10,000 entries`);
        assert.ok(filled < 10000 * 400, `${Class.name}: ${filled} bytes for 10,000 small entries`);
        m.set('long', 'x'.repeat(100000));  // 1 byte per Latin-1 code unit, in a block of its own
        const withLong = m.nativeBytes();
        assert.ok(withLong - filled >= 100000 && withLong - filled < 100000 + 1000, `${Class.name}: +${withLong - filled}`);
        m.delete('long');
        assert.ok(m.nativeBytes() <= filled + 64, `${Class.name}: the long value's block is no longer counted`);
        for (let i = 0; i < 200000; i++) m.set(i, i);
        m.clear();
        assert.equal(m.size, 0);
        // The grown table goes too, not only the entries: no later write is
        // needed to shrink it.
        assert.ok(m.nativeBytes() <= empty, `${Class.name}: ${m.nativeBytes()} bytes after clear(), ${empty} when new`);
        assert.equal(m.bucketCount(), new Class().bucketCount(), `${Class.name}: back to its initial size`);
      }
    });

    test('the native constructors reject bad arguments without crashing', () => {
      for (const m of [new LockFreeMap(), new HopscotchMap()]) {
        const Native = m[Object.getOwnPropertySymbols(m)[0]].constructor;
        assert.throws(() => new Native(), TypeError);
        assert.throws(() => new Native(-1, 0), RangeError);
        assert.throws(() => new Native(2 ** 40, 0), RangeError);
        assert.throws(() => new Native('x'), TypeError);
        assert.throws(() => new Native({}), TypeError);
      }
      const LF = new LockFreeMap();
      const NativeLF = LF[Object.getOwnPropertySymbols(LF)[0]].constructor;
      assert.throws(() => new NativeLF(0, 2 ** 40), RangeError);
      assert.throws(() => new NativeLF(0, 'x'), RangeError);
    });
  });
});
