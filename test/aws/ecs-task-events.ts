/** ECS "Task State Change" events as EventBridge delivers them, for replay tests. */
import type { EcsTaskEvent } from '../../adapters/aws/ecs-events.ts';

export interface TaskScript {
  readonly id: string;
  readonly ip: string;
  readonly startedAt: string;
  readonly app?: string;
  readonly type?: string;
}

const CLUSTER = 'arn:aws:ecs:eu-west-1:111122223333';

export function taskEvent(
  t: TaskScript,
  version: number,
  lastStatus: string,
  healthStatus: string,
  extra: Partial<EcsTaskEvent['detail']> = {},
): EcsTaskEvent {
  const app = t.app ?? 'shop';
  const type = t.type ?? 'web';
  return {
    'detail-type': 'ECS Task State Change',
    detail: {
      taskArn: `${CLUSTER}:task/wharf/${t.id}`,
      group: `service:wharf-${app}_${type}`,
      taskDefinitionArn: `${CLUSTER}:task-definition/wharf-${app}_${type}:7`,
      lastStatus,
      desiredStatus: lastStatus === 'STOPPED' || lastStatus === 'STOPPING' ? 'STOPPED' : 'RUNNING',
      healthStatus,
      createdAt: t.startedAt,
      ...(lastStatus === 'PROVISIONING' || lastStatus === 'PENDING' ? {} : { startedAt: t.startedAt }),
      startedBy: 'ecs-svc/123',
      version,
      containers: [{ name: type, healthStatus, ...(lastStatus === 'STOPPED' ? { exitCode: 137 } : {}) }],
      attachments: [{ details: [{ name: 'privateIPv4Address', value: t.ip }] }],
      ...extra,
    },
  };
}

/** A task's whole life: provisioning → running → healthy, optionally stopping → stopped. */
export function lifecycle(t: TaskScript, stops: boolean): EcsTaskEvent[] {
  const events = [
    taskEvent(t, 1, 'PROVISIONING', 'UNKNOWN'),
    taskEvent(t, 2, 'PENDING', 'UNKNOWN'),
    taskEvent(t, 3, 'RUNNING', 'UNKNOWN'),
    taskEvent(t, 4, 'RUNNING', 'HEALTHY'),
  ];
  if (stops) {
    events.push(
      taskEvent(t, 5, 'DEACTIVATING', 'HEALTHY', { desiredStatus: 'STOPPED' }),
      taskEvent(t, 6, 'STOPPED', 'UNKNOWN', { stoppedReason: 'Scaling activity initiated by deployment' }),
    );
  }
  return events;
}

/** Deterministic shuffle (mulberry32), so a failing seed can be replayed. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
