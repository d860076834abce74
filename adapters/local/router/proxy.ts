import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
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

/** Upstream errors after which the upstream cannot have answered, in node:http's words. */
function errorCode(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  switch (code) {
    // undici's name for a connection the upstream closed before answering; node:http said ECONNRESET
    case 'UND_ERR_SOCKET':
      return 'ECONNRESET';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return UPSTREAM_TIMEOUT;
    // a pool closed because its backend left the table: the request was never sent
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return 'ECONNREFUSED';
    default:
      return code;
  }
}

/**
 * One client request and its (at most two) upstream attempts. It is undici's dispatch
 * handler itself, so a request costs this object and no stream on the upstream side:
 * the response is written to the client chunk by chunk, pausing upstream reads while
 * the client is slow.
 */
class HttpExchange implements Dispatcher.DispatchHandler {
  private readonly state: RouterState;
  private readonly req: IncomingMessage;
  private readonly res: ServerResponse;
  private readonly route: CompiledRoute;
  private readonly headers: string[];
  private readonly scan: RequestScan;
  private readonly pinnedValue: string;
  private backend: LiveBackend | null = null;
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private clientGone = false;
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
        this.clientGone = true;
        this.abortUpstream?.();
      }
    });
  }

  send(backend: LiveBackend): void {
    this.attempts++;
    this.backend = backend;
    this.abortUpstream = null;
    backend.pool.dispatcher.dispatch(
      {
        method: this.req.method as Dispatcher.HttpMethod,
        path: this.req.url!,
        headers: this.headers,
        body: this.scan.hasBody ? this.req : null,
      },
      this,
    );
  }

  onConnect(abort: (err?: Error) => void): void {
    // the client may have left while the request queued for a connection
    if (this.clientGone) abort();
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    const res = this.res;
    if (res.destroyed) {
      this.abortUpstream?.();
      return false;
    }
    const headers = clientResponseHeaders(latin1(raw));
    const backend = this.backend!;
    if (this.route.sticky && backend.cookieValue !== this.pinnedValue) {
      headers.push('set-cookie', `${STICKY_COOKIE}=${backend.cookieValue}; Path=/; HttpOnly; SameSite=Lax`);
    }
    res.writeHead(statusCode, statusText, headers);
    this.resumeUpstream = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resumeUpstream!);
    return false;
  }

  onComplete(): void {
    this.res.end();
  }

  onError(err: Error): void {
    const res = this.res;
    const { stats, logger } = this.state;
    if (res.headersSent || res.destroyed) {
      // the upstream died mid-body: the client must see a truncated response, not a hang
      res.destroy();
      return;
    }
    const backend = this.backend!;
    const code = errorCode(err);
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

/** undici hands response headers over as bytes; node:http writes strings. */
function latin1(raw: Buffer[]): string[] {
  const out = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i]!.toString('latin1');
  return out;
}
