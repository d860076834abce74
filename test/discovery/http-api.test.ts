import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { electLeader } from '../../core/discovery/leader.ts';
import {
  createDiscoveryHandler,
  type DiscoveryHttpServer,
  startDiscoveryHttpServer,
} from '../../adapters/local/discovery/http-api.ts';
import { DiscoveryRegistry } from '../../adapters/local/discovery/registry.ts';
import { instances } from './helpers.ts';

let registry: DiscoveryRegistry;
let server: DiscoveryHttpServer;

beforeAll(async () => {
  registry = new DiscoveryRegistry();
  server = await startDiscoveryHttpServer({ registry });
});

afterAll(() => server.close());

beforeEach(async () => {
  await registry.remove('myapp');
  const three = instances(3).map((i) => (i.id === 'i-3' ? { ...i, healthy: false } : i));
  await registry.publish('myapp', 'web', three, electLeader(three, null));
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface SseEvent {
  event: string;
  id: string;
  data: Record<string, unknown>;
}

/** Reads server-sent events from a fetch body, one at a time. */
function sse(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return async function nextEvent(): Promise<SseEvent> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) continue;
        const field = (name: string) =>
          block
            .split('\n')
            .find((l) => l.startsWith(`${name}: `))
            ?.slice(name.length + 2) ?? '';
        return { event: field('event'), id: field('id'), data: JSON.parse(field('data')) };
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('event stream ended');
      buffer += value;
    }
  };
}

describe('HTTP discovery API', () => {
  it('lists the healthy instances with their names and the leader, or every one with ?all=1', async () => {
    const { status, body } = await get('/apps/myapp/types/web/instances');
    expect(status).toBe(200);
    expect(body).toMatchObject({ app: 'myapp', type: 'web', leader: 'i-1' });
    expect(body['instances']).toEqual([
      {
        id: 'i-1',
        host: '127.0.0.1',
        port: 5001,
        startedAt: '2024-01-01T00:00:00.000Z',
        healthy: true,
        name: 'i-1.web.myapp.wharf.internal',
        leader: true,
      },
      expect.objectContaining({ id: 'i-2', port: 5002, leader: false }),
    ]);
    const all = await get('/apps/myapp/types/web/instances?all=1');
    expect((all.body['instances'] as { id: string }[]).map((i) => i.id)).toEqual(['i-1', 'i-2', 'i-3']);
    expect((await get('/apps/myapp/types')).body).toEqual({ app: 'myapp', types: ['web'] });
  });

  it('returns one instance and the leader, and 404 with a hint for what is not there', async () => {
    expect(await get('/apps/myapp/types/web/instances/i-2')).toMatchObject({
      status: 200,
      body: { id: 'i-2', port: 5002, healthy: true },
    });
    expect(await get('/apps/myapp/types/web/leader')).toMatchObject({
      status: 200,
      body: { id: 'i-1', leader: true },
    });
    const missing = await get('/apps/myapp/types/web/instances/i-9');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'not_found' } });
    expect(JSON.stringify(missing.body)).toContain('GET /discovery/apps/myapp/types/web/instances');
    expect((await get('/apps/other/types/web/leader')).status).toBe(404);
    expect((await get('/nothing')).status).toBe(404);
    const post = await fetch(`${server.url}/apps/myapp/types/web/instances`, { method: 'POST' });
    expect(post.status).toBe(405);
    await post.body?.cancel();
  });

  it('streams the state at once, then every change, with leader changes and isLeader for the watcher', async () => {
    const ac = new AbortController();
    const res = await fetch(`${server.url}/apps/myapp/types/web/watch?instance=i-2`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const next = sse(res.body!);
    try {
      const first = await next();
      expect(first).toMatchObject({ event: 'state', data: { leader: 'i-1', isLeader: false } });
      expect((first.data['instances'] as unknown[]).length).toBe(2);

      // The leader fails its checks: i-2 is the next oldest and learns it leads.
      const after = instances(3).map((i) => (i.id === 'i-1' ? { ...i, healthy: false } : i));
      await registry.publish('myapp', 'web', after, electLeader(after, 'i-1'));
      const state = await next();
      expect(state).toMatchObject({ event: 'state', data: { leader: 'i-2', isLeader: true } });
      expect(Number(state.id)).toBeGreaterThan(Number(first.id));
      expect(await next()).toMatchObject({
        event: 'leader',
        data: { app: 'myapp', type: 'web', leader: 'i-2', previous: 'i-1', isLeader: true },
      });

      // A change that keeps the leader sends state only; then removal ends leadership.
      await registry.publish('myapp', 'web', instances(4), 'i-2');
      expect(await next()).toMatchObject({ event: 'state', data: { leader: 'i-2' } });
      await registry.remove('myapp');
      expect(await next()).toMatchObject({
        event: 'state',
        data: { removed: true, instances: [], leader: null },
      });
      expect(await next()).toMatchObject({
        event: 'leader',
        data: { leader: null, previous: 'i-2', isLeader: false },
      });
    } finally {
      ac.abort();
    }
  });

  it('mounts in another server, handling only its own prefix', async () => {
    const handler = createDiscoveryHandler(registry);
    const other = http.createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(418).end('not mine');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as { port: number }).port;
    try {
      const mine = await fetch(`http://127.0.0.1:${port}/discovery/apps/myapp/types/web/leader`);
      expect(await mine.json()).toMatchObject({ id: 'i-1' });
      const theirs = await fetch(`http://127.0.0.1:${port}/apps`);
      expect(theirs.status).toBe(418);
      await theirs.body?.cancel();
      const lookalike = await fetch(`http://127.0.0.1:${port}/discoveryx`);
      expect(lookalike.status).toBe(418);
      await lookalike.body?.cancel();
    } finally {
      handler.closeStreams();
      other.closeAllConnections();
      await new Promise((r) => other.close(r));
    }
  });
});
