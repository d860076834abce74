/**
 * Discovery, health checks and leaders on the real local platform: `wharf up` as a
 * process, the discovery example pushed with git, and real DNS queries through node's
 * own resolver to the platform's DNS server. The steps share one platform and build on
 * each other, in order, as a user's session would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceLabel, instanceName, leaderName, serviceName, srvName } from '../../core/discovery/names.ts';
import type { Instance } from '../../core/domain.ts';
import { httpGet, TestPlatform } from '../helpers/platform.ts';
import { a, type Answer, labelOf, post, srv, srvOrEmpty, Traffic, until } from './helpers.ts';

const platform = new TestPlatform();
const APP = 'disco';
const ZONE = 'wharf.internal';
const HOST = `${APP}.localhost`;
const LEADER_HOST = `leader-${APP}.localhost`;
let repo = '';

beforeAll(async () => {
  await platform.start();
  repo = await platform.appRepo('discovery');
}, 60_000);

afterAll(async () => {
  await platform.stop();
  platform.cleanup();
});

async function instances(type: string): Promise<Instance[]> {
  return (await platform.client().instances(APP)).filter((i) => i.processType === type && !i.oneOff);
}

/** Web instances oldest first: the order in which they lead. */
async function webByAge(): Promise<Instance[]> {
  return (await instances('web')).sort(
    (x, y) => x.startedAt.localeCompare(y.startedAt) || x.id.localeCompare(y.id),
  );
}

async function answer(host = HOST): Promise<Answer> {
  const r = await httpGet(platform.routerPort, host);
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body) as Answer;
}

/** The DNS label of the leader's instance id (see instanceLabel). */
async function leaderLabel(): Promise<string> {
  const records = await srv(platform.dns, leaderName(APP, 'web', ZONE));
  expect(records).toHaveLength(1);
  return labelOf(records[0]!.name);
}

/** Waits until SRV lists exactly the web instances the platform runs, all up. */
async function allWebListed(count: number): Promise<Instance[]> {
  return until(
    async () => {
      const web = await instances('web');
      const ports = (await srvOrEmpty(platform.dns, srvName(APP, 'web', ZONE))).map((r) => r.port).sort();
      const up = web.filter((i) => i.state === 'up');
      return up.length === count &&
        ports.join() ===
          up
            .map((i) => i.port)
            .sort()
            .join()
        ? up
        : undefined;
    },
    20_000,
    `${count} web instances in SRV`,
  );
}

