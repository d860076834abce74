import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { describe, expect, it } from 'vitest';
import { buildEnvSecretName } from '../../adapters/aws/codebuild-builder.ts';
import { SECRET_NAMES } from '../../infra/deploy-settings.ts';
import { ACTIONS_WITHOUT_RESOURCE_SCOPE } from '../../infra/iam.ts';
import { asList, iamStatements, synthPlatform, testApp } from './helpers.ts';

const plain = synthPlatform();
const withDomain = synthPlatform({}, (stack) => ({
  domain: 'apps.example.com',
  hostedZone: HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
    hostedZoneId: 'Z123',
    zoneName: 'example.com',
  }),
  tracing: true,
}));

/** Statements that allow an action on `*` although the action can be scoped, or that allow a whole service. */
function unscopedGrants(template: Template): string[] {
  const problems: string[] = [];
  for (const { where, statement } of iamStatements(template)) {
    if (statement.Effect !== 'Allow') continue;
    const actions = asList(statement.Action) as string[];
    for (const action of actions) {
      if (action === '*' || action.endsWith(':*'))
        problems.push(`${where}: ${action} allows a whole service`);
    }
    if (asList(statement.Resource).includes('*')) {
      for (const action of actions) {
        if (!ACTIONS_WITHOUT_RESOURCE_SCOPE.includes(action))
          problems.push(`${where}: ${action} on Resource '*'`);
      }
    }
  }
  return problems;
}

function statementsWith(template: Template, action: string) {
  return iamStatements(template).filter(({ statement }) =>
    (asList(statement.Action) as string[]).includes(action),
  );
}

