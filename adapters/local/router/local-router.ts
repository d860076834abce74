import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router, RouteTableEntry } from '../../../core/ports.ts';
import { handleRequest } from './proxy.ts';
import { compileTable, emptyTable } from './route-table.ts';
import { type RouterLogger, type RouterState, type RouterStats, zeroStats } from './state.ts';
import { handleUpgrade } from './upgrade.ts';
import { UpstreamPools } from './upstream-pools.ts';

export interface LocalRouterOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port; listen() says which */
  readonly port: number;
  /** @default - nothing is logged */
  readonly logger?: RouterLogger;
  /** time a client has to send its request headers (slowloris guard) @default 10 s */
  readonly headersTimeoutMs?: number;
  /** time a client has to send its whole request, body included @default 300 s */
  readonly requestTimeoutMs?: number;
  /** idle time before a client keep-alive connection is closed @default 5 s */
  readonly keepAliveTimeoutMs?: number;
  /** how often the timeouts above are checked @default 1 s */
  readonly timeoutCheckIntervalMs?: number;
  /** the longest wait to connect to a backend, for its response headers, and between two body chunks @default 60 s */
  readonly upstreamTimeoutMs?: number;
  /** @default 16 KiB */
  readonly maxHeaderBytes?: number;
  /** connections to one backend at once; further requests queue @default 256 */
  readonly maxSocketsPerBackend?: number;
  /** @default 10000 */
  readonly maxConnections?: number;
  /** what X-Forwarded-Proto says, e.g. 'https' behind a TLS terminator @default 'http' */
  readonly forwardedProto?: string;
}

export class RouterNotListeningError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RouterNotListeningError';
  }
}

/**
 * The local platform's HTTP router: a reverse proxy on node:http that sends each
 * request to a healthy instance of the app routed at its Host and path.
 */
export class LocalRouter implements Router {
  private readonly options: LocalRouterOptions;
  private readonly server: Server;
  private readonly pools: UpstreamPools;
  private readonly state: RouterState;

  constructor(options: LocalRouterOptions) {
    this.options = options;
    const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 60_000;
    const maxSockets = options.maxSocketsPerBackend ?? 256;
    this.pools = new UpstreamPools({ maxSockets, timeoutMs: upstreamTimeoutMs });
    this.state = {
      table: emptyTable(),
      stats: zeroStats(),
      logger: options.logger,
      forward: { proto: options.forwardedProto ?? 'http', port: String(options.port) },
      tunnels: new Set(),
    };
    const headersTimeout = options.headersTimeoutMs ?? 10_000;
    this.server = createServer({
      maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024,
      headersTimeout,
      requestTimeout: options.requestTimeoutMs ?? 300_000,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
      connectionsCheckingInterval: options.timeoutCheckIntervalMs ?? Math.min(1_000, headersTimeout),
      noDelay: true,
    });
    this.server.maxConnections = options.maxConnections ?? 10_000;
    const state = this.state;
    this.server.on('request', (req, res) => handleRequest(state, req, res));
    this.server.on('upgrade', (req, socket, head) => handleUpgrade(state, req, socket, head));
    this.server.on('error', (err) => state.logger?.error('router: server error', { error: String(err) }));
  }

  async listen(): Promise<{ port: number }> {
    const { server } = this;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(
          new RouterNotListeningError(
            `router could not listen on ${this.options.host ?? '127.0.0.1'}:${this.options.port}: ${err.message}; choose another port with --router-port`,
            { cause: err },
          ),
        );
      };
      server.once('error', onError);
      server.listen(this.options.port, this.options.host ?? '127.0.0.1', () => {
        server.off('error', onError);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    this.state.forward = { ...this.state.forward, port: String(port) };
    this.state.logger?.info('router: listening', { port });
    return { port };
  }

  /** Swaps the whole table at once; requests in flight finish on the backends they started on. */
  async setTable(table: readonly RouteTableEntry[]): Promise<void> {
    this.state.table = compileTable(table, this.pools, this.state.table);
  }

  /** A copy of the counters since start. */
  stats(): RouterStats {
    return { ...this.state.stats };
  }

  /** Stops listening, ends every client and upstream connection (websockets included). */
  async close(): Promise<void> {
    const wasListening = this.server.listening;
    const closed = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
    });
    this.server.closeAllConnections();
    for (const tunnel of this.state.tunnels) tunnel.destroy();
    this.state.tunnels.clear();
    this.pools.destroyAll();
    if (wasListening) await closed;
  }
}
