/** CodeBuild state → build record, artifact and release, then the deploy. Idempotent. */
import { type CodeBuildStateEvent, parseCodeBuildEvent } from '../../adapters/aws/codebuild-events.ts';
import type { EcsReleaseDeployer } from '../../adapters/aws/ecs-release-deployer.ts';
import type { ControlPlane } from '../../core/control-plane.ts';
import { BuildFailedError, ConflictError } from '../../core/errors.ts';
import type { StateStore } from '../../core/ports.ts';

export interface BuildEventDeps {
  readonly controlPlane: Pick<ControlPlane, 'completeBuild'>;
  readonly deployer: Pick<EcsReleaseDeployer, 'deploy'>;
  readonly store: Pick<StateStore, 'acquireLease' | 'releaseLease'>;
  /** unique per invocation, so a lease is never mistaken for another handler's */
  readonly holder: string;
}

export async function handleBuildEvent(deps: BuildEventDeps, event: CodeBuildStateEvent): Promise<string> {
  const state = parseCodeBuildEvent(event);
  if (!state) return 'ignored: not a Wharf build';
  if (state.kind === 'running') return `build ${state.buildId} running`;
  // A duplicated event handled at the same moment must not append a second release.
  const lease = `build/${state.buildId}`;
  if (!(await deps.store.acquireLease(lease, deps.holder, 60_000))) {
    throw new ConflictError(
      `build ${state.buildId} is being completed by another handler; the event will be retried`,
    );
  }
  let completed: Awaited<ReturnType<ControlPlane['completeBuild']>>;
  try {
    completed = await deps.controlPlane.completeBuild(state.buildId, state.outcome);
  } catch (e) {
    if (e instanceof BuildFailedError) return e.message;
    throw e;
  } finally {
    await deps.store.releaseLease(lease, deps.holder);
  }
  const { build, release } = completed;
  if (!release) return `build ${build.id} ${build.status}`;
  const deployment = await deps.deployer.deploy(build.app, release.version);
  return `build ${build.id} made v${release.version}; deployment ${deployment.id} ${deployment.status}`;
}
