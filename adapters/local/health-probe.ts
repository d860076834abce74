/**
 * The local HealthProbe: a TCP connect, or an HTTP GET on a fresh connection (no agent,
 * so no keep-alive socket outlives the check), both bounded by the check's timeout.
 * An HTTP check without a status passes on 2xx and 3xx, as load balancers do.
 */
import http from 'node:http';
import net from 'node:net';
import type { HealthCheck } from '../../core/domain.ts';
import type { HealthProbe } from '../../core/ports.ts';

export function statusPasses(status: number, expected: number | undefined): boolean {
  return expected === undefined ? status >= 200 && status < 400 : status === expected;
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function httpCheck(host: string, port: number, check: HealthCheck): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(ok);
    };
    const req = http.request({
      host,
      port,
      method: 'GET',
      path: check.path ?? '/',
      agent: false,
      headers: { connection: 'close', 'user-agent': 'wharf-health/1', accept: '*/*' },
    });
    // One timer for connect, headers and all: a check never takes longer than its timeout.
    const timer = setTimeout(() => done(false), check.timeoutMs);
    req.once('response', (res) => {
      const ok = statusPasses(res.statusCode ?? 0, check.status);
      res.resume();
      done(ok);
    });
    req.once('error', () => done(false));
    req.end();
  });
}

export class LocalHealthProbe implements HealthProbe {
  check(target: { host: string; port: number }, check: HealthCheck): Promise<boolean> {
    return check.kind === 'http'
      ? httpCheck(target.host, target.port, check)
      : tcpCheck(target.host, target.port, check.timeoutMs);
  }
}
