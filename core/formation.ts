import { requireApp } from './apps.ts';
import type { Ctx } from './context.ts';
import type { AutoscalingConfig, Deployment, Formation, ProcessSize } from './domain.ts';
import { ValidationError } from './errors.ts';
import { recordEvent } from './events.ts';
import { formatProcessSize, parseProcessSize } from './process-size.ts';
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
  for (const type of Object.keys(changes)) {
    const auto = current?.autoscaling?.[type];
    if (auto) {
      throw new ValidationError(
        `${type} of ${app} is autoscaled between ${auto.min} and ${auto.max} instances: change the range with \`wharf autoscale ${type} --min N --max N …\`, or turn autoscaling off with \`wharf autoscale ${type} --off\` and scale it yourself`,
        { details: { field: type, value: changes[type] } },
      );
    }
  }
  const formation: Formation = {
    ...current,
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

/**
 * Sets CPU and memory of process types: `{ web: { cpu: "1", memory: "2 GB" } }`, or null
 * for a type to go back to the default. The running release is deployed again with them
 * (on AWS, new task definitions; locally the instances restart, sizes are not enforced).
 */
export async function resize(
  ctx: Ctx,
  app: string,
  sizes: Readonly<Record<string, unknown>>,
): Promise<{ formation: Formation; deployment: Deployment | null }> {
  await requireApp(ctx, app);
  const entries = Object.entries(sizes);
  if (entries.length === 0) {
    throw new ValidationError('nothing to resize: give TYPE cpu=VCPU memory=SIZE, e.g. web cpu=1 memory=2GB');
  }
  const changes: Record<string, ProcessSize | null> = {};
  for (const [rawType, value] of entries) {
    const type = validateProcessType(rawType);
    if (value === null) {
      changes[type] = null;
      continue;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ValidationError(
        `invalid size for ${type}: give {"cpu": VCPU, "memory": "SIZE"}, e.g. {"cpu": 1, "memory": "2 GB"}, or null for the default`,
      );
    }
    const v = value as Record<string, unknown>;
    const text = (x: unknown) => (x === undefined || x === null ? undefined : String(x));
    changes[type] = parseProcessSize(text(v['cpu']), text(v['memory']), {
      cpu: `cpu of ${type}`,
      memory: `memory of ${type}`,
    });
  }
  const current = await ctx.store.getFormation(app);
  const next: Record<string, ProcessSize> = { ...(current?.sizes ?? {}) };
  for (const [type, size] of Object.entries(changes)) {
    if (size) next[type] = size;
    else delete next[type];
  }
  const formation: Formation = {
    ...current,
    app,
    processes: current?.processes ?? {},
    sizes: next,
    updatedAt: ctx.clock.now().toISOString(),
  };
  await ctx.store.putFormation(formation);
  await recordEvent(
    ctx,
    app,
    'resize',
    { sizes: changes },
    `resized ${Object.entries(changes)
      .map(([t, s]) => `${t} to ${s ? formatProcessSize(s) : 'the default'}`)
      .join(', ')}`,
  );
  const version = await ctx.store.getCurrentVersion(app);
  const deployment = version === null ? null : await ctx.deployer.deploy(app, version, { redeploy: true });
  return { formation, deployment };
}

/**
 * Records a process type's autoscaling (null: none). While it is set the count is the
 * runtime's to choose: it starts inside min..max, and `scale` refuses the type.
 */
export async function setAutoscaling(
  ctx: Ctx,
  app: string,
  processType: string,
  config: AutoscalingConfig | null,
): Promise<Formation> {
  await requireApp(ctx, app);
  const type = validateProcessType(processType);
  const current = await ctx.store.getFormation(app);
  const autoscaling: Record<string, AutoscalingConfig> = { ...(current?.autoscaling ?? {}) };
  const processes: Record<string, number> = { ...(current?.processes ?? {}) };
  if (config) {
    autoscaling[type] = config;
    processes[type] = Math.min(config.max, Math.max(config.min, processes[type] ?? config.min));
  } else {
    delete autoscaling[type];
  }
  const formation: Formation = {
    ...current,
    app,
    processes,
    autoscaling,
    updatedAt: ctx.clock.now().toISOString(),
  };
  await ctx.store.putFormation(formation);
  await recordEvent(
    ctx,
    app,
    'autoscaling',
    { processType: type, autoscaling: config },
    config ? `${type} autoscales from ${config.min} to ${config.max}` : `${type} autoscaling removed`,
  );
  return formation;
}

function fmt(p: Readonly<Record<string, number>>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
