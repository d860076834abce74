/**
 * Property-based fuzzing of every JSON route of the local API with random bodies: the
 * answer is never a 5xx, always JSON, an error always carries a known code, and a 4xx
 * leaves the store exactly as it was (checked on a dump of every SQLite table).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WharfClient } from '../../api/client.ts';
import { isErrorCode } from '../../api/errors.ts';
import { type Platform, startPlatform } from '../../local/platform.ts';

const RUNS = Number(process.env['WHARF_FUZZ_RUNS'] ?? 40);
const APP = 'fuzzed';
let platform: Platform;
let dataDir = '';
let db: DatabaseSync;

/** Every row of every table, as one string: equal dumps mean an unchanged store. */
function dump(): string {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
    name: string;
  }[];
  return JSON.stringify(
    tables.map((t) => [t.name, db.prepare(`SELECT * FROM "${t.name}" ORDER BY rowid`).all()]),
  );
}

async function send(
  method: string,
  path: string,
  body: string | undefined,
  contentType = 'application/json',
): Promise<{ status: number; json: unknown; raw: string }> {
  const res = await fetch(`${platform.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.token}`, 'content-type': contentType },
    ...(body !== undefined ? { body } : {}),
  });
  const raw = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, raw };
}

function expectProperAnswer(r: { status: number; json: unknown; raw: string }, what: string): void {
  expect(r.status, `${what} answered ${r.status}: ${r.raw.slice(0, 300)}`).toBeLessThan(500);
  expect(r.json, `${what} answered non-JSON: ${r.raw.slice(0, 300)}`).not.toBeUndefined();
  if (r.status >= 400) {
    const code = (r.json as { error?: { code?: unknown } }).error?.code;
    expect(isErrorCode(code), `${what} answered an unknown error code ${String(code)}`).toBe(true);
  }
}

/** The routes that take a body (method, path); `:app` is an app that exists. */
const BODY_ROUTES: [string, string][] = [
  ['POST', '/apps'],
  ['PATCH', `/apps/${APP}`],
  ['DELETE', `/apps/${APP}`],
  ['PATCH', `/apps/${APP}/env`],
  ['POST', `/apps/${APP}/rollback`],
  ['PUT', `/apps/${APP}/formation`],
  ['POST', `/apps/${APP}/restart`],
  ['POST', `/apps/${APP}/routes`],
  ['DELETE', `/apps/${APP}/routes/nosuchroute`],
  ['POST', `/apps/${APP}/resources`],
  ['DELETE', `/apps/${APP}/resources/nosuchresource`],
  ['POST', `/apps/${APP}/run`],
  ['POST', '/apps/no-such-app/deploy'],
];

/** Random JSON, biased towards objects holding the keys the routes look for. */
const KEYS = [
  'name',
  'branch',
  'set',
  'unset',
  'processType',
  'version',
  'processes',
  'domain',
  'path',
  'leader',
  'sticky',
  'provider',
  'buildpacks',
  'strategy',
  'health',
  'deployTimeoutMs',
  'web',
  'worker',
];
const leaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('', 'web', '-1', '1e9', '../x', '__proto__', 'a'.repeat(300)),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), tie('v'), { maxKeys: 5 }),
  ),
})).v;
const body = fc.oneof(
  fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 4 }).map((o) => JSON.stringify(o)),
  value.map((v) => JSON.stringify(v)),
  fc.string(),
);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'wharf-fuzz-'));
  platform = await startPlatform({ dataDir, apiPort: 0, routerPort: 0 });
  const client = new WharfClient({ url: platform.apiUrl, token: platform.token });
  await client.createApp(APP);
  await client.changeEnv(APP, { set: { KEPT: 'yes' } });
  db = new DatabaseSync(join(dataDir, 'state.db'), { readOnly: true });
}, 60_000);

afterAll(async () => {
  db?.close();
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('API bodies under fuzzing', () => {
  for (const [method, path] of BODY_ROUTES) {
    it(`${method} ${path}: never a 5xx, always JSON with a known code, store unchanged on 4xx`, async () => {
      await fc.assert(
        fc.asyncProperty(body, async (raw) => {
          const before = dump();
          const r = await send(method, path, raw);
          expectProperAnswer(r, `${method} ${path} ${raw.slice(0, 200)}`);
          if (r.status >= 400)
            expect(dump(), `${method} ${path} ${raw.slice(0, 200)} changed the store`).toBe(before);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('random app names, route ids and versions in paths: never a 5xx', async () => {
    const segment = fc
      .oneof(fc.string({ minLength: 1 }), fc.constantFrom('%00', '%2e%2e', '..', '%ff', 'a'.repeat(500)))
      .map((s) => encodeURIComponent(s));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE'),
        segment,
        fc.constantFrom('', '/env', '/releases/', '/formation', '/routes/', '/log?lines=', '/builds'),
        async (method, seg, tail) => {
          const before = dump();
          const r = await send(
            method,
            `/apps/${seg}${tail}${tail.endsWith('/') || tail.endsWith('=') ? seg : ''}`,
            method === 'GET' ? undefined : '{}',
          );
          expectProperAnswer(r, `${method} /apps/${seg}${tail}`);
          if (r.status >= 400) expect(dump()).toBe(before);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('a body that is not JSON, or sent as another type, is refused with 400 or 415', async () => {
    const before = dump();
    const notJson = await send('POST', '/apps', '{"name": "x"');
    expect(notJson.status).toBe(400);
    expect((notJson.json as { error: { code: string } }).error.code).toBe('validation_error');
    const wrongType = await send('POST', '/apps', 'name=x', 'application/x-www-form-urlencoded');
    expect(wrongType.status).toBe(415);
    expect((wrongType.json as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    expect(dump()).toBe(before);
  });

  it('the app and its config are still there after all of it', async () => {
    const client = new WharfClient({ url: platform.apiUrl, token: platform.token });
    expect((await client.getEnv(APP))['KEPT']).toBe('yes');
  });
});
