/**
 * DNS and traffic helpers for the discovery end-to-end test: real queries to the
 * platform's resolver with node's own client, and a steady stream of requests through
 * the router that records who answered.
 */
import { Resolver } from 'node:dns/promises';
import { request } from 'node:http';
import type { SrvRecord } from 'node:dns';
import { httpGet } from '../helpers/platform.ts';

/**
 * A resolver pointed at the platform's DNS. A new one per query: c-ares caches answers
 * for their TTL per channel, and the tests watch answers change.
 */
function resolver(dns: string): Resolver {
  const r = new Resolver({ timeout: 500, tries: 3 });
  r.setServers([dns]);
  return r;
}

export function srv(dns: string, name: string): Promise<SrvRecord[]> {
  return resolver(dns).resolveSrv(name);
}

export function a(dns: string, name: string): Promise<string[]> {
  return resolver(dns).resolve4(name);
}

/** SRV records, or [] when the name has none now (NODATA) or is unknown. */
export async function srvOrEmpty(dns: string, name: string): Promise<SrvRecord[]> {
  try {
    return await srv(dns, name);
  } catch {
    return [];
  }
}

/** The instance's label in a target `LABEL.TYPE.APP.ZONE`. */
export function labelOf(target: string): string {
  return target.split('.')[0]!;
}

export interface Answer {
  readonly instance: string;
  readonly pid: number;
  readonly leader: boolean;
}

export interface Served extends Answer {
  /** performance.now() when the request was sent */
  readonly sentAt: number;
}

/** Requests through the router one after another until stop(); counts failures. */
export class Traffic {
  readonly served: Served[] = [];
  readonly failures: string[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(routerPort: number, host: string) {
    this.#done = (async () => {
      while (this.#running) {
        const sentAt = performance.now();
        try {
          const r = await httpGet(routerPort, host);
          if (r.status === 200) this.served.push({ ...(JSON.parse(r.body) as Answer), sentAt });
          else this.failures.push(`${r.status} ${r.body.slice(0, 200)}`);
        } catch (e) {
          this.failures.push(String(e));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }
}

/** A POST straight to one instance (not through the router). */
export function post(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` as fast as answers come until it returns a value other than undefined. */
export async function until<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  while (performance.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
