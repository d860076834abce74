import { afterEach, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../core/control-plane.ts';
import { DeployFailedError } from '../../core/errors.ts';
import { fakeDeps } from './fakes.ts';

const planes: ControlPlane[] = [];
afterEach(() => {
  for (const p of planes.splice(0)) p.stop();
});

async function pushed(behaviour = 'healthy') {
  const f = fakeDeps();
  const cp = new ControlPlane(f.deps, { holder: 'test' });
  planes.push(cp);
  await cp.start();
  await cp.createApp({ name: 'app' });
  await cp.updateApp('app', {
    health: { web: { type: 'tcp', interval: '100ms', timeout: '50ms', threshold: 1, startTimeout: '500ms' } },
  });
  await cp.changeEnv('app', { set: { BEHAVIOUR: behaviour } });
  const result = await cp.push('app', {
    source: { kind: 'dir', path: '/src' },
    sourceVersion: 'abc1234',
    output: () => {},
  });
  return { cp, ...f, result };
}

describe('deployer', () => {
  it('deploys a push: web=1 by default, routed once healthy, current version set', async () => {
    const { cp, scheduler, router, result } = await pushed();
    expect(result.deployment?.status).toBe('complete');
    expect(result.release?.version).toBe(2);
    const info = await cp.appInfo('app');
    expect(info.currentVersion).toBe(2);
    expect(info.formation?.processes).toEqual({ web: 1 });
    expect(scheduler.started.map((s) => s.processType)).toEqual(['web']);
    const route = router.last.find((r) => r.domain === 'app.localhost');
    expect(route?.backends).toHaveLength(1);
  });

  it('rolls one by one: each new instance is healthy before an old one stops', async () => {
    const { cp, scheduler } = await pushed();
    await cp.scale('app', { web: 3 });
    const order: string[] = [];
    const off = scheduler.onChange((i) => {
      if (i.state === 'starting') order.push(`start v${i.releaseVersion}`);
      if (i.state === 'down') order.push(`stop v${i.releaseVersion}`);
    });
    const change = await cp.changeEnv('app', { set: { X: '1' } });
    off();
    expect(change.deployment?.status).toBe('complete');
    expect(order).toEqual(['start v3', 'stop v2', 'start v3', 'stop v2', 'start v3', 'stop v2']);
    expect((await scheduler.list('app')).map((i) => i.releaseVersion)).toEqual([3, 3, 3]);
  });

  it('all at once: every new instance starts before any old one stops', async () => {
    const { cp, scheduler } = await pushed();
    await cp.scale('app', { web: 2 });
    await cp.updateApp('app', { strategy: 'all-at-once' });
    const order: string[] = [];
    const off = scheduler.onChange((i) => {
      if (i.state === 'starting') order.push('start');
      if (i.state === 'down') order.push('stop');
    });
    await cp.changeEnv('app', { set: { X: '1' } });
    off();
    expect(order).toEqual(['start', 'start', 'stop', 'stop']);
  });

  it('a release whose instance crashes fails the deploy, says why, and the old release keeps running', async () => {
    const { cp, scheduler, logs } = await pushed();
    logs.append({ at: '', app: 'app', source: 'web', instance: null, stream: 'stderr', text: 'unrelated' });
    const failure = await cp.changeEnv('app', { set: { BEHAVIOUR: 'crash' } }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeployFailedError);
    expect((failure as Error).message).toMatch(/exited with status 3/);
    expect((failure as Error).message).toMatch(/v2 keeps serving/);
    const running = await scheduler.list('app');
    expect(running.map((i) => i.releaseVersion)).toEqual([2]);
    const info = await cp.appInfo('app');
    expect(info.currentVersion).toBe(2);
    const deployments = await cp.listDeployments('app');
    expect(deployments.at(-1)).toMatchObject({ status: 'failed', toVersion: 3 });
  });

  it('a release that never passes its health check fails within its start timeout', async () => {
    const { cp, scheduler } = await pushed();
    const started = Date.now();
    await expect(cp.changeEnv('app', { set: { BEHAVIOUR: 'never-healthy' } })).rejects.toThrow(
      /failed its health check/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await scheduler.list('app')).map((i) => i.releaseVersion)).toEqual([2]);
  });

  it('a build failure changes nothing: no release, the build is marked failed', async () => {
    const { cp, builder } = await pushed();
    builder.next = { ok: false, error: 'compile failed' };
    await expect(
      cp.push('app', { source: { kind: 'dir', path: '/src' }, sourceVersion: 'def5678', output: () => {} }),
    ).rejects.toThrow(/compile failed; the running release is unchanged/);
    expect((await cp.listReleases('app')).map((r) => r.version)).toEqual([1, 2]);
    expect((await cp.listBuilds('app')).at(-1)?.status).toBe('failed');
  });

  it('recover after a crash mid-deploy marks the deploy failed and converges to the current release', async () => {
    const { cp, deps, scheduler } = await pushed();
    await deps.store.putDeployment({
      id: 'deploy-cut',
      app: 'app',
      fromVersion: 2,
      toVersion: 3,
      strategy: 'one-by-one',
      status: 'running',
      steps: [],
      createdAt: new Date().toISOString(),
    });
    for (const i of await scheduler.list()) await scheduler.stop(i.id);
    cp.stop();
    const again = new ControlPlane(deps, { holder: 'test' });
    planes.push(again);
    await again.start();
    expect((await deps.store.getDeployment('deploy-cut'))?.status).toBe('failed');
    expect((await scheduler.list('app')).map((i) => i.releaseVersion)).toEqual([2]);
  });

  it('two deploys of one app never interleave', async () => {
    const { cp, scheduler } = await pushed();
    await cp.scale('app', { web: 2 });
    let running = 0;
    let overlap = false;
    const off = scheduler.onChange((i) => {
      if (i.state === 'starting') running++;
      if (running > 3) overlap = true; // 2 old + at most 1 new at a time, one-by-one
      if (i.state === 'down') running--;
    });
    running = 2;
    const [a, b] = await Promise.all([
      cp.changeEnv('app', { set: { A: '1' } }),
      cp.changeEnv('app', { set: { B: '1' } }),
    ]);
    off();
    expect(overlap).toBe(false);
    expect([a.release.version, b.release.version].sort()).toEqual([3, 4]);
    expect((await scheduler.list('app')).map((i) => i.releaseVersion)).toEqual([4, 4]);
  });

  it('leader is the oldest healthy instance and the leader route sends only to it', async () => {
    const { cp, router, discovery } = await pushed();
    await cp.scale('app', { web: 3 });
    await cp.addRoute('app', { domain: 'lead.example.com', leader: true });
    await new Promise((r) => setTimeout(r, 100));
    const state = discovery.state.get('app/web')!;
    const oldest = [...state.instances].sort((a, b) => a.startedAt.localeCompare(b.startedAt))[0]!;
    expect(state.leader).toBe(oldest.id);
    const leaderRoute = router.last.find((r) => r.domain === 'lead.example.com')!;
    expect(leaderRoute.backends.map((b) => b.id)).toEqual([oldest.id]);
  });
});
