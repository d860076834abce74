import { ValidationError } from '../../../core/errors.ts';
import type { RouteTableEntry } from '../../../core/ports.ts';
import type { UpstreamPool, UpstreamPools } from './upstream-pools.ts';

/** The cookie that pins a client to one backend on a sticky route (Flynn's router did the same). */
export const STICKY_COOKIE = 'wharf_backend';

export interface LiveBackend {
  readonly id: string;
  /** the id as it appears in the sticky cookie */
  readonly cookieValue: string;
  readonly pool: UpstreamPool;
}

export interface CompiledRoute {
  readonly routeId: string;
  readonly app: string;
  readonly domain: string;
  readonly path: string;
  readonly sticky: boolean;
  readonly backends: readonly LiveBackend[];
  /** sticky routes only: cookie value to backend */
  readonly byCookie: ReadonlyMap<string, LiveBackend> | null;
  /** the round-robin cursor; carried over from the previous table for the same route */
  next: number;
}

export interface HostRoutes {
  /** longest path first, so the first match is the longest prefix */
  readonly routes: readonly CompiledRoute[];
  /** the only route when it is at '/', so most requests skip path matching */
  readonly catchAll: CompiledRoute | null;
}

/** An immutable snapshot: requests in flight keep the one they started with. */
export interface CompiledTable {
  readonly hosts: ReadonlyMap<string, HostRoutes>;
  /** raw Host header value to its routes, so the hot path does no string work on a repeat host */
  readonly byRawHost: Map<string, HostRoutes | null>;
}

const RAW_HOST_CACHE_LIMIT = 4096;

export function emptyTable(): CompiledTable {
  return { hosts: new Map(), byRawHost: new Map() };
}

export function normalizeDomain(domain: string): string {
  let d = domain.toLowerCase();
  if (d.endsWith('.')) d = d.slice(0, -1);
  return d;
}

/** '/api/' and '/api' are the same prefix; '/' stays '/'. */
export function normalizePath(path: string): string {
  let p = path === '' ? '/' : path;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/** Host header to table key: lowercase, port and trailing dot removed, IPv6 brackets kept. */
export function hostKey(rawHost: string): string {
  let end = rawHost.length;
  if (rawHost.charCodeAt(0) === 91 /* [ */) {
    const close = rawHost.indexOf(']');
    if (close !== -1) end = close + 1;
  } else {
    const colon = rawHost.indexOf(':');
    if (colon !== -1) end = colon;
  }
  return normalizeDomain(end === rawHost.length ? rawHost : rawHost.slice(0, end));
}

export function lookupHost(table: CompiledTable, rawHost: string): HostRoutes | null {
  const cached = table.byRawHost.get(rawHost);
  if (cached !== undefined) return cached;
  const found = table.hosts.get(hostKey(rawHost)) ?? null;
  // bounded, because the Host header is chosen by the client
  if (table.byRawHost.size >= RAW_HOST_CACHE_LIMIT) table.byRawHost.clear();
  table.byRawHost.set(rawHost, found);
  return found;
}

/** Longest prefix on a segment boundary: '/api' matches '/api', '/api/x' and '/api?q', not '/apix'. */
export function matchPath(host: HostRoutes, url: string): CompiledRoute | null {
  if (host.catchAll !== null) return host.catchAll;
  for (const route of host.routes) {
    const p = route.path;
    if (p.length === 1) return route;
    if (url.startsWith(p)) {
      const c = url.charCodeAt(p.length);
      if (Number.isNaN(c) || c === 47 /* / */ || c === 63 /* ? */) return route;
    }
  }
  return null;
}

function validateEntry(entry: RouteTableEntry, index: number): void {
  if (typeof entry.domain !== 'string' || entry.domain.length === 0) {
    throw new ValidationError(
      `route table entry ${index} (${entry.routeId}) has no domain: give a host name such as myapp.localhost`,
    );
  }
  if (typeof entry.path !== 'string' || !entry.path.startsWith('/')) {
    throw new ValidationError(
      `route table entry ${index} (${entry.routeId}) has path "${String(entry.path)}": a path prefix must start with '/'`,
    );
  }
  for (const b of entry.backends) {
    if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535 || b.host.length === 0) {
      throw new ValidationError(
        `route table entry ${entry.routeId} has backend ${b.id} at "${b.host}:${b.port}": give a host and a port in 1-65535`,
      );
    }
  }
}

/**
 * Builds the lookup structures once per table push, so that a request costs one map
 * lookup and (for hosts with several paths) a few string comparisons.
 */
export function compileTable(
  entries: readonly RouteTableEntry[],
  pools: UpstreamPools,
  previous: CompiledTable,
): CompiledTable {
  entries.forEach(validateEntry);
  const previousCursor = new Map<string, number>();
  for (const host of previous.hosts.values()) {
    for (const r of host.routes) previousCursor.set(`${r.domain} ${r.path}`, r.next);
  }

  const byHost = new Map<string, Map<string, CompiledRoute>>();
  const live = new Set<string>();
  for (const entry of entries) {
    const domain = normalizeDomain(entry.domain);
    const path = normalizePath(entry.path);
    const backends = entry.backends.map((b): LiveBackend => {
      const pool = pools.get(b.host, b.port);
      live.add(pool.key);
      return { id: b.id, cookieValue: encodeURIComponent(b.id), pool };
    });
    const route: CompiledRoute = {
      routeId: entry.routeId,
      app: entry.app,
      domain,
      path,
      sticky: entry.sticky,
      backends,
      byCookie: entry.sticky ? new Map(backends.map((b) => [b.cookieValue, b])) : null,
      next: previousCursor.get(`${domain} ${path}`) ?? 0,
    };
    let paths = byHost.get(domain);
    if (paths === undefined) {
      paths = new Map();
      byHost.set(domain, paths);
    }
    // one route per domain and path (the store enforces it); the later entry wins
    paths.set(path, route);
  }

  const hosts = new Map<string, HostRoutes>();
  for (const [domain, paths] of byHost) {
    const routes = [...paths.values()].sort((a, b) => b.path.length - a.path.length);
    const only = routes.length === 1 ? routes[0]! : null;
    hosts.set(domain, { routes, catchAll: only !== null && only.path === '/' ? only : null });
  }
  pools.retainOnly(live);
  return { hosts, byRawHost: new Map() };
}
