/**
 * Deploys on AWS: a release becomes, per process type, a task definition and an ECS
 * service update, and ECS does the rolling, health-gated replacement (circuit breaker
 * with rollback). Nothing waits inside a Lambda: the deployment is recorded as running
 * and ECS deployment and task events finish it (onServiceDeployment, onTaskStopped).
 * Every entry point is idempotent, since events arrive at least once and in any order.
 */
import type { Artifact, Deployment, HealthCheck, Release } from '../../core/domain.ts';
import { ConflictError, NotFoundError } from '../../core/errors.ts';
import type { Clock, Ids, InstanceSpec, LogStore, ReleaseDeployer, StateStore } from '../../core/ports.ts';
import type { AlbRouter } from './alb-router.ts';
import type { CloudMapDiscovery } from './cloudmap-discovery.ts';
import type { EcsScheduler } from './ecs-scheduler.ts';

export interface EcsReleaseDeployerOptions {
  readonly store: StateStore;
  readonly scheduler: Pick<EcsScheduler, 'deployService' | 'scale' | 'removeService'>;
  readonly discovery: Pick<CloudMapDiscovery, 'ensureService' | 'ensureLeaderService'>;
  readonly router: Pick<AlbRouter, 'targetGroupArns' | 'setTable'>;
  readonly logs?: Pick<LogStore, 'query'>;
  readonly clock: Clock;
  readonly ids: Ids;
  /** platform env every instance gets (discovery zone...) */
  readonly instanceEnv?: (app: string, processType: string) => Record<string, string>;
}

const stepName = (type: string) => `ecs:${type}`;

export class EcsReleaseDeployer implements ReleaseDeployer {
  private readonly o: EcsReleaseDeployerOptions;

  constructor(options: EcsReleaseDeployerOptions) {
    this.o = options;
  }

  /** Starts the deploy of `version`; a second call for the same version returns the first deployment. */
  async deploy(appName: string, version: number, options: { redeploy?: boolean } = {}): Promise<Deployment> {
    const holder = this.o.ids.next('holder');
    const lease = `deploy/${appName}`;
    // Held only while the services are updated (seconds), not for the rollout itself.
    if (!(await this.o.store.acquireLease(lease, holder, 120_000))) {
      throw new ConflictError(`another deploy of ${appName} is being started: try again in a few seconds`);
    }
    try {
      return await this.deployLeased(appName, version, options.redeploy === true);
    } finally {
      await this.o.store.releaseLease(lease, holder);
    }
  }

  /** Scale is the services' desired counts: ECS starts and stops the tasks. */
  async applyFormation(app: string, changedTypes: readonly string[]): Promise<void> {
    if ((await this.o.store.getCurrentVersion(app)) === null) return;
    const formation = await this.o.store.getFormation(app);
    for (const type of changedTypes) {
      await this.o.scheduler.scale(app, type, formation?.processes[type] ?? 0);
    }
  }

  /** ECS keeps services at their desired state itself; this re-applies the current release (a no-op when it is deployed). */
  async converge(app: string): Promise<void> {
    const current = await this.o.store.getCurrentVersion(app);
    if (current !== null) await this.deploy(app, current);
  }

  /** Deletes the app's services (before its records go: the process types are read from them). */
  async removeApp(app: string): Promise<void> {
    const latest = await this.o.store.latestRelease(app);
    const formation = await this.o.store.getFormation(app);
    const types = new Set([
      ...Object.keys(latest?.processes ?? {}),
      ...Object.keys(formation?.processes ?? {}),
    ]);
    for (const type of types) await this.o.scheduler.removeService(app, type);
  }

