import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { acknowledge } from './nag.ts';

/**
 * Actions that IAM cannot scope to a resource (the Service Authorization Reference lists
 * no resource type for them, or only `*`), so `Resource: '*'` is the narrowest grant.
 * Tests fail on any `*` resource for an action not listed here.
 */
export const ACTIONS_WITHOUT_RESOURCE_SCOPE: readonly string[] = [
  'ecr:GetAuthorizationToken',
  'ecs:RegisterTaskDefinition',
  'ecs:DeregisterTaskDefinition',
  'ecs:DescribeTaskDefinition',
  'ecs:ListTaskDefinitions',
  'ecs:ListServices',
  'ecs:ListTasks',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeLoadBalancerAttributes',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeListenerCertificates',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeTags',
  'servicediscovery:ListNamespaces',
  'servicediscovery:ListServices',
  'servicediscovery:ListOperations',
  'servicediscovery:GetOperation',
  'servicediscovery:DiscoverInstances',
  'acm:RequestCertificate',
  'acm:ListCertificates',
  'tag:GetResources',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];

export interface Grant {
  /** Statement id, also the heading of the grant in policy listings. */
  readonly sid: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: Record<string, Record<string, unknown>>;
  /** Why this grant needs its wildcards (acknowledged for cdk-nag IAM5), or why it exists. */
  readonly why: string;
}

/**
 * Adds a statement to a role or managed policy and acknowledges each cdk-nag IAM5
 * finding it raises with the grant's own reason, so that every wildcard has one.
 */
export function allow(target: iam.IRole | iam.ManagedPolicy, grant: Grant): void {
  const statement = new iam.PolicyStatement({
    sid: grant.sid,
    actions: grant.actions,
    resources: grant.resources,
    ...(grant.conditions ? { conditions: grant.conditions } : {}),
  });
  if (target instanceof iam.ManagedPolicy) target.addStatements(statement);
  else target.addToPrincipalPolicy(statement);
  for (const finding of wildcardFindings(Stack.of(target), statement)) {
    acknowledge(target, `IAM5[${finding}]`, grant.why);
  }
}

/** The finding ids cdk-nag's IAM5 rule reports for one statement. */
export function wildcardFindings(stack: Stack, statement: iam.PolicyStatement): string[] {
  return findingsOfResolved(stack.resolve(statement.toStatementJson()));
}

function findingsOfResolved(json: { Effect?: unknown; Action?: unknown; Resource?: unknown }): string[] {
  if (json.Effect !== undefined && json.Effect !== 'Allow') return [];
  const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const findings: string[] = [];
  for (const action of list(json.Action)) {
    if (typeof action === 'string' && action.includes('*')) findings.push(`Action::${action}`);
  }
  for (const resource of list(json.Resource)) {
    const flat = flattenCfnReference(resource);
    if (flat.includes('*')) findings.push(`Resource::${flat}`);
  }
  return findings;
}

/**
 * Wildcards that CDK's own grants and constructs write (not `allow`), each with the
 * reason it is as narrow as it can be. A finding that matches none is left for
 * cdk-nag to report.
 */
export const GENERATED_WILDCARDS: readonly { readonly finding: RegExp; readonly why: string }[] = [
  {
    finding: /^Resource::<[A-Za-z0-9]+\.Arn>:\*$/,
    why: 'Log streams of a log group the platform owns (a log group ARN ends in :*).',
  },
  {
    finding:
      /^Resource::arn:(<AWS::Partition>|[a-z-]+):logs:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):log-group:\/aws\/codebuild\/<[A-Za-z0-9]+>:\*$/,
    why: "CodeBuild's default log group of the project and its streams (CDK grants it; Wharf builds log to the build log group).",
  },
  {
    finding:
      /^Resource::arn:(<AWS::Partition>|[a-z-]+):codebuild:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):report-group\/<[A-Za-z0-9]+>-\*$/,
    why: 'CodeBuild test-report groups named after the project (CDK grants them to every project).',
  },
  {
    finding: /^Action::kms:(ReEncrypt|GenerateDataKey)\*$/,
    why: "CDK's key grants name these KMS action families; the resource is the platform key only.",
  },
  {
    finding: /^Action::s3:(GetObject|GetBucket|List)\*$/,
    why: "CDK's read grant for a CodeBuild S3 source: only the source placeholder prefix and the runner asset.",
  },
];

/** Acknowledges, under `scope`, the IAM5 findings of CDK-generated statements listed in GENERATED_WILDCARDS. */
export function acknowledgeGeneratedWildcards(scope: IConstruct): void {
  for (const node of scope.node.findAll()) {
    if (
      !(node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy || node instanceof iam.CfnRole)
    ) {
      continue;
    }
    const stack = Stack.of(node);
    const docs: unknown[] =
      node instanceof iam.CfnRole
        ? ((stack.resolve(node.policies) as { policyDocument: unknown }[] | undefined) ?? []).map(
            (p) => p.policyDocument,
          )
        : [stack.resolve(node.policyDocument)];
    for (const doc of docs) {
      for (const statement of (doc as { Statement?: Record<string, unknown>[] }).Statement ?? []) {
        const actions = (Array.isArray(statement.Action) ? statement.Action : [statement.Action]) as string[];
        for (const finding of findingsOfResolved(statement)) {
          const known = GENERATED_WILDCARDS.find((g) => g.finding.test(finding));
          if (known) acknowledge(node, `IAM5[${finding}]`, known.why);
          // CDK's X-Ray grant (tracing) and the like: '*' is right when no action can be scoped.
          if (finding === 'Resource::*' && actions.every((a) => ACTIONS_WITHOUT_RESOURCE_SCOPE.includes(a))) {
            acknowledge(
              node,
              'IAM5[Resource::*]',
              `${actions.join(', ')}: no resource-level permissions exist.`,
            );
          }
        }
      }
    }
  }
}
