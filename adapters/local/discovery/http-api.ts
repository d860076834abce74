/**
 * The HTTP discovery API, mountable in the platform's API server or served alone:
 *   GET /discovery/apps/:app/types                         process types published
 *   GET /discovery/apps/:app/types/:type/instances         healthy instances (?all=1: every one)
 *   GET /discovery/apps/:app/types/:type/instances/:id     one instance
 *   GET /discovery/apps/:app/types/:type/leader            the leader
 *   GET /discovery/apps/:app/types/:type/watch             server-sent events: the state now, then every change
 * `?instance=ID` on watch adds `isLeader` to each event, so an instance learns about its
 * own leadership without polling.
 */
import http from 'node:http';
import { instanceName } from '../../../core/discovery/names.ts';
import type { DiscoveryInstance } from '../../../core/ports.ts';
import type { DiscoveryChange, DiscoveryRegistry, ServiceState } from './registry.ts';

export interface DiscoveryHandlerOptions {
  /** @default '/discovery' */
  readonly prefix?: string;
  /** @default 'wharf.internal' */
  readonly zone?: string;
  /** comment lines that keep idle watch streams open through proxies @default 15000 */
  readonly heartbeatMs?: number;
}

/** Handles a request under the prefix and returns true, or returns false and leaves it alone. */
export type DiscoveryHandler = ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) & {
  /** ends every open watch stream (on shutdown) */
  closeStreams(): void;
};

interface InstanceView extends DiscoveryInstance {
  readonly name: string;
  readonly leader: boolean;
}

function view(app: string, type: string, zone: string, state: ServiceState | undefined, all: boolean) {
  const leaderId = state?.leaderId ?? null;
  const instances: InstanceView[] = (state?.instances ?? [])
    .filter((i) => all || i.healthy)
    .map((i) => ({ ...i, name: instanceName(app, type, i.id, zone), leader: i.id === leaderId }));
  return { app, type, leader: leaderId, version: state?.version ?? 0, instances };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
  });
  res.end(json);
}

function notFound(res: http.ServerResponse, message: string): void {
  send(res, 404, { error: { code: 'not_found', message } });
}

export function createDiscoveryHandler(
  registry: DiscoveryRegistry,
  options: DiscoveryHandlerOptions = {},
): DiscoveryHandler {
  const prefix = (options.prefix ?? '/discovery').replace(/\/$/, '');
  const zone = options.zone ?? 'wharf.internal';
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const streams = new Set<http.ServerResponse>();

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://discovery.invalid');
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return false;
    let parts: string[];
    try {
      parts = url.pathname.slice(prefix.length).split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      send(res, 400, {
        error: { code: 'validation_error', message: 'malformed percent-encoding in the path' },
      });
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, {
        error: { code: 'validation_error', message: `${req.method} is not allowed: use GET` },
      });
      return true;
    }
    const [apps, app, types, type, what, id, ...rest] = parts;
    if (apps !== 'apps' || app === undefined || types !== 'types' || rest.length > 0) {
      notFound(
        res,
        `no discovery resource at ${url.pathname}: see GET ${prefix}/apps/APP/types/TYPE/instances`,
      );
      return true;
    }
    const a = app.toLowerCase();
    if (type === undefined) {
      send(res, 200, { app: a, types: registry.types(a) });
      return true;
    }
    const t = type.toLowerCase();
    const state = registry.get(a, t);
    const all = url.searchParams.get('all') === '1' || url.searchParams.get('all') === 'true';
    if (what === 'instances' && id === undefined) {
      send(res, 200, view(a, t, zone, state, all));
    } else if (what === 'instances') {
      const one = view(a, t, zone, state, true).instances.find((i) => i.id === id);
      if (one) send(res, 200, one);
      else
        notFound(
          res,
          `no instance ${id} of ${a}/${t}: list them with GET ${prefix}/apps/${a}/types/${t}/instances`,
        );
    } else if (what === 'leader' && id === undefined) {
      const leader = view(a, t, zone, state, false).instances.find((i) => i.leader);
      if (leader) send(res, 200, leader);
      else notFound(res, `${a}/${t} has no leader now: it has no healthy instance`);
    } else if (what === 'watch' && id === undefined) {
      watch(req, res, a, t, url.searchParams.get('instance'));
    } else {
      notFound(
        res,
        `no discovery resource at ${url.pathname}: see GET ${prefix}/apps/APP/types/TYPE/instances`,
      );
    }
    return true;
  };

  function watch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    app: string,
    type: string,
    self: string | null,
  ): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const event = (name: string, id: number, data: unknown) =>
      res.write(`event: ${name}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
    const state = (s: ServiceState | undefined, extra: Record<string, unknown>) => {
      const v = view(app, type, zone, s, false);
      const mine = self === null ? {} : { isLeader: v.leader !== null && v.leader === self };
      event('state', v.version, { ...v, ...mine, ...extra });
    };
    state(registry.get(app, type), {});
    const stop = registry.onChange((change: DiscoveryChange) => {
      if (change.app !== app || change.type !== type) return;
      const current = change.current ?? undefined;
      state(current, change.current === null ? { removed: true } : {});
      const leader = change.current?.leaderId ?? null;
      if (leader !== change.previousLeaderId) {
        const mine = self === null ? {} : { isLeader: leader !== null && leader === self };
        event('leader', current?.version ?? 0, {
          app,
          type,
          leader,
          previous: change.previousLeaderId,
          ...mine,
        });
      }
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
    heartbeat.unref();
    streams.add(res);
    const end = () => {
      stop();
      clearInterval(heartbeat);
      streams.delete(res);
    };
    req.on('close', end);
    res.on('close', end);
  }

  return Object.assign(handle, {
    closeStreams() {
      for (const res of streams) res.end();
    },
  });
}

export interface DiscoveryHttpServer {
  readonly port: number;
  /** base URL ending in /discovery, the value of WHARF_DISCOVERY_URL */
  readonly url: string;
  close(): Promise<void>;
}

export async function startDiscoveryHttpServer(options: {
  registry: DiscoveryRegistry;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 - ephemeral */
  port?: number;
  zone?: string;
  heartbeatMs?: number;
}): Promise<DiscoveryHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const handler = createDiscoveryHandler(options.registry, {
    ...(options.zone !== undefined && { zone: options.zone }),
    ...(options.heartbeatMs !== undefined && { heartbeatMs: options.heartbeatMs }),
  });
  const server = http.createServer((req, res) => {
    if (!handler(req, res))
      notFound(res, `no route for ${req.url}: the discovery API lives under /discovery`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/discovery`,
    close: () =>
      new Promise<void>((resolve) => {
        handler.closeStreams();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
