import { Agent, request } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closedPort,
  echoOf,
  entry,
  get,
  type Reply,
  startRouter,
  startUpstream,
  type TestRouter,
  type Upstream,
} from './helpers.ts';

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

/** Runs `total` requests with `concurrency` in flight; returns every reply (or error) in order. */
async function load(
  total: number,
  concurrency: number,
  send: (i: number) => Promise<Reply>,
): Promise<(Reply | Error)[]> {
  const results: (Reply | Error)[] = new Array(total);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      results[i] = await send(i).catch((e: Error) => e);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}
const failures = (results: (Reply | Error)[]): number =>
  results.filter((r) => r instanceof Error || r.status !== 200).length;

describe('LocalRouter under failures', () => {
  it('retries a GET on the next backend when one backend refuses connections: no failures', async () => {
    const r = await router();
    const live = await upstream('live');
    const dead = { id: 'dead', host: '127.0.0.1', port: await closedPort() };
    await r.router.setTable([entry('retry.localhost', [dead, live.backend()])]);
    const results = await load(60, 4, () => get(r.port, 'retry.localhost'));
    expect(failures(results)).toBe(0);
    expect(r.router.stats().retries).toBeGreaterThan(0);
    expect(live.requests).toBe(60);
  });

  it('loses no GET when a backend is killed while its keep-alive connections are pooled', async () => {
    const r = await router();
    const a = await upstream('a');
    const b = await upstream('b');
    await r.router.setTable([entry('kill.localhost', [a.backend(), b.backend()])]);
    const warm = await load(40, 8, () => get(r.port, 'kill.localhost'));
    expect(failures(warm)).toBe(0);
    await a.close();
    const after = await load(100, 8, () => get(r.port, 'kill.localhost'));
    expect(failures(after)).toBe(0);
    expect(after.every((x) => !(x instanceof Error) && echoOf(x).id === 'b')).toBe(true);
  });

  it('answers 502 naming the app when its only backend is down', async () => {
    const r = await router();
    await r.router.setTable([
      entry('down.localhost', [{ id: 'i-1', host: '127.0.0.1', port: await closedPort() }], {
        app: 'downapp',
      }),
    ]);
    const reply = await get(r.port, 'down.localhost');
    expect(reply.status).toBe(502);
    expect(reply.body).toContain('downapp');
    expect(r.router.stats().errors).toBe(1);
  });

  it('answers 502 when the backend speaks something other than HTTP', async () => {
    const r = await router();
    const garbage = createTcpServer((socket) => {
      socket.on('error', () => {});
      // read on, so the peer's close is seen and the server can close
      socket.resume();
      socket.end('this is not HTTP at all\r\n\r\n');
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => garbage.close(() => resolve())));
    const { port } = garbage.address() as AddressInfo;
    await r.router.setTable([
      entry('garbage.localhost', [{ id: 'i-g', host: '127.0.0.1', port }], { app: 'g' }),
    ]);
    const reply = await get(r.port, 'garbage.localhost', '/', { method: 'POST', body: 'x' });
    expect(reply.status).toBe(502);
    expect(reply.body).toContain('instance i-g of g');
  });

  it('answers 504 when the backend does not answer in time', async () => {
    const r = await router({ upstreamTimeoutMs: 200 });
    const silent = await upstream('silent', () => {});
    await r.router.setTable([entry('slow.localhost', [silent.backend()], { app: 'slowapp' })]);
    const reply = await get(r.port, 'slow.localhost');
    expect(reply.status).toBe(504);
    expect(reply.body).toContain('slowapp');
    expect(r.router.stats().gatewayTimeout).toBe(1);
  });

  it('reuses upstream connections, never more than maxSocketsPerBackend', async () => {
    const r = await router({ maxSocketsPerBackend: 6 });
    const u = await upstream('ka');
    await r.router.setTable([entry('ka.localhost', [u.backend()])]);
    const results = await load(400, 12, () => get(r.port, 'ka.localhost'));
    expect(failures(results)).toBe(0);
    expect(u.requests).toBe(400);
    expect(u.connections).toBeGreaterThan(0);
    expect(u.connections).toBeLessThanOrEqual(6);
  });

  it('keeps serving while slow clients dribble their headers, and cuts them off after headersTimeout', async () => {
    const r = await router({ headersTimeoutMs: 400, timeoutCheckIntervalMs: 100 });
    const u = await upstream('fast');
    await r.router.setTable([entry('fast.localhost', [u.backend()])]);
    const request = 'GET / HTTP/1.1\r\nHost: fast.localhost\r\nX-Slow: ' + 'x'.repeat(200);
    const slow: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    for (let s = 0; s < 20; s++) {
      const socket = connect(r.port, '127.0.0.1');
      socket.on('error', () => {});
      slow.push(socket);
      let i = 0;
      timers.push(
        setInterval(() => {
          if (!socket.destroyed && i < request.length) socket.write(request[i++]!);
        }, 10),
      );
    }
    // not events.once: it rejects on 'error', and a reset is one way the router may cut a slow client off
    const closedBySlow = slow.map((s) => new Promise((resolve) => s.on('close', resolve)));
    const received = slow.map((s) => {
      let text = '';
      s.on('data', (c: Buffer) => {
        text += c.toString();
      });
      return () => text;
    });
    const results = await load(100, 5, () => get(r.port, 'fast.localhost'));
    expect(failures(results)).toBe(0);
    await Promise.all(closedBySlow);
    for (const t of timers) clearInterval(t);
    expect(received.every((text) => text() === '' || text().startsWith('HTTP/1.1 408'))).toBe(true);
    expect(u.requests).toBe(100);
  });

  it('survives clients that abort mid-request and mid-response, and frees the upstream request', async () => {
    const r = await router();
    let upstreamSawClose: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      upstreamSawClose = resolve;
    });
    const u = await upstream('abort', (req, res) => {
      if (req.url === '/hang') {
        res.on('close', () => upstreamSawClose());
        return;
      }
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await r.router.setTable([entry('abort.localhost', [u.backend()])]);

    // a body promised but never sent in full
    const partial = connect(r.port, '127.0.0.1');
    partial.on('error', () => {});
    partial.write(
      'POST /upload HTTP/1.1\r\nHost: abort.localhost\r\nContent-Length: 100000\r\n\r\nonly a little',
    );
    await once(partial, 'connect');
    partial.destroy();

    // a response the client does not wait for
    const hang = request({
      host: '127.0.0.1',
      port: r.port,
      path: '/hang',
      headers: { host: 'abort.localhost' },
    });
    hang.on('error', () => {});
    hang.end();
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (u.requests >= 2) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    hang.destroy();
    await closed;

    const after = await load(20, 4, () => get(r.port, 'abort.localhost'));
    expect(failures(after)).toBe(0);
    expect(r.router.stats().clientAborts).toBeGreaterThanOrEqual(1);
  });

  it('loses no request while the table is swapped under load', async () => {
    const r = await router();
    const ups = await Promise.all(['s1', 's2', 's3', 's4'].map((id) => upstream(id)));
    const sets = [
      [ups[0]!, ups[1]!],
      [ups[1]!, ups[2]!],
      [ups[2]!, ups[3]!],
      [ups[3]!, ups[0]!],
    ];
    await r.router.setTable([
      entry(
        'swap.localhost',
        sets[0]!.map((u) => u.backend()),
      ),
    ]);
    let swaps = 0;
    let running = true;
    const swapper = (async () => {
      while (running) {
        swaps++;
        const set = sets[swaps % sets.length]!;
        await r.router.setTable([
          entry(
            'swap.localhost',
            set.map((u) => u.backend()),
          ),
          entry('other.localhost', [ups[swaps % 4]!.backend()]),
        ]);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const results = await load(600, 16, () => get(r.port, 'swap.localhost', '/', { agent }));
    running = false;
    await swapper;
    agent.destroy();
    expect(swaps).toBeGreaterThan(5);
    expect(failures(results)).toBe(0);
    expect(new Set(results.map((x) => echoOf(x as Reply).id)).size).toBe(4);
  });

  it('lets a request in flight finish on the backend it started on after a swap', async () => {
    const r = await router();
    let release: () => void = () => {};
    const old = await upstream('old', (_req, res) => {
      release = () => res.end('from old');
    });
    const fresh = await upstream('new', (_req, res) => res.end('from new'));
    await r.router.setTable([entry('inflight.localhost', [old.backend()])]);
    const pending = get(r.port, 'inflight.localhost', '/', { agent: false });
    while (old.requests === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await r.router.setTable([entry('inflight.localhost', [fresh.backend()])]);
    expect((await get(r.port, 'inflight.localhost')).body).toBe('from new');
    release();
    const reply = await pending;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('from old');
  });

  it('gives a truncated response, not a hang, when the backend dies mid-body', async () => {
    const r = await router();
    const dying = await upstream('dying', (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setImmediate(() => res.socket?.destroy());
    });
    await r.router.setTable([entry('dying.localhost', [dying.backend()])]);
    await expect(get(r.port, 'dying.localhost')).rejects.toThrow();
  });
});
