import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../core/discovery/duration.ts';
import {
  defaultHealthCheck,
  HEALTH_DEFAULTS,
  parseHealthCheck,
  parseHealthChecks,
  resolveHealthChecks,
} from '../../core/discovery/health-config.ts';
import { ValidationError } from '../../core/errors.ts';

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('durations', () => {
  it('accepts human units and plain milliseconds', () => {
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5 s')).toBe(1500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration(750)).toBe(750);
    for (const bad of ['fast', '2', '-1s', '', 's', Number.NaN, -5, {}, null])
      expect(parseDuration(bad)).toBeNull();
  });
});

describe('health-check config', () => {
  it('reads wharf.json with every setting', () => {
    const checks = parseHealthChecks({
      wharfJson: {
        healthchecks: {
          web: {
            type: 'http',
            path: '/health',
            status: 200,
            interval: '2s',
            timeout: '1s',
            threshold: 3,
            startTimeout: '10s',
          },
        },
      },
    });
    expect(checks).toEqual({
      web: {
        kind: 'http',
        path: '/health',
        status: 200,
        intervalMs: 2000,
        timeoutMs: 1000,
        threshold: 3,
        startTimeoutMs: 10_000,
      },
    });
  });

  it("fills Flynn's defaults and infers http from a path", () => {
    expect(parseHealthCheck({ path: '/up' }, 'healthchecks.web')).toEqual({
      kind: 'http',
      path: '/up',
      ...HEALTH_DEFAULTS,
    });
    expect(HEALTH_DEFAULTS).toEqual({
      intervalMs: 2000,
      timeoutMs: 2000,
      threshold: 2,
      startTimeoutMs: 10_000,
    });
    expect(parseHealthCheck({}, 'x')).toEqual({ kind: 'tcp', ...HEALTH_DEFAULTS });
  });

  it('reads app.json under "wharf", and lets wharf.json win when both have a section', () => {
    const appJson = { name: 'x', wharf: { healthchecks: { worker: { type: 'tcp', interval: 1000 } } } };
    expect(parseHealthChecks({ appJson })).toEqual({
      worker: { kind: 'tcp', ...HEALTH_DEFAULTS, intervalMs: 1000 },
    });
    const wharfJson = { healthchecks: { web: { type: 'none' } } };
    expect(parseHealthChecks({ appJson, wharfJson })).toEqual({ web: null });
    expect(parseHealthChecks({ appJson: { name: 'x', healthchecks: { web: [] } } })).toEqual({});
    expect(parseHealthChecks({})).toEqual({});
  });

  it('defaults web to tcp and other types to no check; "none" or false turns a check off', () => {
    expect(defaultHealthCheck('web')).toEqual({ kind: 'tcp', ...HEALTH_DEFAULTS });
    expect(defaultHealthCheck('worker')).toBeNull();
    const configured = parseHealthChecks({
      wharfJson: { healthchecks: { worker: { path: '/w' }, clock: false, web: { type: 'none' } } },
    });
    const resolved = resolveHealthChecks(['web', 'worker', 'clock', 'mailer'], configured);
    expect(Object.keys(resolved)).toEqual(['worker']);
    expect(resolveHealthChecks(['web'], {})).toEqual({ web: { kind: 'tcp', ...HEALTH_DEFAULTS } });
  });

  it.each([
    [{ web: { interval: 'fast' } }, 'healthchecks.web.interval', 'is not a duration; use e.g. "2s"'],
    [{ web: { timeout: '5 days' } }, 'healthchecks.web.timeout', 'is not a duration'],
    [{ web: { interval: '10ms' } }, 'healthchecks.web.interval', 'out of range; use between 100ms and 1h'],
    [{ web: { threshold: 0 } }, 'healthchecks.web.threshold', 'whole number from 1 to 100'],
    [{ web: { threshold: '2' } }, 'healthchecks.web.threshold', 'whole number'],
    [{ web: { type: 'udp' } }, 'healthchecks.web.type', 'use "tcp", "http" or "none"'],
    [{ web: { type: 'http', path: 'health' } }, 'healthchecks.web.path', 'use e.g. "/health"'],
    [{ web: { type: 'http', status: 700 } }, 'healthchecks.web.status', 'is not an HTTP status'],
    [{ web: { type: 'tcp', path: '/x' } }, 'healthchecks.web.path', 'a tcp check has no path'],
    [{ web: { intervl: '2s' } }, 'healthchecks.web.intervl', 'unknown setting'],
    [{ web: 'http' }, 'healthchecks.web', 'expected an object'],
    [{ Web: {} }, 'healthchecks.Web', 'is not a process type name'],
  ])('refuses %j naming the field', (section, field, fix) => {
    const e = refusal(() => parseHealthChecks({ wharfJson: { healthchecks: section } }));
    expect(e.message.startsWith(`${field}: `)).toBe(true);
    expect(e.message).toContain(fix);
    expect(e.details?.['field']).toBe(field);
  });

  it('names the app.json path in its errors', () => {
    const e = refusal(() =>
      parseHealthChecks({ appJson: { wharf: { healthchecks: { web: { interval: 'x' } } } } }),
    );
    expect(e.message).toBe(
      'wharf.healthchecks.web.interval: "x" is not a duration; use e.g. "2s" or "500ms"',
    );
    expect(refusal(() => parseHealthChecks({ wharfJson: { healthchecks: [] } })).message).toMatch(
      /^healthchecks: expected an object by process type/,
    );
  });
});
