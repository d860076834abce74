import * as path from 'node:path';
import { Duration, Token } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import { WharfConfigError } from './errors.ts';

/**
 * How tasks in a new VPC reach the internet (image pulls, logs, secrets, outside APIs).
 * - `gateway-per-az`: a NAT gateway in every AZ (no cross-AZ dependency; the most expensive).
 * - `single-gateway`: one NAT gateway shared by all AZs (an AZ outage can cut egress).
 * - `none`: no private subnets; tasks run in public subnets with public IPs, reachable
 *   only through their security group (the cheapest; every task holds a public IPv4).
 * - `endpoints`: isolated private subnets with VPC endpoints for ECR, logs and secrets;
 *   tasks cannot reach the internet at all.
 */
export type NatMode = 'gateway-per-az' | 'single-gateway' | 'none' | 'endpoints';
export const NAT_MODES: readonly NatMode[] = ['gateway-per-az', 'single-gateway', 'none', 'endpoints'];

/** CPU architecture of app containers and of their builds. */
export type WharfArchitecture = 'arm64' | 'x86_64';
export const ARCHITECTURES: readonly WharfArchitecture[] = ['arm64', 'x86_64'];

/** Requests per second and burst for an API Gateway route. */
export interface ThrottleLimits {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface WharfPlatformProps {
  /**
   * Prefix of every physical name the platform and its control plane create (cluster,
   * load balancers, services, target groups, secrets, log groups). IAM policies are scoped
   * to it, so two platforms in one account need different names.
   * @default 'wharf'
   */
  readonly name?: string;
  /**
   * An existing VPC. It needs public subnets for the load balancer.
   * @default - a new VPC across `azCount` AZs, egress per `natMode`
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets for app tasks in an existing `vpc`.
   * @default - the VPC's private subnets with egress if it has any, else its public subnets (tasks get public IPs)
   */
  readonly taskSubnets?: ec2.SubnetSelection;
  /**
   * Availability zones of a new VPC: 2 or 3. Only for a new VPC.
   * @default 2
   */
  readonly azCount?: number;
  /**
   * Egress of a new VPC (see NatMode). Only for a new VPC.
   * @default 'single-gateway'
   */
  readonly natMode?: NatMode;
  /**
   * IPv4 range of a new VPC. Only for a new VPC.
   * @default '10.0.0.0/16'
   */
  readonly vpcCidr?: string;
  /**
   * CPU architecture of app tasks and builds.
   * @default 'arm64'
   */
  readonly architecture?: WharfArchitecture;
  /**
   * Private DNS namespace for discovery (`web.myapp.<namespace>`).
   * @default 'wharf.internal'
   */
  readonly namespaceName?: string;
  /**
   * Apps' parent domain: `myapp.<domain>`. Turns on HTTPS with a wildcard certificate; HTTP then redirects.
   * @default - no domain: HTTP only, apps reached through the load balancer's DNS name
   */
  readonly domain?: string;
  /**
   * Certificate for `*.<domain>` and `<domain>`. Requires `domain`.
   * @default - a new ACM certificate, DNS-validated in `hostedZone` if given (else validate it by hand; see docs/aws.md)
   */
  readonly certificate?: acm.ICertificate;
  /**
   * Public hosted zone holding `domain`: a wildcard alias record is created in it. Requires `domain`.
   * @default - no DNS records are created
   */
  readonly hostedZone?: route53.IHostedZone;
  /**
   * Load balancers created up front. The control plane spreads routes across them
   * (an ALB holds at most 100 target groups) and may create more, named `<name>-alb-<n>`. At most 4.
   * @default 1
   */
  readonly loadBalancerCount?: number;
  /**
   * Retention of the platform's and apps' logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * X-Ray tracing of the control-plane functions and the HTTP API.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * CloudWatch Container Insights on the cluster (per-task metrics; billed as custom metrics).
   * @default true
   */
  readonly containerInsights?: boolean;
  /**
   * Email subscribed to the alarm topic.
   * @default - the topic is created with no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Throttling of the IAM-authenticated API routes.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly apiThrottle?: ThrottleLimits;
  /**
   * Throttling of the public webhook route.
   * @default { rateLimit: 10, burstLimit: 20 }
   */
  readonly webhookThrottle?: ThrottleLimits;
  /**
   * Days before untagged images in ECR expire (release images are tagged and kept).
   * @default 7
   */
  readonly untaggedImageRetentionDays?: number;
  /**
   * Days uploaded sources and build caches stay in the artifacts bucket.
   * @default 30
   */
  readonly sourceRetentionDays?: number;
  /**
   * Days load-balancer and bucket access logs are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * Longest build before CodeBuild stops it.
   * @default Duration.minutes(30)
   */
  readonly buildTimeout?: Duration;
  /**
   * Folder holding the Lambda entry files (`api.ts`, `webhook.ts`, `build-events.ts`, `task-events.ts`, `stack-events.ts`).
   * @default - the repository's `functions/` folder
   */
  readonly functionsDirectory?: string;
  /**
   * Folder shipped to CodeBuild as the `runner` secondary source (the buildpack runner).
   * @default - the repository's `buildpacks/` folder
   */
  readonly runnerDirectory?: string;
  /**
   * Buildspec of the buildpack builds, read at synth time.
   * @default - `codebuild/buildspec-buildpacks.yml` in `runnerDirectory`
   */
  readonly buildspecFile?: string;
  /**
   * Buildspec of the Dockerfile builds, read at synth time.
   * @default - `codebuild/buildspec-docker.yml` in `runnerDirectory`
   */
  readonly dockerBuildspecFile?: string;
}

/** Context keys of the ready stack, by the prop they set (used in error messages and docs). */
export const CONTEXT_KEYS: Readonly<Record<string, string>> = {
  name: 'wharf:name',
  vpc: 'wharf:vpcId',
  taskSubnets: 'wharf:privateSubnetIds',
  azCount: 'wharf:azCount',
  natMode: 'wharf:natMode',
  vpcCidr: 'wharf:vpcCidr',
  architecture: 'wharf:architecture',
  namespaceName: 'wharf:namespace',
  domain: 'wharf:domain',
  certificate: 'wharf:certificateArn',
  hostedZone: 'wharf:hostedZoneId',
  loadBalancerCount: 'wharf:loadBalancerCount',
  logRetention: 'wharf:logRetentionDays',
  tracing: 'wharf:tracing',
  containerInsights: 'wharf:containerInsights',
  alarmEmail: 'wharf:alarmEmail',
};

/** Names a prop the way errors do: `domain (context wharf:domain)`. */
export function propLabel(prop: string): string {
  const key = CONTEXT_KEYS[prop];
  return key ? `${prop} (context ${key})` : prop;
}

export interface ResolvedWharfProps {
  readonly name: string;
  readonly vpc: ec2.IVpc | undefined;
  readonly taskSubnets: ec2.SubnetSelection | undefined;
  readonly azCount: number;
  readonly natMode: NatMode;
  readonly vpcCidr: string;
  readonly architecture: WharfArchitecture;
  readonly namespaceName: string;
  readonly domain: string | undefined;
  readonly certificate: acm.ICertificate | undefined;
  readonly hostedZone: route53.IHostedZone | undefined;
  readonly loadBalancerCount: number;
  readonly logRetention: logs.RetentionDays;
  readonly tracing: boolean;
  readonly containerInsights: boolean;
  readonly alarmEmail: string | undefined;
  readonly apiThrottle: ThrottleLimits;
  readonly webhookThrottle: ThrottleLimits;
  readonly untaggedImageRetentionDays: number;
  readonly sourceRetentionDays: number;
  readonly accessLogRetentionDays: number;
  readonly buildTimeout: Duration;
  readonly functionsDirectory: string;
  readonly runnerDirectory: string;
  readonly buildspecFile: string;
  readonly dockerBuildspecFile: string;
}

/** Load balancers the stack creates at most (the control plane can add more). */
export const MAX_LOAD_BALANCERS = 4;

/** The Wharf checkout (functions/, buildpacks/, package-lock.json). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const NAME_RE = /^[a-z][a-z0-9-]{0,10}[a-z0-9]$/;
const DNS_NAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Applies every default and refuses settings that cannot work together. */
export function resolveWharfProps(props: WharfPlatformProps): ResolvedWharfProps {
  const newVpc = props.vpc === undefined;
  for (const prop of ['azCount', 'natMode', 'vpcCidr'] as const) {
    if (!newVpc && props[prop] !== undefined) {
      throw new WharfConfigError(
        propLabel(prop),
        `applies only to a new VPC, but vpc (context wharf:vpcId) is given: remove ${prop}, or remove vpc to create a new VPC`,
      );
    }
  }
  if (newVpc && props.taskSubnets !== undefined) {
    throw new WharfConfigError(
      propLabel('taskSubnets'),
      'applies only to an existing vpc: remove taskSubnets (a new VPC places tasks per natMode) or give vpc',
    );
  }
  const runnerDirectory = props.runnerDirectory ?? path.join(REPO_ROOT, 'buildpacks');
  const resolved: ResolvedWharfProps = {
    name: props.name ?? 'wharf',
    vpc: props.vpc,
    taskSubnets: props.taskSubnets,
    azCount: props.azCount ?? 2,
    natMode: props.natMode ?? 'single-gateway',
    vpcCidr: props.vpcCidr ?? '10.0.0.0/16',
    architecture: props.architecture ?? 'arm64',
    namespaceName: props.namespaceName ?? 'wharf.internal',
    domain: props.domain,
    certificate: props.certificate,
    hostedZone: props.hostedZone,
    loadBalancerCount: props.loadBalancerCount ?? 1,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    tracing: props.tracing ?? false,
    containerInsights: props.containerInsights ?? true,
    alarmEmail: props.alarmEmail,
    apiThrottle: props.apiThrottle ?? { rateLimit: 50, burstLimit: 100 },
    webhookThrottle: props.webhookThrottle ?? { rateLimit: 10, burstLimit: 20 },
    untaggedImageRetentionDays: props.untaggedImageRetentionDays ?? 7,
    sourceRetentionDays: props.sourceRetentionDays ?? 30,
    accessLogRetentionDays: props.accessLogRetentionDays ?? 90,
    buildTimeout: props.buildTimeout ?? Duration.minutes(30),
    functionsDirectory: props.functionsDirectory ?? path.join(REPO_ROOT, 'functions'),
    runnerDirectory,
    buildspecFile: props.buildspecFile ?? path.join(runnerDirectory, 'codebuild', 'buildspec-buildpacks.yml'),
    dockerBuildspecFile:
      props.dockerBuildspecFile ?? path.join(runnerDirectory, 'codebuild', 'buildspec-docker.yml'),
  };
  validateValues(resolved);
  validateDomain(resolved);
  return resolved;
}

function validateValues(p: ResolvedWharfProps): void {
  if (!NAME_RE.test(p.name)) {
    throw new WharfConfigError(
      propLabel('name'),
      `'${p.name}' is not usable in resource names: use 2-12 lowercase letters, digits or '-', starting with a letter`,
    );
  }
  // ELB refuses load balancer names starting with `internal-`, and the ALBs are `<name>-alb-<n>`
  if (p.name === 'internal' || p.name.startsWith('internal-')) {
    throw new WharfConfigError(
      propLabel('name'),
      `'${p.name}' would name the load balancers '${p.name}-alb-0', and ELB refuses names starting with 'internal-': choose another name`,
    );
  }
  if (p.azCount !== 2 && p.azCount !== 3) {
    throw new WharfConfigError(propLabel('azCount'), `${p.azCount} AZs is not supported: use 2 or 3`);
  }
  if (!NAT_MODES.includes(p.natMode)) {
    throw new WharfConfigError(
      propLabel('natMode'),
      `'${p.natMode}' is unknown: use one of ${NAT_MODES.join(', ')}`,
    );
  }
  if (!ARCHITECTURES.includes(p.architecture)) {
    throw new WharfConfigError(
      propLabel('architecture'),
      `'${p.architecture}' is unknown: use one of ${ARCHITECTURES.join(', ')}`,
    );
  }
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\/(1[6-9]|2[0-4])$/.test(p.vpcCidr)) {
    throw new WharfConfigError(
      propLabel('vpcCidr'),
      `'${p.vpcCidr}' is not an IPv4 CIDR between /16 and /24: use e.g. 10.0.0.0/16`,
    );
  }
  if (!DNS_NAME_RE.test(p.namespaceName)) {
    throw new WharfConfigError(
      propLabel('namespaceName'),
      `'${p.namespaceName}' is not a DNS name: use lowercase labels such as wharf.internal`,
    );
  }
  // Every shard adds two ARNs to the functions' environment, which Lambda caps at 4 KB.
  if (
    !Number.isInteger(p.loadBalancerCount) ||
    p.loadBalancerCount < 1 ||
    p.loadBalancerCount > MAX_LOAD_BALANCERS
  ) {
    throw new WharfConfigError(
      propLabel('loadBalancerCount'),
      `${p.loadBalancerCount} is out of range: use a whole number from 1 to ${MAX_LOAD_BALANCERS} (the control plane adds more, named <name>-alb-<n>, when needed)`,
    );
  }
  if (p.alarmEmail !== undefined && !EMAIL_RE.test(p.alarmEmail)) {
    throw new WharfConfigError(propLabel('alarmEmail'), `'${p.alarmEmail}' is not an email address`);
  }
  for (const prop of ['apiThrottle', 'webhookThrottle'] as const) {
    const t = p[prop];
    if (!(t.rateLimit > 0) || !(t.burstLimit >= 1) || !Number.isInteger(t.burstLimit)) {
      throw new WharfConfigError(
        prop,
        'rateLimit must be above 0 and burstLimit a whole number of at least 1',
      );
    }
  }
  for (const prop of [
    'untaggedImageRetentionDays',
    'sourceRetentionDays',
    'accessLogRetentionDays',
  ] as const) {
    if (!Number.isInteger(p[prop]) || p[prop] < 1) {
      throw new WharfConfigError(prop, `${p[prop]} is not a whole number of days of at least 1`);
    }
  }
  const buildMinutes = p.buildTimeout.toMinutes({ integral: false });
  if (buildMinutes < 5 || buildMinutes > 480) {
    throw new WharfConfigError(
      'buildTimeout',
      `${buildMinutes} minutes is out of range: use 5 minutes to 8 hours`,
    );
  }
}

