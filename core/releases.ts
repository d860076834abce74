import { requireApp } from './apps.ts';
import type { Ctx } from './context.ts';
import type { Release } from './domain.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { recordEvent } from './events.ts';
import type { ReleaseDraft } from './ports.ts';

/** Appends a release derived from the latest one and records it. */
export async function appendRelease(
  ctx: Ctx,
  app: string,
  change: (latest: Release | null) => ReleaseDraft,
): Promise<Release> {
  const release = await ctx.store.appendRelease(app, change);
  await recordEvent(
    ctx,
    app,
    'release.created',
    { version: release.version, description: release.description },
    `release v${release.version} created: ${release.description}`,
  );
  return release;
}

export function parseVersion(value: unknown): number {
  const text = String(value);
  const m = /^v?(\d{1,9})$/.exec(text);
  if (!m) throw new ValidationError(`invalid release "${text}": give a release number such as v3`);
  return Number(m[1]);
}

export async function getRelease(ctx: Ctx, app: string, version?: unknown): Promise<Release> {
  await requireApp(ctx, app);
  if (version === undefined || version === null || version === '') {
    const current = await ctx.store.getCurrentVersion(app);
    const release = current ? await ctx.store.getRelease(app, current) : await ctx.store.latestRelease(app);
    if (!release)
      throw new NotFoundError(
        `${app} has no releases yet: push code with \`git push wharf main\` (on AWS: a push to the git host, or \`wharf deploy\`)`,
      );
    return release;
  }
  const n = parseVersion(version);
  const release = await ctx.store.getRelease(app, n);
  if (!release) throw new NotFoundError(`release v${n} of ${app} not found: see \`wharf release list\``);
  return release;
}

export async function listReleases(ctx: Ctx, app: string): Promise<Release[]> {
  await requireApp(ctx, app);
  return ctx.store.listReleases(app);
}

/**
 * Rollback makes a new release with an earlier release's artifact, config and processes
 * (Heroku's semantics: history only grows), which the caller then deploys.
 */
export async function rollbackRelease(ctx: Ctx, app: string, version?: unknown): Promise<Release> {
  await requireApp(ctx, app);
  let target: Release | null;
  if (version === undefined || version === null || version === '') {
    const current = await ctx.store.getCurrentVersion(app);
    const releases = await ctx.store.listReleases(app);
    target =
      releases
        .filter((r) => r.version < (current ?? Number.POSITIVE_INFINITY) && r.artifactId)
        .sort((a, b) => b.version - a.version)[0] ?? null;
    if (!target) throw new ValidationError(`${app} has no earlier release to roll back to`);
  } else {
    target = await getRelease(ctx, app, version);
  }
  if (!target.artifactId) {
    throw new ValidationError(
      `release v${target.version} has no build to run: choose a release made by a push`,
    );
  }
  const from = target;
  return appendRelease(ctx, app, () => ({
    app,
    artifactId: from.artifactId,
    env: from.env,
    processEnv: from.processEnv,
    processes: from.processes,
    description: `Rollback to v${from.version}`,
  }));
}
