import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { HealthCheck } from '../../core/domain.ts';
import {
  exited,
  type HealthState,
  type HealthStep,
  next,
  restarted,
  startHealth,
} from '../../core/discovery/health-monitor.ts';

const check: HealthCheck = {
  kind: 'tcp',
  intervalMs: 2000,
  timeoutMs: 1000,
  threshold: 2,
  startTimeoutMs: 10_000,
};

/** Feeds results one interval apart from `t0`, returning every step. */
function run(state: HealthState, results: boolean[], t0: number, interval = 2000): HealthStep[] {
  const steps: HealthStep[] = [];
  let s = state;
  results.forEach((r, k) => {
    const step = next(s, r, t0 + k * interval);
    steps.push(step);
    s = step.state;
  });
  return steps;
}

const actions = (steps: HealthStep[]) => steps.map((s) => s.action);

describe('health monitor', () => {
  it('becomes healthy after threshold consecutive successes', () => {
    const steps = run(startHealth(check, 0), [true, true, true], 0);
    expect(actions(steps)).toEqual(['none', 'mark-healthy', 'none']);
    expect(steps.map((s) => s.healthy)).toEqual([false, true, true]);
  });

  it('needs the successes to be consecutive while starting', () => {
    const steps = run(startHealth(check, 0), [true, false, true, true], 0);
    expect(actions(steps)).toEqual(['none', 'none', 'none', 'mark-healthy']);
  });

  it('ignores failures inside the start grace period', () => {
    const steps = run(startHealth(check, 0), [false, false, false, false, true, true], 0);
    expect(actions(steps)).toEqual(['none', 'none', 'none', 'none', 'none', 'mark-healthy']);
  });

  it('restarts an instance that is still failing when the start timeout has passed', () => {
    const s0 = startHealth(check, 1000);
    expect(next(s0, false, 1000 + 9_999).action).toBe('none');
    const late = next(s0, false, 1000 + 10_000);
    expect(late.action).toBe('restart');
    expect(late.state.phase).toBe('restarting');
    expect(late.healthy).toBe(false);
  });

  it('lets a starting instance that passes late still become healthy', () => {
    const s0 = startHealth(check, 0);
    const a = next(s0, true, 11_000);
    expect(a.action).toBe('none');
    expect(next(a.state, true, 13_000).action).toBe('mark-healthy');
  });

  it('marks a healthy instance unhealthy after threshold consecutive failures, then restarts it one check later', () => {
    const steps = run(startHealth(check, 0), [true, true, false, true, false, false, true], 0);
    expect(actions(steps)).toEqual([
      'none',
      'mark-healthy',
      'none',
      'none',
      'none',
      'mark-unhealthy',
      'restart',
    ]);
    expect(steps.map((s) => s.healthy)).toEqual([false, true, true, true, true, false, false]);
  });

  it('waits for the caller after a restart, then starts a fresh grace period', () => {
    const [, , , last] = run(startHealth(check, 0), [true, true, false, false], 0);
    const rs = next(last!.state, false, 8000);
    expect(rs.action).toBe('restart');
    expect(next(rs.state, true, 10_000)).toEqual({ state: rs.state, healthy: false, action: 'none' });
    const again = restarted(rs.state, 12_000);
    expect(again).toMatchObject({
      phase: 'starting',
      startedAt: 12_000,
      successes: 0,
      failures: 0,
      restarts: 1,
    });
    expect(actions(run(again, [false, true, true], 12_000))).toEqual(['none', 'none', 'mark-healthy']);
  });

  it('takes an exited healthy instance out at once', () => {
    const [, healthy] = run(startHealth(check, 0), [true, true], 0);
    expect(exited(healthy!.state)).toMatchObject({ healthy: false, action: 'mark-unhealthy' });
    expect(exited(startHealth(check, 0)).action).toBe('none');
  });

  it('with threshold 1 reacts to a single result', () => {
    const one = { ...check, threshold: 1 };
    expect(actions(run(startHealth(one, 0), [true, false, false], 0))).toEqual([
      'mark-healthy',
      'mark-unhealthy',
      'restart',
    ]);
  });

  it('never reports healthy without threshold successes in a row, and only marks on a change', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        (threshold, results) => {
          let s = startHealth({ ...check, threshold }, 0);
          let run = 0;
          let wasHealthy = false;
          results.forEach((r, k) => {
            const step = next(s, r, k * 2000);
            run = r ? run + 1 : 0;
            if (step.healthy && !wasHealthy) expect(run).toBeGreaterThanOrEqual(threshold);
            if (step.action === 'mark-healthy') expect(wasHealthy).toBe(false);
            if (step.action === 'mark-unhealthy') expect(wasHealthy).toBe(true);
            expect(step.healthy).toBe(step.state.phase === 'healthy');
            wasHealthy = step.healthy;
            s = step.action === 'restart' ? restarted(step.state, k * 2000) : step.state;
          });
        },
      ),
    );
  });
});
