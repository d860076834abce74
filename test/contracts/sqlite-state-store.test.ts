/** The StateStore contract against the local adapter: SQLite on a real file in WAL mode. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../adapters/local/state/sqlite-store.ts';
import { stateStoreContract } from './state-store.contract.ts';

stateStoreContract('SqliteStateStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-sqlite-'));
  const store = new SqliteStateStore(join(dir, 'state.db'));
  return {
    store,
    close: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStateStore specifics', () => {
  it('runs in WAL mode and keeps its data across reopening (migrations applied once)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-sqlite-'));
    const path = join(dir, 'state.db');
    const first = new SqliteStateStore(path);
    await first.createApp({
      name: 'kept',
      createdAt: new Date().toISOString(),
      branch: 'main',
      buildpacks: [],
      strategy: 'one-by-one',
      health: {},
      deployTimeoutMs: 60_000,
    });
    await first.appendRelease('kept', () => ({
      app: 'kept',
      artifactId: null,
      env: { A: '1' },
      processEnv: {},
      processes: {},
      description: 'x',
    }));
    first.close();
    const second = new SqliteStateStore(path);
    expect((await second.getApp('kept'))?.name).toBe('kept');
    expect((await second.latestRelease('kept'))?.version).toBe(1);
    const { DatabaseSync } = await import('node:sqlite');
    const raw = new DatabaseSync(path);
    expect((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    raw.close();
    second.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives dense release numbers to two processes writing one database at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-sqlite-'));
    const path = join(dir, 'state.db');
    const a = new SqliteStateStore(path);
    const b = new SqliteStateStore(path);
    await a.createApp({
      name: 'two',
      createdAt: '',
      branch: 'main',
      buildpacks: [],
      strategy: 'one-by-one',
      health: {},
      deployTimeoutMs: 1000,
    });
    const draft = () => ({
      app: 'two',
      artifactId: null,
      env: {},
      processEnv: {},
      processes: {},
      description: 'x',
    });
    const made = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).appendRelease('two', draft)),
    );
    expect(made.map((r) => r.version).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    a.close();
    b.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
