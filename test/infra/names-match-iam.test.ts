/**
 * The names the AWS adapters give what they create must be ones the platform's IAM
 * policy allows: a mismatch only shows up as AccessDenied on a real account. Checked for
 * the default platform name and for another one, whose name reaches the adapters the way
 * it does in Lambda: the stack's WHARF_NAME env var, read by readAwsConfig.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ecsName, parseEcsName } from '../../adapters/aws/ecs-names.ts';
import { TARGET_GROUP_NAME_MAX, targetGroupName } from '../../core/alb/allocation.ts';
import { readAwsConfig } from '../../functions/lib/config.ts';
import { iamStatements, synthPlatform } from './helpers.ts';

const RESOURCE = /(service|task-definition|targetgroup)\/.*$/;

/** The ARN tail patterns (from `service/`, `task-definition/` or `targetgroup/`) of statements that allow `action`. */
function patternsFor(template: Template, action: string): string[] {
  const out: string[] = [];
  for (const { statement } of iamStatements(template)) {
    const actions = ([] as unknown[]).concat(statement['Action'] as unknown);
    if (statement['Effect'] !== 'Allow' || !actions.includes(action)) continue;
    for (const r of ([] as unknown[]).concat(statement['Resource'] as unknown)) {
      const m = RESOURCE.exec(flatten(r));
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

/** The env the stack gives the Lambda functions (every function gets the same platform vars). */
function functionEnv(template: Template): Record<string, string> {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')) as {
    Properties: { Environment?: { Variables?: Record<string, unknown> } };
  }[];
  const vars = fns.map((f) => f.Properties.Environment?.Variables ?? {}).find((v) => 'WHARF_NAME' in v);
  if (!vars) throw new Error('no function has WHARF_NAME');
  // References (table name, ARNs…) do not matter here: only the literal platform name does.
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : `ref-${k.toLowerCase()}`]),
  );
}

describe.each([
  { platform: 'wharf', props: {}, other: 'acme' },
  { platform: 'acme', props: { name: 'acme' }, other: 'wharf' },
])('adapter names and IAM patterns of a platform named $platform', ({ platform, props, other }) => {
  const { template } = synthPlatform(props);
  const prefix = readAwsConfig(functionEnv(template)).name;

  it('the functions read the platform name from the stack', () => {
    expect(prefix).toBe(platform);
  });

  it('ECS service names are allowed by the service grants, and another platform’s are not', () => {
    const tail = (p: string) => p.replace(/^service\/[^/]*\//, '');
    for (const action of ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService']) {
      const patterns = patternsFor(template, action).map(tail);
      expect(patterns.length).toBeGreaterThan(0);
      for (const [app, type] of [
        ['shop', 'web'],
        ['my-shop', 'job_runner'],
      ] as const) {
        expect(patterns.some((p) => matches(p, ecsName(app, type, prefix)))).toBe(true);
        expect(patterns.some((p) => matches(p, ecsName(app, type, other)))).toBe(false);
      }
    }
    expect(parseEcsName(ecsName('my-shop', 'job_runner', prefix), prefix)).toEqual({
      app: 'my-shop',
      processType: 'job_runner',
    });
    expect(parseEcsName(ecsName('shop', 'web', other), prefix)).toBeNull();
  });

  it('task definition families are allowed where one-off runs and tags need them', () => {
    for (const action of ['ecs:RunTask', 'ecs:TagResource']) {
      const patterns = patternsFor(template, action)
        .filter((p) => p.startsWith('task-definition/'))
        .map((p) => p.replace(/^task-definition\//, ''));
      expect(patterns.length).toBeGreaterThan(0);
      expect(patterns.some((p) => matches(p, `${ecsName('shop', 'web', prefix)}:7`))).toBe(true);
      expect(patterns.some((p) => matches(p, `${ecsName('shop', 'web', other)}:7`))).toBe(false);
    }
  });

  it('target group names, leader ones included, are allowed by the target group grants', () => {
    for (const action of [
      'elasticloadbalancing:CreateTargetGroup',
      'elasticloadbalancing:RegisterTargets',
      'elasticloadbalancing:DeregisterTargets',
    ]) {
      const patterns = patternsFor(template, action).map((p) =>
        p.replace(/^targetgroup\//, '').replace(/\/.*$/, ''),
      );
      expect(patterns.length).toBeGreaterThan(0);
      for (const leader of [false, true]) {
        const name = targetGroupName(3, 'a-rather-long-app-name', 'web', { prefix, leader });
        expect(name.length).toBeLessThanOrEqual(TARGET_GROUP_NAME_MAX);
        expect(patterns.some((p) => matches(p, name))).toBe(true);
        const foreign = targetGroupName(3, 'shop', 'web', { prefix: other, leader });
        expect(patterns.some((p) => matches(p, foreign))).toBe(false);
      }
    }
  });
});

describe('platform names the Lambdas accept', () => {
  const env = { WHARF_BUCKET: 'b', WHARF_TABLE: 't' };

  it('defaults to wharf and refuses a name that would overflow target group names', () => {
    expect(readAwsConfig(env).name).toBe('wharf');
    expect(readAwsConfig({ ...env, WHARF_NAME: 'abcdefghijkl' }).name).toBe('abcdefghijkl');
    expect(() => readAwsConfig({ ...env, WHARF_NAME: 'abcdefghijklm' })).toThrow(/WHARF_NAME .*2-12/);
    expect(() => readAwsConfig({ ...env, WHARF_NAME: 'Acme' })).toThrow(/not a usable platform name/);
  });

  it('the stack refuses a platform name longer than 12 characters', () => {
    expect(() => synthPlatform({ name: 'abcdefghijklm' })).toThrow(/use 2-12 lowercase/);
  });
});
