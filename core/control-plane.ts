/**
 * The control plane: every use case of Wharf behind one object, built from the ports.
 * The local platform and the Lambda functions both drive this; the API handler maps
 * HTTP routes onto it.
 */
import { AppLocks } from './app-locks.ts';
import * as apps from './apps.ts';
import * as builds from './builds.ts';
import * as configVars from './config-vars.ts';
import type { Ctx } from './context.ts';
import type { CoreDeps } from './deps.ts';
import { InProcessDeployer, recover } from './deployer.ts';
import { defaultHealthCheck, parseHealthChecks } from './discovery/health-config.ts';
import type {
  App,
  AutoscalingConfig,
  Deployment,
  DeployStrategy,
  Formation,
  HealthCheck,
  Instance,
  LogLine,
  Release,
  WharfEvent,
} from './domain.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { recordEvent } from './events.ts';
import { mergeHealth } from './health-merge.ts';
import * as formation from './formation.ts';
import { instanceSpec, loadArtifact } from './instance-spec.ts';
import type { LogQuery } from './ports.ts';
import * as releases from './releases.ts';
import * as routes from './routes.ts';
import { InstanceRuntime } from './runtime.ts';
import { ResourceService } from './resource-service.ts';

export interface ReleaseChange {
  readonly release: Release;
  /** null when the app has nothing running yet (no build, or scaled to zero) */
  readonly deployment: Deployment | null;
}

export interface AppPatch {
  readonly buildpacks?: unknown;
  readonly strategy?: unknown;
  readonly health?: unknown;
  readonly deployTimeoutMs?: unknown;
  readonly branch?: unknown;
}

export class ControlPlane {
  readonly ctx: Ctx;
  readonly resources: ResourceService;

  constructor(deps: CoreDeps, options: { holder: string }) {
    const runtime = new InstanceRuntime(deps, (app, type) => this.healthFor(app, type));
    const deployer = deps.releaseDeployer ?? new InProcessDeployer(() => this.ctx);
    this.ctx = { ...deps, runtime, locks: new AppLocks(deps.store, deps.clock, options.holder), deployer };
    this.resources = new ResourceService(this.ctx);
  }

  /** Starts watching instances and restores every app's desired state. */
  async start(): Promise<void> {
    await this.ctx.runtime.start();
    await recover(this.ctx);
    await this.ctx.runtime.publishNow();
  }

  stop(): void {
    this.ctx.runtime.stop();
  }

  private async healthFor(app: string, processType: string): Promise<HealthCheck | null> {
    const a = await this.ctx.store.getApp(app);
    return a?.health[processType] ?? defaultHealthCheck(processType);
  }

  createApp(input: { name: unknown; branch?: unknown }): Promise<App> {
    return apps.createApp(this.ctx, input);
  }
  listApps(): Promise<App[]> {
    return this.ctx.store.listApps();
  }
  appInfo(name: string): Promise<apps.AppInfo> {
    return apps.appInfo(this.ctx, name);
  }
  destroyApp(name: string, confirm: boolean): Promise<void> {
    return apps.destroyApp(this.ctx, name, confirm);
  }

