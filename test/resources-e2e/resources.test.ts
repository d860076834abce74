/**
 * Resources end to end on the real local platform: `wharf up`, a git push of
 * examples/resources, `wharf resource add` of every provider (real PostgreSQL, PostGIS,
 * MariaDB, Redis, dynalite and s3rver servers), requests through the router that store
 * and read data through the env vars alone, the consoles, a platform restart, removal,
 * and bad input. One platform is shared by the steps, in order, as a user's session.
 */
import { readFileSync, statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortOpen } from '../../adapters/local/resources/net.ts';
import type { Release, Resource } from '../../core/domain.ts';
import { eventually, TestPlatform } from '../helpers/platform.ts';
import { cliWithFile, viaApi, viaRouter } from './helpers.ts';

const platform = new TestPlatform();
const APP = 'notes';
const scratch = mkdtempSync(join(tmpdir(), 'wharf-res-e2e-'));
let repo = '';
const started = Date.now();
const figures: string[] = [];

function time<T>(label: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  return work().finally(() => figures.push(`${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`));
}

/** `wharf COMMAND -a APP ARGS…`: the app before the args, which may end with `-- TOOL ARGS`. */
const wharf = (command: string, ...args: string[]) => platform.cli([command, '-a', APP, ...args]);

async function put(kind: string, key: string, value: string): Promise<void> {
  const r = await viaRouter(platform, APP, 'POST', `/${kind}/${key}`, value);
  expect(r.status, `POST /${kind}/${key}: ${r.body}`).toBe(201);
}

async function read(kind: string, key: string): Promise<{ status: number; value?: string }> {
  const r = await viaRouter(platform, APP, 'GET', `/${kind}/${key}`);
  return {
    status: r.status,
    ...(r.status === 200 ? { value: (JSON.parse(r.body) as { value: string }).value } : {}),
  };
}

async function attached(): Promise<string[]> {
  const r = await viaRouter(platform, APP, 'GET', '/');
  return r.status === 200 ? (JSON.parse(r.body) as { attached: string[] }).attached : [];
}

