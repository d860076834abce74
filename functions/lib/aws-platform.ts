/**
 * The composition root of every Lambda: SDK clients, the AWS adapters, the core's
 * control plane on top. Built once per container (module scope) and reused by warm
 * invocations.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_SETTINGS } from '../../core/deps.ts';
import { WharfError } from '../../core/errors.ts';
import type { ResourceProvisioner } from '../../core/ports.ts';
import { AlbRouter } from '../../adapters/aws/alb-router.ts';
import { CloudMapDiscovery } from '../../adapters/aws/cloudmap-discovery.ts';
import { CloudWatchLogStore } from '../../adapters/aws/cloudwatch-log-store.ts';
import { CodeBuildBuilder } from '../../adapters/aws/codebuild-builder.ts';
import { DynamoAllocationStore } from '../../adapters/aws/dynamo-alb-allocation-store.ts';
import { DynamoLeaderStore } from '../../adapters/aws/dynamo-leader-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { EcsReleaseDeployer } from '../../adapters/aws/ecs-release-deployer.ts';
import { EcsScheduler } from '../../adapters/aws/ecs-scheduler.ts';
import { LeaderKeeper } from '../../adapters/aws/leader-keeper.ts';
import { S3ArtifactStore } from '../../adapters/aws/s3-artifact-store.ts';
import { SecretsManagerStore } from '../../adapters/aws/secrets-store.ts';
import { AwsControlPlane } from './aws-control-plane.ts';
import type { AwsConfig } from './config.ts';
import { LambdaEventBus, ecsHealthProbe, lambdaClock, lambdaIds } from './system.ts';

export interface AwsPlatform {
  readonly config: AwsConfig;
  readonly controlPlane: AwsControlPlane;
  readonly store: DynamoStateStore;
  readonly secrets: SecretsManagerStore;
  readonly artifacts: S3ArtifactStore;
  readonly logs: CloudWatchLogStore;
  readonly ecs: EcsScheduler;
  readonly discovery: CloudMapDiscovery;
  readonly router: AlbRouter;
  readonly deployer: EcsReleaseDeployer;
  readonly leaders: LeaderKeeper;
}

/** Resource stacks are the resource provisioner's (another module); until it is wired, say so. */
const provisionerNotWired: ResourceProvisioner = {
  provision: async () => {
    throw new WharfError(
      'unavailable',
      'resources are not available on this AWS platform yet: the CloudFormation provisioner is not wired',
    );
  },
  deprovision: async () => {
    throw new WharfError(
      'unavailable',
      'resources are not available on this AWS platform yet: the CloudFormation provisioner is not wired',
    );
  },
};

export function createAwsPlatform(
  config: AwsConfig,
  options: { provisioner?: ResourceProvisioner } = {},
): AwsPlatform {
  const region = config.region;
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const table = { client: doc, tableName: config.table };
  const store = new DynamoStateStore({ client: doc, tableName: config.table });
  const secrets = new SecretsManagerStore({
    client: new SecretsManagerClient({ region }),
    prefix: config.secretsPrefix,
  });
  const artifacts = new S3ArtifactStore({
    s3: new S3Client({ region }),
    bucket: config.bucket,
    ecr: new ECRClient({ region }),
    repository: config.repository,
  });
  const logs = new CloudWatchLogStore({
    client: new CloudWatchLogsClient({ region }),
    groupPrefix: config.logGroupPrefix,
  });
  const ecs = new EcsScheduler({
    client: new ECSClient({ region }),
    cluster: config.cluster,
    subnets: config.subnets,
    securityGroups: config.taskSecurityGroup ? [config.taskSecurityGroup] : [],
    region,
    executionRoleArn: config.executionRoleArn,
    taskRoleArn: config.taskRoleArn,
    logGroupPrefix: config.logGroupPrefix,
    secretArn: (name) => secrets.secretId(name),
  });
  const discovery = new CloudMapDiscovery({
    client: new ServiceDiscoveryClient({ region }),
    namespaceId: config.namespaceId,
    namespaceName: config.namespaceName,
  });
  const router = new AlbRouter({
    client: new ElasticLoadBalancingV2Client({ region }),
    listenerArns: config.listenerArns,
    vpcId: config.vpcId,
    allocations: new DynamoAllocationStore(table),
    processTypeOf: async (routeId) =>
      (await store.listRoutes()).find((r) => r.id === routeId)?.processType ?? null,
  });
  const builder = new CodeBuildBuilder({
    client: new CodeBuildClient({ region }),
    project: config.buildProject,
    dockerProject: config.dockerBuildProject,
    bucket: config.bucket,
    repositoryUri: config.repository,
    logGroupPrefix: config.logGroupPrefix,
    gitTokenSecret: async (app) =>
      (await secrets.get(`git-token/${app}`)) !== null ? secrets.secretId(`git-token/${app}`) : null,
  });
  const instanceEnv = (app: string, processType: string) => ({
    WHARF_DISCOVERY_ZONE: config.namespaceName,
    WHARF_SERVICE_NAME: `${processType}.${app}.${config.namespaceName}`,
    WHARF_LEADER_NAME: `leader.${processType}.${app}.${config.namespaceName}`,
  });
  const deployer = new EcsReleaseDeployer({
    store,
    scheduler: ecs,
    discovery,
    router,
    logs,
    clock: lambdaClock,
    ids: lambdaIds,
    instanceEnv,
  });
  const controlPlane = new AwsControlPlane(
    {
      store,
      clock: lambdaClock,
      ids: lambdaIds,
      bus: new LambdaEventBus(),
      logs,
      builder,
      artifacts,
      scheduler: ecs,
      router,
      discovery,
      probe: ecsHealthProbe,
      secrets,
      provisioner: options.provisioner ?? provisionerNotWired,
      settings: {
        ...DEFAULT_SETTINGS,
        routerDomain: config.routerDomain,
        instanceEnv: ({ app, processType }) => instanceEnv(app, processType),
      },
    },
    { deployer, ecs },
    { holder: `lambda-${lambdaIds.next('h')}` },
  );
  const leaders = new LeaderKeeper({ store: new DynamoLeaderStore(table), discovery });
  return { config, controlPlane, store, secrets, artifacts, logs, ecs, discovery, router, deployer, leaders };
}