function validateDomain(p: ResolvedWharfProps): void {
  if (p.domain === undefined) {
    for (const prop of ['certificate', 'hostedZone'] as const) {
      if (p[prop] !== undefined) {
        throw new WharfConfigError(
          propLabel(prop),
          `requires domain (context wharf:domain): set the apps' parent domain, or remove ${prop}`,
        );
      }
    }
    return;
  }
  if (!DNS_NAME_RE.test(p.domain)) {
    throw new WharfConfigError(
      propLabel('domain'),
      `'${p.domain}' is not a DNS name: give the apps' parent domain in lowercase, without '*.' or a trailing dot (e.g. apps.example.com)`,
    );
  }
  if (p.domain === p.namespaceName) {
    throw new WharfConfigError(
      propLabel('namespaceName'),
      'must differ from domain: the private namespace would shadow it',
    );
  }
  const zoneName = p.hostedZone?.zoneName;
  if (zoneName !== undefined && !Token.isUnresolved(zoneName)) {
    const zone = zoneName.replace(/\.$/, '');
    if (p.domain !== zone && !p.domain.endsWith(`.${zone}`)) {
      throw new WharfConfigError(
        propLabel('hostedZone'),
        `zone '${zone}' does not contain domain '${p.domain}': give the hosted zone of the domain (context wharf:hostedZoneName), or a domain inside it`,
      );
    }
  }
}
