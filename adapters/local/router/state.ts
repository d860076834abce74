import type { Duplex } from 'node:stream';
import type { ForwardContext } from './headers.ts';
import type { CompiledRoute, CompiledTable, LiveBackend } from './route-table.ts';

/** Structured logger; Powertools' Logger and the platform's local logger both fit. */
export interface RouterLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Counters since the router started; `errors` counts every 5xx the router itself produced. */
export interface RouterStats {
  requests: number;
  errors: number;
  notFound: number;
  unavailable: number;
  badGateway: number;
  gatewayTimeout: number;
  retries: number;
  upgrades: number;
  activeUpgrades: number;
  clientAborts: number;
}

export function zeroStats(): RouterStats {
  return {
    requests: 0,
    errors: 0,
    notFound: 0,
    unavailable: 0,
    badGateway: 0,
    gatewayTimeout: 0,
    retries: 0,
    upgrades: 0,
    activeUpgrades: 0,
    clientAborts: 0,
  };
}

/** What the request handlers share with the router that owns them. */
export interface RouterState {
  table: CompiledTable;
  readonly stats: RouterStats;
  readonly logger: RouterLogger | undefined;
  forward: ForwardContext;
  /** upgraded (websocket) connections, closed with the router */
  readonly tunnels: Set<Duplex>;
}

/** A backend that refused a connection is skipped by new requests for this long. */
const DOWN_FOR_MS = 1000;

export function markDown(backend: LiveBackend): void {
  backend.pool.downUntil = Date.now() + DOWN_FOR_MS;
}

/**
 * Round robin, skipping backends marked down and `avoid` (the one that just failed).
 * When every backend is down it still returns one: a refused connect is cheap and the
 * instance may be back.
 */
export function pickBackend(route: CompiledRoute, avoid: LiveBackend | null): LiveBackend | null {
  const list = route.backends;
  const n = list.length;
  if (n === 0) return null;
  let now = 0;
  let fallback: LiveBackend | null = null;
  for (let tries = 0; tries < n; tries++) {
    let i = route.next;
    if (i >= n) i = 0;
    route.next = i + 1;
    const b = list[i]!;
    if (b === avoid) continue;
    const down = b.pool.downUntil;
    if (down !== 0) {
      if (now === 0) now = Date.now();
      if (down > now) {
        fallback ??= b;
        continue;
      }
      b.pool.downUntil = 0;
    }
    return b;
  }
  return fallback;
}

/** Plain IPv4 for X-Forwarded-For when the router listens on a dual-stack socket. */
export function clientAddressOf(remote: string | undefined): string {
  if (remote === undefined) return 'unknown';
  return remote.startsWith('::ffff:') ? remote.slice(7) : remote;
}