  async updateApp(name: string, patch: AppPatch): Promise<App> {
    const app = await apps.requireApp(this.ctx, name);
    const changes: { -readonly [K in keyof App]?: App[K] } = {};
    if (patch.buildpacks !== undefined) {
      if (
        !Array.isArray(patch.buildpacks) ||
        patch.buildpacks.some((b) => typeof b !== 'string' || !b.trim())
      ) {
        throw new ValidationError(
          'buildpacks must be a list of buildpack URLs or names, e.g. ["heroku/nodejs"]',
        );
      }
      changes.buildpacks = patch.buildpacks.map((b: string) => b.trim());
    }
    if (patch.strategy !== undefined) {
      if (patch.strategy !== 'one-by-one' && patch.strategy !== 'all-at-once') {
        throw new ValidationError(
          `invalid deploy strategy "${String(patch.strategy)}": use one-by-one or all-at-once`,
        );
      }
      changes.strategy = patch.strategy as DeployStrategy;
    }
    if (patch.health !== undefined) {
      changes.health = mergeHealth(
        app.health,
        parseHealthChecks({ wharfJson: { healthchecks: patch.health } }),
      );
    }
    if (patch.deployTimeoutMs !== undefined) {
      const t = patch.deployTimeoutMs;
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 1000 || t > 3_600_000) {
        throw new ValidationError(
          'deployTimeoutMs must be a whole number of milliseconds from 1000 to 3600000',
        );
      }
      changes.deployTimeoutMs = t;
    }
    if (patch.branch !== undefined) {
      if (typeof patch.branch !== 'string' || !/^[A-Za-z0-9._/-]{1,100}$/.test(patch.branch)) {
        throw new ValidationError(
          `invalid branch "${String(patch.branch)}": give a git branch name such as main`,
        );
      }
      changes.branch = patch.branch;
    }
    const updated = await this.ctx.store.updateApp(name, changes);
    await recordEvent(this.ctx, name, 'app.updated', { fields: Object.keys(changes) });
    return updated;
  }

  getEnv(app: string, processType?: string): Promise<Record<string, string>> {
    return configVars.getEnv(this.ctx, app, processType);
  }

  async changeEnv(app: string, change: configVars.EnvChange): Promise<ReleaseChange> {
    const release = await configVars.changeEnv(this.ctx, app, change);
    return { release, deployment: await this.deployIfRunning(app, release) };
  }

  private async deployIfRunning(app: string, release: Release): Promise<Deployment | null> {
    const current = await this.ctx.store.getCurrentVersion(app);
    if (current === null || !release.artifactId) return null;
    return this.ctx.deployer.deploy(app, release.version);
  }

  listReleases(app: string): Promise<Release[]> {
    return releases.listReleases(this.ctx, app);
  }
  getRelease(app: string, version?: unknown): Promise<Release> {
    return releases.getRelease(this.ctx, app, version);
  }
  async rollback(app: string, version?: unknown): Promise<ReleaseChange> {
    const release = await releases.rollbackRelease(this.ctx, app, version);
    return { release, deployment: await this.ctx.deployer.deploy(app, release.version) };
  }

  scale(app: string, counts: Readonly<Record<string, unknown>>) {
    return formation.scale(this.ctx, app, counts);
  }
  resize(app: string, sizes: Readonly<Record<string, unknown>>) {
    return formation.resize(this.ctx, app, sizes);
  }
  /** Records autoscaling; the runtime's adapter applies it (AWS: Application Auto Scaling). */
  setAutoscaling(app: string, processType: string, config: AutoscalingConfig | null) {
    return formation.setAutoscaling(this.ctx, app, processType, config);
  }
  /** The stored formation; an app never scaled has none yet (`updatedAt` null). */
  async getFormation(app: string): Promise<Omit<Formation, 'updatedAt'> & { updatedAt: string | null }> {
    await apps.requireApp(this.ctx, app);
    return (await this.ctx.store.getFormation(app)) ?? { app, processes: {}, updatedAt: null };
  }
  async instances(app: string): Promise<Instance[]> {
    return (await apps.appInfo(this.ctx, app)).instances;
  }
  /** Restarts every instance of the current release, one by one (a redeploy of the same release). */
  async restart(app: string): Promise<Deployment> {
    const current = await this.ctx.store.getCurrentVersion(app);
    if (current === null) throw new ValidationError(`${app} is not running anything yet: push code first`);
    return this.ctx.deployer.deploy(app, current, { redeploy: true });
  }
  converge(app: string): Promise<void> {
    return this.ctx.deployer.converge(app);
  }

  listRoutes(app: string) {
    return routes.listRoutes(this.ctx, app);
  }
  addRoute(app: string, input: routes.RouteInput) {
    return routes.addRoute(this.ctx, app, input);
  }
  removeRoute(app: string, id: string) {
    return routes.removeRoute(this.ctx, app, id);
  }

  push(app: string, options: builds.PushOptions) {
    return builds.push(this.ctx, app, options);
  }
  completeBuild(buildId: string, outcome: Parameters<typeof builds.completeBuild>[2]) {
    return builds.completeBuild(this.ctx, buildId, outcome);
  }
  listBuilds(app: string) {
    return builds.listBuilds(this.ctx, app);
  }
  getBuild(id: string) {
    return builds.getBuild(this.ctx, id);
  }
  async buildLog(id: string): Promise<LogLine[]> {
    const build = await builds.getBuild(this.ctx, id);
    return this.ctx.logs.query(build.app, { source: 'build', instance: id, lines: 100_000 });
  }
  async listDeployments(app: string): Promise<Deployment[]> {
    await apps.requireApp(this.ctx, app);
    return this.ctx.store.listDeployments(app);
  }
  async getDeployment(id: string): Promise<Deployment> {
    const d = await this.ctx.store.getDeployment(id);
    if (!d) throw new NotFoundError(`deployment ${id} not found`);
    return d;
  }

  async listEvents(filter: { app?: string; afterSeq?: number; limit?: number }): Promise<WharfEvent[]> {
    if (filter.app) await apps.requireApp(this.ctx, filter.app);
    return this.ctx.store.listEvents(filter);
  }
  followEvents(filter: { app?: string }, onEvent: (e: WharfEvent) => void): () => void {
    return this.ctx.bus.subscribe((e) => {
      if (e.seq > 0 && (!filter.app || e.app === filter.app)) onEvent(e);
    });
  }

  async queryLogs(app: string, query: LogQuery): Promise<LogLine[]> {
    await apps.requireApp(this.ctx, app);
    return this.ctx.logs.query(app, query);
  }
  async followLogs(app: string, query: LogQuery, onLine: (line: LogLine) => void): Promise<() => void> {
    await apps.requireApp(this.ctx, app);
    return this.ctx.logs.follow(app, query, onLine);
  }

  /** `wharf run`: a one-off instance of the current release with its output streamed. */
  async runOneOff(
    app: string,
    command: string,
    io: Parameters<CoreDeps['scheduler']['runOneOff']>[1],
  ): Promise<{ exitStatus: number | null; signal: string | null }> {
    if (typeof command !== 'string' || !command.trim()) {
      throw new ValidationError('give a command to run, e.g. `wharf run -- node -v`');
    }
    const release = await releases.getRelease(this.ctx, app);
    const artifact = await loadArtifact(this.ctx, release);
    if (!artifact) throw new ValidationError(`${app} has no build yet: push code before \`wharf run\``);
    await recordEvent(
      this.ctx,
      app,
      'run.started',
      { command, version: release.version },
      `one-off run: ${command}`,
    );
    return this.ctx.scheduler.runOneOff(instanceSpec(this.ctx, release, artifact, 'run', command), io);
  }
}
