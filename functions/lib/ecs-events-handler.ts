/** ECS task and deployment events → leader terms and deployment progress. Idempotent. */
import type { EcsReleaseDeployer } from '../../adapters/aws/ecs-release-deployer.ts';
import {
  type EcsDeploymentEvent,
  type EcsTaskEvent,
  parseDeploymentEvent,
  parseTaskEvent,
} from '../../adapters/aws/ecs-events.ts';
import type { LeaderKeeper } from '../../adapters/aws/leader-keeper.ts';

export interface EcsEventDeps {
  readonly leaders: Pick<LeaderKeeper, 'onTask'>;
  readonly deployer: Pick<EcsReleaseDeployer, 'onTaskStopped' | 'onServiceDeployment'>;
  /** the platform's name, which starts its ECS service and family names (default 'wharf') */
  readonly namePrefix?: string;
}

export type EcsEvent = EcsTaskEvent | EcsDeploymentEvent;

export async function handleEcsEvent(deps: EcsEventDeps, event: EcsEvent): Promise<string> {
  if (event['detail-type'] === 'ECS Deployment State Change') {
    const change = parseDeploymentEvent(event, deps.namePrefix);
    if (!change) return 'ignored: not a Wharf service';
    if (change.outcome === 'in-progress') return 'deployment in progress';
    await deps.deployer.onServiceDeployment(
      change.app,
      change.processType,
      change.outcome,
      change.reason,
      change.deploymentId,
    );
    return `deployment ${change.outcome}`;
  }
  const change = parseTaskEvent(event, deps.namePrefix);
  if (!change) return 'ignored: not a Wharf task';
  if (change.oneOff) return 'one-off task';
  const term = await deps.leaders.onTask(change.app, change.processType, change.observation);
  if (change.stopped) {
    await deps.deployer.onTaskStopped(
      change.app,
      change.processType,
      change.taskId,
      change.taskDefinitionArn,
      change.stopped.reason,
      change.stopped.exitCode,
    );
  }
  return `leader term ${term.term}: ${term.leaderId ?? 'none'}`;
}
