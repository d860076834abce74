/** Loopback helpers: free ports and protocol pings used as readiness checks. */
import { request } from 'node:http';
import { connect } from 'node:net';
import { pickFreePort } from '../loopback-ports.ts';

export const LOOPBACK = '127.0.0.1';

/** A free loopback port for a resource server (below the kernel's ephemeral range). */
export function freePort(): Promise<number> {
  return pickFreePort();
}

/** Connects, writes `send`, and resolves with what the server answered until `done` says enough. */
export function tcpExchange(
  port: number,
  send: string | null,
  done: (received: Buffer) => boolean,
  timeoutMs = 1000,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LOOPBACK, port });
    let received = Buffer.alloc(0);
    const finish = (error: Error | null) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(received);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer on port ${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('connect', () => {
      if (send !== null) socket.write(send);
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (done(received)) finish(null);
    });
    socket.on('error', (e) => finish(e));
    socket.on('close', () => finish(done(received) ? null : new Error(`port ${port} closed the connection`)));
  });
}

export function isPortOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: LOOPBACK, port });
    const finish = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('connect', () => finish(true));
    socket.on('error', () => finish(false));
  });
}

/** One HTTP request to the loopback server; resolves with status and body. */
export function httpRequest(
  port: number,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string },
  timeoutMs = 2000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: LOOPBACK,
        port,
        method: options.method,
        path: options.path,
        headers: options.headers,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no HTTP answer on port ${port} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
