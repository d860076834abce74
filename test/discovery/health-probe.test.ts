import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthCheck } from '../../core/domain.ts';
import { LocalHealthProbe, statusPasses } from '../../adapters/local/health-probe.ts';

const tcp: HealthCheck = {
  kind: 'tcp',
  intervalMs: 2000,
  timeoutMs: 300,
  threshold: 2,
  startTimeoutMs: 10_000,
};
const httpCheck = (path: string, status?: number): HealthCheck => ({
  ...tcp,
  kind: 'http',
  path,
  ...(status !== undefined && { status }),
});

let app: http.Server;
let appPort: number;
let statusNow = 200;
const paths: string[] = [];

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

beforeAll(async () => {
  app = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/hang') return; // never answers
    res.writeHead(req.url === '/redirect' ? 302 : statusNow).end('ok');
  });
  app.keepAliveTimeout = 60_000;
  appPort = await listen(app);
});

afterAll(async () => {
  app.closeAllConnections();
  await new Promise((r) => app.close(r));
});

async function connectionsOf(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((_e, n) => resolve(n)));
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 10));
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

describe('LocalHealthProbe', () => {
  const probe = new LocalHealthProbe();

  it('passes a tcp check when something listens and fails it when nothing does', async () => {
    expect(await probe.check({ host: '127.0.0.1', port: appPort }, tcp)).toBe(true);
    expect(await probe.check({ host: '127.0.0.1', port: await closedPort() }, tcp)).toBe(false);
  });

  it('GETs the path and compares the status: exact when configured, 2xx-3xx when not', async () => {
    statusNow = 200;
    expect(await probe.check({ host: '127.0.0.1', port: appPort }, httpCheck('/health'))).toBe(true);
    expect(paths.at(-1)).toBe('/health');
    expect(await probe.check({ host: '127.0.0.1', port: appPort }, httpCheck('/redirect'))).toBe(true);
    expect(await probe.check({ host: '127.0.0.1', port: appPort }, httpCheck('/redirect', 200))).toBe(false);
    statusNow = 503;
    expect(await probe.check({ host: '127.0.0.1', port: appPort }, httpCheck('/health'))).toBe(false);
    statusNow = 204;
    expect(await probe.check({ host: '127.0.0.1', port: appPort }, httpCheck('/health', 204))).toBe(true);
    expect(statusPasses(399, undefined)).toBe(true);
    expect(statusPasses(400, undefined)).toBe(false);
  });

  it('fails a check that outlives its timeout, and leaves no connection open behind it', async () => {
    expect(await probe.check({ host: '127.0.0.1', port: appPort }, httpCheck('/hang'))).toBe(false);
    statusNow = 200;
    for (let k = 0; k < 5; k++) await probe.check({ host: '127.0.0.1', port: appPort }, httpCheck('/health'));
    // The server keeps idle connections for 60 s, so only the client closing them brings this to 0.
    await until(async () => (await connectionsOf(app)) === 0);
    expect(await connectionsOf(app)).toBe(0);
  });

  it('fails an http check against a port where nothing listens', async () => {
    expect(await probe.check({ host: '127.0.0.1', port: await closedPort() }, httpCheck('/'))).toBe(false);
  });
});
