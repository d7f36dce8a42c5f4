// Sharing one DashMap between the main thread and a worker, in TypeScript.
//
// The main thread creates a typed map and posts its handle (a
// SharedArrayBuffer) in workerData; the worker attaches with DashMap.from and
// writes to the very same native map. No data travels by postMessage.
//
// Type-checked by `npm run test:types`. Run: npm run example -- share-with-worker
// (the worker's copy of this file loads through the same TypeScript hook).
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { DashMap } from 'threadmap';

interface Session {
  user: string;
  visits: number;
  lastPath: string;
}

interface Shared {
  sessions: SharedArrayBuffer; // handle of a DashMap<string, Session>
  hits: SharedArrayBuffer; // handle of a DashMap<string, number>
}

if (isMainThread) {
  const sessions = new DashMap<string, Session>();
  const hits = new DashMap<string, number>();
  sessions.set('s-1', { user: 'ada', visits: 0, lastPath: '/' });

  const data: Shared = { sessions: sessions.handle, hits: hits.handle };
  const worker = new Worker(__filename, { workerData: data });
  worker.once('error', (err) => { throw err; });
  worker.once('message', () => {
    // The worker's writes are already in the map: read them here.
    console.log(sessions.get('s-1')); // { user: 'ada', visits: 3, lastPath: '/cart' }
    console.log(hits.get('/cart'), [...hits.keys()].sort()); // 2 [ '/', '/cart' ]
  });
} else {
  const { sessions: sessionsHandle, hits: hitsHandle } = workerData as Shared;
  // The type arguments are a promise about what the creator stores.
  const sessions = DashMap.from<string, Session>(sessionsHandle);
  const hits = DashMap.from<string, number>(hitsHandle);

  for (const path of ['/', '/cart', '/cart']) {
    hits.add(path); // atomic counter: number in, number out
    // update runs under the key's shard lock: do not touch `sessions` from fn.
    sessions.update('s-1', (old) => old && { ...old, visits: old.visits + 1, lastPath: path });
  }
  parentPort!.postMessage('done');
}
