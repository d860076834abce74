/**
 * The names the AWS adapters give what they create must be ones the platform's IAM
 * policy allows: a mismatch only shows up as AccessDenied on a real account.
 */
import { describe, expect, it } from 'vitest';
import { ecsName } from '../../adapters/aws/ecs-names.ts';
import { targetGroupName } from '../../core/alb/allocation.ts';
import { iamStatements, synthPlatform } from './helpers.ts';

/** The ARN tail patterns (after the last `:`) of statements that allow `action`. */
function patternsFor(action: string): string[] {
  const { template } = synthPlatform();
  const out: string[] = [];
  for (const { statement } of iamStatements(template)) {
    const actions = ([] as unknown[]).concat(statement['Action'] as unknown);
    if (statement['Effect'] !== 'Allow' || !actions.includes(action)) continue;
    for (const r of ([] as unknown[]).concat(statement['Resource'] as unknown)) {
      const m = /(service|task-definition|targetgroup)\/.*$/.exec(flatten(r));
      if (m) out.push(m[0]);
    }
  }
  return out;
}

/** An ARN as text, with `Fn::Join` joined and any reference (the cluster's name…) as `REF`. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown>;
  if (Array.isArray(o['Fn::Join'])) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(sep);
  }
  return 'REF';
}

function matches(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}

describe('adapter names and IAM patterns', () => {
  it('ECS service names are allowed by the CreateService grant', () => {
    const patterns = patternsFor('ecs:CreateService');
    expect(patterns.length).toBeGreaterThan(0);
    const tail = (p: string) => p.replace(/^service\/[^/]*\//, '');
    expect(patterns.some((p) => matches(tail(p), ecsName('shop', 'web')))).toBe(true);
    expect(patterns.some((p) => matches(tail(p), ecsName('my-shop', 'job_runner')))).toBe(true);
  });

  it('target group names are allowed by the target group grants', () => {
    const patterns = patternsFor('elasticloadbalancing:CreateTargetGroup');
    expect(patterns.length).toBeGreaterThan(0);
    const name = targetGroupName(3, 'a-rather-long-app-name', 'web');
    expect(name.length).toBeLessThanOrEqual(32);
    expect(patterns.some((p) => matches(p.replace(/^targetgroup\//, '').replace(/\/.*$/, ''), name))).toBe(
      true,
    );
  });
});
