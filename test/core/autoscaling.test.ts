import { describe, expect, it } from 'vitest';
import { parseAutoscalingConfig, requiresLoadBalancer } from '../../core/autoscaling.ts';
import { ValidationError } from '../../core/errors.ts';

function fieldOf(value: unknown): unknown {
  try {
    parseAutoscalingConfig(value);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).details?.['field'];
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('parseAutoscalingConfig', () => {
  it('accepts CPU and requests-per-target policies', () => {
    expect(parseAutoscalingConfig({ min: 1, max: 10, target: { cpu: 60 } })).toEqual({
      min: 1,
      max: 10,
      target: { cpu: 60 },
    });
    const web = parseAutoscalingConfig({ min: 0, max: 100, target: { requestsPerTarget: 500 } });
    expect(web).toEqual({ min: 0, max: 100, target: { requestsPerTarget: 500 } });
    expect(requiresLoadBalancer(web!)).toBe(true);
    expect(requiresLoadBalancer({ min: 1, max: 1, target: { cpu: 50 } })).toBe(false);
    expect(parseAutoscalingConfig({ min: 3, max: 3, target: { cpu: 1 } })?.min).toBe(3);
  });

  it('returns null for null: autoscaling removed', () => {
    expect(parseAutoscalingConfig(null)).toBeNull();
  });

  it('names the field that is wrong', () => {
    expect(fieldOf({ max: 3, target: { cpu: 60 } })).toBe('min');
    expect(fieldOf({ min: -1, max: 3, target: { cpu: 60 } })).toBe('min');
    expect(fieldOf({ min: 1.5, max: 3, target: { cpu: 60 } })).toBe('min');
    expect(fieldOf({ min: '1', max: 3, target: { cpu: 60 } })).toBe('min');
    expect(fieldOf({ min: 1, max: 101, target: { cpu: 60 } })).toBe('max');
    expect(fieldOf({ min: 0, max: 0, target: { cpu: 60 } })).toBe('max');
    expect(fieldOf({ min: 5, max: 3, target: { cpu: 60 } })).toBe('min');
    expect(fieldOf({ min: 1, max: 3 })).toBe('target');
    expect(fieldOf({ min: 1, max: 3, target: {} })).toBe('target');
    expect(fieldOf({ min: 1, max: 3, target: { cpu: 60, requestsPerTarget: 5 } })).toBe('target');
    expect(fieldOf({ min: 1, max: 3, target: { memory: 60 } })).toBe('target');
    expect(fieldOf({ min: 1, max: 3, target: { cpu: 0 } })).toBe('target.cpu');
    expect(fieldOf({ min: 1, max: 3, target: { cpu: 101 } })).toBe('target.cpu');
    expect(fieldOf({ min: 1, max: 3, target: { cpu: Number.NaN } })).toBe('target.cpu');
    expect(fieldOf({ min: 1, max: 3, target: { requestsPerTarget: 0 } })).toBe('target.requestsPerTarget');
    expect(fieldOf({ min: 1, max: 3, target: { requestsPerTarget: 2.5 } })).toBe('target.requestsPerTarget');
    expect(fieldOf({ min: 1, max: 3, target: { cpu: 60 }, step: 2 })).toBe('step');
    expect(fieldOf([1, 3])).toBe('autoscaling');
    expect(fieldOf('cpu=60')).toBe('autoscaling');
  });

  it('says how to fix it', () => {
    expect(() => parseAutoscalingConfig({ min: 5, max: 3, target: { cpu: 60 } })).toThrow(
      /must not exceed max \(3\)/,
    );
    expect(() => parseAutoscalingConfig({ min: 1, max: 3, target: { cpu: 120 } })).toThrow(/from 1 to 100/);
  });
});
