// A configuration cache loaded from a file, shared by worker threads.
//
// The main thread parses a `key = value` file (blank lines and # comments
// skipped) into a DashMap<string, string>; the workers read settings from the
// map directly. On a reload the main thread stores the new and changed keys,
// deletes the removed ones, and only then bumps `_version`: a worker that sees
// the new version sees the new settings. Messages carry no configuration:
// only "reloaded".
//
// Check: 3 workers read the settings they need (a database URL built from
// host and port, a TTL as a number) before and after the file changes; what
// they saw matches the file each time, a removed key is gone and a new one
// appears.
//
// Run: npm run example -- config-cache
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strict as assert } from 'node:assert';
import { DashMap } from 'threadmap';

class Config {
  constructor(readonly values: DashMap<string, string>) {}

  static parse(text: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const eq = line.indexOf('=');
      if (eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
    }
    return out;
  }

  /** Loads (or reloads) the file; returns the new version. */
  loadFromFile(path: string): number {
    const fresh = Config.parse(readFileSync(path, 'utf8'));
    this.values.setMany(fresh);
    const stale = [...this.values.keys()].filter((k) => !k.startsWith('_') && !fresh.has(k));
    this.values.deleteMany(stale);
    const version = Number(this.values.get('_version') ?? '0') + 1;
    this.values.set('_version', String(version)); // last: readers that see it see the rest
    return version;
  }

  get(key: string): string | undefined { return this.values.get(key); }
  set(key: string, value: string): void { this.values.set(key, value); }
  remove(key: string): string | undefined { return this.values.take(key); }
  keys(): string[] { return [...this.values.keys()].filter((k) => !k.startsWith('_')).sort(); }
}

const WORKERS = 3;

interface View { worker: number; version: string; url: string; ttl: number; featureFlag: string | undefined; keys: string[] }

function read(config: Config, worker: number): View {
  return {
    worker,
    version: config.get('_version')!,
    url: `postgres://${config.get('database.host')}:${config.get('database.port')}/app`,
    ttl: Number(config.get('cache.ttl')),
    featureFlag: config.get('feature.search'),
    keys: config.keys(),
  };
}

if (isMainThread) {
  main().catch((err) => {
    console.error('config-cache: FAILED:', err);
    process.exitCode = 1;
  });
} else {
  const config = new Config(DashMap.from<string, string>(workerData.values));
  parentPort!.postMessage(read(config, workerData.index));
  parentPort!.once('message', () => parentPort!.postMessage(read(config, workerData.index)));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'threadmap-config-'));
  try {
    const file = join(dir, 'app.conf');
    writeFileSync(file, [
      '# application settings',
      'database.host = localhost',
      'database.port = 5432',
      '',
      'cache.ttl = 3600',
      'feature.search = on',
    ].join('\n'));
    const config = new Config(new DashMap<string, string>());
    config.loadFromFile(file);
    console.log(`loaded ${file}: ${JSON.stringify(config.keys())}, database.host = ${config.get('database.host')}`);

    const workers = Array.from({ length: WORKERS }, (_, index) =>
      new Worker(__filename, { workerData: { values: config.values.handle, index } }));
    const next = () => Promise.all(workers.map((w) => new Promise<View>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    })));
    const before = await next();

    // The file changes: new port and TTL, the feature flag removed, a key added.
    writeFileSync(file, [
      '# application settings, edited',
      'database.host = localhost',
      'database.port = 6543',
      'cache.ttl = 60',
      'log.level = debug',
    ].join('\n'));
    const version = config.loadFromFile(file);
    const afterPromise = next();
    for (const w of workers) w.postMessage('reloaded');
    const after = await afterPromise;
    await Promise.all(workers.map((w) => w.terminate()));

    for (const v of [...before, ...after]) console.log(`  worker ${v.worker} v${v.version}: ${v.url}, ttl ${v.ttl}, feature.search ${v.featureFlag ?? '(none)'}`);
    for (const v of before) {
      assert.equal(v.version, '1');
      assert.equal(v.url, 'postgres://localhost:5432/app');
      assert.equal(v.ttl, 3600);
      assert.equal(v.featureFlag, 'on');
      assert.deepEqual(v.keys, ['cache.ttl', 'database.host', 'database.port', 'feature.search']);
    }
    for (const v of after) {
      assert.equal(v.version, String(version));
      assert.equal(v.url, 'postgres://localhost:6543/app');
      assert.equal(v.ttl, 60);
      assert.equal(v.featureFlag, undefined);
      assert.deepEqual(v.keys, ['cache.ttl', 'database.host', 'database.port', 'log.level']);
    }
    // A setting changed in code, not in the file (the seed's set/remove).
    config.set('cache.ttl', '120');
    assert.equal(config.remove('log.level'), 'debug');
    console.log(`all keys now: ${JSON.stringify(config.keys())}, cache.ttl = ${config.get('cache.ttl')}`);
    console.log('config-cache: OK: every worker saw the file as loaded, before and after the reload');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
