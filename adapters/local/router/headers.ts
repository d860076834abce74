/**
 * Header rewriting on the hot path. Headers stay in Node's flat raw form
 * ([name, value, name, value...]) from the client to the upstream and back, which
 * node:http writes out as is: no header object is built and no header is looked up twice.
 */
import { randomUUID } from 'node:crypto';

/** What the request scan found besides the headers to forward. */
export interface RequestScan {
  host: string;
  /** more than one Host header: ambiguous, refused (RFC 9112 3.2) */
  duplicateHost: boolean;
  cookie: string;
  /** true when the client sent a body (content-length > 0 or transfer-encoding) */
  hasBody: boolean;
  /** the X-Request-Id sent upstream: the client's when valid, else a new one */
  requestId: string;
}

/** What every request of one router forwards the same way. */
export interface ForwardContext {
  readonly proto: string;
  readonly port: string;
}

export function newScan(): RequestScan {
  return { host: '', duplicateHost: false, cookie: '', hasBody: false, requestId: '' };
}

const MAX_REQUEST_ID = 200;

/** A client's X-Request-Id is kept when it is 1-200 characters of [A-Za-z0-9._:+/=-]; no regex here. */
export function isValidRequestId(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > MAX_REQUEST_ID) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 45 ||
      c === 46 ||
      c === 95 ||
      c === 58 ||
      c === 43 ||
      c === 47 ||
      c === 61;
    if (!ok) return false;
  }
  return true;
}

/**
 * Copies the client's headers for the upstream: hop-by-hop headers dropped, the
 * X-Forwarded-* set (X-Forwarded-For appended to), X-Request-Id kept or made.
 * Fills `scan` as it goes so the caller reads Host, Cookie and body presence for free.
 */
export function upstreamRequestHeaders(
  raw: string[],
  clientAddress: string,
  ctx: ForwardContext,
  upgradeRequest: boolean,
  scan: RequestScan,
): string[] {
  const out: string[] = [];
  let xff = '';
  let requestId = '';
  let connection = '';
  let upgrade = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    switch (name.length) {
      case 2:
        if (name.toLowerCase() === 'te') continue;
        break;
      case 4:
        if (name.toLowerCase() === 'host') {
          if (scan.host !== '') scan.duplicateHost = true;
          scan.host = value;
        }
        break;
      case 6: {
        const lower = name.toLowerCase();
        if (lower === 'cookie') scan.cookie = scan.cookie === '' ? value : `${scan.cookie}; ${value}`;
        else if (lower === 'expect') continue; // this server answered 100-continue itself
        break;
      }
      case 7: {
        const lower = name.toLowerCase();
        if (lower === 'upgrade') {
          upgrade = value;
          continue;
        }
        if (lower === 'trailer') continue;
        break;
      }
      case 10: {
        const lower = name.toLowerCase();
        if (lower === 'connection') {
          connection = connection === '' ? value : `${connection}, ${value}`;
          continue;
        }
        if (lower === 'keep-alive') continue;
        break;
      }
      case 12:
        if (name.toLowerCase() === 'x-request-id') {
          requestId = value;
          continue;
        }
        break;
      case 14:
        if (name.toLowerCase() === 'content-length' && value !== '0') scan.hasBody = true;
        break;
      case 15:
        if (name.toLowerCase() === 'x-forwarded-for') {
          xff = xff === '' ? value : `${xff}, ${value}`;
          continue;
        }
        break;
      case 16: {
        const lower = name.toLowerCase();
        if (lower === 'proxy-connection' || lower === 'x-forwarded-host' || lower === 'x-forwarded-port') {
          continue;
        }
        break;
      }
      case 17: {
        const lower = name.toLowerCase();
        if (lower === 'transfer-encoding') {
          scan.hasBody = true;
          continue;
        }
        if (lower === 'x-forwarded-proto') continue;
        break;
      }
      case 19:
        if (name.toLowerCase() === 'proxy-authorization') continue;
        break;
    }
    out.push(name, value);
  }
  scan.requestId = isValidRequestId(requestId) ? requestId : randomUUID();
  out.push(
    'x-forwarded-for',
    xff === '' ? clientAddress : `${xff}, ${clientAddress}`,
    'x-forwarded-proto',
    ctx.proto,
    'x-forwarded-host',
    scan.host,
    'x-forwarded-port',
    ctx.port,
    'x-request-id',
    scan.requestId,
  );
  if (upgradeRequest && upgrade !== '') out.push('connection', 'Upgrade', 'upgrade', upgrade);
  if (connection !== '' && hasExtraTokens(connection)) return dropNamed(out, connection);
  return out;
}

function hasExtraTokens(connection: string): boolean {
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t !== '' && t !== 'keep-alive' && t !== 'close' && t !== 'upgrade') return true;
  }
  return false;
}

/** Headers named in Connection are hop-by-hop too (RFC 9110 7.6.1). */
function dropNamed(headers: string[], connection: string): string[] {
  const named = new Set(connection.split(',').map((t) => t.trim().toLowerCase()));
  named.delete('upgrade');
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!named.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
  }
  return out;
}

/** The upstream's response headers for the client, hop-by-hop dropped. */
export function clientResponseHeaders(raw: string[]): string[] {
  const out: string[] = [];
  let connection = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    switch (name.length) {
      case 7: {
        const lower = name.toLowerCase();
        if (lower === 'upgrade' || lower === 'trailer') continue;
        break;
      }
      case 10: {
        const lower = name.toLowerCase();
        if (lower === 'connection') {
          connection = value;
          continue;
        }
        if (lower === 'keep-alive') continue;
        break;
      }
      case 16:
        if (name.toLowerCase() === 'proxy-connection') continue;
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') continue;
        break;
      case 18:
        if (name.toLowerCase() === 'proxy-authenticate') continue;
        break;
    }
    out.push(name, value);
  }
  if (connection !== '' && hasExtraTokens(connection)) return dropNamed(out, connection);
  return out;
}

/** Reads one cookie's value from a Cookie header without parsing the others. */
export function cookieValue(header: string, name: string): string {
  if (header === '') return '';
  let from = 0;
  while (from < header.length) {
    const at = header.indexOf(name, from);
    if (at === -1) return '';
    const before = at === 0 ? 59 : header.charCodeAt(at - 1);
    if ((before === 59 || before === 32) && header.charCodeAt(at + name.length) === 61 /* = */) {
      const start = at + name.length + 1;
      const end = header.indexOf(';', start);
      return (end === -1 ? header.slice(start) : header.slice(start, end)).trim();
    }
    from = at + name.length;
  }
  return '';
}
