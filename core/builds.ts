import { requireApp } from './apps.ts';
import type { Ctx } from './context.ts';
import type { Artifact, Build, Deployment, DeployStep, HealthCheck, Release } from './domain.ts';
import { BuildFailedError, NotFoundError } from './errors.ts';
import { recordEvent } from './events.ts';
import type { BuildOutcome, BuildRequest } from './ports.ts';
import { appendRelease } from './releases.ts';
import { parseHealthChecks } from './discovery/health-config.ts';
import { mergeHealth } from './health-merge.ts';

export interface PushResult {
  readonly build: Build;
  readonly release: Release | null;
  readonly deployment: Deployment | null;
}

export interface PushOptions {
  readonly source: BuildRequest['source'];
  readonly sourceVersion: string;
  readonly output: (line: string) => void;
  readonly onStep?: (step: DeployStep) => void;
}

/**
 * A push: build the source, make a release from the artifact and the latest config,
 * deploy it. A failed build changes nothing else: the running release keeps serving.
 */
export async function push(ctx: Ctx, appName: string, options: PushOptions): Promise<PushResult> {
  const app = await requireApp(ctx, appName);
  const latest = await ctx.store.latestRelease(appName);
  const build: Build = {
    id: ctx.ids.next('build'),
    app: appName,
    status: 'running',
    sourceVersion: options.sourceVersion,
    createdAt: ctx.clock.now().toISOString(),
  };
  await ctx.store.putBuild(build);
  await recordEvent(
    ctx,
    appName,
    'build.started',
    { id: build.id, sourceVersion: options.sourceVersion },
    `build ${build.id} started for ${options.sourceVersion.slice(0, 12)}`,
  );
  const t0 = ctx.clock.now().getTime();
  const output = (line: string) => {
    options.output(line);
    ctx.logs.append({
      at: ctx.clock.now().toISOString(),
      app: appName,
      source: 'build',
      instance: build.id,
      stream: 'stdout',
      text: line,
    });
  };
  let outcome: BuildOutcome | { pending: true };
  try {
    outcome = await ctx.builder.build(
      {
        buildId: build.id,
        app: appName,
        sourceVersion: options.sourceVersion,
        source: options.source,
        env: latest?.env ?? {},
        buildpacks: app.buildpacks,
      },
      output,
    );
  } catch (e) {
    outcome = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  options.onStep?.({ name: 'build', ms: ctx.clock.now().getTime() - t0 });
  if ('pending' in outcome) return { build, release: null, deployment: null };
  const t1 = ctx.clock.now().getTime();
  const done = await completeBuild(ctx, build.id, outcome);
  if (done.release)
    options.onStep?.({
      name: 'release',
      ms: ctx.clock.now().getTime() - t1,
      detail: `v${done.release.version}`,
    });
  if (!done.release) return { build: done.build, release: null, deployment: null };
  const deployment = await ctx.deployer.deploy(
    appName,
    done.release.version,
    options.onStep ? { onStep: options.onStep } : {},
  );
  return { build: done.build, release: done.release, deployment };
}

/**
 * Records a build's outcome and, when it succeeded, its artifact and release. Idempotent:
 * a build already finished returns what it made (events arrive at least once on AWS).
 */
export async function completeBuild(
  ctx: Ctx,
  buildId: string,
  outcome: BuildOutcome,
): Promise<{ build: Build; release: Release | null }> {
  const build = await ctx.store.getBuild(buildId);
  if (!build) throw new NotFoundError(`build ${buildId} not found`);
  if (build.status === 'succeeded' || build.status === 'failed') {
    const release = build.artifactId
      ? ((await ctx.store.listReleases(build.app)).find((r) => r.artifactId === build.artifactId) ?? null)
      : null;
    return { build, release };
  }
  const finishedAt = ctx.clock.now().toISOString();
  let configured: Record<string, HealthCheck | null> = {};
  if (outcome.ok && outcome.appConfig) {
    try {
      configured = parseHealthChecks(outcome.appConfig);
    } catch (e) {
      outcome = { ...outcome, ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }
  if (!outcome.ok || !outcome.artifact) {
    const failed: Build = {
      ...build,
      status: 'failed',
      finishedAt,
      error: outcome.error ?? 'build failed',
      ...(outcome.timings ? { timings: outcome.timings } : {}),
    };
    await ctx.store.putBuild(failed);
    await recordEvent(
      ctx,
      build.app,
      'build.failed',
      { id: buildId, error: failed.error },
      `build ${buildId} failed: ${failed.error}`,
    );
    throw new BuildFailedError(`build ${buildId} failed: ${failed.error}; the running release is unchanged`, {
      details: { build: failed },
    });
  }
  const artifact: Artifact = {
    ...outcome.artifact,
    id: ctx.ids.next('artifact'),
    app: build.app,
    createdAt: finishedAt,
  };
  await ctx.store.putArtifact(artifact);
  const succeeded: Build = {
    ...build,
    status: 'succeeded',
    finishedAt,
    artifactId: artifact.id,
    processTypes: artifact.processTypes,
    ...(outcome.buildpacks ? { buildpacks: outcome.buildpacks } : {}),
    ...(outcome.cacheHit !== undefined ? { cacheHit: outcome.cacheHit } : {}),
    ...(outcome.timings ? { timings: outcome.timings } : {}),
  };
  await ctx.store.putBuild(succeeded);
  if (Object.keys(configured).length) {
    const app = await ctx.store.getApp(build.app);
    if (app) {
      await ctx.store.updateApp(build.app, { health: mergeHealth(app.health, configured) });
    }
  }
  await recordEvent(
    ctx,
    build.app,
    'build.succeeded',
    { id: buildId, artifact: artifact.id },
    `build ${buildId} succeeded`,
  );
  const release = await appendRelease(ctx, build.app, (latest) => ({
    app: build.app,
    artifactId: artifact.id,
    env: latest?.env ?? {},
    processEnv: latest?.processEnv ?? {},
    processes: artifact.processTypes,
    description: `Deploy ${build.sourceVersion.slice(0, 7)}`,
  }));
  return { build: succeeded, release };
}

export async function listBuilds(ctx: Ctx, app: string): Promise<Build[]> {
  await requireApp(ctx, app);
  return ctx.store.listBuilds(app);
}

export async function getBuild(ctx: Ctx, id: string): Promise<Build> {
  const build = await ctx.store.getBuild(id);
  if (!build) throw new NotFoundError(`build ${id} not found: see \`wharf builds\``);
  return build;
}
