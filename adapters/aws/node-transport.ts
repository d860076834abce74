/**
 * The small JSON client's HTTP: one POST over node:http or node:https, loaded on the first
 * call (process.getBuiltinModule: no ES import, so importing this costs nothing). Its own
 * keep-alive agents, like the SDK's NodeHttpHandler: Node's global agent drops a socket
 * idle for 5 s, and warm Lambda invocations are usually further apart than that.
 */
import type { Agent as HttpAgent } from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  /** lower-case names */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export type Transport = (
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
) => Promise<HttpAnswer>;

/** The request got no whole answer within its deadline. */
export class TransportTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'TransportTimeoutError';
  }
}

/** Failures after which the request may be sent again: the SDK's list of network codes. */
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export function isRetryableNetworkError(e: unknown): boolean {
  return RETRYABLE_CODES.has(String((e as NodeJS.ErrnoException | null)?.code));
}

/**
 * Set on an error of a request sent on a kept-alive socket that the server had closed
 * meanwhile (a Lambda thawed after minutes): nothing reached the service, so it is resent
 * at once.
 */
export const STALE_SOCKET = Symbol('stale socket');

const agents = new Map<string, HttpAgent>();

function agentFor(protocol: string): HttpAgent {
  let agent = agents.get(protocol);
  if (!agent) {
    const mod =
      protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http');
    agent = new mod.Agent({ keepAlive: true, maxSockets: 50 });
    agents.set(protocol, agent);
  }
  return agent;
}

export const nodeTransport: Transport = (url, headers, body, timeoutMs) =>
  new Promise((resolve, reject) => {
    const mod =
      url.protocol === 'https:'
        ? process.getBuiltinModule('node:https')
        : process.getBuiltinModule('node:http');
    let answered = false;
    const req = mod.request(
      url,
      {
        method: 'POST',
        agent: agentFor(url.protocol),
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(deadline);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', fail);
      },
    );
    // a deadline for the whole exchange, connect included (not an idle timeout)
    const deadline = setTimeout(() => req.destroy(new TransportTimeoutError(timeoutMs)), timeoutMs);
    function fail(e: Error) {
      clearTimeout(deadline);
      if (req.reusedSocket && !answered && (e as NodeJS.ErrnoException).code === 'ECONNRESET') {
        Object.assign(e, { [STALE_SOCKET]: true });
      }
      reject(e);
    }
    req.on('error', fail);
    req.end(body);
  });