async function releases(): Promise<Release[]> {
  const r = await wharf('release', 'list', '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Release[];
}

async function revealed(name: string): Promise<Resource> {
  const r = await wharf('resource', 'info', name, '--reveal', '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Resource;
}

const PARIS = '2.3522,48.8566';
const LONDON = '-0.1276,51.5072';

beforeAll(async () => {
  await platform.start();
  repo = await platform.appRepo('resources');
}, 60_000);

afterAll(async () => {
  await platform.stop();
  platform.cleanup();
  rmSync(scratch, { recursive: true, force: true });
  console.log(
    `resources e2e figures:\n  ${figures.join('\n  ')}\n  whole file: ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
});

describe('resources on the local platform, end to end', () => {
  it('pushes the example, which serves with no resource attached', async () => {
    expect((await platform.cli(['create', APP], repo)).code).toBe(0);
    const push = await time('git push (npm ci of pg, redis, mysql2 and the AWS SDK clients)', () =>
      platform.git(['push', 'wharf', 'main'], repo),
    );
    expect(push.code, push.stderr).toBe(0);
    expect(await attached()).toEqual([]);
    const r = await viaRouter(platform, APP, 'GET', '/pg/greeting');
    expect(r.status).toBe(503);
  }, 180_000);

  it('resource add postgres makes a release with DATABASE_URL and PG*, deployed: a row is stored and read', async () => {
    const before = (await releases()).at(-1)!.version;
    const add = await time('resource add postgres (initdb, start, deploy)', () =>
      wharf('resource', 'add', 'postgres'),
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain(`v${before + 1} has its env vars`);
    const latest = (await releases()).at(-1)!;
    expect(latest.version).toBe(before + 1);
    expect(latest.description).toBe('Attach postgres (postgres)');
    expect(Object.keys(latest.env)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE']),
    );
    // the postgis route can use any PostgreSQL URL; its query needs the extension
    expect(await attached()).toEqual(['pg', 'postgis']);
    await put('pg', 'greeting', 'hello from postgres');
    expect(await read('pg', 'greeting')).toEqual({ status: 200, value: 'hello from postgres' });
    expect((await read('pg', 'nothing')).status).toBe(404);
  }, 60_000);

  it('redis, document, blob, postgis and mysql added in parallel each store and read through their env', async () => {
    const adds = await time('five resources added in parallel', () =>
      Promise.all(['redis', 'document', 'blob', 'postgis', 'mysql'].map((p) => wharf('resource', 'add', p))),
    );
    for (const a of adds) expect(a.code, a.stderr).toBe(0);
    const env = (await releases()).at(-1)!.env;
    // postgres owns DATABASE_URL, so postgis and mysql get their names as prefix
    expect(env).toMatchObject({
      REDIS_URL: expect.stringMatching(/^redis:\/\/default:[^@]+@127\.0\.0\.1:\d+$/),
      DYNAMODB_TABLE: `${APP}-document`,
      AWS_ENDPOINT_URL_DYNAMODB: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      S3_BUCKET: `${APP}-blob`,
      AWS_ENDPOINT_URL_S3: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_REGION: 'us-east-1',
      POSTGIS_DATABASE_URL: expect.stringMatching(/^postgres:\/\//),
      MYSQL_DATABASE_URL: expect.stringMatching(/^mysql:\/\//),
      MYSQL_MYSQL_HOST: '127.0.0.1',
    });
    expect(env['DATABASE_URL']).toMatch(/^postgres:\/\//);
    expect((await attached()).sort()).toEqual(['blob', 'document', 'mysql', 'pg', 'postgis', 'redis']);

    for (const kind of ['redis', 'document', 'blob', 'mysql'])
      await put(kind, 'greeting', `hello from ${kind}`);
    for (const kind of ['redis', 'document', 'blob', 'mysql'])
      expect(await read(kind, 'greeting')).toEqual({ status: 200, value: `hello from ${kind}` });
    expect((await read('blob', 'nothing')).status).toBe(404);
    expect((await read('document', 'nothing')).status).toBe(404);

    const d = await viaRouter(platform, APP, 'GET', `/postgis/distance?from=${PARIS}&to=${LONDON}`);
    expect(d.status, d.body).toBe(200);
    const { metres } = JSON.parse(d.body) as { metres: number };
    expect(metres).toBeGreaterThan(340_000);
    expect(metres).toBeLessThan(347_000);
  }, 120_000);

  it('resource list and info mask credentials; --reveal shows them', async () => {
    const list = await wharf('resource', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const resources = JSON.parse(list.stdout) as Resource[];
    expect(resources.map((r) => `${r.name}:${r.provider}:${r.status}`).sort()).toEqual([
      'blob:blob:ready',
      'document:document:ready',
      'mysql:mysql:ready',
      'postgis:postgis:ready',
      'postgres:postgres:ready',
      'redis:redis:ready',
    ]);
    const password = (await revealed('postgres')).env['PGPASSWORD']!;
    expect(password).toMatch(/^[^*]{12,}$/);
    expect(list.stdout).not.toContain(password);

    const info = await wharf('resource', 'info', 'postgres');
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain('=== postgres (postgres) ready');
    expect(info.stdout).toContain('PGPASSWORD=********');
    expect(info.stdout).toMatch(/DATABASE_URL=postgres:\/\/[^:]+:\*{8}@127\.0\.0\.1:\d+\//);
    expect(info.stdout).not.toContain(password);

    const reveal = await wharf('resource', 'info', 'postgres', '--reveal');
    expect(reveal.stdout).toContain(`PGPASSWORD=${password}`);
  });

  it('wharf pg: psql runs SQL, asks which resource when there are two, dump and restore round-trip', async () => {
    const ambiguous = await wharf('pg', 'psql', '--', '-c', 'select 1');
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain('(postgis, postgres)');
    expect(ambiguous.stderr).toContain('--resource NAME');

    const one = await wharf('pg', 'psql', '--resource', 'postgres', '--', '-X', '-At', '-c', 'select 1');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.trim()).toBe('1');
    const spatial = await wharf(
      'pg',
      'psql',
      '--resource',
      'postgis',
      '--',
      '-X',
      '-At',
      '-c',
      'select postgis_version()',
    );
    expect(spatial.stdout).toMatch(/^3\./);
    const failing = await wharf('pg', 'psql', '--resource', 'postgres', '--', '-X', '-c', 'select nonsense');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('column "nonsense" does not exist');
    // psql's own status comes back: 2 is psql's "connection to the server went bad" (-p overrides PGPORT)
    const unreachable = await wharf(
      'pg',
      'psql',
      '--resource',
      'postgres',
      '--',
      '-X',
      '-p',
      '1',
      '-c',
      'select 1',
    );
    expect(unreachable.code).toBe(2);

    const dumpFile = join(scratch, 'notes.dump');
    const dump = await time('pg dump', () =>
      cliWithFile(platform, ['pg', 'dump', '--resource', 'postgres', '-a', APP], { stdout: dumpFile }),
    );
    expect(dump.code, dump.stderr).toBe(0);
    expect(readFileSync(dumpFile).subarray(0, 5).toString()).toBe('PGDMP');
    expect(statSync(dumpFile).size).toBeGreaterThan(1000);

    const changed = await wharf(
      'pg',
      'psql',
      '--resource',
      'postgres',
      '--',
      '-X',
      '-c',
      "update notes set value = 'overwritten'",
    );
    expect(changed.code, changed.stderr).toBe(0);
    expect((await read('pg', 'greeting')).value).toBe('overwritten');
    const restore = await time('pg restore', () =>
      cliWithFile(platform, ['pg', 'restore', '--resource', 'postgres', '-a', APP], { stdin: dumpFile }),
    );
    expect(restore.code, restore.stderr).toBe(0);
    expect((await read('pg', 'greeting')).value).toBe('hello from postgres');
  }, 60_000);

  it('wharf redis cli answers PING and reads what the app wrote', async () => {
    const ping = await wharf('redis', 'cli', '--', 'PING');
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.stdout.trim()).toBe('PONG');
    const get = await wharf('redis', 'cli', '--', 'GET', 'notes:greeting');
    expect(get.stdout.trim()).toBe('hello from redis');
    const wrongKind = await wharf('redis', 'cli', '--resource', 'postgres', '--', 'PING');
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toContain('postgres is a postgres resource');
  });

  it('after the platform stops and starts, every store still has its data', async () => {
    const ports = await Promise.all(
      ['postgres', 'redis', 'mysql'].map(async (n) => {
        const env = (await revealed(n)).env;
        return Number(env['PGPORT'] ?? env['MYSQL_MYSQL_PORT'] ?? new URL(env['REDIS_URL']!).port);
      }),
    );
    await time('platform stop', () => platform.stop());
    for (const port of ports) expect(await isPortOpen(port)).toBe(false);
    await time('platform start until the app serves its data', async () => {
      await platform.start();
      await eventually(
        async () => (await read('pg', 'greeting')).status === 200,
        60_000,
        'the app to serve after a restart',
      );
    });
    expect(await read('pg', 'greeting')).toEqual({ status: 200, value: 'hello from postgres' });
    for (const kind of ['redis', 'document', 'blob', 'mysql'])
      expect(await read(kind, 'greeting')).toEqual({ status: 200, value: `hello from ${kind}` });
    const d = await viaRouter(platform, APP, 'GET', `/postgis/distance?from=${PARIS}&to=${LONDON}`);
    expect(d.status, d.body).toBe(200);
  }, 120_000);

  it('remove without --yes is refused and drops nothing; with --yes it releases without REDIS_URL and stops the server', async () => {
    const redisPort = Number(new URL((await revealed('redis')).env['REDIS_URL']!).port);
    const refused = await wharf('resource', 'remove', 'redis');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--yes');
    const raw = await viaApi(platform, 'DELETE', `/apps/${APP}/resources/redis`);
    expect(raw.status).toBe(400);
    expect(raw.json.error?.message).toContain('--yes');
    expect(await isPortOpen(redisPort)).toBe(true);
    expect((await read('redis', 'greeting')).value).toBe('hello from redis');

    const before = (await releases()).at(-1)!;
    expect(before.env['REDIS_URL']).toBeDefined();
    const removed = await time('resource remove redis --yes', () =>
      wharf('resource', 'remove', 'redis', '--yes'),
    );
    expect(removed.code, removed.stderr).toBe(0);
    const after = (await releases()).at(-1)!;
    expect(after.version).toBe(before.version + 1);
    expect(after.description).toBe('Detach redis (redis)');
    expect(after.env['REDIS_URL']).toBeUndefined();
    expect(after.env['DATABASE_URL']).toBe(before.env['DATABASE_URL']);
    expect(await isPortOpen(redisPort)).toBe(false);
    expect((await read('redis', 'greeting')).status).toBe(503);
    expect((await read('pg', 'greeting')).value).toBe('hello from postgres');
    const list = JSON.parse((await wharf('resource', 'list', '--json')).stdout) as Resource[];
    expect(list.map((r) => r.name)).not.toContain('redis');
    const noRedis = await wharf('redis', 'cli', '--', 'PING');
    expect(noRedis.code).toBe(1);
    expect(noRedis.stderr).toContain('has no redis resource: add one with `wharf resource add redis`');
  }, 60_000);

  it('refuses an unknown provider (400, naming the providers) and a duplicate name (409)', async () => {
    const unknown = await viaApi(platform, 'POST', `/apps/${APP}/resources`, { provider: 'mongodb' });
    expect(unknown.status).toBe(400);
    for (const p of ['postgres', 'mysql', 'redis', 'document', 'blob', 'postgis'])
      expect(unknown.json.error?.message).toContain(p);
    const cliUnknown = await wharf('resource', 'add', 'mongodb');
    expect(cliUnknown.code).toBe(1);
    expect(cliUnknown.stderr).toContain('unknown resource provider "mongodb"');

    const duplicate = await viaApi(platform, 'POST', `/apps/${APP}/resources`, {
      provider: 'redis',
      name: 'postgres',
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.json.error?.message).toContain('already has a resource named "postgres"');
    const cliDuplicate = await wharf('resource', 'add', 'mysql', '--as', 'mysql');
    expect(cliDuplicate.code).toBe(1);
    expect(cliDuplicate.stderr).toContain('already has a resource named "mysql"');

    const list = JSON.parse((await wharf('resource', 'list', '--json')).stdout) as Resource[];
    expect(list).toHaveLength(5);
    expect((await read('pg', 'greeting')).value).toBe('hello from postgres');
  });
});
