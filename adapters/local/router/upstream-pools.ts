import { Pool } from 'undici';

/**
 * One keep-alive connection pool per backend address (host:port), kept across table
 * swaps so that a table push (which happens after every deploy step) does not throw
 * away warm upstream connections. A backend that leaves the table is retired: its
 * pool is closed, which lets its in-flight and queued requests finish, then ends its
 * connections.
 */
export interface UpstreamPool {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  /** undici's pool: its dispatch() is a cheaper upstream client than node:http's request() */
  readonly dispatcher: Pool;
  /** Date.now() until which new requests avoid this backend, after a refused connect */
  downUntil: number;
}

export interface UpstreamPoolOptions {
  readonly maxSockets: number;
  /** the longest wait to connect, for response headers, and between two body chunks */
  readonly timeoutMs: number;
}

export class UpstreamPools {
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly options: UpstreamPoolOptions;

  constructor(options: UpstreamPoolOptions) {
    this.options = options;
  }

  get(host: string, port: number): UpstreamPool {
    const key = `${host}:${port}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const timeout = this.options.timeoutMs;
      pool = {
        key,
        host,
        port,
        dispatcher: new Pool(`http://${host.includes(':') ? `[${host}]` : host}:${port}`, {
          connections: this.options.maxSockets,
          connectTimeout: timeout,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        }),
        downUntil: 0,
      };
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Retires every pool whose key is not in `live`: closed once its requests are done. */
  retainOnly(live: ReadonlySet<string>): void {
    for (const [key, pool] of this.pools) {
      if (live.has(key)) continue;
      this.pools.delete(key);
      void pool.dispatcher.close().catch(() => undefined);
    }
  }

  get size(): number {
    return this.pools.size;
  }

  destroyAll(): void {
    for (const pool of this.pools.values()) void pool.dispatcher.destroy().catch(() => undefined);
    this.pools.clear();
  }
}
