/**
 * ECS names (services and task-definition families) for an app's process types:
 * `<platform>-<app>_<type>`, where `<platform>` is the platform's name (`WHARF_NAME`,
 * default `wharf`). That prefix is what the platform's IAM policy allows
 * (infra/control-plane-policy.ts grants on `<name>-*`); app names never contain `_` (DNS
 * labels), so the first `_` after the prefix splits the name back unambiguously even when
 * the type has `_` or `-`. Parsing needs the prefix, since both it and the app may hold `-`.
 */
import { DEFAULT_NAME_PREFIX } from '../../core/alb/allocation.ts';

export { DEFAULT_NAME_PREFIX };

export function ecsName(app: string, processType: string, prefix: string = DEFAULT_NAME_PREFIX): string {
  return `${prefix}-${app}_${processType}`;
}

export function parseEcsName(
  name: string,
  prefix: string = DEFAULT_NAME_PREFIX,
): { app: string; processType: string } | null {
  if (!name.startsWith(`${prefix}-`)) return null;
  const m = /^([a-z0-9-]+)_([a-z][a-z0-9_-]*)$/.exec(name.slice(prefix.length + 1));
  return m ? { app: m[1]!, processType: m[2]! } : null;
}

/** `service:<prefix>-app_web` (a task's group) or a task definition ARN's family. */
export function parseTaskGroup(
  group: string | undefined,
  prefix: string = DEFAULT_NAME_PREFIX,
): { app: string; processType: string } | null {
  if (!group) return null;
  return parseEcsName(group.replace(/^service:/, '').replace(/^family:/, ''), prefix);
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
