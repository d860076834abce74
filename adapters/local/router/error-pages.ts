import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Seconds a client should wait before retrying an app with no healthy instance. */
export const RETRY_AFTER_SECONDS = 2;

export interface ErrorPage {
  readonly status: number;
  readonly reason: string;
  readonly body: string;
  readonly retryAfter?: number;
}

/** Host names a client sent are echoed in a text/plain body; cap them and drop control characters. */
function printable(host: string): string {
  let out = '';
  for (let i = 0; i < host.length && i < 255; i++) {
    const c = host.charCodeAt(i);
    out += c < 32 || c === 127 ? '?' : host[i];
  }
  return out;
}

export function unknownHostPage(rawHost: string, key: string): ErrorPage {
  const shown = printable(key === '' ? rawHost : key);
  if (shown === '') {
    return {
      status: 404,
      reason: 'Not Found',
      body: 'no route: the request has no Host header. Send Host: <app>.localhost or a domain added with `wharf route add DOMAIN -a APP`.\n',
    };
  }
  const label = shown.endsWith('.localhost') ? shown.slice(0, -'.localhost'.length) : '';
  const create =
    label !== '' && !label.includes('.') ? ` (or create the app with \`wharf create ${label}\`)` : '';
  return {
    status: 404,
    reason: 'Not Found',
    body: `no route for host "${shown}": add one with \`wharf route add ${shown} -a APP\`${create}.\n`,
  };
}

export function unknownPathPage(rawHost: string, key: string, path: string): ErrorPage {
  const shown = printable(key === '' ? rawHost : key);
  return {
    status: 404,
    reason: 'Not Found',
    body: `no route for "${printable(path.split('?')[0] ?? '')}" on host "${shown}": add one with \`wharf route add ${shown}/PATH -a APP\`.\n`,
  };
}

export function noInstancesPage(app: string): ErrorPage {
  return {
    status: 503,
    reason: 'Service Unavailable',
    body: `no healthy instances of ${app}: scale it up with \`wharf scale web=1 -a ${app}\`, or see \`wharf ps -a ${app}\` and \`wharf log -a ${app}\`.\n`,
    retryAfter: RETRY_AFTER_SECONDS,
  };
}

export function badGatewayPage(app: string, instance: string, code: string): ErrorPage {
  return {
    status: 502,
    reason: 'Bad Gateway',
    body: `instance ${instance} of ${app} failed to answer (${code}): see \`wharf log -a ${app}\`.\n`,
  };
}

export function gatewayTimeoutPage(app: string, instance: string): ErrorPage {
  return {
    status: 504,
    reason: 'Gateway Timeout',
    body: `instance ${instance} of ${app} did not answer in time: see \`wharf log -a ${app}\`.\n`,
  };
}

export function badRequestPage(why: string): ErrorPage {
  return { status: 400, reason: 'Bad Request', body: `${why}\n` };
}

export function sendPage(res: ServerResponse, page: ErrorPage, requestId: string): void {
  const body = Buffer.from(page.body);
  const headers: string[] = [
    'content-type',
    'text/plain; charset=utf-8',
    'content-length',
    String(body.length),
    'x-content-type-options',
    'nosniff',
    'x-wharf-router',
    'error',
  ];
  if (requestId !== '') headers.push('x-request-id', requestId);
  if (page.retryAfter !== undefined) headers.push('retry-after', String(page.retryAfter));
  res.writeHead(page.status, headers);
  res.end(body);
}

/** The same page on a raw socket, for upgrade requests that never became a ServerResponse. */
export function sendPageOnSocket(socket: Duplex, page: ErrorPage): void {
  const body = Buffer.from(page.body);
  const retry = page.retryAfter !== undefined ? `Retry-After: ${page.retryAfter}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${page.status} ${page.reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\n${retry}Connection: close\r\n\r\n${page.body}`,
  );
}
