import { Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { WharfConfigError } from './errors.ts';
import type { NatMode, WharfArchitecture, WharfPlatformProps } from './props.ts';

/** Every context key the ready stack reads (cdk.json `context`, or `-c key=value`). */
export const CONTEXT_DOCS: Readonly<Record<string, string>> = {
  'wharf:stackName': 'stack name (default Wharf)',
  'wharf:account': 'pin the stack to an account (needed only for wharf:vpcId without subnet ids)',
  'wharf:region': 'pin the stack to a region (default: CDK_DEFAULT_REGION when set, else region-agnostic)',
  'wharf:name': 'prefix of physical names and IAM scopes (default wharf)',
  'wharf:vpcId': 'use an existing VPC (default: a new VPC)',
  'wharf:publicSubnetIds': 'existing VPC: public subnets for the load balancers (list)',
  'wharf:privateSubnetIds':
    'existing VPC: subnets for app tasks (list; default: the public subnets, tasks get public IPs)',
  'wharf:availabilityZones': 'existing VPC: the AZs of the subnets above, in the same order (list)',
  'wharf:azCount': 'new VPC: 2 or 3 (default 2)',
  'wharf:natMode': 'new VPC: gateway-per-az, single-gateway, none or endpoints (default single-gateway)',
  'wharf:vpcCidr': 'new VPC: IPv4 range (default 10.0.0.0/16)',
  'wharf:architecture': 'arm64 or x86_64 for app tasks and builds (default arm64)',
  'wharf:namespace': 'Cloud Map private DNS namespace (default wharf.internal)',
  'wharf:domain': "apps' parent domain; turns on HTTPS (default: none, HTTP only)",
  'wharf:hostedZoneId': 'public hosted zone of the domain; a wildcard record is created',
  'wharf:hostedZoneName': 'name of that zone (default: the domain)',
  'wharf:certificateArn': 'existing ACM certificate for *.domain (default: a new one)',
  'wharf:loadBalancers': 'load balancers created up front, 1-4 (default 1)',
  'wharf:logRetentionDays': 'days logs are kept, a CloudWatch retention value (default 30)',
  'wharf:tracing': 'X-Ray tracing of the functions, true or false (default false)',
  'wharf:containerInsights': 'Container Insights on the cluster, true or false (default true)',
  'wharf:alarmEmail': 'email subscribed to the alarm topic (default: none)',
};

const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Reads typed values out of CDK context, refusing malformed ones with the key in the message. */
export class ContextReader {
  private readonly scope: Construct;

  constructor(scope: Construct) {
    this.scope = scope;
    const known = new Set(Object.keys(CONTEXT_DOCS));
    for (const key of Object.keys(scope.node.getAllContext() as Record<string, unknown>)) {
      if (key.startsWith('wharf:') && !known.has(key)) {
        throw new WharfConfigError(`context ${key}`, `unknown key: use one of ${[...known].join(', ')}`);
      }
    }
  }

  string(key: string): string | undefined {
    const v = this.scope.node.tryGetContext(key) as unknown;
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string')
      throw new WharfConfigError(`context ${key}`, `${JSON.stringify(v)} is not a string`);
    return v.trim();
  }

  number(key: string): number | undefined {
    const v = this.scope.node.tryGetContext(key) as unknown;
    if (v === undefined || v === null || v === '') return undefined;
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isFinite(n))
      throw new WharfConfigError(`context ${key}`, `${JSON.stringify(v)} is not a whole number`);
    return n;
  }

  boolean(key: string): boolean | undefined {
    const v = this.scope.node.tryGetContext(key) as unknown;
    if (v === undefined || v === null || v === '') return undefined;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw new WharfConfigError(`context ${key}`, `${JSON.stringify(v)} is not true or false`);
  }

  /** A JSON array of strings, or a comma-separated string. */
  list(key: string): string[] | undefined {
    const v = this.scope.node.tryGetContext(key) as unknown;
    if (v === undefined || v === null || v === '') return undefined;
    const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : null;
    if (!items || items.some((i) => typeof i !== 'string')) {
      throw new WharfConfigError(
        `context ${key}`,
        `${JSON.stringify(v)} is not a list: give a JSON array or a,b,c`,
      );
    }
    return (items as string[]).map((i) => i.trim()).filter((i) => i !== '');
  }
}

