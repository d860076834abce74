import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { Backend, RouteTableEntry } from '../../core/ports.ts';
import { LocalRouter, type LocalRouterOptions } from '../../adapters/local/router/index.ts';

export interface Upstream {
  readonly id: string;
  readonly port: number;
  readonly server: Server;
  /** TCP connections accepted so far */
  connections: number;
  /** requests seen so far */
  requests: number;
  backend(): Backend;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, upstream: Upstream) => void;

/** Answers with JSON naming itself, and echoing what it received. */
export const echoHandler: Handler = (req, res, upstream) => {
  const body = JSON.stringify({
    id: upstream.id,
    method: req.method,
    url: req.url,
    rawHeaders: req.rawHeaders,
  });
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': upstream.id });
  res.end(body);
};

export async function startUpstream(id: string, handler: Handler = echoHandler): Promise<Upstream> {
  const server = createServer();
  const upstream: Upstream = {
    id,
    port: 0,
    server,
    connections: 0,
    requests: 0,
    backend: () => ({ id, host: '127.0.0.1', port: upstream.port }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', () => upstream.connections++);
  server.on('request', (req, res) => {
    upstream.requests++;
    handler(req, res, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (upstream as { port: number }).port = (server.address() as AddressInfo).port;
  return upstream;
}

/** A port that was free a moment ago and has nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TestRouter {
  readonly router: LocalRouter;
  readonly port: number;
}

export async function startRouter(options: Partial<LocalRouterOptions> = {}): Promise<TestRouter> {
  const router = new LocalRouter({ port: 0, ...options });
  const { port } = await router.listen();
  return { router, port };
}

export function entry(
  domain: string,
  backends: readonly Backend[],
  more: Partial<RouteTableEntry> = {},
): RouteTableEntry {
  return {
    routeId: `r-${domain}${more.path ?? '/'}`,
    app: 'app',
    domain,
    path: '/',
    processType: 'web',
    leader: false,
    sticky: false,
    backends,
    ...more,
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: string[];
  readonly body: string;
}

export const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

export function get(
  port: number,
  host: string,
  path = '/',
  options: { headers?: Record<string, string>; method?: string; body?: string; agent?: Agent | false } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host, ...options.headers },
        agent: options.agent ?? keepAlive,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The echo upstream's view of a request that went through the router. */
export interface Echo {
  id: string;
  method: string;
  url: string;
  rawHeaders: string[];
}

export function echoOf(reply: Reply): Echo {
  return JSON.parse(reply.body) as Echo;
}

/** Every value the upstream received for a header, by case-insensitive name. */
export function headerValues(echo: Echo, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < echo.rawHeaders.length; i += 2) {
    if (echo.rawHeaders[i]!.toLowerCase() === name) out.push(echo.rawHeaders[i + 1]!);
  }
  return out;
}

/** Sends bytes as they are (for requests node:http would refuse to make) and reads until the router closes. */
export function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let got = '';
    socket.on('data', (c: Buffer) => {
      got += c.toString();
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}
