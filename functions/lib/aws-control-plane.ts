/**
 * The core's ControlPlane with deploys handed to ECS. The core deployer starts instances
 * one at a time and waits for their health in process, which a Lambda cannot do; on AWS
 * ECS rolls the service and its events finish the deployment. Until the core has a
 * Deployer port (see docs/aws-control-plane.md), the use cases that deploy are
 * overridden here with the same validation and records.
 */
import * as configVars from '../../core/config-vars.ts';
import { ControlPlane, type ReleaseChange } from '../../core/control-plane.ts';
import type { CoreDeps } from '../../core/deps.ts';
import type { Deployment, Formation, Release } from '../../core/domain.ts';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import * as releases from '../../core/releases.ts';
import { validateProcessType, validateScaleCount } from '../../core/validation.ts';
import type { EcsReleaseDeployer } from '../../adapters/aws/ecs-release-deployer.ts';
import type { EcsScheduler } from '../../adapters/aws/ecs-scheduler.ts';

export interface AwsControlPlaneExtras {
  readonly deployer: EcsReleaseDeployer;
  readonly ecs: EcsScheduler;
}

export class AwsControlPlane extends ControlPlane {
  readonly aws: AwsControlPlaneExtras;

  constructor(deps: CoreDeps, extras: AwsControlPlaneExtras, options: { holder: string }) {
    super(deps, options);
    this.aws = extras;
  }

  private async deployIfRunningOnEcs(
    app: string,
    version: number,
    hasArtifact: boolean,
  ): Promise<Deployment | null> {
    const current = await this.ctx.store.getCurrentVersion(app);
    if (current === null || !hasArtifact) return null;
    return this.aws.deployer.deploy(app, version);
  }

  override async changeEnv(app: string, change: configVars.EnvChange): Promise<ReleaseChange> {
    const release = await configVars.changeEnv(this.ctx, app, change);
    return {
      release,
      deployment: await this.deployIfRunningOnEcs(app, release.version, !!release.artifactId),
    };
  }

  override async rollback(app: string, version?: unknown): Promise<ReleaseChange> {
    const release = await releases.rollbackRelease(this.ctx, app, version);
    return { release, deployment: await this.aws.deployer.deploy(app, release.version) };
  }

  override async restart(app: string): Promise<Deployment> {
    const current = await this.ctx.store.getCurrentVersion(app);
    if (current === null) throw new ValidationError(`${app} is not running anything yet: push code first`);
    return this.aws.deployer.deploy(app, current);
  }

  /** Scale is the services' desired counts; ECS starts and stops the tasks. */
  override async scale(app: string, counts: Readonly<Record<string, unknown>>): Promise<Formation> {
    const entries = Object.entries(counts);
    if (entries.length === 0)
      throw new ValidationError('nothing to scale: give TYPE=COUNT pairs, e.g. web=3 worker=1');
    const changes: Record<string, number> = {};
    for (const [type, count] of entries) changes[validateProcessType(type)] = validateScaleCount(type, count);
    const appRecord = await this.ctx.store.getApp(app);
    if (!appRecord) throw new ValidationError(`app ${app} not found`);
    const current = await this.ctx.store.getFormation(app);
    const formation: Formation = {
      app,
      processes: { ...(current?.processes ?? {}), ...changes },
      updatedAt: this.ctx.clock.now().toISOString(),
    };
    await this.ctx.store.putFormation(formation);
    await this.ctx.store.appendEvent({
      app,
      type: 'scale',
      at: formation.updatedAt,
      data: { processes: formation.processes },
    });
    if ((await this.ctx.store.getCurrentVersion(app)) !== null) {
      for (const [type, count] of Object.entries(changes)) await this.aws.ecs.scale(app, type, count);
    }
    return formation;
  }

  /** ECS would restart the tasks of a live service: the services go first, then the core's teardown. */
  override async destroyApp(name: string, confirm: boolean): Promise<void> {
    if (confirm) {
      const latest = await this.ctx.store.latestRelease(name);
      const formation = await this.ctx.store.getFormation(name);
      const types = new Set([
        ...Object.keys(latest?.processes ?? {}),
        ...Object.keys(formation?.processes ?? {}),
      ]);
      for (const type of types) await this.aws.ecs.removeService(name, type);
    }
    await super.destroyApp(name, confirm);
  }

  /**
   * A resource's stack finished: as ResourceService.markReady, but the release it makes is
   * deployed through ECS. Idempotent: a resource already ready changes nothing.
   */
  async markResourceReady(
    app: string,
    name: string,
    env: Record<string, string>,
    meta: Record<string, unknown>,
  ): Promise<{ release: Release | null; deployment: Deployment | null }> {
    const r = await this.ctx.store.getResource(app, name);
    if (!r) throw new NotFoundError(`${app} has no resource "${name}"`);
    if (r.status === 'ready') return { release: null, deployment: null };
    await this.ctx.store.putResource({ ...r, status: 'ready', env, meta: { ...r.meta, ...meta } });
    const release = await releases.appendRelease(this.ctx, app, (latest) => ({
      app,
      artifactId: latest?.artifactId ?? null,
      env: { ...(latest?.env ?? {}), ...env },
      processEnv: latest?.processEnv ?? {},
      processes: latest?.processes ?? {},
      description: `Attach ${name} (${r.provider})`,
    }));
    return {
      release,
      deployment: await this.deployIfRunningOnEcs(app, release.version, !!release.artifactId),
    };
  }

  override async converge(app: string): Promise<void> {
    const current = await this.ctx.store.getCurrentVersion(app);
    if (current !== null) await this.aws.deployer.deploy(app, current);
  }
}