describe('IAM: least privilege', () => {
  it('the check itself catches an action on * that could be scoped', () => {
    const stack = new Stack(testApp(), 'Bad');
    new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 'ecr:GetAuthorizationToken'], resources: ['*'] }),
    );
    expect(unscopedGrants(Template.fromStack(stack))).toEqual([
      expect.stringContaining("s3:GetObject on Resource '*'"),
    ]);
  });

  it('grants * only for actions without resource-level permissions, in every configuration', () => {
    expect(unscopedGrants(plain.template)).toEqual([]);
    expect(unscopedGrants(withDomain.template)).toEqual([]);
  });

  it('scopes ECS services to wharf-* in the Wharf cluster', () => {
    const [create] = statementsWith(plain.template, 'ecs:CreateService');
    expect(JSON.stringify(create!.statement.Resource)).toMatch(/:service\/".*\/wharf-\*/);
    expect(create!.statement.Condition).toEqual({ ArnEquals: { 'ecs:cluster': expect.anything() } });
    const [run] = statementsWith(plain.template, 'ecs:RunTask');
    expect(JSON.stringify(run!.statement.Resource)).toContain(':task-definition/wharf-*:*');
    expect(run!.statement.Condition).toHaveProperty('ArnEquals.ecs:cluster');
  });

  it('passes only the task roles, and only to ECS tasks; the resource stack role only to CloudFormation', () => {
    const passes = statementsWith(plain.template, 'iam:PassRole').map(({ statement }) => statement);
    expect(passes).toHaveLength(2);
    expect(passes).toContainEqual(
      expect.objectContaining({
        Resource: [expect.anything(), expect.anything()],
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    expect(passes).toContainEqual(
      expect.objectContaining({
        Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }),
    );
  });

  it('lets the control plane create only wharf-resource-* stacks, and only as the resource stack role', () => {
    const [create] = statementsWith(plain.template, 'cloudformation:CreateStack');
    expect(JSON.stringify(create!.statement.Resource)).toContain(':stack/wharf-resource-*/*');
    expect(create!.statement.Condition).toEqual({
      StringEquals: { 'cloudformation:RoleArn': expect.anything() },
    });
  });

  it('scopes target groups, listener rules and load balancers to wharf-* names', () => {
    const resources = (action: string) =>
      statementsWith(plain.template, action).map(({ statement }) => JSON.stringify(statement.Resource));
    expect(resources('elasticloadbalancing:CreateTargetGroup')).toEqual([
      expect.stringContaining(':targetgroup/wharf-*/*'),
    ]);
    expect(resources('elasticloadbalancing:CreateRule')).toEqual([
      expect.stringContaining(':listener/app/wharf-alb-*/*/*'),
    ]);
    expect(resources('elasticloadbalancing:CreateLoadBalancer')).toEqual([
      expect.stringContaining(':loadbalancer/app/wharf-alb-*/*'),
    ]);
  });

  it('lets the control plane autoscale only ECS desired counts, with alarms of the Wharf cluster', () => {
    const [register] = statementsWith(plain.template, 'application-autoscaling:RegisterScalableTarget');
    expect(asList(register!.statement.Action)).toEqual(
      expect.arrayContaining([
        'application-autoscaling:PutScalingPolicy',
        'application-autoscaling:DeregisterScalableTarget',
      ]),
    );
    expect(JSON.stringify(register!.statement.Resource)).toContain(':scalable-target/*');
    expect(register!.statement.Condition).toEqual({
      StringEquals: {
        'application-autoscaling:service-namespace': 'ecs',
        'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
      },
    });
    const [alarms] = statementsWith(plain.template, 'cloudwatch:PutMetricAlarm');
    expect(JSON.stringify(alarms!.statement.Resource)).toMatch(/:alarm:TargetTracking-service\/".*\/\*/);
    const [slr] = statementsWith(plain.template, 'iam:CreateServiceLinkedRole');
    expect(slr!.statement.Condition).toEqual({
      StringEquals: { 'iam:AWSServiceName': 'ecs.application-autoscaling.amazonaws.com' },
    });
  });

  it('gives the webhook function no ECS, load balancer or CloudFormation permission', () => {
    const webhookRole = Object.entries(plain.template.findResources('AWS::IAM::Role')).find(([, r]) =>
      JSON.stringify(r).includes('git host webhooks'),
    )![0];
    const actions = iamStatements(plain.template)
      .filter(({ where }) => where.startsWith(webhookRole.replace(/[0-9A-F]{8}$/, '')))
      .flatMap(({ statement }) => asList(statement.Action) as string[]);
    expect(actions).toContain('codebuild:StartBuild');
    expect(actions.filter((a) => /^(ecs|elasticloadbalancing|cloudformation|iam):/.test(a))).toEqual([]);
  });

  it('adds Route 53 record changes on the configured zone only when there is one', () => {
    const zoneGrants = (t: Template) =>
      statementsWith(t, 'route53:ChangeResourceRecordSets').map(({ statement }) =>
        JSON.stringify(statement.Resource),
      );
    expect(zoneGrants(plain.template)).toHaveLength(1); // the Cloud Map namespace's private zone
    expect(zoneGrants(withDomain.template)).toContainEqual(expect.stringContaining('hostedzone/Z123'));
  });
});

/** An ARN pattern as text: `Fn::Join` joined, every reference (partition, region, account) as `*`. */
function arnText(value: unknown): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown>;
  if (Array.isArray(o['Fn::Join'])) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(arnText).join(sep);
  }
  return '*';
}

/** Whether an IAM resource pattern (with `*`) covers a concrete ARN. */
function covers(pattern: string, arn: string): boolean {
  const re = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`).test(arn);
}

/** The ARN Secrets Manager gives the platform's secret `name` (a random 6-character suffix). */
const secretArn = (name: string) =>
  `arn:aws:secretsmanager:eu-west-1:123456789012:secret:wharf/${name}-AbC123`;

/** Resource patterns of the statements that allow `action`, in resources whose logical id matches `where`. */
function patterns(action: string, where: RegExp): string[] {
  return statementsWith(plain.template, action)
    .filter((s) => where.test(s.where))
    .flatMap(({ statement }) => asList(statement.Resource).map(arnText));
}

describe('IAM: build secrets', () => {
  const buildEnv = secretArn(buildEnvSecretName('shop'));
  const gitToken = secretArn(`${SECRET_NAMES.gitToken}shop`);

  it("lets the CodeBuild projects read exactly the apps' build config and git token secrets", () => {
    const projectRoles = /^WharfBuilds(Buildpacks|Docker)Role/;
    const read = patterns('secretsmanager:GetSecretValue', projectRoles);
    expect(read.length).toBeGreaterThan(0);
    expect(new Set(read)).toEqual(
      new Set([
        `arn:*:secretsmanager:*:*:secret:wharf/${SECRET_NAMES.gitToken}*`,
        `arn:*:secretsmanager:*:*:secret:wharf/${SECRET_NAMES.buildEnv}*`,
      ]),
    );
    expect(read.some((p) => covers(p, buildEnv))).toBe(true);
    expect(read.some((p) => covers(p, gitToken))).toBe(true);
    for (const other of ['webhooks/default', 'webhook/shop', 'config/shop']) {
      expect(
        read.some((p) => covers(p, secretArn(other))),
        other,
      ).toBe(false);
    }
    // Every project role statement that grants secrets is the one above: nothing broader.
    const anySecrets = statementsWith(plain.template, 'secretsmanager:GetSecretValue').filter((s) =>
      projectRoles.test(s.where),
    );
    expect(anySecrets.flatMap(({ statement }) => asList(statement.Action))).toEqual(
      anySecrets.map(() => 'secretsmanager:GetSecretValue'),
    );
  });

  it('lets the control plane and the webhook write the build config secret before StartBuild', () => {
    for (const action of ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue']) {
      expect(
        patterns(action, /ControlPlanePolicy/).some((p) => covers(p, buildEnv)),
        action,
      ).toBe(true);
      const webhook = patterns(action, /WebhookRole/);
      expect(webhook, action).toEqual([`arn:*:secretsmanager:*:*:secret:wharf/${SECRET_NAMES.buildEnv}*`]);
    }
    // The webhook reads the git token's existence but cannot rewrite tokens.
    expect(patterns('secretsmanager:GetSecretValue', /WebhookRole/).some((p) => covers(p, gitToken))).toBe(
      true,
    );
    expect(patterns('secretsmanager:PutSecretValue', /WebhookRole/).some((p) => covers(p, gitToken))).toBe(
      false,
    );
  });

  it('lets the webhook read the signing secret under the name the code uses (webhook/<app>), and no other app secret', () => {
    const read = patterns('secretsmanager:GetSecretValue', /WebhookRole/);
    // functions/webhook.ts reads webhook/<app>; an older grant said webhooks/* and would have been denied
    expect(read.some((p) => covers(p, secretArn(`${SECRET_NAMES.webhook}shop`)))).toBe(true);
    for (const other of ['webhooks/shop', 'resources/shop-db', 'build-env/shop']) {
      expect(
        read.some((p) => covers(p, secretArn(other))),
        other,
      ).toBe(false);
    }
  });
});

describe('IAM: the operator policy (the CLI user)', () => {
  it('calls the API and follows the app log groups with Live Tail, and nothing else', () => {
    const invoke = patterns('execute-api:Invoke', /OperatorPolicy/);
    expect(invoke).toHaveLength(1);
    const tail = patterns('logs:StartLiveTail', /OperatorPolicy/);
    expect(tail).toEqual(['arn:*:logs:*:*:log-group:/wharf/apps/*']);
    expect(covers(tail[0]!, 'arn:aws:logs:eu-west-1:111122223333:log-group:/wharf/apps/shop')).toBe(true);
    expect(covers(tail[0]!, 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/other')).toBe(false);
    const actions = iamStatements(plain.template)
      .filter((s) => /OperatorPolicy/.test(s.where))
      .flatMap(({ statement }) => asList(statement.Action));
    expect(new Set(actions)).toEqual(new Set(['execute-api:Invoke', 'logs:StartLiveTail']));
  });
});
