// A crawler's "visited" set shared by worker threads.
//
// Four workers crawl one site (a made-up link graph of 20,000 pages, each
// linking to a few others) from different start pages. Before a worker
// fetches a page it claims the URL with visited.insert(url): true means no
// thread had it, so this worker fetches it and follows its links; false means
// another worker has it (and follows its links), so this one moves on. No
// page is fetched twice, no reachable page is missed, and no worker waits for
// another or posts a message to it.
//
// Check: the pages fetched, summed over the workers, are exactly the pages
// reachable from the start pages (a single-threaded walk of the same graph),
// each fetched once (counted per page in a DashMap).
//
// Run: npm run example -- crawl-frontier
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { strict as assert } from 'node:assert';
import { inspect } from 'node:util';
import { DashMap, DashSet } from 'threadmap';

const PAGES = 20_000;
const WORKERS = 4;

// The links of a page, as a fetch would find them: a page of the first
// 1,000 links to 6 pages spread over the site, the others to 2 (pages whose
// number ends in 7 link nowhere: dead ends).
function fetchLinks(url: string): string[] {
  const n = Number(url.slice('/page/'.length));
  if (n % 10 === 7) return [];
  const fanOut = n < 1000 ? 6 : 2;
  const links: string[] = [];
  for (let i = 1; i <= fanOut; i++) links.push(`/page/${(n * 31 + i * 7919) % PAGES}`);
  return links;
}

interface Shared { visited: SharedArrayBuffer; fetched: SharedArrayBuffer; ready: SharedArrayBuffer; start: string }

if (isMainThread) {
  main().catch((err) => {
    console.error('crawl-frontier: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  const { visited: visitedHandle, fetched: fetchedHandle, ready: readyBuffer, start } = workerData as Shared;
  const visited = DashSet.from<string>(visitedHandle);
  const fetched = DashMap.from<string, number>(fetchedHandle);
  // Start together: a worker that started first would otherwise crawl the
  // whole site (20,000 pages take a few ms) before the others are up.
  const ready = new Int32Array(readyBuffer);
  Atomics.add(ready, 0, 1);
  Atomics.notify(ready, 0);
  for (let n; (n = Atomics.load(ready, 0)) < WORKERS;) Atomics.wait(ready, 0, n);
  const stack = [start];
  let mine = 0;
  while (stack.length > 0) {
    const url = stack.pop()!;
    if (!visited.insert(url)) continue; // another worker has it
    fetched.add(url);
    mine++;
    for (const link of fetchLinks(url)) if (!visited.has(link)) stack.push(link);
  }
  parentPort!.postMessage(mine);
}

async function main(): Promise<void> {
  const starts = ['/page/0', '/page/5000', '/page/10000', '/page/15000'];

  // The answer, in one thread: every page reachable from the start pages.
  const reachable = new Set<string>(starts);
  const todo = [...starts];
  while (todo.length > 0) for (const link of fetchLinks(todo.pop()!)) if (!reachable.has(link)) reachable.add(link) && todo.push(link);

  const visited = new DashSet<string>();
  const fetched = new DashMap<string, number>();
  const ready = new SharedArrayBuffer(4);
  const perWorker = await Promise.all(starts.slice(0, WORKERS).map((start) => new Promise<number>((resolve, reject) => {
    const data: Shared = { visited: visited.handle, fetched: fetched.handle, ready, start };
    const worker = new Worker(__filename, { workerData: data });
    worker.once('message', resolve);
    worker.once('error', reject);
  })));

  const total = perWorker.reduce((a, b) => a + b, 0);
  console.log(`${WORKERS} workers fetched ${perWorker.join(' + ')} = ${total} pages; ${reachable.size} are reachable; visited holds ${visited.size}`);
  console.log(inspect(visited, { maxArrayLength: 4 })); // DashSet(20000) { '/page/...', ... }
  assert.equal(total, reachable.size);
  assert.equal(visited.size, reachable.size);
  assert.equal(fetched.size, reachable.size);
  for (const [url, times] of fetched) assert.equal(times, 1, `${url} fetched ${times} times`);
  // ES2025's set methods, on a DashSet and any set-like (here a JS Set):
  // pages crawled but not reachable, or reachable but not crawled.
  const wrong = visited.symmetricDifference(reachable);
  assert.equal(wrong.size, 0, `crawled and reachable pages differ: ${[...wrong].slice(0, 5).join(', ')}`);
  console.log('crawl-frontier: OK (every reachable page fetched exactly once)');
}
