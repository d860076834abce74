/**
 * The API lets a user add several resources at once (provisioning is slow, so the CLI
 * and the e2e test do). Parallel adds must not take one name twice, nor let two
 * resources claim one env var, and the release that ends up running has every var.
 */
import { describe, expect, it } from 'vitest';
import { ControlPlane } from '../../core/control-plane.ts';
import type { ResourceProvider } from '../../core/domain.ts';
import { ConflictError } from '../../core/errors.ts';
import { resourceEnv } from '../../core/resources/env.ts';
import { fakeDeps } from '../core/fakes.ts';

/** A provisioner that takes a while, as real servers do, and returns the real env names. */
function slowProvisioner(delays: Partial<Record<ResourceProvider, number>>) {
  return {
    provision: async (app: string, name: string, provider: ResourceProvider, prefix: string) => {
      await new Promise((r) => setTimeout(r, delays[provider] ?? 10));
      const env = resourceEnv(provider, prefix, {
        url: `${provider}://${name}`,
        host: '127.0.0.1',
        port: 1,
        user: 'u',
        password: 'p',
        database: `${app}_${name}`,
        table: `${app}-${name}`,
        bucket: `${app}-${name}`,
        endpoint: 'http://127.0.0.1:1',
        region: 'us-east-1',
      });
      return { env, meta: {}, ready: true };
    },
    deprovision: async () => {},
  };
}

async function runningApp(delays: Partial<Record<ResourceProvider, number>> = {}) {
  const f = fakeDeps({ provisioner: slowProvisioner(delays) });
  const cp = new ControlPlane(f.deps, { holder: 'test' });
  await cp.start();
  await cp.createApp({ name: 'shop' });
  await cp.push('shop', {
    source: { kind: 'dir', path: '/src' },
    sourceVersion: 'abc1234',
    output: () => {},
  });
  return cp;
}

describe('parallel resource adds', () => {
  it('give each resource its own env names and deploy a release with all of them', async () => {
    // postgres is slowest, so mysql and postgis finish first: the one that asked first still owns DATABASE_URL
    const cp = await runningApp({ postgres: 80, mysql: 5, postgis: 30, redis: 1 });
    try {
      const added = await Promise.all(
        (['postgres', 'mysql', 'postgis', 'redis', 'document', 'blob'] as const).map((provider) =>
          cp.resources.add('shop', { provider }),
        ),
      );
      expect(added.map((a) => a.resource.name)).toEqual([
        'postgres',
        'mysql',
        'postgis',
        'redis',
        'document',
        'blob',
      ]);
      const env = (await cp.getRelease('shop')).env;
      expect(env['DATABASE_URL']).toBe('postgres://postgres');
      expect(env['MYSQL_DATABASE_URL']).toBe('mysql://mysql');
      expect(env['POSTGIS_DATABASE_URL']).toBe('postgis://postgis');
      expect(env['REDIS_URL']).toBe('redis://redis');
      expect(env['DYNAMODB_TABLE']).toBe('shop-document');
      expect(env['S3_BUCKET']).toBe('shop-blob');
      const info = await cp.appInfo('shop');
      const latest = (await cp.listReleases('shop')).at(-1)!;
      expect(info.currentVersion).toBe(latest.version);
    } finally {
      cp.stop();
    }
  });

  it('refuse the second of two adds of one name with a conflict', async () => {
    const cp = await runningApp({ redis: 30 });
    try {
      const results = await Promise.allSettled([
        cp.resources.add('shop', { provider: 'redis', name: 'cache' }),
        cp.resources.add('shop', { provider: 'redis', name: 'cache' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(ConflictError);
      expect((await cp.resources.list('shop')).map((r) => r.name)).toEqual(['cache']);
    } finally {
      cp.stop();
    }
  });
});
