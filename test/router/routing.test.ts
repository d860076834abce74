import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STICKY_COOKIE } from '../../adapters/local/router/index.ts';
import {
  echoOf,
  entry,
  get,
  headerValues,
  rawExchange,
  startRouter,
  startUpstream,
  type TestRouter,
  type Upstream,
} from './helpers.ts';

describe('LocalRouter routing', () => {
  let r: TestRouter;
  const ups: Upstream[] = [];

  beforeAll(async () => {
    for (const id of ['a1', 'a2', 'a3', 'b1', 'api1', 'apiv2', 'www1']) ups.push(await startUpstream(id));
    r = await startRouter();
  });
  afterAll(async () => {
    await r.router.close();
    await Promise.all(ups.map((u) => u.close()));
  });
  const up = (id: string): Upstream => ups.find((u) => u.id === id)!;

  it('routes by Host, case-insensitively and without the port', async () => {
    await r.router.setTable([
      entry('a.localhost', [up('a1').backend()], { app: 'a' }),
      entry('b.localhost', [up('b1').backend()], { app: 'b' }),
      entry('www.example.com', [up('www1').backend()], { app: 'custom' }),
    ]);
    expect(echoOf(await get(r.port, 'a.localhost')).id).toBe('a1');
    expect(echoOf(await get(r.port, 'B.LocalHost:8080')).id).toBe('b1');
    expect(echoOf(await get(r.port, 'www.example.com.')).id).toBe('www1');
  });

  it('picks the longest path prefix, on segment boundaries only', async () => {
    await r.router.setTable([
      entry('site.localhost', [up('www1').backend()]),
      entry('site.localhost', [up('api1').backend()], { path: '/api' }),
      entry('site.localhost', [up('apiv2').backend()], { path: '/api/v2/' }),
    ]);
    const at = async (path: string): Promise<string> => echoOf(await get(r.port, 'site.localhost', path)).id;
    expect(await at('/api')).toBe('api1');
    expect(await at('/api/users')).toBe('api1');
    expect(await at('/api?x=1')).toBe('api1');
    expect(await at('/api/v2')).toBe('apiv2');
    expect(await at('/api/v2/things?q=1')).toBe('apiv2');
    expect(await at('/apix')).toBe('www1');
    expect(await at('/api/v22')).toBe('api1');
    expect(await at('/')).toBe('www1');
    const echo = echoOf(await get(r.port, 'site.localhost', '/api/v2/things?q=1'));
    expect(echo.url).toBe('/api/v2/things?q=1');
  });

  it('answers 404 naming the host and how to add a route, when no path matches either', async () => {
    await r.router.setTable([entry('only.localhost', [up('api1').backend()], { path: '/api' })]);
    const unknown = await get(r.port, 'nope.localhost', '/x');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('nope.localhost');
    expect(unknown.body).toContain('wharf route add nope.localhost');
    expect(unknown.body).toContain('wharf create nope');
    const custom = await get(r.port, 'shop.example.org:8080');
    expect(custom.status).toBe(404);
    expect(custom.body).toContain('"shop.example.org"');
    const noPath = await get(r.port, 'only.localhost', '/other');
    expect(noPath.status).toBe(404);
    expect(noPath.body).toContain('"/other"');
    expect(noPath.body).toContain('only.localhost');
    expect(r.router.stats().notFound).toBeGreaterThanOrEqual(3);
  });

  it('answers 503 with Retry-After when the app has no healthy instance', async () => {
    await r.router.setTable([entry('empty.localhost', [], { app: 'sleepy' })]);
    const reply = await get(r.port, 'empty.localhost');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('no healthy instances of sleepy');
    expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('round-robins over every backend of the route', async () => {
    await r.router.setTable([
      entry(
        'rr.localhost',
        ['a1', 'a2', 'a3'].map((id) => up(id).backend()),
      ),
    ]);
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const id = echoOf(await get(r.port, 'rr.localhost')).id;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['a1', 'a2', 'a3']);
    expect([...seen.values()]).toEqual([10, 10, 10]);
  });

  it('sets X-Forwarded-* and keeps or makes X-Request-Id', async () => {
    await r.router.setTable([entry('fwd.localhost', [up('a1').backend()])]);
    const reply = await get(r.port, 'fwd.localhost:1234', '/', {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-request-id': 'abc-123' },
    });
    const echo = echoOf(reply);
    expect(headerValues(echo, 'x-forwarded-for')).toEqual(['203.0.113.9, 127.0.0.1']);
    expect(headerValues(echo, 'x-forwarded-proto')).toEqual(['http']);
    expect(headerValues(echo, 'x-forwarded-host')).toEqual(['fwd.localhost:1234']);
    expect(headerValues(echo, 'x-forwarded-port')).toEqual([String(r.port)]);
    expect(headerValues(echo, 'x-request-id')).toEqual(['abc-123']);
    expect(headerValues(echo, 'host')).toEqual(['fwd.localhost:1234']);

    const fresh = echoOf(
      await get(r.port, 'fwd.localhost', '/', { headers: { 'x-request-id': 'bad id\u00e9' } }),
    );
    const [made] = headerValues(fresh, 'x-request-id');
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
    expect(headerValues(fresh, 'x-forwarded-for')).toEqual(['127.0.0.1']);
  });

  it('strips hop-by-hop headers both ways, and headers named in Connection', async () => {
    const hop = await startUpstream('hop', (req, res) => {
      res.writeHead(200, {
        'x-upstream-private': 'secret',
        connection: 'keep-alive, x-upstream-private',
        'keep-alive': 'timeout=5',
        'proxy-authenticate': 'Basic',
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ id: 'hop', method: req.method, url: req.url, rawHeaders: req.rawHeaders }));
    });
    ups.push(hop);
    await r.router.setTable([entry('hop.localhost', [hop.backend()])]);
    const reply = await get(r.port, 'hop.localhost', '/', {
      headers: {
        connection: 'keep-alive, x-private',
        'x-private': 'drop me',
        'keep-alive': 'timeout=9',
        'proxy-authorization': 'Basic Zm9v',
        te: 'trailers',
        'x-kept': 'yes',
      },
    });
    const echo = echoOf(reply);
    for (const name of ['x-private', 'keep-alive', 'proxy-authorization', 'te']) {
      expect(headerValues(echo, name), name).toEqual([]);
    }
    expect(headerValues(echo, 'x-kept')).toEqual(['yes']);
    expect(reply.headers['x-upstream-private']).toBeUndefined();
    expect(reply.headers['proxy-authenticate']).toBeUndefined();
    expect(reply.headers['content-type']).toBe('application/json');
  });

  it('keeps a sticky client on the backend its cookie names, and re-pins when that one leaves', async () => {
    const backends = ['a1', 'a2', 'a3'].map((id) => up(id).backend());
    await r.router.setTable([entry('sticky.localhost', backends, { sticky: true })]);
    const first = await get(r.port, 'sticky.localhost');
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(new RegExp(`^${STICKY_COOKIE}=`));
    const pinnedTo = echoOf(first).id;
    const cookie = setCookie.split(';')[0]!;
    for (let i = 0; i < 10; i++) {
      const again = await get(r.port, 'sticky.localhost', '/', {
        headers: { cookie: `theme=dark; ${cookie}` },
      });
      expect(echoOf(again).id).toBe(pinnedTo);
      expect(again.headers['set-cookie']).toBeUndefined();
    }
    await r.router.setTable([
      entry(
        'sticky.localhost',
        backends.filter((b) => b.id !== pinnedTo),
        { sticky: true },
      ),
    ]);
    const moved = await get(r.port, 'sticky.localhost', '/', { headers: { cookie } });
    expect(echoOf(moved).id).not.toBe(pinnedTo);
    expect(moved.headers['set-cookie']?.[0]).toContain(`${STICKY_COOKIE}=${echoOf(moved).id}`);
  });

  it('refuses two Host headers, and says what to send when there is none', async () => {
    await r.router.setTable([entry('a.localhost', [up('a1').backend()])]);
    const twoHosts = await rawExchange(
      r.port,
      'GET / HTTP/1.1\r\nHost: a.localhost\r\nHost: evil.localhost\r\nConnection: close\r\n\r\n',
    );
    expect(twoHosts).toMatch(/^HTTP\/1\.1 400 /);
    expect(twoHosts).toContain('more than one Host header');
    const noHost = await rawExchange(r.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(noHost).toMatch(/^HTTP\/1\.1 404 /);
    expect(noHost).toContain('no Host header');
  });

  it('refuses a table entry whose path does not start with a slash', async () => {
    await expect(r.router.setTable([entry('bad.localhost', [], { path: 'api' })])).rejects.toThrow(
      /must start with '\/'/,
    );
  });
});