  private async deployLeased(appName: string, version: number, redeploy: boolean): Promise<Deployment> {
    const { store, clock } = this.o;
    const existing = (await store.listDeployments(appName)).find(
      (d) => d.toVersion === version && (d.status === 'running' || d.status === 'complete'),
    );
    // a restart or a resize deploys a complete version again; one in flight is joined
    if (existing && !(redeploy && existing.status === 'complete')) return existing;
    const app = await store.getApp(appName);
    if (!app) throw new NotFoundError(`app ${appName} not found`);
    const release = await store.getRelease(appName, version);
    if (!release) throw new NotFoundError(`release v${version} of ${appName} not found`);
    const artifact = release.artifactId ? await store.getArtifact(release.artifactId) : null;
    let formation = await store.getFormation(appName);
    if (!formation) {
      formation = {
        app: appName,
        processes: release.processes['web'] ? { web: 1 } : {},
        updatedAt: clock.now().toISOString(),
      };
      await store.putFormation(formation);
    }
    let deployment: Deployment = {
      id: this.o.ids.next('deploy'),
      app: appName,
      fromVersion: await store.getCurrentVersion(appName),
      toVersion: version,
      strategy: app.strategy,
      status: 'running',
      steps: [],
      createdAt: clock.now().toISOString(),
    };
    await store.putDeployment(deployment);
    await this.event(appName, 'deploy.started', { id: deployment.id, version });
    // Target groups exist only for routed types: apply the routes before the services use them.
    await this.o.router.setTable(
      (await store.listRoutes()).map((r) => ({
        routeId: r.id,
        app: r.app,
        domain: r.domain,
        path: r.path,
        processType: r.processType,
        leader: r.leader,
        sticky: r.sticky,
        backends: [],
      })),
    );
    const steps = [];
    try {
      for (const type of Object.keys(release.processes).sort()) {
        const registry = await this.o.discovery.ensureService(appName, type);
        await this.o.discovery.ensureLeaderService(appName, type);
        const desiredCount = artifact ? (formation.processes[type] ?? 0) : 0;
        const { taskDefinitionArn, deploymentId } = await this.o.scheduler.deployService({
          spec: this.spec(release, artifact, type),
          desiredCount,
          // Application Auto Scaling owns the count of an autoscaled service
          keepDesiredCount: artifact !== null && formation.autoscaling?.[type] !== undefined,
          ...(formation.sizes?.[type] ? { size: formation.sizes[type] } : {}),
          health: app.health[type] ?? defaultHealth(type),
          targetGroupArns: await this.o.router.targetGroupArns(appName, type),
          registryArn: registry.arn,
        });
        steps.push({
          name: stepName(type),
          ms: 0,
          // the ECS deployment id lets a late event of an older rollout be told apart
          detail:
            desiredCount === 0
              ? 'complete'
              : `pending ${taskDefinitionArn}${deploymentId ? ` ${deploymentId}` : ''}`,
        });
      }
    } catch (e) {
      await this.fail(deployment, e instanceof Error ? e.message : String(e), steps);
      throw e;
    }
    deployment = { ...deployment, steps };
    await store.putDeployment(deployment);
    return this.finishIfDone(deployment);
  }

  private spec(release: Release, artifact: Artifact | null, type: string): InstanceSpec {
    return {
      app: release.app,
      processType: type,
      releaseVersion: release.version,
      command: release.processes[type] ?? '',
      env: {
        ...(artifact?.configDefaults ?? {}),
        ...release.env,
        ...(release.processEnv[type] ?? {}),
        ...(this.o.instanceEnv?.(release.app, type) ?? {}),
        WHARF_APP: release.app,
        WHARF_RELEASE: `v${release.version}`,
        WHARF_PROCESS_TYPE: type,
      },
      artifactUri: artifact?.uri ?? null,
    };
  }

  private async running(app: string): Promise<Deployment | null> {
    const all = await this.o.store.listDeployments(app);
    return all.filter((d) => d.status === 'running').at(-1) ?? null;
  }

