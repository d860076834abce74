/** CodeBuild state → build record, artifact and release, then the deploy. Idempotent. */
import { type CodeBuildStateEvent, parseCodeBuildEvent } from '../../adapters/aws/codebuild-events.ts';
import type { EcsReleaseDeployer } from '../../adapters/aws/ecs-release-deployer.ts';
import type { ControlPlane } from '../../core/control-plane.ts';

export interface BuildEventDeps {
  readonly controlPlane: Pick<ControlPlane, 'completeBuild'>;
  readonly deployer: Pick<EcsReleaseDeployer, 'deploy'>;
}

export async function handleBuildEvent(deps: BuildEventDeps, event: CodeBuildStateEvent): Promise<string> {
  const state = parseCodeBuildEvent(event);
  if (!state) return 'ignored: not a Wharf build';
  if (state.kind === 'running') return `build ${state.buildId} running`;
  const { build, release } = await deps.controlPlane.completeBuild(state.buildId, state.outcome);
  if (!release) return `build ${build.id} ${build.status}`;
  const deployment = await deps.deployer.deploy(build.app, release.version);
  return `build ${build.id} made v${release.version}; deployment ${deployment.id} ${deployment.status}`;
}
