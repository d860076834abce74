/**
 * StateStore on SQLite (node:sqlite, WAL). Documents are stored as JSON beside the
 * columns that queries and uniqueness need. DatabaseSync is synchronous, so each method
 * is atomic within this process; BEGIN IMMEDIATE and a busy timeout make the writes that
 * read first (release numbers, leases) safe across processes too.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type {
  App,
  Artifact,
  Build,
  Deployment,
  Formation,
  Release,
  Resource,
  Route,
  WharfEvent,
} from '../../../core/domain.ts';
import { ConflictError, NotFoundError } from '../../../core/errors.ts';
import type { ReleaseDraft, StateStore } from '../../../core/ports.ts';
import { MIGRATIONS } from './migrations.ts';

type Row = Record<string, SQLInputValue>;

export class SqliteStateStore implements StateStore {
  private readonly db: DatabaseSync;
  private readonly now: () => number;

  constructor(path: string, options: { now?: () => number } = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.now = options.now ?? Date.now;
    this.db.exec(
      'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;',
    );
    this.migrate();
  }

  close(): void {
    this.db.close();
  }

  private migrate(): void {
    const row = this.db.prepare('PRAGMA user_version').get() as { user_version: number };
    for (let v = row.user_version; v < MIGRATIONS.length; v++) {
      this.tx(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }

  private tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  private one<T>(sql: string, ...params: SQLInputValue[]): T | null {
    const row = this.db.prepare(sql).get(...params) as Row | undefined;
    return row ? (JSON.parse(String(row['doc'])) as T) : null;
  }

  private many<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return (this.db.prepare(sql).all(...params) as Row[]).map((r) => JSON.parse(String(r['doc'])) as T);
  }

  private run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.db.prepare(sql).run(...params).changes);
  }

  async createApp(app: App): Promise<void> {
    try {
      this.run('INSERT INTO apps (name, doc) VALUES (?, ?)', app.name, JSON.stringify(app));
    } catch (e) {
      if (isUnique(e)) throw new ConflictError(`app "${app.name}" already exists`, { cause: e });
      throw e;
    }
  }
  async getApp(name: string): Promise<App | null> {
    return this.one('SELECT doc FROM apps WHERE name = ?', name);
  }
  async listApps(): Promise<App[]> {
    return this.many('SELECT doc FROM apps ORDER BY name');
  }
  async updateApp(name: string, patch: Partial<Omit<App, 'name' | 'createdAt'>>): Promise<App> {
    return this.tx(() => {
      const app = this.one<App>('SELECT doc FROM apps WHERE name = ?', name);
      if (!app) throw new NotFoundError(`app "${name}" not found`);
      const updated = { ...app, ...patch };
      this.run('UPDATE apps SET doc = ? WHERE name = ?', JSON.stringify(updated), name);
      return updated;
    });
  }
  async deleteApp(name: string): Promise<void> {
    this.tx(() => {
      for (const table of [
        'releases',
        'builds',
        'artifacts',
        'formations',
        'deployments',
        'current_versions',
        'routes',
        'resources',
      ]) {
        this.run(`DELETE FROM ${table} WHERE app = ?`, name);
      }
      this.run('DELETE FROM apps WHERE name = ?', name);
    });
  }

  async appendRelease(app: string, make: (latest: Release | null) => ReleaseDraft): Promise<Release> {
    return this.tx(() => {
      if (!this.one('SELECT doc FROM apps WHERE name = ?', app))
        throw new NotFoundError(`app "${app}" not found`);
      const latest = this.one<Release>(
        'SELECT doc FROM releases WHERE app = ? ORDER BY version DESC LIMIT 1',
        app,
      );
      const draft = make(latest);
      const release: Release = {
        ...draft,
        app,
        version: (latest?.version ?? 0) + 1,
        createdAt: new Date(this.now()).toISOString(),
      };
      this.run(
        'INSERT INTO releases (app, version, doc) VALUES (?, ?, ?)',
        app,
        release.version,
        JSON.stringify(release),
      );
      return release;
    });
  }
  async getRelease(app: string, version: number): Promise<Release | null> {
    return this.one('SELECT doc FROM releases WHERE app = ? AND version = ?', app, version);
  }
  async latestRelease(app: string): Promise<Release | null> {
    return this.one('SELECT doc FROM releases WHERE app = ? ORDER BY version DESC LIMIT 1', app);
  }
  async listReleases(app: string): Promise<Release[]> {
    return this.many('SELECT doc FROM releases WHERE app = ? ORDER BY version', app);
  }

  async putBuild(build: Build): Promise<void> {
    this.run(
      'INSERT INTO builds (id, app, created_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
      build.id,
      build.app,
      build.createdAt,
      JSON.stringify(build),
    );
  }
  async getBuild(id: string): Promise<Build | null> {
    return this.one('SELECT doc FROM builds WHERE id = ?', id);
  }
  async listBuilds(app: string): Promise<Build[]> {
    return this.many('SELECT doc FROM builds WHERE app = ? ORDER BY created_at, id', app);
  }

  async putArtifact(artifact: Artifact): Promise<void> {
    this.run(
      'INSERT OR REPLACE INTO artifacts (id, app, doc) VALUES (?, ?, ?)',
      artifact.id,
      artifact.app,
      JSON.stringify(artifact),
    );
  }
  async getArtifact(id: string): Promise<Artifact | null> {
    return this.one('SELECT doc FROM artifacts WHERE id = ?', id);
  }

  async getFormation(app: string): Promise<Formation | null> {
    return this.one('SELECT doc FROM formations WHERE app = ?', app);
  }
  async putFormation(formation: Formation): Promise<void> {
    this.run(
      'INSERT OR REPLACE INTO formations (app, doc) VALUES (?, ?)',
      formation.app,
      JSON.stringify(formation),
    );
  }

  async putDeployment(d: Deployment): Promise<void> {
    this.run(
      'INSERT INTO deployments (id, app, created_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
      d.id,
      d.app,
      d.createdAt,
      JSON.stringify(d),
    );
  }
  async getDeployment(id: string): Promise<Deployment | null> {
    return this.one('SELECT doc FROM deployments WHERE id = ?', id);
  }
  async listDeployments(app: string): Promise<Deployment[]> {
    return this.many('SELECT doc FROM deployments WHERE app = ? ORDER BY created_at, id', app);
  }
  async getCurrentVersion(app: string): Promise<number | null> {
    const row = this.db.prepare('SELECT version FROM current_versions WHERE app = ?').get(app) as
      | Row
      | undefined;
    return row ? Number(row['version']) : null;
  }
  async setCurrentVersion(app: string, version: number): Promise<void> {
    this.run('INSERT OR REPLACE INTO current_versions (app, version) VALUES (?, ?)', app, version);
  }

  async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    return this.tx(() => {
      const changed = this.run(
        `INSERT INTO leases (key, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at < ?`,
        key,
        holder,
        now + ttlMs,
        now,
      );
      return changed > 0;
    });
  }
  async releaseLease(key: string, holder: string): Promise<void> {
    this.run('DELETE FROM leases WHERE key = ? AND holder = ?', key, holder);
  }

  async putRoute(route: Route): Promise<void> {
    try {
      this.run(
        `INSERT INTO routes (id, app, domain, path, doc) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET domain = excluded.domain, path = excluded.path, doc = excluded.doc`,
        route.id,
        route.app,
        route.domain,
        route.path,
        JSON.stringify(route),
      );
    } catch (e) {
      if (isUnique(e))
        throw new ConflictError(`${route.domain}${route.path} is already routed`, { cause: e });
      throw e;
    }
  }
  async deleteRoute(app: string, id: string): Promise<void> {
    this.run('DELETE FROM routes WHERE app = ? AND id = ?', app, id);
  }
  async listRoutes(app?: string): Promise<Route[]> {
    return app
      ? this.many('SELECT doc FROM routes WHERE app = ? ORDER BY domain, path', app)
      : this.many('SELECT doc FROM routes ORDER BY domain, path');
  }

  async putResource(resource: Resource): Promise<void> {
    this.run(
      'INSERT OR REPLACE INTO resources (app, name, doc) VALUES (?, ?, ?)',
      resource.app,
      resource.name,
      JSON.stringify(resource),
    );
  }
  async getResource(app: string, name: string): Promise<Resource | null> {
    return this.one('SELECT doc FROM resources WHERE app = ? AND name = ?', app, name);
  }
  async listResources(app?: string): Promise<Resource[]> {
    return app
      ? this.many('SELECT doc FROM resources WHERE app = ? ORDER BY name', app)
      : this.many('SELECT doc FROM resources ORDER BY app, name');
  }
  async deleteResource(app: string, name: string): Promise<void> {
    this.run('DELETE FROM resources WHERE app = ? AND name = ?', app, name);
  }

  async appendEvent(event: Omit<WharfEvent, 'seq'>): Promise<WharfEvent> {
    const r = this.db
      .prepare('INSERT INTO events (app, type, at, data) VALUES (?, ?, ?, ?)')
      .run(event.app, event.type, event.at, JSON.stringify(event.data));
    return { ...event, seq: Number(r.lastInsertRowid) };
  }
  async listEvents(filter: { app?: string; afterSeq?: number; limit?: number }): Promise<WharfEvent[]> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const after = filter.afterSeq ?? 0;
    // with a cursor: the oldest events after it (paging forward); without: the newest
    const order = filter.afterSeq === undefined ? 'DESC' : 'ASC';
    const rows = (
      filter.app
        ? this.db
            .prepare(`SELECT * FROM events WHERE app = ? AND seq > ? ORDER BY seq ${order} LIMIT ?`)
            .all(filter.app, after, limit)
        : this.db
            .prepare(`SELECT * FROM events WHERE seq > ? ORDER BY seq ${order} LIMIT ?`)
            .all(after, limit)
    ) as Row[];
    if (order === 'DESC') rows.reverse();
    return rows.map((r) => ({
      seq: Number(r['seq']),
      app: r['app'] === null ? null : String(r['app']),
      type: String(r['type']),
      at: String(r['at']),
      data: JSON.parse(String(r['data'])) as Record<string, unknown>,
    }));
  }

  async markDelivery(id: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    return this.tx(() => {
      this.run('DELETE FROM deliveries WHERE expires_at < ?', now);
      return this.run('INSERT OR IGNORE INTO deliveries (id, expires_at) VALUES (?, ?)', id, now + ttlMs) > 0;
    });
  }
}

function isUnique(e: unknown): boolean {
  return e instanceof Error && /UNIQUE constraint failed|PRIMARY KEY/.test(e.message);
}
