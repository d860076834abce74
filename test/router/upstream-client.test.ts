import { once } from 'node:events';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { entry, get, startRouter, startUpstream, type TestRouter, type Upstream } from './helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function router(options: Parameters<typeof startRouter>[0] = {}): Promise<TestRouter> {
  const r = await startRouter(options);
  cleanups.push(() => r.router.close());
  return r;
}
async function upstream(id: string, handler?: Parameters<typeof startUpstream>[1]): Promise<Upstream> {
  const u = await startUpstream(id, handler);
  cleanups.push(() => u.close());
  return u;
}
function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (done()) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
}

describe('LocalRouter upstream pools', () => {
  it('closes the connections of a backend removed from the table once its request in flight is done', async () => {
    const r = await router();
    let release: () => void = () => {};
    const u = await upstream('leaving', (req, res) => {
      if (req.url === '/slow') release = () => res.end('slow done');
      else res.end('ok');
    });
    // the upstream would keep idle connections for two minutes: only the router closes them within the test's time
    u.server.keepAliveTimeout = 120_000;
    const sockets: Socket[] = [];
    u.server.on('connection', (s: Socket) => sockets.push(s));
    await r.router.setTable([entry('drain.localhost', [u.backend()])]);
    expect((await get(r.port, 'drain.localhost', '/warm')).status).toBe(200);

    const slow = get(r.port, 'drain.localhost', '/slow');
    await until(() => u.requests >= 2);
    await r.router.setTable([]);
    release();
    expect((await slow).body).toBe('slow done');
    await Promise.all(sockets.map((s) => (s.destroyed ? undefined : once(s, 'close'))));
    expect(sockets.length).toBeGreaterThanOrEqual(1);
    expect(sockets.every((s) => s.destroyed)).toBe(true);
  }, 15_000);

  it('never sends a request whose client left while it queued for an upstream connection', async () => {
    const r = await router({ maxSocketsPerBackend: 1 });
    const urls: string[] = [];
    let release: () => void = () => {};
    const u = await upstream('single', (req, res) => {
      urls.push(req.url!);
      if (req.url === '/busy') release = () => res.end('busy done');
      else res.end('ok');
    });
    await r.router.setTable([entry('queue.localhost', [u.backend()])]);
    const busy = get(r.port, 'queue.localhost', '/busy', { agent: false });
    await until(() => u.requests >= 1);

    const queued = request({
      host: '127.0.0.1',
      port: r.port,
      path: '/queued',
      headers: { host: 'queue.localhost' },
      agent: false,
    });
    queued.on('error', () => {});
    queued.end();
    await until(() => r.router.stats().requests >= 2);
    queued.destroy();
    await until(() => r.router.stats().clientAborts >= 1);
    release();

    expect((await busy).body).toBe('busy done');
    expect((await get(r.port, 'queue.localhost', '/after', { agent: false })).status).toBe(200);
    expect(urls).toEqual(['/busy', '/after']);
  });
});
