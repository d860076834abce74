import { Agent } from 'node:http';

/**
 * One keep-alive connection pool per backend address (host:port), kept across table
 * swaps so that a table push (which happens after every deploy step) does not throw
 * away warm upstream connections. A backend that leaves the table is retired: its
 * in-flight requests finish, then its pool is destroyed.
 */
export interface UpstreamPool {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly agent: Agent;
  /** Date.now() until which new requests avoid this backend, after a refused connect */
  downUntil: number;
  retired: boolean;
}

export interface UpstreamPoolOptions {
  readonly maxSockets: number;
  readonly maxFreeSockets: number;
  /** idle time after which an upstream socket is closed, and the longest wait on a response */
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
      pool = {
        key,
        host,
        port,
        agent: new Agent({
          keepAlive: true,
          // a hot (most recently used) socket is the one least likely to have been closed by the upstream
          scheduling: 'lifo',
          maxSockets: this.options.maxSockets,
          maxFreeSockets: this.options.maxFreeSockets,
          timeout: this.options.timeoutMs,
        }),
        downUntil: 0,
        retired: false,
      };
      this.pools.set(key, pool);
    }
    pool.retired = false;
    return pool;
  }

  /** Retires every pool whose key is not in `live`, then destroys the retired ones that are idle. */
  retainOnly(live: ReadonlySet<string>): void {
    for (const pool of this.pools.values()) {
      if (!live.has(pool.key)) pool.retired = true;
    }
    this.sweep();
  }

  /** Destroys retired pools with no request in flight. */
  sweep(): void {
    for (const [key, pool] of this.pools) {
      if (pool.retired && Object.keys(pool.agent.sockets).length === 0) {
        pool.agent.destroy();
        this.pools.delete(key);
      }
    }
  }

  get size(): number {
    return this.pools.size;
  }

  destroyAll(): void {
    for (const pool of this.pools.values()) pool.agent.destroy();
    this.pools.clear();
  }
}
