/**
 * Deploys move an app's formation from its current release to a new one with a strategy,
 * health-gated, and roll back when an instance fails. Desired state (the current version
 * and the formation) lives in the store, so `converge` after a restart restores it.
 */
import type { Ctx } from './context.ts';
import type { Deployment, DeployStep, DeployStrategy, Formation, Instance, Release } from './domain.ts';
import { DeployFailedError, NotFoundError } from './errors.ts';
import type { ReleaseDeployer } from './ports.ts';
import { recordEvent } from './events.ts';
import { instanceSpec, loadArtifact } from './instance-spec.ts';
import { allAtOnce } from './deploy/all-at-once.ts';
import { oneByOne } from './deploy/one-by-one.ts';
import { type DeployActions, type DeployStrategyFn, InstanceFailedError } from './deploy/plan.ts';

const STRATEGIES: Record<DeployStrategy, DeployStrategyFn> = {
  'one-by-one': oneByOne,
  'all-at-once': allAtOnce,
};

export interface DeployOptions {
  readonly onStep?: (step: DeployStep) => void;
  readonly strategy?: DeployStrategy;
  /** in process every deploy replaces the instances, so this changes nothing here */
  readonly redeploy?: boolean;
}

function defaultFormation(app: string, release: Release, now: string): Formation {
  return { app, processes: release.processes['web'] ? { web: 1 } : {}, updatedAt: now };
}

function liveInstances(instances: Instance[], processType?: string): Instance[] {
  return instances.filter(
    (i) =>
      !i.oneOff &&
      i.state !== 'stopping' &&
      i.state !== 'down' &&
      (!processType || i.processType === processType),
  );
}

/** Stops an instance after taking it out of traffic and letting requests in flight finish. */
export async function retireInstance(ctx: Ctx, instance: Instance): Promise<void> {
  await ctx.runtime.drain(instance.id);
  if (ctx.settings.drainMs > 0) await ctx.clock.sleep(ctx.settings.drainMs);
  await ctx.scheduler.stop(instance.id, ctx.settings.stopGraceMs);
}

export function deploy(
  ctx: Ctx,
  app: string,
  version: number,
  options: DeployOptions = {},
): Promise<Deployment> {
  return ctx.locks.run(app, () => deployLocked(ctx, app, version, options));
}

async function deployLocked(
  ctx: Ctx,
  appName: string,
  version: number,
  options: DeployOptions,
): Promise<Deployment> {
  const app = await ctx.store.getApp(appName);
  if (!app) throw new NotFoundError(`app "${appName}" not found`);
  const release = await ctx.store.getRelease(appName, version);
  if (!release) throw new NotFoundError(`release v${version} of ${appName} not found`);
  const artifact = await loadArtifact(ctx, release);
  const now = () => ctx.clock.now().getTime();
  let formation = await ctx.store.getFormation(appName);
  if (!formation) {
    formation = defaultFormation(appName, release, ctx.clock.now().toISOString());
    await ctx.store.putFormation(formation);
  }
  const fromVersion = await ctx.store.getCurrentVersion(appName);
  if (fromVersion !== null && version < fromVersion) {
    // a newer release went live while this one waited for the lock: deploying it would undo that
    const latest = (await ctx.store.listDeployments(appName)).at(-1);
    if (latest) return latest;
  }
  const strategy = options.strategy ?? app.strategy;
  const steps: DeployStep[] = [];
  let deployment: Deployment = {
    id: ctx.ids.next('deploy'),
    app: appName,
    fromVersion,
    toVersion: version,
    strategy,
    status: 'running',
    steps,
    createdAt: ctx.clock.now().toISOString(),
  };
  await ctx.store.putDeployment(deployment);
  await recordEvent(
    ctx,
    appName,
    'deploy.started',
    { id: deployment.id, version, fromVersion, strategy },
    `deploying v${version} (${strategy})`,
  );
  const step = (s: DeployStep) => {
    steps.push(s);
    options.onStep?.(s);
  };
  const actions: DeployActions = {
    startNew: (type) => ctx.scheduler.start(instanceSpec(ctx, release, artifact, type)),
    waitHealthy: (instance) => ctx.runtime.waitHealthy(instance.id),
    retire: (instance) => retireInstance(ctx, instance),
    step,
    now,
  };
  const run = async () => {
    const running = liveInstances(await ctx.scheduler.list(appName));
    const types = new Set([...Object.keys(formation.processes), ...running.map((i) => i.processType)]);
    const ordered = [...types].sort((a, b) => (a === 'web' ? -1 : b === 'web' ? 1 : a.localeCompare(b)));
    for (const type of ordered) {
      const desired = artifact && release.processes[type] ? (formation.processes[type] ?? 0) : 0;
      const old = running.filter((i) => i.processType === type);
      await STRATEGIES[strategy]({ processType: type, desired, old }, actions);
    }
  };
  const started = now();
  try {
    await withTimeout(
      ctx,
      run(),
      app.deployTimeoutMs,
      `deploy of v${version} took longer than ${Math.round(app.deployTimeoutMs / 1000)} s`,
    );
    await ctx.store.setCurrentVersion(appName, version);
    deployment = {
      ...deployment,
      status: 'complete',
      steps: [...steps],
      finishedAt: ctx.clock.now().toISOString(),
    };
    await ctx.store.putDeployment(deployment);
    await recordEvent(
      ctx,
      appName,
      'deploy.complete',
      { id: deployment.id, version, ms: now() - started },
      `deployed v${version} in ${now() - started} ms`,
    );
    return deployment;
  } catch (e) {
    const reason = describeFailure(e);
    await rollBack(ctx, appName, version, fromVersion);
    deployment = {
      ...deployment,
      status: 'failed',
      steps: [...steps],
      error: reason.message,
      finishedAt: ctx.clock.now().toISOString(),
    };
    await ctx.store.putDeployment(deployment);
    await recordEvent(
      ctx,
      appName,
      'deploy.failed',
      { id: deployment.id, version, error: reason.message },
      `deploy of v${version} failed: ${reason.message}`,
    );
    throw new DeployFailedError(
      `deploy of v${version} failed: ${reason.message}${fromVersion ? `; v${fromVersion} keeps serving` : ''}`,
      { cause: e, details: { deployment, lastLines: reason.lastLines, exitStatus: reason.exitStatus } },
    );
  }
}