describe('discovery on the local platform', () => {
  it('takes the example with its health checks from wharf.json and the CLI', async () => {
    expect((await platform.cli(['create', APP], repo)).code).toBe(0);
    const set = await platform.cli(
      [
        'health',
        'set',
        'worker',
        '--tcp',
        '--interval',
        '200ms',
        '--threshold',
        '2',
        '--start-timeout',
        '5s',
        '-a',
        APP,
      ],
      repo,
    );
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toContain('worker: tcp every 200ms, timeout 2s, threshold 2, start timeout 5s');
    const bad = await platform.cli(
      ['health', 'set', 'worker', '--tcp', '--interval', 'soon', '-a', APP],
      repo,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('healthchecks.worker.interval');
    const push = await platform.git(['push', 'wharf', 'main'], repo);
    expect(push.code, push.stderr).toBe(0);
    const table = await platform.cli(['health', '-a', APP]);
    expect(table.stdout).toMatch(
      /^web\s+http GET \/health every 200ms, timeout 150ms, threshold 2, start timeout 10s$/m,
    );
    expect(table.stdout).toMatch(/^worker\s+tcp every 200ms/m);
    const shown = await platform.cli(['health', 'show', '--json', '-a', APP]);
    const { health } = JSON.parse(shown.stdout) as { health: Record<string, Record<string, unknown>> };
    expect(health['web']).toMatchObject({ kind: 'http', path: '/health', intervalMs: 200, threshold: 2 });
    expect(health['worker']).toMatchObject({ kind: 'tcp', intervalMs: 200, startTimeoutMs: 5000 });
  }, 180_000);

  it('scaled to web=3, answers any (A), SRV, one instance and the leader by DNS', async () => {
    const scaled = await platform.cli(['scale', 'web=3', 'worker=1', '-a', APP]);
    expect(scaled.code, scaled.stderr).toBe(0);
    const web = await allWebListed(3);
    const ports = web.map((i) => i.port).sort();

    // Every address is 127.0.0.1 locally, so the SRV ports tell the instances apart.
    expect(await a(platform.dns, serviceName(APP, 'web', ZONE))).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
    ]);
    const records = await srv(platform.dns, srvName(APP, 'web', ZONE));
    expect(records.map((r) => r.port).sort()).toEqual(ports);
    expect(records.map((r) => r.name).sort()).toEqual(
      web.map((i) => instanceName(APP, 'web', i.id, ZONE)).sort(),
    );
    for (const i of web) {
      expect(await a(platform.dns, instanceName(APP, 'web', i.id, ZONE))).toEqual(['127.0.0.1']);
      expect((await srv(platform.dns, instanceName(APP, 'web', i.id, ZONE))).map((r) => r.port)).toEqual([
        i.port,
      ]);
    }
    await expect(a(platform.dns, instanceName(APP, 'web', 'web.nosuch', ZONE))).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });

    const oldest = (await webByAge())[0]!;
    expect(await leaderLabel()).toBe(instanceLabel(oldest.id));
    expect((await srv(platform.dns, leaderName(APP, 'web', ZONE)))[0]!.port).toBe(oldest.port);
    expect(await a(platform.dns, leaderName(APP, 'web', ZONE))).toEqual(['127.0.0.1']);

    // Each instance knows from the watch stream whether it leads: only the oldest says so.
    const said = await until(
      async () => {
        const seen = new Map<string, boolean>();
        for (let k = 0; k < 15; k++) {
          const r = await answer();
          seen.set(r.instance, r.leader);
        }
        return seen.size === 3 ? seen : undefined;
      },
      10_000,
      'answers from all three web instances',
    );
    expect([...said].filter(([, leads]) => leads).map(([id]) => id)).toEqual([oldest.id]);
  }, 90_000);

  it('the web process calls its worker by discovery name', async () => {
    const [worker] = await until(
      async () => {
        const list = await instances('worker');
        const listed = await srvOrEmpty(platform.dns, srvName(APP, 'worker', ZONE));
        return list.length === 1 && listed.length === 1 ? list : undefined;
      },
      20_000,
      'the worker in SRV',
    );
    const r = await httpGet(platform.routerPort, HOST, '/worker/hello');
    expect(r.status, r.body).toBe(200);
    const body = JSON.parse(r.body) as {
      web: string;
      worker: { worker: string; answer: string; via: { name: string; address: string; port: number } };
    };
    expect(body.worker).toMatchObject({
      worker: worker!.id,
      answer: 'worked on /hello',
      via: { name: instanceName(APP, 'worker', worker!.id, ZONE), address: '127.0.0.1', port: worker!.port },
    });
  }, 30_000);

  it('a leader-only route reaches only the leader', async () => {
    const added = await platform.cli(['route', 'add', LEADER_HOST, '--leader', '-a', APP]);
    expect(added.code, added.stderr).toBe(0);
    const leader = await leaderLabel();
    const served = new Set<string>();
    for (let k = 0; k < 20; k++) {
      const r = await answer(LEADER_HOST);
      expect(r.leader).toBe(true);
      served.add(instanceLabel(r.instance));
    }
    expect([...served]).toEqual([leader]);
  }, 30_000);

  it('killing the leader elects the next oldest, in DNS, in the app and in the leader route', async () => {
    const ps = JSON.parse((await platform.cli(['ps', '--json', '-a', APP])).stdout) as Instance[];
    const [first, second] = ps
      .filter((i) => i.processType === 'web')
      .sort((x, y) => x.startedAt.localeCompare(y.startedAt) || x.id.localeCompare(y.id));
    expect(await leaderLabel()).toBe(instanceLabel(first!.id));

    const killedAt = performance.now();
    process.kill(first!.pid!, 'SIGKILL');
    const next = await until(
      async () => {
        const leader = (await srvOrEmpty(platform.dns, leaderName(APP, 'web', ZONE)))[0];
        return leader && labelOf(leader.name) !== instanceLabel(first!.id) ? labelOf(leader.name) : undefined;
      },
      10_000,
      'DNS to name another leader',
    );
    const dnsMs = performance.now() - killedAt;
    expect(next).toBe(instanceLabel(second!.id));
    await until(
      async () => {
        const r = await answer(LEADER_HOST);
        return r.instance === second!.id && r.leader ? r : undefined;
      },
      10_000,
      'the new leader to know it leads, through the leader route',
    );
    const appMs = performance.now() - killedAt;
    console.log(
      `leader killed (kill -9): DNS named the next oldest after ${dnsMs.toFixed(0)} ms; ` +
        `it said so itself (watch stream) through the leader route after ${appMs.toFixed(0)} ms`,
    );

    // The killed instance comes back, youngest now, and leadership stays where it is.
    await until(
      async () => {
        const back = (await instances('web')).find((i) => i.id === first!.id);
        return back && back.restarts >= 1 && back.pid !== first!.pid ? back : undefined;
      },
      20_000,
      'the killed leader to restart',
    );
    await allWebListed(3);
    expect(await leaderLabel()).toBe(instanceLabel(second!.id));
  }, 60_000);

  it('an instance whose HTTP check fails leaves discovery and the router, and comes back after its restart', async () => {
    const leader = await leaderLabel();
    const victim = (await allWebListed(3)).find((i) => instanceLabel(i.id) !== leader)!;
    const victimName = instanceName(APP, 'web', victim.id, ZONE);
    const srvNames = async () =>
      (await srvOrEmpty(platform.dns, srvName(APP, 'web', ZONE))).map((r) => r.name);
    const traffic = new Traffic(platform.routerPort, HOST);
    await until(
      async () => (traffic.served.some((s) => s.pid === victim.pid) ? true : undefined),
      10_000,
      'traffic to reach the victim',
    );

    const failedAt = performance.now();
    expect(await post(victim.port, '/fail')).toBe(200);
    await until(
      async () => ((await srvNames()).includes(victimName) ? undefined : true),
      10_000,
      'the victim to leave SRV',
    );
    const leftAt = performance.now();
    const back = await until(
      async () => {
        const now = (await instances('web')).find((i) => i.id === victim.id);
        const listed = (await srvNames()).includes(victimName);
        return now && listed && now.pid !== victim.pid && now.restarts > victim.restarts ? now : undefined;
      },
      20_000,
      'the victim to restart and pass its check again',
    );
    const backAt = performance.now();
    await until(
      async () => (traffic.served.some((s) => s.pid === back.pid) ? true : undefined),
      10_000,
      'traffic to reach the restarted victim',
    );
    await traffic.stop();

    const fromFailing = traffic.served.filter((s) => s.pid === victim.pid);
    const afterLeaving = fromFailing.filter((s) => s.sentAt >= leftAt);
    console.log(
      `health check failing (http, interval 200 ms, threshold 2): out of DNS after ${(leftAt - failedAt).toFixed(0)} ms, ` +
        `back after its restart at ${(backAt - failedAt).toFixed(0)} ms; through the router: ` +
        `${traffic.served.length} requests ok, ${traffic.failures.length} failed, ` +
        `${afterLeaving.length} sent to the failing process after it left DNS`,
    );
    expect(traffic.failures).toEqual([]);
    expect(afterLeaving).toEqual([]);
    expect(await leaderLabel()).toBe(leader);
  }, 60_000);
});
