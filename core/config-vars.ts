import { requireApp } from './apps.ts';
import type { Ctx } from './context.ts';
import type { Release } from './domain.ts';
import { ValidationError } from './errors.ts';
import { appendRelease } from './releases.ts';
import { validateEnvName, validateEnvValue, validateProcessType } from './validation.ts';

export interface EnvChange {
  readonly set?: Readonly<Record<string, unknown>>;
  readonly unset?: readonly unknown[];
  /** apply to one process type only (Flynn's per-process env) */
  readonly processType?: string;
}

export async function getEnv(ctx: Ctx, app: string, processType?: string): Promise<Record<string, string>> {
  await requireApp(ctx, app);
  const latest = await ctx.store.latestRelease(app);
  if (!latest) return {};
  if (processType) return { ...latest.env, ...(latest.processEnv[processType] ?? {}) };
  return { ...latest.env };
}

/** Validates a change, then appends a release with it; the caller deploys it. */
export async function changeEnv(ctx: Ctx, app: string, change: EnvChange): Promise<Release> {
  await requireApp(ctx, app);
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(change.set ?? {})) set[validateEnvName(k)] = validateEnvValue(k, v);
  const unset = (change.unset ?? []).map((k) => validateEnvName(k));
  if (Object.keys(set).length === 0 && unset.length === 0) {
    throw new ValidationError('nothing to change: give KEY=VALUE pairs to set or KEY names to unset');
  }
  const type = change.processType ? validateProcessType(change.processType) : undefined;
  const parts = [
    Object.keys(set).length ? `set ${Object.keys(set).join(', ')}` : '',
    unset.length ? `unset ${unset.join(', ')}` : '',
  ].filter(Boolean);
  return appendRelease(ctx, app, (latest) => {
    const env = { ...(latest?.env ?? {}) };
    const processEnv: Record<string, Record<string, string>> = {};
    for (const [t, vars] of Object.entries(latest?.processEnv ?? {})) processEnv[t] = { ...vars };
    if (type && !processEnv[type]) processEnv[type] = {};
    const target = type ? processEnv[type]! : env;
    Object.assign(target, set);
    for (const k of unset) delete target[k];
    return {
      app,
      artifactId: latest?.artifactId ?? null,
      env,
      processEnv,
      processes: latest?.processes ?? {},
      description: `Config: ${parts.join('; ')}${type ? ` (${type} only)` : ''}`,
    };
  });
}
