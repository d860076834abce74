/**
 * `wharf health`: show or change the health checks of an app's process types. A change
 * is a PATCH of the app (`{health: {TYPE: {...}}}`, the wharf.json shape), validated by
 * the platform, which names the bad field.
 */
import type { HealthCheck } from '../../core/domain.ts';
import { ValidationError } from '../../core/errors.ts';
import type { ParsedArgs } from '../args.ts';
import { table } from '../output.ts';
import type { Command } from './types.ts';

/** The check a type runs when the app configures none (as the platform decides it). */
function defaultFor(type: string): string {
  return type === 'web' ? 'tcp (default)' : 'none';
}

function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function describe(check: HealthCheck): string {
  const what =
    check.kind === 'http'
      ? `http GET ${check.path ?? '/'}${check.status ? ` → ${check.status}` : ''}`
      : 'tcp';
  return `${what} every ${duration(check.intervalMs)}, timeout ${duration(check.timeoutMs)}, threshold ${check.threshold}, start timeout ${duration(check.startTimeoutMs)}`;
}

/** A stored check back in the wharf.json shape, so `set` can change one field and keep the rest. */
function asConfig(check: HealthCheck): Record<string, unknown> {
  return {
    type: check.kind,
    ...(check.kind === 'http' ? { path: check.path ?? '/' } : {}),
    ...(check.kind === 'http' && check.status !== undefined ? { status: check.status } : {}),
    interval: `${check.intervalMs}ms`,
    timeout: `${check.timeoutMs}ms`,
    threshold: check.threshold,
    startTimeout: `${check.startTimeoutMs}ms`,
  };
}

function text(args: ParsedArgs, flag: string): string | undefined {
  const v = args.flags.get(flag);
  if (v === true) throw new ValidationError(`--${flag} needs a value`);
  return v;
}

/** Numbers stay numbers; anything else goes through as given so the platform's message names it. */
function number(raw: string): number | string {
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

function fromFlags(args: ParsedArgs, current: HealthCheck | undefined): Record<string, unknown> {
  const http = text(args, 'http');
  if (http !== undefined && args.flags.has('tcp'))
    throw new ValidationError('give either --http PATH or --tcp, not both');
  let config: Record<string, unknown> = current ? asConfig(current) : {};
  if (http !== undefined) config = { ...config, type: 'http', path: http };
  if (args.flags.has('tcp')) {
    const { path: _path, status: _status, ...rest } = config;
    config = { ...rest, type: 'tcp' };
  }
  if (config['type'] === undefined) {
    throw new ValidationError('give the kind of check: --http PATH (e.g. --http /health) or --tcp');
  }
  const status = text(args, 'status');
  if (status !== undefined) config['status'] = number(status);
  const settings: Array<[string, string]> = [
    ['interval', 'interval'],
    ['timeout', 'timeout'],
    ['start-timeout', 'startTimeout'],
  ];
  for (const [flag, key] of settings) {
    const value = text(args, flag);
    if (value !== undefined) config[key] = value;
  }
  const threshold = text(args, 'threshold');
  if (threshold !== undefined) config['threshold'] = number(threshold);
  return config;
}

export const health: Command = {
  usage:
    'wharf health [show | set TYPE (--http PATH [--status N] | --tcp) [--interval 2s] [--timeout 2s] [--threshold N] [--start-timeout 10s] | unset TYPE] [-a APP]',
  summary: 'show or change the health checks that decide which instances are listed and routed',
  async run({ args, out, client, app }) {
    const [sub = 'show', type] = args.positional;
    if (!['show', 'set', 'unset'].includes(sub)) {
      throw new ValidationError(`unknown health command "${sub}": use show, set or unset`);
    }
    const name = app();
    if (sub === 'show') {
      const info = await client().appInfo(name);
      const types = [
        ...new Set([...Object.keys(info.release?.processes ?? {}), ...Object.keys(info.app.health)]),
      ].sort();
      const rows = types.map((t) => {
        const check = info.app.health[t];
        return [t, check ? describe(check) : defaultFor(t)];
      });
      out.data({ app: name, health: info.app.health }, () => table([['TYPE', 'CHECK'], ...rows]));
      return 0;
    }
    if (!type) throw new ValidationError(`give the process type: wharf health ${sub} TYPE (e.g. web)`);
    const c = client();
    const current = (await c.appInfo(name)).app.health[type];
    const patch = sub === 'set' ? fromFlags(args, current) : null;
    const updated = await c.updateApp(name, { health: { [type]: patch } });
    const check = updated.health[type];
    out.progress(`-----> ${type}: ${check ? describe(check) : defaultFor(type)}`);
    out.progress(
      `       running ${type} instances take it up when they restart: \`wharf restart\` applies it now`,
    );
    out.data({ app: name, health: updated.health }, () => '');
    return 0;
  },
};
