/**
 * The StateStore contract: every adapter (DynamoDB, SQLite...) must pass it.
 * Usage: `stateStoreContract('sqlite', async () => ({ store, close }))` in a .test.ts file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App, Build, Deployment, Resource, Route } from '../../core/domain.ts';
import { ConflictError } from '../../core/errors.ts';
import type { ReleaseDraft, StateStore } from '../../core/ports.ts';

export type StoreFactory = () => Promise<StateStore | { store: StateStore; close(): Promise<void> | void }>;

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}-${Math.floor(Math.random() * 1e6)}`;

export const AppMother = {
  named(name: string, over: Partial<App> = {}): App {
    return {
      name,
      createdAt: '2026-01-01T00:00:00.000Z',
      branch: 'main',
      buildpacks: [],
      strategy: 'one-by-one',
      health: {
        web: { kind: 'tcp', intervalMs: 2000, timeoutMs: 1000, threshold: 2, startTimeoutMs: 10_000 },
      },
      deployTimeoutMs: 300_000,
      ...over,
    };
  },
  random(): App {
    return AppMother.named(unique('app-'));
  },
};

const draft = (app: string, description: string, over: Partial<ReleaseDraft> = {}): ReleaseDraft => ({
  app,
  artifactId: null,
  env: { A: '1' },
  processEnv: {},
  processes: { web: 'node server.js' },
  description,
  ...over,
});

const route = (app: string, over: Partial<Route> = {}): Route => ({
  id: unique('rt-'),
  app,
  domain: `${app}.example.com`,
  path: '/',
  processType: 'web',
  leader: false,
  sticky: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

export function stateStoreContract(name: string, makeStore: StoreFactory): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore;
    let close: () => Promise<void> | void = () => {};

    beforeEach(async () => {
      const made = await makeStore();
      if ('store' in made) {
        store = made.store;
        close = made.close;
      } else {
        store = made;
        close = () => {};
      }
    });
    afterEach(async () => {
      await close();
    });

    it('creates, reads, lists, updates and deletes apps; a taken name is a conflict', async () => {
      const a = AppMother.random();
      const b = AppMother.random();
      await store.createApp(a);
      await store.createApp(b);
      await expect(store.createApp(a)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.getApp(a.name)).toEqual(a);
      expect(await store.getApp('missing-app')).toBeNull();
      expect((await store.listApps()).map((x) => x.name)).toEqual(expect.arrayContaining([a.name, b.name]));
      const updated = await store.updateApp(a.name, { branch: 'release', buildpacks: ['https://x/y.tgz'] });
      expect(updated).toEqual({ ...a, branch: 'release', buildpacks: ['https://x/y.tgz'] });
      expect(await store.getApp(a.name)).toEqual(updated);
      await store.deleteApp(a.name);
      expect(await store.getApp(a.name)).toBeNull();
      expect((await store.listApps()).map((x) => x.name)).not.toContain(a.name);
    });

    it('numbers releases densely under 20 concurrent appends, each seeing the one before', async () => {
      const app = AppMother.random();
      await store.createApp(app);
      const seen: (number | null)[] = [];
      const made = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.appendRelease(app.name, (latest) => {
            seen.push(latest?.version ?? null);
            return draft(app.name, `change ${i}`, { env: { N: String(i) } });
          }),
        ),
      );
      const versions = made.map((r) => r.version).sort((x, y) => x - y);
      expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const listed = await store.listReleases(app.name);
      expect(listed.map((r) => r.version)).toEqual(versions);
      for (const r of made) {
        expect(await store.getRelease(app.name, r.version)).toEqual(r);
      }
      expect((await store.latestRelease(app.name))?.version).toBe(20);
      expect(await store.getRelease(app.name, 21)).toBeNull();
    });

    it('gives make() the latest release so config carries over', async () => {
      const app = AppMother.random();
      await store.createApp(app);
      expect(await store.latestRelease(app.name)).toBeNull();
      await store.appendRelease(app.name, () => draft(app.name, 'first', { env: { A: '1' } }));
      const second = await store.appendRelease(app.name, (latest) =>
        draft(app.name, 'second', { env: { ...latest!.env, B: '2' } }),
      );
      expect(second.env).toEqual({ A: '1', B: '2' });
      expect(second.version).toBe(2);
    });

    it('keeps builds, artifacts and deployments by id and per app', async () => {
      const app = AppMother.random();
      await store.createApp(app);
      const build: Build = {
        id: unique('b-'),
        app: app.name,
        status: 'pending',
        sourceVersion: 'abc123',
        createdAt: '2026-01-01T00:00:01.000Z',
      };
      await store.putBuild(build);
      const done: Build = {
        ...build,
        status: 'succeeded',
        artifactId: 'a-1',
        finishedAt: '2026-01-01T00:01:00.000Z',
      };
      await store.putBuild(done);
      const other: Build = { ...build, id: unique('b-'), createdAt: '2026-01-01T00:00:02.000Z' };
      await store.putBuild(other);
      expect(await store.getBuild(build.id)).toEqual(done);
      expect((await store.listBuilds(app.name)).map((b) => b.id)).toEqual([build.id, other.id]);
      expect(await store.getBuild('missing')).toBeNull();

      const artifact = {
        id: unique('a-'),
        app: app.name,
        kind: 'image' as const,
        uri: '1.dkr.ecr/x@sha256:1',
        processTypes: { web: 'x' },
        configDefaults: {},
        createdAt: '2026-01-01T00:00:00.000Z',
      };
      await store.putArtifact(artifact);
      expect(await store.getArtifact(artifact.id)).toEqual(artifact);

      const deployment: Deployment = {
        id: unique('d-'),
        app: app.name,
        fromVersion: null,
        toVersion: 1,
        strategy: 'one-by-one',
        status: 'running',
        steps: [],
        createdAt: '2026-01-01T00:00:00.000Z',
      };
      await store.putDeployment(deployment);
      await store.putDeployment({ ...deployment, status: 'complete', steps: [{ name: 'web', ms: 10 }] });
      expect((await store.getDeployment(deployment.id))?.status).toBe('complete');
      expect((await store.listDeployments(app.name)).map((d) => d.id)).toEqual([deployment.id]);

      await store.deleteApp(app.name);
      expect(await store.getBuild(build.id)).toBeNull();
      expect(await store.getDeployment(deployment.id)).toBeNull();
      expect(await store.listBuilds(app.name)).toEqual([]);
    });

    it('stores the formation and the current version', async () => {
      const app = AppMother.random();
      await store.createApp(app);
      expect(await store.getFormation(app.name)).toBeNull();
      expect(await store.getCurrentVersion(app.name)).toBeNull();
      const formation = {
        app: app.name,
        processes: { web: 2, worker: 1 },
        updatedAt: '2026-01-01T00:00:00.000Z',
      };
      await store.putFormation(formation);
      await store.setCurrentVersion(app.name, 3);
      expect(await store.getFormation(app.name)).toEqual(formation);
      expect(await store.getCurrentVersion(app.name)).toBe(3);
      await store.putFormation({ ...formation, processes: { web: 0 } });
      expect((await store.getFormation(app.name))?.processes).toEqual({ web: 0 });
    });

    it('grants a lease to one holder until it is released or expires', async () => {
      const key = unique('deploy/');
      expect(await store.acquireLease(key, 'one', 60_000)).toBe(true);
      expect(await store.acquireLease(key, 'two', 60_000)).toBe(false);
      expect(await store.acquireLease(key, 'one', 60_000)).toBe(true);
      await store.releaseLease(key, 'two');
      expect(await store.acquireLease(key, 'two', 60_000)).toBe(false);
      await store.releaseLease(key, 'one');
      expect(await store.acquireLease(key, 'two', 60_000)).toBe(true);

      const short = unique('deploy/');
      expect(await store.acquireLease(short, 'one', 1)).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
      expect(await store.acquireLease(short, 'two', 60_000)).toBe(true);

      const raced = unique('deploy/');
      const wins = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.acquireLease(raced, `h${i}`, 60_000)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
    });

    it('refuses a second route on the same domain and path, and frees it on delete', async () => {
      const a = AppMother.random();
      const b = AppMother.random();
      await store.createApp(a);
      await store.createApp(b);
      const r1 = route(a.name, { domain: `${a.name}.example.com`, path: '/' });
      await store.putRoute(r1);
      await store.putRoute({ ...r1, sticky: true });
      const r2 = route(a.name, { domain: r1.domain, path: '/api' });
      await store.putRoute(r2);
      await expect(store.putRoute(route(b.name, { domain: r1.domain, path: '/' }))).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect((await store.listRoutes(a.name)).map((r) => r.id).sort()).toEqual([r1.id, r2.id].sort());
      expect((await store.listRoutes()).map((r) => r.id)).toEqual(expect.arrayContaining([r1.id, r2.id]));
      expect((await store.listRoutes(a.name)).find((r) => r.id === r1.id)?.sticky).toBe(true);
      await store.deleteRoute(a.name, r1.id);
      expect((await store.listRoutes(a.name)).map((r) => r.id)).toEqual([r2.id]);
      await store.putRoute(route(b.name, { domain: r1.domain, path: '/' }));
      await store.deleteApp(a.name);
      expect((await store.listRoutes()).map((r) => r.id)).not.toContain(r2.id);
      await store.putRoute(route(b.name, { domain: r1.domain, path: '/api' }));
    });

    it('keeps resources per app and across apps', async () => {
      const app = AppMother.random();
      await store.createApp(app);
      const res: Resource = {
        name: 'db',
        app: app.name,
        provider: 'postgres',
        status: 'provisioning',
        env: {},
        meta: { stack: 'x' },
        createdAt: '2026-01-01T00:00:00.000Z',
      };
      await store.putResource(res);
      await store.putResource({ ...res, status: 'ready', env: { DATABASE_URL: 'postgres://x' } });
      expect((await store.getResource(app.name, 'db'))?.status).toBe('ready');
      expect(await store.listResources(app.name)).toHaveLength(1);
      expect((await store.listResources()).some((r) => r.app === app.name && r.name === 'db')).toBe(true);
      await store.deleteResource(app.name, 'db');
      expect(await store.getResource(app.name, 'db')).toBeNull();
      expect((await store.listResources()).some((r) => r.app === app.name)).toBe(false);
    });

    it('numbers events in order and lists them after a sequence number, per app or all', async () => {
      const a = AppMother.random();
      const b = AppMother.random();
      const first = await store.appendEvent({
        app: a.name,
        type: 'app.created',
        at: '2026-01-01T00:00:00Z',
        data: {},
      });
      const second = await store.appendEvent({
        app: b.name,
        type: 'app.created',
        at: '2026-01-01T00:00:01Z',
        data: {},
      });
      const third = await store.appendEvent({
        app: a.name,
        type: 'release.created',
        at: '2026-01-01T00:00:02Z',
        data: { v: 1 },
      });
      const platform = await store.appendEvent({
        app: null,
        type: 'platform.started',
        at: '2026-01-01T00:00:03Z',
        data: {},
      });
      expect(first.seq).toBeLessThan(second.seq);
      expect(second.seq).toBeLessThan(third.seq);
      expect(third.seq).toBeLessThan(platform.seq);
      expect(await store.listEvents({ app: a.name })).toEqual([first, third]);
      expect(await store.listEvents({ app: a.name, afterSeq: first.seq })).toEqual([third]);
      const all = await store.listEvents({ afterSeq: first.seq });
      expect(all.map((e) => e.seq)).toEqual([second.seq, third.seq, platform.seq]);
      expect(await store.listEvents({ afterSeq: first.seq, limit: 2 })).toEqual([second, third]);
      const many = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.appendEvent({ app: a.name, type: 'x', at: 'now', data: { i } }),
        ),
      );
      expect(new Set(many.map((e) => e.seq)).size).toBe(10);
      const listed = await store.listEvents({ app: a.name, afterSeq: third.seq });
      expect(listed.map((e) => e.seq)).toEqual(many.map((e) => e.seq).sort((x, y) => x - y));
    });

    it('marks a delivery once; a repeat within its ttl is refused', async () => {
      const id = unique('github:');
      expect(await store.markDelivery(id, 60_000)).toBe(true);
      expect(await store.markDelivery(id, 60_000)).toBe(false);
      const raced = unique('gitlab:');
      const results = await Promise.all(Array.from({ length: 5 }, () => store.markDelivery(raced, 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
