/** The log store that loads CloudWatch Logs on first use (functions/lib/lazy-log-store.ts). */
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../core/domain.ts';
import type { LogQuery } from '../../core/ports.ts';
import { type FlushingLogStore, LazyLogStore } from '../../functions/lib/lazy-log-store.ts';

class RecordingStore implements FlushingLogStore {
  appended: LogLine[] = [];
  flushed: LogLine[][] = [];
  followers = 0;
  append(line: LogLine): void {
    this.appended.push(line);
  }
  async flush(): Promise<void> {
    this.flushed.push(this.appended);
    this.appended = [];
  }
  async query(_app: string, _query: LogQuery): Promise<LogLine[]> {
    return this.flushed.flat();
  }
  follow(_app: string, _query: LogQuery, onLine: (line: LogLine) => void): () => void {
    this.followers++;
    onLine({ at: 't', app: 'shop', source: 'web', instance: null, stream: 'stdout', text: 'live' });
    return () => {
      this.followers--;
    };
  }
}

const line = (text: string): LogLine => ({
  at: '2026-01-01T00:00:00.000Z',
  app: 'shop',
  source: 'platform',
  instance: null,
  stream: 'stdout',
  text,
});

describe('LazyLogStore', () => {
  it('loads nothing for a flush with no line, and hands lines appended before the load to the adapter', async () => {
    let loads = 0;
    const real = new RecordingStore();
    const logs = new LazyLogStore(async () => {
      loads++;
      return real;
    });
    await logs.flush();
    expect(loads).toBe(0);
    logs.append(line('app shop created'));
    logs.append(line('release v1'));
    expect(loads).toBe(0);
    await logs.flush();
    logs.append(line('after load'));
    await logs.flush();
    expect(loads).toBe(1);
    expect(real.flushed.map((ls) => ls.map((l) => l.text))).toEqual([
      ['app shop created', 'release v1'],
      ['after load'],
    ]);
    expect((await logs.query('shop', {})).map((l) => l.text)).toEqual([
      'app shop created',
      'release v1',
      'after load',
    ]);
  });

  it('follows once loaded, and a stop before the load starts nothing', async () => {
    const real = new RecordingStore();
    const logs = new LazyLogStore(async () => real);
    const stopEarly = logs.follow('shop', {}, () => {});
    stopEarly();
    const seen: string[] = [];
    const stop = logs.follow('shop', {}, (l) => seen.push(l.text));
    await logs.query('shop', {});
    expect(seen).toEqual(['live']);
    expect(real.followers).toBe(1);
    stop();
    expect(real.followers).toBe(0);
  });

  it('tries the load again after a failed one', async () => {
    let attempts = 0;
    const logs = new LazyLogStore(async () => {
      attempts++;
      if (attempts === 1) throw new Error('chunk missing');
      return new RecordingStore();
    });
    await expect(logs.query('shop', {})).rejects.toThrow('chunk missing');
    await expect(logs.query('shop', {})).resolves.toEqual([]);
    expect(attempts).toBe(2);
  });
});
