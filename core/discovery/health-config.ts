/**
 * Health-check configuration per process type, from an app's wharf.json
 * (`{"healthchecks": {"web": {...}}}`) or app.json (`{"wharf": {"healthchecks": {...}}}`).
 * Defaults are Flynn's: 2 s interval, threshold 2, 10 s start timeout; the timeout
 * (which Flynn left to each check) is 2 s so that a check never outlives its interval.
 */
import type { HealthCheck } from '../domain.ts';
import { ValidationError } from '../errors.ts';
import { validateProcessType } from '../validation.ts';
import { formatDuration, parseDuration } from './duration.ts';

export const HEALTH_DEFAULTS = {
  intervalMs: 2000,
  timeoutMs: 2000,
  threshold: 2,
  startTimeoutMs: 10_000,
} as const;

const LIMITS = {
  intervalMs: { min: 100, max: 3_600_000 },
  timeoutMs: { min: 10, max: 600_000 },
  startTimeoutMs: { min: 0, max: 3_600_000 },
  threshold: { min: 1, max: 100 },
} as const;

const KNOWN_KEYS = new Set(['type', 'path', 'status', 'interval', 'timeout', 'threshold', 'startTimeout']);

/** The check a process type gets when its app configures none: tcp for web, none for the rest. */
export function defaultHealthCheck(processType: string): HealthCheck | null {
  return processType === 'web' ? { kind: 'tcp', ...HEALTH_DEFAULTS } : null;
}

function fail(field: string, message: string, value: unknown, cause?: unknown): never {
  throw new ValidationError(`${field}: ${message}`, { details: { field, value }, cause });
}

function shown(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : (JSON.stringify(value) ?? String(value));
}

function duration(
  field: string,
  raw: unknown,
  fallback: number,
  limits: { min: number; max: number },
): number {
  if (raw === undefined) return fallback;
  const ms = parseDuration(raw);
  if (ms === null) fail(field, `${shown(raw)} is not a duration; use e.g. "2s" or "500ms"`, raw);
  if (ms < limits.min || ms > limits.max) {
    fail(
      field,
      `${shown(raw)} is out of range; use between ${formatDuration(limits.min)} and ${formatDuration(limits.max)}`,
      raw,
    );
  }
  return ms;
}

/**
 * Validates one process type's check. `field` prefixes messages (e.g. `healthchecks.web`).
 * Returns null for `{"type": "none"}` or `false`, which turn the check off.
 */
export function parseHealthCheck(raw: unknown, field: string): HealthCheck | null {
  if (raw === false || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    fail(field, `expected an object such as {"type": "http", "path": "/health"}, got ${shown(raw)}`, raw);
  }
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN_KEYS.has(key)) {
      fail(
        `${field}.${key}`,
        `unknown setting; use type, path, status, interval, timeout, threshold or startTimeout`,
        o[key],
      );
    }
  }
  const type = o['type'] ?? (o['path'] !== undefined ? 'http' : 'tcp');
  if (type === 'none') return null;
  if (type !== 'tcp' && type !== 'http') {
    fail(`${field}.type`, `${shown(type)} is not a check type; use "tcp", "http" or "none"`, type);
  }
  const intervalMs = duration(
    `${field}.interval`,
    o['interval'],
    HEALTH_DEFAULTS.intervalMs,
    LIMITS.intervalMs,
  );
  const timeoutMs = duration(`${field}.timeout`, o['timeout'], HEALTH_DEFAULTS.timeoutMs, LIMITS.timeoutMs);
  const startTimeoutMs = duration(
    `${field}.startTimeout`,
    o['startTimeout'],
    HEALTH_DEFAULTS.startTimeoutMs,
    LIMITS.startTimeoutMs,
  );
  const threshold = o['threshold'] ?? HEALTH_DEFAULTS.threshold;
  if (
    typeof threshold !== 'number' ||
    !Number.isInteger(threshold) ||
    threshold < LIMITS.threshold.min ||
    threshold > LIMITS.threshold.max
  ) {
    fail(
      `${field}.threshold`,
      `${shown(threshold)} is not a whole number from 1 to 100; use e.g. 2`,
      threshold,
    );
  }
  const base = { intervalMs, timeoutMs, threshold, startTimeoutMs };
  if (type === 'tcp') {
    if (o['path'] !== undefined)
      fail(`${field}.path`, `a tcp check has no path; remove it or set "type": "http"`, o['path']);
    if (o['status'] !== undefined) {
      fail(`${field}.status`, `a tcp check has no status; remove it or set "type": "http"`, o['status']);
    }
    return { kind: 'tcp', ...base };
  }
  const path = o['path'] ?? '/';
  if (typeof path !== 'string' || !/^\/[\x21-\x7e]*$/.test(path)) {
    fail(`${field}.path`, `${shown(path)} is not a request path; use e.g. "/health"`, path);
  }
  const status = o['status'];
  if (status === undefined) return { kind: 'http', path, ...base };
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    fail(`${field}.status`, `${shown(status)} is not an HTTP status; use e.g. 200`, status);
  }
  return { kind: 'http', path, status, ...base };
}

/** The `healthchecks` object of either file, or undefined when it has none. */
function section(
  file: unknown,
  fileName: string,
  nested: boolean,
): { raw: unknown; prefix: string } | undefined {
  if (file === undefined || file === null) return undefined;
  if (typeof file !== 'object' || Array.isArray(file)) fail(fileName, 'expected a JSON object', file);
  let o = file as Record<string, unknown>;
  let prefix = 'healthchecks';
  if (nested) {
    if (o['wharf'] === undefined) return undefined;
    if (typeof o['wharf'] !== 'object' || o['wharf'] === null || Array.isArray(o['wharf'])) {
      fail(`${fileName} wharf`, 'expected an object such as {"healthchecks": {...}}', o['wharf']);
    }
    o = o['wharf'] as Record<string, unknown>;
    prefix = 'wharf.healthchecks';
  }
  if (o['healthchecks'] === undefined) return undefined;
  return { raw: o['healthchecks'], prefix };
}

/**
 * The configured checks from the app's files, by process type; `null` values switch a
 * type's check off. wharf.json wins over app.json when both have a section (the whole
 * section, not per type, so that one file is the truth).
 */
export function parseHealthChecks(files: {
  wharfJson?: unknown;
  appJson?: unknown;
}): Record<string, HealthCheck | null> {
  const found = section(files.wharfJson, 'wharf.json', false) ?? section(files.appJson, 'app.json', true);
  if (found === undefined) return {};
  const { raw, prefix } = found;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail(
      prefix,
      `expected an object by process type such as {"web": {"type": "http", "path": "/health"}}`,
      raw,
    );
  }
  const out: Record<string, HealthCheck | null> = {};
  for (const [type, check] of Object.entries(raw as Record<string, unknown>)) {
    try {
      validateProcessType(type);
    } catch (e) {
      fail(
        `${prefix}.${type}`,
        'is not a process type name; use the name from the Procfile (e.g. web)',
        type,
        e,
      );
    }
    out[type] = parseHealthCheck(check, `${prefix}.${type}`);
  }
  return out;
}

/**
 * The check each process type runs: configured ones first, then the defaults, with
 * types switched off dropped. The result is App.health.
 */
export function resolveHealthChecks(
  processTypes: readonly string[],
  configured: Readonly<Record<string, HealthCheck | null>>,
): Record<string, HealthCheck> {
  const out: Record<string, HealthCheck> = {};
  for (const type of processTypes) {
    const check = type in configured ? configured[type] : defaultHealthCheck(type);
    if (check) out[type] = check;
  }
  return out;
}
