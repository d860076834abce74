/**
 * A target-tracking autoscaling policy for one process type: the instance count moves
 * between `min` and `max` to hold either average CPU utilisation or ALB requests per
 * target at the target value. Pure parsing; the AWS adapter applies it.
 */
import type { AutoscalingConfig, AutoscalingTarget } from './domain.ts';
import { ValidationError } from './errors.ts';

export type { AutoscalingConfig, AutoscalingTarget } from './domain.ts';
import { MAX_INSTANCES_PER_TYPE } from './validation.ts';

/** ALB's own ceiling for a target-tracking value is far above this; beyond it a type is mis-sized. */
export const MAX_REQUESTS_PER_TARGET = 100_000;

function invalid(field: string, value: unknown, message: string): ValidationError {
  return new ValidationError(`invalid autoscaling ${field} "${String(value)}": ${message}`, {
    details: { field, value },
  });
}

function count(field: 'min' | 'max', value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_INSTANCES_PER_TYPE) {
    throw invalid(field, value, `give a whole number from 0 to ${MAX_INSTANCES_PER_TYPE}`);
  }
  return value;
}

function parseTarget(value: unknown): AutoscalingTarget {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('target', value, 'give {"cpu": PERCENT} or {"requestsPerTarget": N}');
  }
  const t = value as Record<string, unknown>;
  const keys = Object.keys(t);
  if (keys.length !== 1 || !(keys[0] === 'cpu' || keys[0] === 'requestsPerTarget')) {
    throw invalid(
      'target',
      JSON.stringify(value),
      'give exactly one of {"cpu": PERCENT} or {"requestsPerTarget": N}',
    );
  }
  if (keys[0] === 'cpu') {
    const cpu = t['cpu'];
    if (typeof cpu !== 'number' || !Number.isFinite(cpu) || cpu < 1 || cpu > 100) {
      throw invalid('target.cpu', cpu, 'give a percentage from 1 to 100, e.g. 60');
    }
    return { cpu };
  }
  const requests = t['requestsPerTarget'];
  if (
    typeof requests !== 'number' ||
    !Number.isInteger(requests) ||
    requests < 1 ||
    requests > MAX_REQUESTS_PER_TARGET
  ) {
    throw invalid(
      'target.requestsPerTarget',
      requests,
      `give a whole number of requests per instance per minute from 1 to ${MAX_REQUESTS_PER_TARGET}, e.g. 500`,
    );
  }
  return { requestsPerTarget: requests };
}

/** Parses an autoscaling config from JSON; `null` means "no autoscaling" and is returned as is. */
export function parseAutoscalingConfig(value: unknown): AutoscalingConfig | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(
      'invalid autoscaling config: give {"min": N, "max": N, "target": {"cpu": PERCENT} | {"requestsPerTarget": N}}, or null to remove it',
      { details: { field: 'autoscaling', value } },
    );
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (key !== 'min' && key !== 'max' && key !== 'target') {
      throw invalid(key, JSON.stringify(v[key]), 'unknown field: use min, max and target');
    }
  }
  const min = count('min', v['min']);
  const max = count('max', v['max']);
  if (max < 1) throw invalid('max', max, 'give at least 1, or remove autoscaling to scale to 0');
  if (min > max) throw invalid('min', min, `must not exceed max (${max})`);
  return { min, max, target: parseTarget(v['target']) };
}

/** Requests per target need an ALB in front: only routed (web) process types have one. */
export function requiresLoadBalancer(config: AutoscalingConfig): boolean {
  return 'requestsPerTarget' in config.target;
}
