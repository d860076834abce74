/**
 * Slow and oversized clients against a real `wharf up`: hundreds of connections sending
 * their headers or body a byte at a time (slowloris) against the API and the router, while
 * ordinary requests must still be answered; oversized bodies get a JSON 413.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, sleep, TestPlatform } from '../helpers/platform.ts';

const platform = new TestPlatform();
let apiPort = 0;
let token = '';

/** A connection that sends `head` and then one more byte of `trickle` every `everyMs`. */
function slowClient(
  port: number,
  head: string,
  trickle: string,
  everyMs: number,
): { socket: Socket; closed: () => boolean; stop(): void } {
  const socket = connect(port, '127.0.0.1');
  let closed = false;
  let i = 0;
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
  });
  socket.on('data', () => {}); // a 408 or 413 may come back; reading it keeps the socket flowing
  socket.write(head);
  const timer = setInterval(() => {
    if (!closed) socket.write(trickle[i++ % trickle.length]!);
  }, everyMs);
  return {
    socket,
    closed: () => closed,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

async function timedApiGet(path: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.text();
  return { status: res.status, ms: performance.now() - t0 };
}

async function timedRouterGet(): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const r = await httpGet(platform.routerPort, 'nosuchapp.localhost');
  return { status: r.status, ms: performance.now() - t0 };
}

beforeAll(async () => {
  await platform.start();
  apiPort = Number(new URL(platform.apiUrl).port);
  token = readFileSync(`${platform.dataDir}/token`, 'utf8').trim();
}, 60_000);

afterAll(async () => {
  await platform.stop();
  platform.cleanup();
});

describe('slow clients', () => {
  it('hundreds of slowloris connections on the API and the router do not stop other requests', async () => {
    const slow = [
      ...Array.from({ length: 200 }, () =>
        slowClient(apiPort, 'GET /apps HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n', 200),
      ),
      ...Array.from({ length: 200 }, () =>
        slowClient(platform.routerPort, 'GET / HTTP/1.1\r\nHost: slow.localhost\r\n', 'X-Slow: 1\r\n', 200),
      ),
      // a body that never arrives: headers done, then a byte at a time
      ...Array.from({ length: 100 }, () =>
        slowClient(
          apiPort,
          `POST /apps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"name":"`,
          'a',
          200,
        ),
      ),
    ];
    try {
      await sleep(1500);
      const api = [];
      const router = [];
      for (let i = 0; i < 20; i++) {
        api.push(await timedApiGet('/apps'));
        router.push(await timedRouterGet());
      }
      const held = slow.filter((s) => !s.closed()).length;
      const worst = (l: { ms: number }[]) => Math.round(Math.max(...l.map((x) => x.ms)));
      console.log(
        `[hostile] with ${held}/${slow.length} slow connections held: API answered 20/20 (slowest ${worst(api)} ms), router answered 20/20 (slowest ${worst(router)} ms)`,
      );
      expect(held).toBeGreaterThan(slow.length * 0.9); // they really were held while the others were served
      expect(api.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(router.map((r) => r.status)).toEqual(Array(20).fill(404));
    } finally {
      for (const s of slow) s.stop();
    }
  });
});

describe('oversized input', () => {
  async function post(
    body: string | ReadableStream<Uint8Array>,
  ): Promise<{ status: number; json: { error?: { code?: string } } }> {
    const res = await fetch(`${platform.apiUrl}/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
      ...(typeof body === 'string' ? {} : { duplex: 'half' }),
    } as RequestInit);
    return { status: res.status, json: (await res.json()) as { error?: { code?: string } } };
  }

  it('a JSON body over the limit with its length declared gets a JSON 413', async () => {
    const r = await post(JSON.stringify({ name: 'big', pad: 'x'.repeat(2 * 1024 * 1024) }));
    expect(r.status).toBe(413);
    expect(r.json.error?.code).toBe('payload_too_large');
  });

  it('a chunked JSON body that grows past the limit gets a JSON 413', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"big","pad":"'));
        if (sent++ < 40) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const r = await post(stream);
    expect(r.status).toBe(413);
    expect(r.json.error?.code).toBe('payload_too_large');
  });

  it('request headers over the router limit are refused, and the router still serves', async () => {
    const r = await httpGet(platform.routerPort, 'nosuchapp.localhost', '/', {
      'x-huge': 'y'.repeat(64 * 1024),
    }).catch((e: unknown) => ({ status: 0, body: String(e) }));
    expect([431, 0]).toContain(r.status);
    expect((await httpGet(platform.routerPort, 'nosuchapp.localhost')).status).toBe(404);
    expect((await platform.client().listApps()).some((a) => a.name === 'big')).toBe(false);
  });
});
