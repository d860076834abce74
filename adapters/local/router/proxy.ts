import { type ClientRequest, type IncomingMessage, request, type ServerResponse } from 'node:http';
import {
  badGatewayPage,
  badRequestPage,
  gatewayTimeoutPage,
  noInstancesPage,
  sendPage,
  unknownHostPage,
  unknownPathPage,
} from './error-pages.ts';
import {
  clientResponseHeaders,
  cookieValue,
  newScan,
  type RequestScan,
  upstreamRequestHeaders,
} from './headers.ts';
import {
  type CompiledRoute,
  hostKey,
  type LiveBackend,
  lookupHost,
  matchPath,
  STICKY_COOKIE,
} from './route-table.ts';
import { clientAddressOf, markDown, pickBackend, type RouterState } from './state.ts';

/** Methods that may be sent twice (RFC 9110 9.2.2), so a failed attempt can go to another backend. */
function isIdempotent(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'PUT':
    case 'DELETE':
    case 'TRACE':
      return true;
    default:
      return false;
  }
}

/** Connection-level failures, after which the upstream cannot have answered. */
function isConnectionError(code: string | undefined): boolean {
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNREFUSED' || code === 'ECONNABORTED';
}

const UPSTREAM_TIMEOUT = 'UPSTREAM_TIMEOUT';

export function handleRequest(state: RouterState, req: IncomingMessage, res: ServerResponse): void {
  const stats = state.stats;
  stats.requests++;
  const url = req.url!;
  const scan = newScan();
  const headers = upstreamRequestHeaders(
    req.rawHeaders,
    clientAddressOf(req.socket.remoteAddress),
    state.forward,
    false,
    scan,
  );
  if (url.charCodeAt(0) !== 47 /* / */) {
    sendPage(
      res,
      badRequestPage(`request target "${url.slice(0, 200)}" must be a path starting with '/'`),
      '',
    );
    return;
  }
  if (scan.duplicateHost) {
    sendPage(
      res,
      badRequestPage('the request has more than one Host header: send exactly one'),
      scan.requestId,
    );
    return;
  }
  const host = lookupHost(state.table, scan.host);
  if (host === null) {
    stats.notFound++;
    sendPage(res, unknownHostPage(scan.host, hostKey(scan.host)), scan.requestId);
    return;
  }
  const route = matchPath(host, url);
  if (route === null) {
    stats.notFound++;
    sendPage(res, unknownPathPage(scan.host, hostKey(scan.host), url), scan.requestId);
    return;
  }
  let pinned: LiveBackend | null = null;
  let pinnedValue = '';
  if (route.byCookie !== null) {
    pinnedValue = cookieValue(scan.cookie, STICKY_COOKIE);
    const b = pinnedValue === '' ? undefined : route.byCookie.get(pinnedValue);
    if (b !== undefined && (b.pool.downUntil === 0 || b.pool.downUntil < Date.now())) pinned = b;
  }
  const backend = pinned ?? pickBackend(route, null);
  if (backend === null) {
    stats.unavailable++;
    stats.errors++;
    sendPage(res, noInstancesPage(route.app), scan.requestId);
    return;
  }
  new HttpExchange(state, req, res, route, headers, scan, pinnedValue).send(backend);
}

/** One client request and its (at most two) upstream attempts. */
class HttpExchange {
  private readonly state: RouterState;
  private readonly req: IncomingMessage;
  private readonly res: ServerResponse;
  private readonly route: CompiledRoute;
  private readonly headers: string[];
  private readonly scan: RequestScan;
  private readonly pinnedValue: string;
  private upstream: ClientRequest | null = null;
  private attempts = 0;

  constructor(
    state: RouterState,
    req: IncomingMessage,
    res: ServerResponse,
    route: CompiledRoute,
    headers: string[],
    scan: RequestScan,
    pinnedValue: string,
  ) {
    this.state = state;
    this.req = req;
    this.res = res;
    this.route = route;
    this.headers = headers;
    this.scan = scan;
    this.pinnedValue = pinnedValue;
    res.on('close', () => {
      // the client went away before its response was complete: free the upstream too
      if (!res.writableFinished) {
        this.state.stats.clientAborts++;
        this.upstream?.destroy();
      }
    });
    if (scan.hasBody) req.on('error', () => this.upstream?.destroy());
  }

  send(backend: LiveBackend): void {
    this.attempts++;
    const pool = backend.pool;
    const up = request({
      host: pool.host,
      port: pool.port,
      method: this.req.method,
      path: this.req.url,
      headers: this.headers,
      agent: pool.agent,
      setHost: false,
    });
    this.upstream = up;
    up.on('response', (upRes) => this.onResponse(up, upRes, backend));
    up.on('error', (err) => this.onError(up, err as NodeJS.ErrnoException, backend));
    up.on('timeout', () =>
      up.destroy(Object.assign(new Error('upstream timed out'), { code: UPSTREAM_TIMEOUT })),
    );
    if (this.scan.hasBody) this.req.pipe(up);
    else up.end();
  }

  private onResponse(up: ClientRequest, upRes: IncomingMessage, backend: LiveBackend): void {
    const res = this.res;
    if (up !== this.upstream || res.destroyed) {
      upRes.destroy();
      return;
    }
    const headers = clientResponseHeaders(upRes.rawHeaders);
    if (this.route.sticky && backend.cookieValue !== this.pinnedValue) {
      headers.push('set-cookie', `${STICKY_COOKIE}=${backend.cookieValue}; Path=/; HttpOnly; SameSite=Lax`);
    }
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, headers);
    upRes.pipe(res);
    upRes.on('close', () => {
      // the upstream died mid-body: the client must see a truncated response, not a hang
      if (!upRes.complete) res.destroy();
    });
  }

  private onError(up: ClientRequest, err: NodeJS.ErrnoException, backend: LiveBackend): void {
    if (up !== this.upstream) return;
    const res = this.res;
    const { stats, logger } = this.state;
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const code = err.code ?? 'EUNKNOWN';
    if (code === 'ECONNREFUSED') markDown(backend);
    const retryable =
      this.attempts === 1 &&
      !this.scan.hasBody &&
      (code === 'ECONNREFUSED' || (isConnectionError(code) && isIdempotent(this.req.method!)));
    if (retryable) {
      // a stale keep-alive socket is no sign the backend is gone, so one backend is retried in place
      const next = pickBackend(this.route, this.route.backends.length > 1 ? backend : null);
      if (next !== null) {
        stats.retries++;
        this.send(next);
        return;
      }
    }
    stats.errors++;
    if (code === UPSTREAM_TIMEOUT) {
      stats.gatewayTimeout++;
      sendPage(res, gatewayTimeoutPage(this.route.app, backend.id), this.scan.requestId);
    } else {
      stats.badGateway++;
      sendPage(res, badGatewayPage(this.route.app, backend.id, code), this.scan.requestId);
    }
    logger?.warn('router: upstream failed', {
      app: this.route.app,
      instance: backend.id,
      code,
      requestId: this.scan.requestId,
    });
  }
}