  /**
   * An ECS service deployment finished (or failed) for one process type. An event of
   * another ECS deployment than the one this rollout started (a late event of an older
   * rollout, reordered) changes nothing.
   */
  async onServiceDeployment(
    app: string,
    processType: string,
    outcome: 'completed' | 'failed',
    reason: string,
    ecsDeploymentId?: string,
  ): Promise<Deployment | null> {
    const deployment = await this.running(app);
    if (!deployment) return null;
    const step = deployment.steps.find(
      (s) => s.name === stepName(processType) && s.detail?.startsWith('pending'),
    );
    const started = step?.detail?.split(' ')[2];
    if (started && ecsDeploymentId && started !== ecsDeploymentId) return deployment;
    const steps = deployment.steps.map((s) =>
      s.name === stepName(processType) && s.detail?.startsWith('pending')
        ? {
            ...s,
            ms: this.o.clock.now().getTime() - Date.parse(deployment.createdAt),
            detail: outcome === 'completed' ? 'complete' : `failed: ${reason}`,
          }
        : s,
    );
    if (outcome === 'failed') {
      const stopped = deployment.steps.filter((s) => s.name === 'task-stopped').at(-1)?.detail;
      await this.fail(
        deployment,
        [`${processType}: ${reason || 'the ECS deployment failed'}`, stopped].filter(Boolean).join('; '),
        steps,
      );
      return this.o.store.getDeployment(deployment.id);
    }
    return this.finishIfDone({ ...deployment, steps });
  }

  /** A task stopped: if it ran the release being deployed, its reason explains a failure. */
  async onTaskStopped(
    app: string,
    processType: string,
    taskId: string,
    taskDefinitionArn: string | null,
    reason: string,
    exitCode: number | null,
  ): Promise<void> {
    const deployment = await this.running(app);
    if (!deployment || !taskDefinitionArn) return;
    const mine = deployment.steps.some(
      (s) => s.name === stepName(processType) && s.detail?.split(' ')[1] === taskDefinitionArn,
    );
    if (!mine || deployment.steps.some((s) => s.name === 'task-stopped' && s.detail?.includes(taskId)))
      return;
    let detail = `task ${taskId} stopped: ${reason}${exitCode !== null ? ` (exit ${exitCode})` : ''}`;
    const lines = await this.o.logs
      ?.query(app, { source: processType, instance: taskId, lines: 10 })
      .catch(() => []);
    if (lines && lines.length > 0) detail += `; last lines: ${lines.map((l) => l.text).join(' | ')}`;
    await this.o.store.putDeployment({
      ...deployment,
      steps: [...deployment.steps, { name: 'task-stopped', ms: 0, detail }],
    });
  }

  private async finishIfDone(deployment: Deployment): Promise<Deployment> {
    const pending = deployment.steps.some(
      (s) => s.name.startsWith('ecs:') && s.detail?.startsWith('pending'),
    );
    if (pending) {
      await this.o.store.putDeployment(deployment);
      return deployment;
    }
    const done: Deployment = {
      ...deployment,
      status: 'complete',
      finishedAt: this.o.clock.now().toISOString(),
    };
    await this.o.store.setCurrentVersion(deployment.app, deployment.toVersion);
    await this.o.store.putDeployment(done);
    await this.event(deployment.app, 'deploy.complete', { id: done.id, version: done.toVersion });
    return done;
  }

  private async fail(deployment: Deployment, error: string, steps: Deployment['steps']): Promise<void> {
    const failed: Deployment = {
      ...deployment,
      steps,
      status: 'failed',
      error,
      finishedAt: this.o.clock.now().toISOString(),
    };
    await this.o.store.putDeployment(failed);
    await this.event(deployment.app, 'deploy.failed', { id: failed.id, version: failed.toVersion, error });
  }

  private async event(app: string, type: string, data: Record<string, unknown>): Promise<void> {
    await this.o.store.appendEvent({ app, type, at: this.o.clock.now().toISOString(), data });
  }
}

function defaultHealth(type: string): HealthCheck | null {
  return type === 'web'
    ? { kind: 'tcp', intervalMs: 5000, timeoutMs: 2000, threshold: 2, startTimeoutMs: 10_000 }
    : null;
}
