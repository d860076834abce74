/** Sizes and autoscaling in the formation, through the in-process deployer. */
import { afterEach, describe, expect, it } from 'vitest';
import { ControlPlane } from '../../core/control-plane.ts';
import { ValidationError } from '../../core/errors.ts';
import { fakeDeps } from './fakes.ts';

const planes: ControlPlane[] = [];
afterEach(() => {
  for (const p of planes.splice(0)) p.stop();
});

async function running() {
  const f = fakeDeps();
  const cp = new ControlPlane(f.deps, { holder: 'test' });
  planes.push(cp);
  await cp.start();
  await cp.createApp({ name: 'app' });
  await cp.push('app', { source: { kind: 'dir', path: '/src' }, sourceVersion: 'abc1234', output: () => {} });
  return { cp, ...f };
}

describe('formation sizes and autoscaling', () => {
  it('resize records the size, redeploys the running release, and scale keeps it', async () => {
    const { cp, scheduler } = await running();
    const before = scheduler.started.length;
    const { formation, deployment } = await cp.resize('app', { web: { cpu: '0.5', memory: '1 GB' } });
    expect(formation.sizes).toEqual({ web: { cpu: 512, memory: 1024 } });
    expect(deployment).toMatchObject({ status: 'complete', toVersion: 1 });
    expect(scheduler.started.length).toBe(before + 1);
    const scaled = await cp.scale('app', { web: 2 });
    expect(scaled.sizes).toEqual({ web: { cpu: 512, memory: 1024 } });
    // memory left out: the smallest Fargate allows for that CPU
    expect((await cp.resize('app', { web: { cpu: 2 } })).formation.sizes?.['web']).toEqual({
      cpu: 2048,
      memory: 4096,
    });
    expect((await cp.resize('app', { web: null })).formation.sizes).toEqual({});
  });

  it('refuses sizes Fargate has not, naming the value and the range, and stores nothing', async () => {
    const { cp } = await running();
    await expect(cp.resize('app', { web: { cpu: '3' } })).rejects.toThrow(
      /cpu of web "3" is not a Fargate size: use 0.25, 0.5, 1, 2, 4, 8 or 16/,
    );
    await expect(cp.resize('app', { web: { cpu: '1', memory: '16 GB' } })).rejects.toThrow(
      /memory of web 16384 MB does not fit 1 vCPU on Fargate: give 2048-8192 MB/,
    );
    await expect(cp.resize('app', { web: { memory: 'lots' } })).rejects.toThrow(/"lots" is not a size/);
    await expect(cp.resize('app', { web: 'big' })).rejects.toBeInstanceOf(ValidationError);
    await expect(cp.resize('app', {})).rejects.toThrow(/nothing to resize/);
    expect((await cp.getFormation('app')).sizes).toBeUndefined();
  });

  it('autoscaling clamps the count into its range and keeps manual scale off the type until removed', async () => {
    const { cp } = await running();
    await cp.scale('app', { web: 9 });
    const auto = await cp.setAutoscaling('app', 'web', { min: 1, max: 4, target: { cpu: 50 } });
    expect(auto.processes['web']).toBe(4);
    await expect(cp.scale('app', { web: 2 })).rejects.toThrow(/web of app is autoscaled between 1 and 4/);
    const off = await cp.setAutoscaling('app', 'web', null);
    expect(off.autoscaling).toEqual({});
    expect((await cp.scale('app', { web: 2 })).processes['web']).toBe(2);
  });
});
