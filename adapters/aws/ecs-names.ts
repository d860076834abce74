/**
 * ECS names (services and task-definition families) for an app's process types:
 * `wharf-<app>_<type>`. The `wharf-` prefix is what the platform's IAM policy allows
 * (infra/control-plane-policy.ts); app names never contain `_` (DNS labels), so the
 * first `_` splits the name back unambiguously even when the type has `_` or `-`.
 */
export function ecsName(app: string, processType: string): string {
  return `wharf-${app}_${processType}`;
}

export function parseEcsName(name: string): { app: string; processType: string } | null {
  const m = /^wharf-([a-z0-9-]+)_([a-z][a-z0-9_-]*)$/.exec(name);
  return m ? { app: m[1]!, processType: m[2]! } : null;
}

/** `service:wharf-app_web` (a task's group) or a task definition ARN's family. */
export function parseTaskGroup(group: string | undefined): { app: string; processType: string } | null {
  if (!group) return null;
  return parseEcsName(group.replace(/^service:/, '').replace(/^family:/, ''));
}

export function familyOfTaskDefinitionArn(arn: string): string {
  const tail = arn.split('/').pop() ?? arn;
  return tail.replace(/:\d+$/, '');
}

export function taskIdOf(taskArn: string): string {
  return taskArn.split('/').pop() ?? taskArn;
}

/** The port every process listens on inside its task (Heroku convention: $PORT). */
export const CONTAINER_PORT = 5000;
