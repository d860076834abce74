/**
 * Bad input at the API: each gets the right status and a message that says what was
 * wrong, and the store is unchanged afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Platform, startPlatform } from '../../local/platform.ts';

let platform: Platform;
const dir = mkdtempSync(join(tmpdir(), 'wharf-api-'));

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${platform.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${platform.token}`, 'content-type': 'application/json', ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as { error?: { code: string; message: string } }) : {},
  };
}

async function snapshot() {
  const apps = await call('GET', '/apps');
  const releases = await call('GET', '/apps/good/releases');
  const events = await call('GET', '/events?limit=1000');
  return JSON.stringify([apps.body, releases.body, (events.body as unknown as unknown[]).length]);
}

beforeAll(async () => {
  platform = await startPlatform({ dataDir: dir, apiPort: 0, routerPort: 0 });
  expect((await call('POST', '/apps', JSON.stringify({ name: 'good' }))).status).toBe(201);
  expect((await call('PATCH', '/apps/good/env', JSON.stringify({ set: { A: '1' } }))).status).toBe(200);
});

afterAll(async () => {
  await platform.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('API bad input', () => {
  const cases: Array<
    [string, string, string, string | undefined, number, string, RegExp, Record<string, string>?]
  > = [
    [
      'an invalid app name',
      'POST',
      '/apps',
      JSON.stringify({ name: 'Bad_Name' }),
      400,
      'validation_error',
      /invalid app name "Bad_Name"/,
    ],
    [
      'a reserved app name',
      'POST',
      '/apps',
      JSON.stringify({ name: 'router' }),
      400,
      'validation_error',
      /reserved/,
    ],
    ['a duplicate app', 'POST', '/apps', JSON.stringify({ name: 'good' }), 409, 'conflict', /already exists/],
    ['an unknown app', 'GET', '/apps/nope', undefined, 404, 'not_found', /app "nope" not found/],
    [
      'env set on an unknown app',
      'PATCH',
      '/apps/nope/env',
      JSON.stringify({ set: { A: 'b' } }),
      404,
      'not_found',
      /nope/,
    ],
    ['malformed JSON', 'POST', '/apps', '{"name": ', 400, 'validation_error', /malformed JSON/],
    ['a JSON array body', 'POST', '/apps', '[1,2]', 400, 'validation_error', /JSON object/],
    [
      'an invalid env var name',
      'PATCH',
      '/apps/good/env',
      JSON.stringify({ set: { '1BAD': 'x' } }),
      400,
      'validation_error',
      /invalid config var name "1BAD"/,
    ],
    [
      'PORT as a config var',
      'PATCH',
      '/apps/good/env',
      JSON.stringify({ set: { PORT: '1' } }),
      400,
      'validation_error',
      /PORT is set by the platform/,
    ],
    [
      'an invalid process type',
      'PATCH',
      '/apps/good/env',
      JSON.stringify({ set: { X: '1' }, processType: 'Web!' }),
      400,
      'validation_error',
      /invalid process type/,
    ],
    [
      'a negative scale',
      'PUT',
      '/apps/good/formation',
      JSON.stringify({ processes: { web: -1 } }),
      400,
      'validation_error',
      /whole number from 0 to 100/,
    ],
    [
      'a scale over the bound',
      'PUT',
      '/apps/good/formation',
      JSON.stringify({ processes: { web: 1000 } }),
      400,
      'validation_error',
      /0 to 100/,
    ],
    [
      'an invalid route domain',
      'POST',
      '/apps/good/routes',
      JSON.stringify({ domain: 'bad domain' }),
      400,
      'validation_error',
      /invalid domain/,
    ],
    [
      'a size Fargate has not',
      'PUT',
      '/apps/good/formation/sizes',
      JSON.stringify({ sizes: { web: { cpu: '3' } } }),
      400,
      'validation_error',
      /cpu of web "3" is not a Fargate size/,
    ],
    [
      'autoscaling on one machine',
      'PUT',
      '/apps/good/autoscaling/web',
      JSON.stringify({ min: 1, max: 3, target: { cpu: 50 } }),
      400,
      'validation_error',
      /autoscaling runs on AWS .*wharf scale web=N/,
    ],
    [
      'a resource removal with a bad keep_data',
      'DELETE',
      '/apps/good/resources/db?confirm=true&keep_data=perhaps',
      undefined,
      400,
      'validation_error',
      /keep_data "perhaps"/,
    ],
    ['an unknown release', 'GET', '/apps/good/releases/v99', undefined, 404, 'not_found', /v99/],
    ['destroy without confirmation', 'DELETE', '/apps/good', undefined, 400, 'validation_error', /--yes/],
    ['an unknown route', 'GET', '/nothing/here', undefined, 404, 'not_found', /no API route/],
    [
      'a wrong content type',
      'POST',
      '/apps',
      'name=x',
      415,
      'unsupported_media_type',
      /application\/json/,
      { 'content-type': 'text/plain' },
    ],
  ];

  for (const [what, method, path, body, status, code, message, headers] of cases) {
    it(`refuses ${what} with ${status} ${code}, and changes nothing`, async () => {
      const before = await snapshot();
      const r = await call(method, path, body, headers);
      expect(r.status).toBe(status);
      expect(r.body.error?.code).toBe(code);
      expect(r.body.error?.message).toMatch(message);
      expect(await snapshot()).toBe(before);
    });
  }

  it('refuses a missing token with 401 and a wrong one too, changing nothing', async () => {
    const before = await snapshot();
    const missing = await fetch(`${platform.apiUrl}/apps`, {
      method: 'POST',
      body: JSON.stringify({ name: 'sneaky' }),
    });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const wrong = await call('POST', '/apps', JSON.stringify({ name: 'sneaky' }), {
      authorization: 'Bearer not-the-token',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.message).toMatch(/token/);
    expect(await snapshot()).toBe(before);
  });

  it('refuses a body over the limit with 413', async () => {
    const r = await call(
      'PATCH',
      '/apps/good/env',
      JSON.stringify({ set: { BIG: 'x'.repeat(2 * 1024 * 1024) } }),
    );
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe('payload_too_large');
  });

  it('keeps the token file private (0600)', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(platform.tokenFile).mode & 0o777).toBe(0o600);
  });
});
