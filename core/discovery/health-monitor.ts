/**
 * The health state machine of one instance, driven by check results and a clock the
 * caller passes in (no timers here, so every transition is testable).
 *
 *   starting ──threshold successes──▶ healthy ──threshold failures──▶ unhealthy ──next check──▶ restarting
 *      │ failing past startTimeout                                                                │
 *      └───────────────────────────────────────────▶ restarting ◀─────────────────────────────────┘
 *
 * Failures during the start grace period do not count. An unhealthy instance is
 * restarted one check later rather than at once: the `mark-unhealthy` step takes it out
 * of discovery and the router first, so requests in flight finish before it is killed.
 */
import type { HealthCheck } from '../domain.ts';

export type HealthPhase = 'starting' | 'healthy' | 'unhealthy' | 'restarting';

export type HealthAction = 'none' | 'mark-healthy' | 'mark-unhealthy' | 'restart';

export interface HealthState {
  readonly check: HealthCheck;
  readonly phase: HealthPhase;
  /** when the instance (re)started, in ms of the caller's clock */
  readonly startedAt: number;
  readonly successes: number;
  readonly failures: number;
  readonly restarts: number;
}

export interface HealthStep {
  readonly state: HealthState;
  /** whether the instance should be listed in discovery and routed to */
  readonly healthy: boolean;
  readonly action: HealthAction;
}

export function startHealth(check: HealthCheck, now: number, restarts = 0): HealthState {
  return { check, phase: 'starting', startedAt: now, successes: 0, failures: 0, restarts };
}

/** The state after the caller has restarted the instance (same id, new process). */
export function restarted(state: HealthState, now: number): HealthState {
  return startHealth(state.check, now, state.restarts + 1);
}

function step(state: HealthState, action: HealthAction): HealthStep {
  return { state, healthy: state.phase === 'healthy', action };
}

/** Feeds one check result (true = passed) observed at `now`. */
export function next(state: HealthState, passed: boolean, now: number): HealthStep {
  const { threshold, startTimeoutMs } = state.check;
  const counted: HealthState = passed
    ? { ...state, successes: state.successes + 1, failures: 0 }
    : { ...state, successes: 0, failures: state.failures + 1 };
  switch (state.phase) {
    case 'starting': {
      if (passed) {
        return counted.successes >= threshold
          ? step({ ...counted, phase: 'healthy' }, 'mark-healthy')
          : step(counted, 'none');
      }
      // Inside the grace period a failure is expected (the process is still booting).
      if (now - state.startedAt < startTimeoutMs) return step({ ...counted, failures: 0 }, 'none');
      return step({ ...counted, phase: 'restarting' }, 'restart');
    }
    case 'healthy':
      if (!passed && counted.failures >= threshold) {
        return step({ ...counted, phase: 'unhealthy' }, 'mark-unhealthy');
      }
      return step(counted, 'none');
    case 'unhealthy':
      return step({ ...counted, phase: 'restarting' }, 'restart');
    case 'restarting':
      // Waiting for the caller to restart the instance and call restarted().
      return step(state, 'none');
  }
}

/** Marks the instance gone (exited or stopped): it leaves discovery at once, without waiting for checks. */
export function exited(state: HealthState): HealthStep {
  const wasHealthy = state.phase === 'healthy';
  return step({ ...state, phase: 'restarting', successes: 0 }, wasHealthy ? 'mark-unhealthy' : 'none');
}