/** Turns the ready stack's context into WharfPlatformProps, importing the VPC, zone and certificate it names. */
export function platformPropsFromContext(scope: Construct): WharfPlatformProps {
  const ctx = new ContextReader(scope);
  const retentionDays = ctx.number('wharf:logRetentionDays');
  if (retentionDays !== undefined && !RETENTION_DAYS.includes(retentionDays)) {
    throw new WharfConfigError(
      'logRetention (context wharf:logRetentionDays)',
      `${retentionDays} is not a CloudWatch Logs retention: use one of ${RETENTION_DAYS.join(', ')}`,
    );
  }
  const domain = ctx.string('wharf:domain');
  const hostedZoneId = ctx.string('wharf:hostedZoneId');
  const hostedZoneName = ctx.string('wharf:hostedZoneName');
  if (hostedZoneName !== undefined && hostedZoneId === undefined) {
    throw new WharfConfigError(
      'context wharf:hostedZoneName',
      'names a zone without its id: add wharf:hostedZoneId, or remove wharf:hostedZoneName',
    );
  }
  const certificateArn = ctx.string('wharf:certificateArn');
  const props: WharfPlatformProps = {
    name: ctx.string('wharf:name'),
    azCount: ctx.number('wharf:azCount'),
    natMode: ctx.string('wharf:natMode') as NatMode | undefined,
    vpcCidr: ctx.string('wharf:vpcCidr'),
    architecture: ctx.string('wharf:architecture') as WharfArchitecture | undefined,
    namespaceName: ctx.string('wharf:namespace'),
    domain,
    loadBalancerCount: ctx.number('wharf:loadBalancers'),
    logRetention: retentionDays as logs.RetentionDays | undefined,
    tracing: ctx.boolean('wharf:tracing'),
    containerInsights: ctx.boolean('wharf:containerInsights'),
    alarmEmail: ctx.string('wharf:alarmEmail'),
    ...existingVpc(scope, ctx),
    ...(hostedZoneId
      ? {
          hostedZone: route53.HostedZone.fromHostedZoneAttributes(scope, 'HostedZone', {
            hostedZoneId,
            // Without a domain the platform refuses the zone, naming wharf:domain.
            zoneName: hostedZoneName ?? domain ?? 'unknown.invalid',
          }),
        }
      : {}),
    ...(certificateArn
      ? { certificate: acm.Certificate.fromCertificateArn(scope, 'Certificate', certificateArn) }
      : {}),
  };
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as WharfPlatformProps;
}

function existingVpc(scope: Construct, ctx: ContextReader): Pick<WharfPlatformProps, 'vpc' | 'taskSubnets'> {
  const vpcId = ctx.string('wharf:vpcId');
  const publicSubnetIds = ctx.list('wharf:publicSubnetIds');
  const privateSubnetIds = ctx.list('wharf:privateSubnetIds');
  const availabilityZones = ctx.list('wharf:availabilityZones');
  if (vpcId === undefined) {
    const stray = (
      [
        ['wharf:publicSubnetIds', publicSubnetIds],
        ['wharf:privateSubnetIds', privateSubnetIds],
        ['wharf:availabilityZones', availabilityZones],
      ] as const
    ).find(([, v]) => v !== undefined);
    if (stray) {
      throw new WharfConfigError(
        `context ${stray[0]}`,
        'describes an existing VPC but wharf:vpcId is not set: add wharf:vpcId, or remove it',
      );
    }
    return {};
  }
  if (publicSubnetIds === undefined) {
    const stack = Stack.of(scope);
    if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
      throw new WharfConfigError(
        'vpc (context wharf:vpcId)',
        'an existing VPC needs its subnets: give wharf:publicSubnetIds, wharf:availabilityZones (and wharf:privateSubnetIds), ' +
          'or pin wharf:account and wharf:region so that the VPC can be looked up (that lookup needs AWS credentials at synth)',
      );
    }
    return { vpc: ec2.Vpc.fromLookup(scope, 'Vpc', { vpcId }) };
  }
  if (availabilityZones === undefined) {
    throw new WharfConfigError(
      'context wharf:availabilityZones',
      'is required with wharf:publicSubnetIds: list the AZ of each subnet, in the same order ' +
        '(aws ec2 describe-subnets --subnet-ids ... --query "Subnets[].AvailabilityZone")',
    );
  }
  for (const [key, ids] of [
    ['wharf:publicSubnetIds', publicSubnetIds],
    ['wharf:privateSubnetIds', privateSubnetIds ?? []],
  ] as const) {
    if (ids.length > 0 && ids.length % availabilityZones.length !== 0) {
      throw new WharfConfigError(
        `context ${key}`,
        `has ${ids.length} subnets for ${availabilityZones.length} AZs: give one subnet per AZ in wharf:availabilityZones`,
      );
    }
  }
  const vpc = ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
    vpcId,
    availabilityZones,
    publicSubnetIds,
    ...(privateSubnetIds ? { privateSubnetIds } : {}),
  });
  return { vpc };
}
