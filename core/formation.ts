import { requireApp } from './apps.ts';
import type { Ctx } from './context.ts';
import type { Formation } from './domain.ts';
import { ValidationError } from './errors.ts';
import { recordEvent } from './events.ts';
import { validateProcessType, validateScaleCount } from './validation.ts';

/** Parses `web=3 worker=1` style arguments (the CLI sends them as an object). */
export function parseScaleArgs(args: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const arg of args) {
    const m = /^([^=]+)=(.*)$/.exec(arg);
    if (!m) throw new ValidationError(`invalid scale argument "${arg}": use TYPE=COUNT, e.g. web=3`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

export async function scale(
  ctx: Ctx,
  app: string,
  counts: Readonly<Record<string, unknown>>,
): Promise<Formation> {
  await requireApp(ctx, app);
  const entries = Object.entries(counts);
  if (entries.length === 0)
    throw new ValidationError('nothing to scale: give TYPE=COUNT pairs, e.g. web=3 worker=1');
  const changes: Record<string, number> = {};
  for (const [type, count] of entries) changes[validateProcessType(type)] = validateScaleCount(type, count);
  const release = await ctx.store.latestRelease(app);
  if (release?.artifactId) {
    for (const type of Object.keys(changes)) {
      if (!release.processes[type] && changes[type]! > 0) {
        throw new ValidationError(
          `${app} has no process type "${type}": its release defines ${Object.keys(release.processes).join(', ') || 'none'}; add it to the Procfile`,
        );
      }
    }
  }
  const current = await ctx.store.getFormation(app);
  const formation: Formation = {
    app,
    processes: { ...(current?.processes ?? {}), ...changes },
    updatedAt: ctx.clock.now().toISOString(),
  };
  await ctx.store.putFormation(formation);
  await recordEvent(
    ctx,
    app,
    'scale',
    { processes: formation.processes },
    `scaled to ${fmt(formation.processes)}`,
  );
  await ctx.deployer.applyFormation(app, Object.keys(changes));
  return formation;
}

function fmt(p: Readonly<Record<string, number>>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
