/**
 * Faults while an app runs, on a real platform with continuous traffic through the
 * router: a redeploy, a scale down, a kill -9 of an instance, and a kill -9 of the
 * platform itself in the middle of a deploy followed by a restart. One platform and one
 * app for the whole file, as each step starts from where the last one left off.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, Instance } from '../../api/contract.ts';
import { eventually, processesUnder, sleep, TestPlatform } from '../helpers/platform.ts';
import { describeTraffic, Traffic } from './traffic.ts';

const platform = new TestPlatform();
const APP = 'faulty';

async function currentRelease(): Promise<string> {
  const info = await platform.client().appInfo(APP);
  return `v${info.currentVersion}`;
}

async function webInstances(): Promise<Instance[]> {
  return (await platform.client().instances(APP)).filter((i) => i.processType === 'web');
}

beforeAll(async () => {
  await platform.start();
  const repo = await platform.appRepo('node-web');
  expect((await platform.cli(['create', APP], repo)).code).toBe(0);
  const push = await platform.git(['push', 'wharf', 'main'], repo);
  expect(push.code, push.stderr).toBe(0);
  const scaled = await platform.cli(['scale', 'web=3', '-a', APP]);
  expect(scaled.code, scaled.stderr).toBe(0);
  await eventually(
    async () => (await webInstances()).filter((i) => i.state === 'up').length === 3,
    30_000,
    'three web instances up',
  );
}, 180_000);

afterAll(async () => {
  await platform.stop();
  platform.cleanup();
});

describe('faults while serving', () => {
  it('a redeploy (restart of every instance, one by one) fails no request', async () => {
    const traffic = new Traffic(platform.routerPort, APP).start();
    const t0 = performance.now();
    await sleep(300);
    const r = await platform.cli(['restart', '-a', APP]);
    await sleep(300);
    const s = await traffic.stop();
    console.log(describeTraffic('redeploy', s, t0));
    expect(r.code, r.stderr).toBe(0);
    expect(s.ok).toBeGreaterThan(20);
    expect(s.failed).toEqual([]);
  }, 120_000);

  it('a scale down from 3 to 1 fails no request', async () => {
    const traffic = new Traffic(platform.routerPort, APP).start();
    const t0 = performance.now();
    await sleep(300);
    const r = await platform.cli(['scale', 'web=1', '-a', APP]);
    await sleep(1000); // the stopped instances drain and exit meanwhile
    const s = await traffic.stop();
    console.log(describeTraffic('scale down 3 -> 1', s, t0));
    expect(r.code, r.stderr).toBe(0);
    expect(await webInstances()).toHaveLength(1);
    expect(s.ok).toBeGreaterThan(20);
    expect(s.failed).toEqual([]);
  }, 120_000);

  it('a kill -9 of an instance fails at most the requests in flight on it', async () => {
    const scaled = await platform.cli(['scale', 'web=2', '-a', APP]);
    expect(scaled.code, scaled.stderr).toBe(0);
    await eventually(
      async () => (await webInstances()).filter((i) => i.state === 'up').length === 2,
      30_000,
      'two web instances up',
    );
    const victim = (await webInstances())[0]!;
    const traffic = new Traffic(platform.routerPort, APP).start();
    const t0 = performance.now();
    await sleep(500);
    const killedAt = performance.now();
    process.kill(victim.pid!, 'SIGKILL');
    await eventually(
      async () => {
        const now = (await webInstances()).find((i) => i.id === victim.id);
        return now && now.pid !== victim.pid && now.state === 'up' ? now : undefined;
      },
      30_000,
      'the killed instance to be restarted',
    );
    await sleep(500);
    const s = await traffic.stop();
    console.log(
      describeTraffic(`kill -9 of instance ${victim.id} at ${Math.round(killedAt - t0)} ms`, s, t0),
    );
    const notInFlight = s.failed.filter((f) => !(f.start <= killedAt && f.end >= killedAt));
    expect(notInFlight).toEqual([]);
    expect(s.ok).toBeGreaterThan(5);
  }, 120_000);

  it('a kill -9 of the platform mid-deploy, then a restart: consistent state, current release serves, no orphan', async () => {
    const client = platform.client();
    const before = await client.listDeployments(APP);
    const traffic = new Traffic(platform.routerPort, APP).start();
    const t0 = performance.now();
    const change = platform.cli(['env', 'set', `FAULT=${Date.now()}`, '-a', APP]);
    // wait until the new deployment is under way: running, with an instance of the new release started
    const running = await eventually(
      async () => {
        const d = (await client.listDeployments(APP)).find((x) => !before.some((b) => b.id === x.id));
        if (d?.status !== 'running') return undefined;
        return (await webInstances()).some((i) => i.releaseVersion === d.toVersion) ? d : undefined;
      },
      30_000,
      'the deployment to be under way',
    );
    const killedAt = performance.now();
    await platform.kill9();
    const cliResult = await change;
    const outage = await traffic.stop();
    console.log(
      `[fault] platform kill -9 mid-deploy (deployment ${running.id} v${running.fromVersion} -> v${running.toVersion}, an instance of v${running.toVersion} started) at ${Math.round(killedAt - t0)} ms; env set exited ${cliResult.code}`,
    );
    console.log(
      describeTraffic(
        'platform kill -9 (the router runs in the platform, so requests fail while it is down)',
        { ...outage, failed: outage.failed.slice(0, 3) },
        t0,
      ),
    );

    await platform.start();
    const after = platform.client();
    const deployment = await eventually(
      async () => {
        const d = (await after.listDeployments(APP)).find((x) => x.id === running.id);
        return d && (d.status === 'complete' || d.status === 'failed') ? d : undefined;
      },
      30_000,
      'the interrupted deployment to be marked complete or failed',
    );
    console.log(
      `[fault] after restart the interrupted deployment is ${deployment.status}${deployment.error ? `: ${deployment.error}` : ''}`,
    );
    const info = await after.appInfo(APP);
    const serving = await eventually(
      async () => {
        const r = await platform.get(APP);
        return r.status === 200 ? (JSON.parse(r.body) as { release: string }) : undefined;
      },
      30_000,
      'the app to serve after the restart',
    );
    expect(serving.release).toBe(`v${info.currentVersion}`);
    expect(info.currentVersion).toBe(
      deployment.status === 'complete' ? running.toVersion : running.fromVersion,
    );

    // after restart, traffic is clean again
    const traffic2 = new Traffic(platform.routerPort, APP).start();
    await sleep(1500);
    const s2 = await traffic2.stop();
    console.log(describeTraffic('after the platform restart', s2));
    expect(s2.failed).toEqual([]);
    expect(Object.keys(s2.releases)).toEqual([await currentRelease()]);

    // no orphans: every process running in a slug dir is an instance the platform knows
    const known = new Set((await after.instances(APP)).map((i) => i.pid));
    const live = await eventually(
      async () => {
        const pids = processesUnder(join(platform.dataDir, 'slugs'));
        return pids.every((p) => known.has(p) || isChildOfKnown(p, known)) ? pids : undefined;
      },
      15_000,
      'processes under the slug dirs to be only known instances',
    );
    expect(live.length).toBeGreaterThanOrEqual(known.size);
    const states: Deployment['status'][] = (await after.listDeployments(APP)).map((d) => d.status);
    expect(states.filter((s) => s === 'running' || s === 'pending')).toEqual([]);
  }, 180_000);
});

/** An instance may be a shell whose child (node) also runs in the slug dir. */
function isChildOfKnown(pid: number, known: Set<number | undefined>): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return known.has(ppid);
  } catch {
    return false;
  }
}
