/** EventBridge events from ECS, parsed into what the control plane needs. */
import { ValidationError } from '../../core/errors.ts';
import type { TaskObservation } from '../../core/leader-term/term.ts';
import { parseEcsName, parseTaskGroup, taskIdOf } from './ecs-names.ts';

export interface EcsTaskEvent {
  readonly 'detail-type': 'ECS Task State Change';
  readonly detail: {
    readonly taskArn: string;
    readonly group?: string;
    readonly taskDefinitionArn?: string;
    readonly lastStatus?: string;
    readonly desiredStatus?: string;
    readonly healthStatus?: string;
    readonly startedAt?: string;
    readonly createdAt?: string;
    readonly stoppedReason?: string;
    readonly stopCode?: string;
    readonly startedBy?: string;
    readonly version?: number;
    readonly containers?: readonly {
      name?: string;
      exitCode?: number;
      reason?: string;
      healthStatus?: string;
    }[];
    readonly attachments?: readonly { details?: readonly { name?: string; value?: string }[] }[];
  };
}

export interface EcsDeploymentEvent {
  readonly 'detail-type': 'ECS Deployment State Change';
  readonly resources?: readonly string[];
  readonly detail: { readonly eventName?: string; readonly deploymentId?: string; readonly reason?: string };
}

export interface TaskChange {
  readonly app: string;
  readonly processType: string;
  readonly taskId: string;
  readonly taskDefinitionArn: string | null;
  readonly oneOff: boolean;
  readonly observation: TaskObservation;
  /** set when the task stopped: why, and the container's exit code */
  readonly stopped: { readonly reason: string; readonly exitCode: number | null } | null;
}

/** `namePrefix`: the platform's name, which starts its service and family names (default 'wharf'). */
export function parseTaskEvent(event: EcsTaskEvent, namePrefix?: string): TaskChange | null {
  const d = event.detail;
  if (!d?.taskArn) throw new ValidationError('not an ECS task state-change event: detail.taskArn is missing');
  const names =
    parseTaskGroup(d.group, namePrefix) ??
    parseEcsName(d.taskDefinitionArn?.split('/').pop()?.replace(/:\d+$/, '') ?? '', namePrefix);
  if (!names) return null; // not a Wharf task
  const taskId = taskIdOf(d.taskArn);
  const container = d.containers?.find((c) => c.name === names.processType) ?? d.containers?.[0];
  const stopped = d.lastStatus === 'STOPPED' || d.desiredStatus === 'STOPPED';
  const running = d.lastStatus === 'RUNNING';
  // Without a container health check ECS reports UNKNOWN: a running task then counts as healthy.
  const health = d.healthStatus ?? container?.healthStatus ?? 'UNKNOWN';
  const healthy = running && !stopped && (health === 'HEALTHY' || health === 'UNKNOWN');
  const host =
    d.attachments?.flatMap((a) => a.details ?? []).find((x) => x.name === 'privateIPv4Address')?.value ??
    null;
  return {
    app: names.app,
    processType: names.processType,
    taskId,
    taskDefinitionArn: d.taskDefinitionArn ?? null,
    oneOff: d.startedBy === 'wharf-run',
    observation: {
      taskId,
      version: d.version ?? 0,
      startedAt: d.startedAt ?? null,
      healthy,
      stopped,
      host,
    },
    stopped:
      d.lastStatus === 'STOPPED'
        ? {
            reason:
              [d.stoppedReason, container?.reason].filter(Boolean).join(': ') || d.stopCode || 'stopped',
            exitCode: container?.exitCode ?? null,
          }
        : null,
  };
}

export interface DeploymentChange {
  readonly app: string;
  readonly processType: string;
  readonly outcome: 'in-progress' | 'completed' | 'failed';
  readonly reason: string;
  /** `ecs-svc/…`: which rollout of the service the event is about */
  readonly deploymentId?: string;
}

export function parseDeploymentEvent(
  event: EcsDeploymentEvent,
  namePrefix?: string,
): DeploymentChange | null {
  const serviceArn = event.resources?.[0];
  const names = serviceArn ? parseEcsName(serviceArn.split('/').pop() ?? '', namePrefix) : null;
  if (!names) return null;
  const name = event.detail?.eventName;
  const outcome =
    name === 'SERVICE_DEPLOYMENT_COMPLETED'
      ? 'completed'
      : name === 'SERVICE_DEPLOYMENT_FAILED'
        ? 'failed'
        : 'in-progress';
  const deploymentId = event.detail?.deploymentId;
  return { ...names, outcome, reason: event.detail?.reason ?? '', ...(deploymentId ? { deploymentId } : {}) };
}
