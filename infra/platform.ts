import { Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { WharfBuilds } from './builds.ts';
import { WharfCluster } from './cluster.ts';
import { type ControlPlaneScope, controlPlaneGrants, webhookGrants } from './control-plane-policy.ts';
import { NAME_PREFIXES } from './deploy-settings.ts';
import { WharfEventRules } from './event-rules.ts';
import { type FunctionKey, functionEntries, WharfFunctions } from './functions.ts';
import { WharfHttpApi } from './http-api.ts';
import { acknowledgeGeneratedWildcards, allow } from './iam.ts';
import { WharfLoadBalancers } from './load-balancers.ts';
import { WharfMonitoring } from './monitoring.ts';
import { WharfNetwork } from './network.ts';
import { resourceTemplateFiles, TEMPLATES_DIR_IN_CODE } from './resources/templates.ts';
import { type ResolvedWharfProps, resolveWharfProps, type WharfPlatformProps } from './props.ts';
import { WharfStorage } from './storage.ts';

/**
 * Wharf on AWS: everything `npx cdk deploy` sets up, as one construct that a CDK app of
 * one's own can use as well. Apps themselves (services, target groups, rules, log groups,
 * secrets, resource stacks) are created later by the control plane, never by this stack.
 */
/** Where Lambda unpacks a function's code (LAMBDA_TASK_ROOT). */
const LAMBDA_CODE_ROOT = '/var/task';

export class WharfPlatform extends Construct {
  readonly settings: ResolvedWharfProps;
  readonly network: WharfNetwork;
  readonly storage: WharfStorage;
  readonly cluster: WharfCluster;
  readonly loadBalancers: WharfLoadBalancers;
  readonly builds: WharfBuilds;
  readonly functions: WharfFunctions;
  readonly httpApi: WharfHttpApi;
  readonly eventRules: WharfEventRules;
  readonly monitoring: WharfMonitoring;
  /** What the API and event handlers may do (attached to their roles). */
  readonly controlPlanePolicy: iam.ManagedPolicy;
  /**
   * The role resource stacks (`<name>-resource-*`) run as. It has no permissions here:
   * the resource templates add what Aurora, ElastiCache and the others need.
   */
  readonly resourceStackRole: iam.Role;
  /** The functions' environment (also documented in docs/aws.md). */
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: WharfPlatformProps = {}) {
    super(scope, id);
    const s = resolveWharfProps(props);
    // Before any synth work (the resource templates take seconds): a wrong folder fails at once.
    functionEntries(s.functionsDirectory);
    this.settings = s;
    Tags.of(this).add('wharf:platform', s.name);

    this.network = new WharfNetwork(this, 'Network', {
      vpc: s.vpc,
      taskSubnets: s.taskSubnets,
      azCount: s.azCount,
      natMode: s.natMode,
      vpcCidr: s.vpcCidr,
      logRetention: s.logRetention,
    });
    this.storage = new WharfStorage(this, 'Storage', {
      name: s.name,
      untaggedImageRetentionDays: s.untaggedImageRetentionDays,
      sourceRetentionDays: s.sourceRetentionDays,
      accessLogRetentionDays: s.accessLogRetentionDays,
    });
    this.cluster = new WharfCluster(this, 'Compute', {
      name: s.name,
      vpc: this.network.vpc,
      namespaceName: s.namespaceName,
      containerInsights: s.containerInsights,
      platformKey: this.storage.platformKey,
      secretsPrefix: this.storage.secretsPrefix,
      repository: this.storage.repository,
    });
    this.loadBalancers = new WharfLoadBalancers(this, 'Routing', {
      name: s.name,
      vpc: this.network.vpc,
      subnets: this.network.publicSubnets,
      count: s.loadBalancerCount,
      domain: s.domain,
      certificate: s.certificate,
      hostedZone: s.hostedZone,
      logBucket: this.storage.logBucket,
      taskSecurityGroup: this.cluster.taskSecurityGroup,
    });
    this.builds = new WharfBuilds(this, 'Builds', {
      name: s.name,
      architecture: s.architecture,
      bucket: this.storage.bucket,
      repository: this.storage.repository,
      platformKey: this.storage.platformKey,
      runnerDirectory: s.runnerDirectory,
      buildspecFile: s.buildspecFile,
      dockerBuildspecFile: s.dockerBuildspecFile,
      secretsPrefix: this.storage.secretsPrefix,
      buildTimeout: s.buildTimeout,
      logRetention: s.logRetention,
    });
    this.resourceStackRole = new iam.Role(this, 'ResourceStackRole', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: `Wharf (${s.name}): CloudFormation role of resource stacks (${s.name}-${NAME_PREFIXES.resourceStack}*)`,
    });

    this.environment = this.makeEnvironment(s);
    this.functions = new WharfFunctions(this, 'ControlPlane', {
      name: s.name,
      directory: s.functionsDirectory,
      environment: this.environment,
      logRetention: s.logRetention,
      tracing: s.tracing,
      // The templates ship with the code that creates stacks from them: one version of each, no upload step.
      files: resourceTemplateFiles(),
    });
    const scopeOfGrants = this.grantScope(s);
    this.controlPlanePolicy = new iam.ManagedPolicy(this, 'ControlPlanePolicy', {
      description: `Wharf (${s.name}): the control plane (API and event handlers)`,
    });
    for (const grant of controlPlaneGrants(scopeOfGrants)) allow(this.controlPlanePolicy, grant);
    const controlPlaneKeys: FunctionKey[] = ['api', 'buildEvents', 'taskEvents', 'stackEvents'];
    for (const key of controlPlaneKeys) this.functions.roles[key].addManagedPolicy(this.controlPlanePolicy);
    for (const grant of webhookGrants(scopeOfGrants)) allow(this.functions.roles.webhook, grant);

    this.httpApi = new WharfHttpApi(this, 'Api', {
      name: s.name,
      apiFunction: this.functions.functions.api,
      webhookFunction: this.functions.functions.webhook,
      apiThrottle: s.apiThrottle,
      webhookThrottle: s.webhookThrottle,
      logRetention: s.logRetention,
      appLogGroupPrefix: this.cluster.logGroupPrefix,
    });
    this.eventRules = new WharfEventRules(this, 'Events', {
      name: s.name,
      projects: [this.builds.buildpacksProject, this.builds.dockerProject],
      cluster: this.cluster.cluster,
      buildEvents: this.functions.functions.buildEvents,
      taskEvents: this.functions.functions.taskEvents,
      stackEvents: this.functions.functions.stackEvents,
      deadLetterQueue: this.functions.deadLetterQueue,
    });
    this.monitoring = new WharfMonitoring(this, 'Monitoring', {
      name: s.name,
      functions: this.functions.functions,
      projects: [this.builds.buildpacksProject, this.builds.dockerProject],
      loadBalancers: this.loadBalancers.loadBalancers,
      api: this.httpApi.api,
      deadLetterQueue: this.functions.deadLetterQueue,
      platformKey: this.storage.platformKey,
      alarmEmail: s.alarmEmail,
    });
    acknowledgeGeneratedWildcards(this);
  }

  private grantScope(s: ResolvedWharfProps): ControlPlaneScope {
    return {
      name: s.name,
      cluster: this.cluster.cluster,
      namespace: this.cluster.namespace,
      executionRole: this.cluster.executionRole,
      taskRole: this.cluster.taskRole,
      resourceStackRole: this.resourceStackRole,
      table: this.storage.table,
      bucket: this.storage.bucket,
      repository: this.storage.repository,
      projects: [this.builds.buildpacksProject, this.builds.dockerProject],
      platformKey: this.storage.platformKey,
      secretsPrefix: this.storage.secretsPrefix,
      logGroupPrefix: this.cluster.logGroupPrefix,
      buildLogGroup: this.builds.logGroup,
      hostedZone: s.hostedZone,
    };
  }

  private makeEnvironment(s: ResolvedWharfProps): Record<string, string> {
    const lbs = this.loadBalancers;
    const env: Record<string, string> = {
      WHARF_NAME: s.name,
      WHARF_TABLE: this.storage.table.tableName,
      WHARF_BUCKET: this.storage.bucket.bucketName,
      WHARF_CLUSTER: this.cluster.cluster.clusterArn,
      WHARF_NAMESPACE_ID: this.cluster.namespace.namespaceId,
      WHARF_NAMESPACE_NAME: s.namespaceName,
      WHARF_ALB_ARNS: lbs.loadBalancerArns,
      WHARF_LISTENER_ARNS: lbs.listenerArns,
      WHARF_ALB_SECURITY_GROUP: lbs.securityGroup.securityGroupId,
      WHARF_PUBLIC_SUBNETS: this.network.publicSubnets.subnetIds.join(','),
      WHARF_REPOSITORY: this.storage.repository.repositoryName,
      WHARF_REPOSITORY_URI: this.storage.repository.repositoryUri,
      WHARF_BUILD_PROJECT: this.builds.buildpacksProject.projectName,
      WHARF_DOCKER_BUILD_PROJECT: this.builds.dockerProject.projectName,
      WHARF_BUILD_LOG_GROUP: this.builds.logGroup.logGroupName,
      WHARF_SECRETS_PREFIX: this.storage.secretsPrefix,
      WHARF_KMS_KEY_ARN: this.storage.platformKey.keyArn,
      WHARF_WEBHOOK_SECRET_ARN: this.storage.webhookSecret.secretArn,
      WHARF_VPC_ID: this.network.vpc.vpcId,
      WHARF_SUBNETS: this.network.taskSubnets.subnetIds.join(','),
      WHARF_ASSIGN_PUBLIC_IP: this.network.assignPublicIp ? 'ENABLED' : 'DISABLED',
      WHARF_TASK_SECURITY_GROUP: this.cluster.taskSecurityGroup.securityGroupId,
      WHARF_EXECUTION_ROLE_ARN: this.cluster.executionRole.roleArn,
      WHARF_TASK_ROLE_ARN: this.cluster.taskRole.roleArn,
      WHARF_ARCHITECTURE: s.architecture === 'arm64' ? 'ARM64' : 'X86_64',
      WHARF_LOG_GROUP_PREFIX: this.cluster.logGroupPrefix,
      WHARF_LOG_RETENTION_DAYS: String(s.logRetention),
      WHARF_RESOURCE_STACK_PREFIX: `${s.name}-${NAME_PREFIXES.resourceStack}`,
      WHARF_RESOURCE_STACK_ROLE_ARN: this.resourceStackRole.roleArn,
      WHARF_RESOURCE_TEMPLATES_URL: `file://${LAMBDA_CODE_ROOT}/${TEMPLATES_DIR_IN_CODE}`,
    };
    if (s.domain) env.WHARF_DOMAIN = s.domain;
    if (s.hostedZone) env.WHARF_HOSTED_ZONE_ID = s.hostedZone.hostedZoneId;
    if (lbs.certificate) env.WHARF_CERTIFICATE_ARN = lbs.certificate.certificateArn;
    return env;
  }
}
