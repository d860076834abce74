import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../core/domain.ts';
import { FileLogStore } from '../../adapters/local/logs/file-log-store.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-logs-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function line(text: string, overrides: Partial<LogLine> = {}): LogLine {
  return {
    at: new Date().toISOString(),
    app: 'shop',
    source: 'web',
    instance: 'web.00000001',
    stream: 'stdout',
    text,
    ...overrides,
  };
}

describe('FileLogStore', () => {
  it('writes one JSON-lines file per app with time, source, instance, stream and text', async () => {
    const dir = tempDir();
    const store = new FileLogStore({ dir });
    store.append(line('hello', { stream: 'stderr' }));
    store.append(line('from blog', { app: 'blog', source: 'build', instance: null }));
    await store.close();
    expect(readdirSync(dir).sort()).toEqual(['blog.log', 'shop.log']);
    const record = JSON.parse(readFileSync(join(dir, 'shop.log'), 'utf8').trim());
    expect(Object.keys(record).sort()).toEqual(['at', 'instance', 'source', 'stream', 'text']);
    expect(record).toMatchObject({
      source: 'web',
      instance: 'web.00000001',
      stream: 'stderr',
      text: 'hello',
    });
  });

  it('answers queries with lines still in memory, and a new store reads what the last one wrote', async () => {
    const dir = tempDir();
    const store = new FileLogStore({ dir, flushIntervalMs: 60_000 });
    store.append(line('one'));
    store.append(line('two'));
    expect((await store.query('shop', {})).map((l) => l.text)).toEqual(['one', 'two']);
    await store.close();
    const reopened = new FileLogStore({ dir });
    const lines = await reopened.query('shop', { lines: 1 });
    expect(lines).toEqual([expect.objectContaining({ app: 'shop', text: 'two', instance: 'web.00000001' })]);
    expect(await reopened.query('nobody', {})).toEqual([]);
  });

  it('keeps each app within maxBytesPerFile x maxFiles and queries the last N across rotated files', async () => {
    const dir = tempDir();
    const maxBytesPerFile = 4096;
    const store = new FileLogStore({ dir, maxBytesPerFile, maxFiles: 3, flushBytes: 1024 });
    const total = 2000;
    for (let i = 0; i < total; i++) {
      const instance = i % 2 === 0 ? 'web.aaaaaaaa' : 'worker.bbbbbbbb';
      store.append(line(`line ${i}`, { instance, source: i % 2 === 0 ? 'web' : 'worker' }));
    }
    await store.close();
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['shop.log', 'shop.log.1', 'shop.log.2']);
    for (const file of files) expect(statSync(join(dir, file)).size).toBeLessThanOrEqual(maxBytesPerFile);

    const all = await store.query('shop', {});
    // the oldest lines were rotated away; what is kept is the newest, in order, with no gaps
    // two full files at least (about 30 records of ~130 bytes each)
    expect(all.length).toBeGreaterThan(55);
    expect(all.length).toBeLessThan(total);
    const numbers = all.map((l) => Number(l.text.split(' ')[1]));
    expect(numbers.at(-1)).toBe(total - 1);
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));

    // more lines than the newest file holds, so the answer spans files
    const newestFileLines = readFileSync(join(dir, 'shop.log'), 'utf8').trim().split('\n').length;
    const n = newestFileLines + 10;
    const last = await store.query('shop', { lines: n });
    expect(last.map((l) => l.text)).toEqual(all.slice(-n).map((l) => l.text));

    const workers = await store.query('shop', { source: 'worker', lines: 5 });
    expect(workers.map((l) => l.text)).toEqual([
      'line 1991',
      'line 1993',
      'line 1995',
      'line 1997',
      'line 1999',
    ]);
    const web = await store.query('shop', { instance: 'web.aaaaaaaa', lines: 2 });
    expect(web.map((l) => l.text)).toEqual(['line 1996', 'line 1998']);
    expect(await store.query('shop', { instance: 'web.aaaaaaaa', source: 'worker' })).toEqual([]);
    expect(await store.query('shop', { lines: 0 })).toEqual([]);
  });

  it('splits a text too long for a file into several lines rather than breaking the bound', async () => {
    const dir = tempDir();
    const store = new FileLogStore({ dir, maxBytesPerFile: 4096, maxFiles: 2 });
    store.append(line('x'.repeat(5000)));
    const lines = await store.query('shop', {});
    expect(lines.map((l) => l.text).join('')).toBe('x'.repeat(5000));
    expect(lines.length).toBeGreaterThan(1);
    for (const file of readdirSync(dir)) expect(statSync(join(dir, file)).size).toBeLessThanOrEqual(4096);
  });

  it('tells followers of the app at once, with their filters, until they unsubscribe', async () => {
    const store = new FileLogStore({ dir: tempDir() });
    const all: string[] = [];
    const workerOnly: string[] = [];
    const stopAll = store.follow('shop', {}, (l) => all.push(l.text));
    store.follow('shop', { source: 'worker' }, (l) => workerOnly.push(l.text));
    store.follow('shop', {}, () => {
      throw new Error('a broken follower');
    });
    store.append(line('a'));
    store.append(line('b', { source: 'worker' }));
    store.append(line('other app', { app: 'blog' }));
    // delivered synchronously, before any write to disk
    expect(all).toEqual(['a', 'b']);
    expect(workerOnly).toEqual(['b']);
    stopAll();
    store.append(line('c', { source: 'worker' }));
    expect(all).toEqual(['a', 'b']);
    expect(workerOnly).toEqual(['b', 'c']);

    const latencies: number[] = [];
    store.follow('lat', {}, (l) => latencies.push(performance.now() - Number(l.text)));
    for (let i = 0; i < 2000; i++) store.append(line(String(performance.now()), { app: 'lat' }));
    latencies.sort((x, y) => x - y);
    console.log(
      `append -> follower latency over ${latencies.length} lines: p50 ${latencies[1000]!.toFixed(4)} ms, p95 ${latencies[1900]!.toFixed(4)} ms`,
    );
    await store.close();
  });

  it('drops lines past the memory bound while the disk is behind, and says how many', async () => {
    const store = new FileLogStore({
      dir: tempDir(),
      flushIntervalMs: 60_000,
      flushBytes: 1024 * 1024,
      maxPendingBytes: 1000,
    });
    const followed: string[] = [];
    store.follow('shop', {}, (l) => followed.push(l.text));
    for (let i = 0; i < 100; i++) store.append(line(`line ${i}`));
    expect(followed).toHaveLength(100); // followers still see every line
    const kept = await store.query('shop', {});
    const note = kept.at(-1)!;
    expect(note).toMatchObject({ source: 'platform', instance: null });
    const dropped = Number(note.text.split(' ')[0]);
    expect(note.text).toBe(`${dropped} log lines dropped: output came faster than the disk could take it`);
    expect(kept.length - 1 + dropped).toBe(100);
    expect(kept.length).toBeGreaterThan(3);
    expect(kept.slice(0, -1).map((l) => l.text)).toEqual(followed.slice(0, kept.length - 1));
  });

  it('removes an app with its rotated files', async () => {
    const dir = tempDir();
    const store = new FileLogStore({ dir, maxBytesPerFile: 4096 });
    for (let i = 0; i < 200; i++) store.append(line(`line ${i}`));
    store.append(line('keep', { app: 'blog' }));
    await store.flush();
    await store.removeApp('shop');
    expect(readdirSync(dir)).toEqual(['blog.log']);
    expect(await store.query('shop', {})).toEqual([]);
  });

  it('keeps a strange app name inside its folder', async () => {
    const dir = tempDir();
    const store = new FileLogStore({ dir });
    store.append(line('x', { app: '../escape' }));
    await store.close();
    expect(readdirSync(dir)).toEqual(['%2e%2e%2fescape.log']);
    expect((await store.query('../escape', {})).map((l) => l.text)).toEqual(['x']);
  });
});