function describeFailure(e: unknown): { message: string; lastLines: string[]; exitStatus: number | null } {
  if (e instanceof InstanceFailedError) {
    return {
      message: e.message,
      lastLines: e.result.lastLines ?? [],
      exitStatus: e.result.exitStatus ?? null,
    };
  }
  return { message: e instanceof Error ? e.message : String(e), lastLines: [], exitStatus: null };
}

async function withTimeout<T>(ctx: Ctx, work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: { done: boolean } = { done: false };
  const timeout = ctx.clock.sleep(ms).then(() => {
    if (!timer.done) throw new Error(message);
    return undefined as T;
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    timer = { done: true };
    void timeout.catch(() => {});
    void work.catch(() => {});
  }
}

/** Stops the failed release's instances and brings the previous release back to its formation. */
async function rollBack(
  ctx: Ctx,
  app: string,
  failedVersion: number,
  fromVersion: number | null,
): Promise<void> {
  for (const instance of liveInstances(await ctx.scheduler.list(app))) {
    if (instance.releaseVersion === failedVersion && failedVersion !== fromVersion) {
      await ctx.runtime.drain(instance.id);
      await ctx.scheduler.stop(instance.id, ctx.settings.stopGraceMs).catch(() => {});
    }
  }
  if (fromVersion !== null) await convergeLocked(ctx, app);
}

/** Makes the running instances match the current release and the formation. */
export function converge(ctx: Ctx, app: string): Promise<void> {
  return ctx.locks.run(app, () => convergeLocked(ctx, app));
}

async function convergeLocked(ctx: Ctx, appName: string): Promise<void> {
  const version = await ctx.store.getCurrentVersion(appName);
  const running = liveInstances(await ctx.scheduler.list(appName));
  if (version === null) {
    for (const i of running) await retireInstance(ctx, i);
    return;
  }
  const release = await ctx.store.getRelease(appName, version);
  if (!release) return;
  const artifact = await loadArtifact(ctx, release);
  const formation =
    (await ctx.store.getFormation(appName)) ??
    defaultFormation(appName, release, ctx.clock.now().toISOString());
  const types = new Set([...Object.keys(formation.processes), ...running.map((i) => i.processType)]);
  for (const type of types) {
    const desired = artifact && release.processes[type] ? (formation.processes[type] ?? 0) : 0;
    const current = running.filter((i) => i.processType === type && i.releaseVersion === version);
    const stale = running.filter((i) => i.processType === type && i.releaseVersion !== version);
    for (let n = current.length; n < desired; n++) {
      await ctx.scheduler.start(instanceSpec(ctx, release, artifact, type));
    }
    const extra = current.sort((a, b) => a.startedAt.localeCompare(b.startedAt)).slice(desired);
    for (const i of [...stale, ...extra]) await retireInstance(ctx, i);
  }
}

/** After a platform restart: deploys cut short are marked failed, and every app converges. */
export async function recover(ctx: Ctx): Promise<void> {
  for (const app of await ctx.store.listApps()) {
    for (const d of await ctx.store.listDeployments(app.name)) {
      if (d.status === 'running' || d.status === 'pending') {
        const current = await ctx.store.getCurrentVersion(app.name);
        await ctx.store.putDeployment({
          ...d,
          status: 'failed',
          error: `interrupted by a platform restart; ${current ? `v${current} restored` : 'nothing was running'}`,
          finishedAt: ctx.clock.now().toISOString(),
        });
        await recordEvent(
          ctx,
          app.name,
          'deploy.failed',
          { id: d.id, version: d.toVersion, error: 'platform restarted' },
          `deploy of v${d.toVersion} was interrupted by a platform restart; rolled back`,
        );
      }
    }
    await ctx.deployer.converge(app.name);
  }
}

/**
 * The local platform's deployer: instances started through the scheduler, health-gated,
 * switched and stopped in this process. `ctx` is read when called, since the Ctx holds it.
 */
export class InProcessDeployer implements ReleaseDeployer {
  readonly #ctx: () => Ctx;

  constructor(ctx: () => Ctx) {
    this.#ctx = ctx;
  }

  deploy(app: string, version: number, options: DeployOptions = {}): Promise<Deployment> {
    return deploy(this.#ctx(), app, version, options);
  }

  applyFormation(app: string): Promise<void> {
    return converge(this.#ctx(), app);
  }

  converge(app: string): Promise<void> {
    return converge(this.#ctx(), app);
  }

  /** Called under the app's lock by destroyApp. */
  async removeApp(app: string): Promise<void> {
    const ctx = this.#ctx();
    for (const instance of await ctx.scheduler.list(app)) {
      await ctx.runtime.drain(instance.id);
      await ctx.scheduler.stop(instance.id, ctx.settings.stopGraceMs);
    }
  }
}
