/**
 * The pieces together: three real HTTP instances checked by the HealthWatcher, the
 * DiscoveryPublisher electing the leader into the registry, and the DNS server and
 * watch stream answering from it. Killing the leader moves leadership to the next oldest.
 */
import http from 'node:http';
import type net from 'node:net';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthCheck } from '../../core/domain.ts';
import { DiscoveryPublisher, type LeaderChange } from '../../core/discovery/publisher.ts';
import { type DnsServer, startDnsServer } from '../../adapters/local/discovery/dns-server.ts';
import { HealthWatcher } from '../../adapters/local/discovery/health-watcher.ts';
import { DiscoveryRegistry } from '../../adapters/local/discovery/registry.ts';
import { LocalHealthProbe } from '../../adapters/local/health-probe.ts';

const check: HealthCheck = {
  kind: 'http',
  path: '/health',
  intervalMs: 50,
  timeoutMs: 200,
  threshold: 2,
  startTimeoutMs: 2000,
};

let registry: DiscoveryRegistry;
let dns: DnsServer;
const servers = new Map<string, http.Server>();

beforeAll(async () => {
  registry = new DiscoveryRegistry();
  dns = await startDnsServer({ registry, ttl: 1 });
});

afterAll(async () => {
  for (const s of servers.values()) {
    s.closeAllConnections();
    s.close();
  }
  await dns.close();
});

function startInstance(id: string): Promise<number> {
  const server = http.createServer((_req, res) => res.end(id));
  servers.set(id, server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 10));
}

describe('leader failover through health checks and DNS', () => {
  it('elects the oldest, and on its death the next oldest, visible by DNS', async () => {
    const leaderChanges: LeaderChange[] = [];
    const publisher = new DiscoveryPublisher(registry, { onLeaderChange: (c) => leaderChanges.push(c) });
    const watcher = new HealthWatcher({
      probe: new LocalHealthProbe(),
      onAction: (id, step) => {
        if (step.action === 'mark-healthy') void publisher.setHealthy('myapp', 'web', id, true);
        if (step.action === 'mark-unhealthy') void publisher.setHealthy('myapp', 'web', id, false);
        if (step.action === 'restart') void publisher.removeInstance('myapp', 'web', id);
      },
    });
    const resolver = new Resolver({ timeout: 500, tries: 2 });
    resolver.setServers([dns.address]);
    const leaderPort = async () => (await resolver.resolveSrv('leader.web.myapp.wharf.internal'))[0]?.port;
    try {
      const ports = new Map<string, number>();
      for (const [k, id] of ['i-1', 'i-2', 'i-3'].entries()) {
        const port = await startInstance(id);
        ports.set(id, port);
        const startedAt = new Date(Date.UTC(2024, 0, 1, 0, 0, k)).toISOString();
        await publisher.upsert('myapp', 'web', { id, host: '127.0.0.1', port, startedAt, healthy: false });
        watcher.watch({ id, host: '127.0.0.1', port, check });
        // One at a time, as a rolling deploy starts them: the first healthy instance leads and stays.
        await until(() => publisher.instances('myapp', 'web').some((i) => i.id === id && i.healthy));
      }
      await until(
        async () => (await resolver.resolve4('web.myapp.wharf.internal').catch(() => [])).length === 3,
      );
      await until(() => publisher.leader('myapp', 'web') === 'i-1');
      expect(await leaderPort()).toBe(ports.get('i-1'));

      const killedAt = performance.now();
      const leader = servers.get('i-1')!;
      leader.closeAllConnections();
      await new Promise((r) => leader.close(r));
      await until(async () => (await leaderPort().catch(() => undefined)) === ports.get('i-2'));
      const ms = performance.now() - killedAt;
      console.log(
        `leader failover by health checks (interval ${check.intervalMs} ms, threshold ${check.threshold}): ${ms.toFixed(0)} ms until DNS named i-2`,
      );
      expect((await resolver.resolveSrv('_web._tcp.myapp.wharf.internal')).map((r) => r.port).sort()).toEqual(
        [ports.get('i-2'), ports.get('i-3')].sort(),
      );
      expect(leaderChanges.map((c) => c.leaderId)).toEqual(['i-1', 'i-2']);
    } finally {
      watcher.close();
    }
  });
});
