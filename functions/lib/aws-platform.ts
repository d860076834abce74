/**
 * The composition root of every Lambda: SDK clients, the AWS adapters, the core's
 * control plane on top. Built once per container (module scope) and reused by warm
 * invocations.
 */
import type { AlbLeaderTargets } from '../../adapters/aws/alb-leader-targets.ts';
import type { AlbRouter } from '../../adapters/aws/alb-router.ts';
import { AwsJsonClient, envCredentials } from '../../adapters/aws/aws-json-client.ts';
import type { CloudMapDiscovery } from '../../adapters/aws/cloudmap-discovery.ts';
import type { CodeBuildBuilder } from '../../adapters/aws/codebuild-builder.ts';
import { httpDocApi, DYNAMODB_PROTOCOL } from '../../adapters/aws/dynamo-doc-api.ts';
import { DynamoLeaderStore } from '../../adapters/aws/dynamo-leader-store.ts';
import { DynamoStateStore } from '../../adapters/aws/dynamo-state-store.ts';
import { EcsReleaseDeployer } from '../../adapters/aws/ecs-release-deployer.ts';
import type { EcsScheduler } from '../../adapters/aws/ecs-scheduler.ts';
import { LeaderKeeper } from '../../adapters/aws/leader-keeper.ts';
import type { CloudFormationResourceProvisioner } from '../../adapters/aws/resources/provisioner.ts';
import type { S3ArtifactStore } from '../../adapters/aws/s3-artifact-store.ts';
import { ControlPlane } from '../../core/control-plane.ts';
import { DEFAULT_SETTINGS } from '../../core/deps.ts';
import type { ResourceProvisioner } from '../../core/ports.ts';
import type { SecretsManagerStore } from '../../adapters/aws/secrets-store.ts';
import type { AwsConfig } from './config.ts';
import { lazy } from './lazy.ts';
import { LazyLogStore } from './lazy-log-store.ts';
import { makeSecretStore } from './secret-store.ts';
import { LambdaEventBus, ecsHealthProbe, lambdaClock, lambdaIds } from './system.ts';
import { appSecretName } from '../../core/secret-names.ts';

export interface AwsPlatform {
  readonly config: AwsConfig;
  readonly controlPlane: ControlPlane;
  readonly store: DynamoStateStore;
  readonly secrets: SecretsManagerStore;
  readonly artifacts: S3ArtifactStore;
  readonly logs: LazyLogStore;
  readonly ecs: EcsScheduler;
  readonly discovery: CloudMapDiscovery;
  readonly router: AlbRouter;
  readonly deployer: EcsReleaseDeployer;
  readonly leaders: LeaderKeeper;
  /** resource stacks; its handleStackEvent reads what a stack status event means */
  readonly resources: CloudFormationResourceProvisioner;
}

export function createAwsPlatform(
  config: AwsConfig,
  options: { provisioner?: ResourceProvisioner } = {},
): AwsPlatform {
  const region = config.region;
  // DynamoDB is on every invocation's path: a small signed fetch client, not the SDK's,
  // whose import alone costs more than the cold start budget (docs/lambda-cold-start.md).
  const doc = httpDocApi(
    new AwsJsonClient({
      ...DYNAMODB_PROTOCOL,
      region,
      credentials: envCredentials(),
    }),
    { removeUndefinedValues: true },
  );
  const table = { client: doc, tableName: config.table };
  const store = new DynamoStateStore({ client: doc, tableName: config.table });
  const secretStore = makeSecretStore(region, config.secretsPrefix);
  // Logs load on first use: most invocations write no log line.
  const logs = new LazyLogStore(async () =>
    (await import('./lazy/logs.ts')).makeLogStore(region, config.logGroupPrefix),
  );
  // The rest load on first use (lazy.ts): each handler's cold start pays for its own clients only.
  const artifacts = lazy<S3ArtifactStore>(async () =>
    (await import('./lazy/artifacts.ts')).makeArtifactStore(region, config.bucket, config.repository),
  );
  const ecs = lazy<EcsScheduler>(
    async () => {
      return (await import('./lazy/ecs.ts')).makeEcsScheduler(region, {
        cluster: config.cluster,
        subnets: config.subnets,
        securityGroups: config.taskSecurityGroup ? [config.taskSecurityGroup] : [],
        executionRoleArn: config.executionRoleArn,
        taskRoleArn: config.taskRoleArn,
        logGroupPrefix: config.logGroupPrefix,
        secretArn: (name) => secretStore.secretId(name),
        namePrefix: config.name,
      });
    },
    // Task changes reach a Lambda as events, never through a subscription.
    { onChange: () => () => {}, emit: () => {} },
  );
  const discovery = lazy<CloudMapDiscovery>(async () =>
    (await import('./lazy/discovery.ts')).makeDiscovery(
      region,
      config.namespaceId,
      config.namespaceName,
      config.name,
    ),
  );
  const router = lazy<AlbRouter>(async () =>
    (await import('./lazy/router.ts')).makeRouter(region, table, {
      listenerArns: config.listenerArns,
      vpcId: config.vpcId,
      namePrefix: config.name,
      // A leader target group made after the election gets the current leader at once.
      syncLeader: async (app, processType) => {
        await leaders.publish(app, processType);
      },
    }),
  );
  const leaderTargets = lazy<AlbLeaderTargets>(async () =>
    (await import('./lazy/router.ts')).makeLeaderTargets(region, table),
  );
  const builder = lazy<CodeBuildBuilder>(async () =>
    (await import('./lazy/builder.ts')).makeBuilder(region, {
      project: config.buildProject,
      dockerProject: config.dockerBuildProject,
      bucket: config.bucket,
      repositoryUri: config.repository,
      logGroupPrefix: config.logGroupPrefix,
      buildEnvSecrets: secretStore,
      gitTokenSecret: async (app) => {
        const name = appSecretName('gitToken', app);
        return (await secretStore.get(name)) !== null ? secretStore.secretId(name) : null;
      },
    }),
  );
  const resources = lazy<CloudFormationResourceProvisioner>(
    async () => (await import('./lazy/resources.ts')).makeResourceProvisioner(config),
    { stackName: (app: string, name: string) => `${config.resourceStackPrefix}${app}--${name}` },
  );
  const instanceEnv = (app: string, processType: string) => ({
    // WHARF_ZONE as locally (core/discovery/env.ts); WHARF_DISCOVERY_ZONE kept for apps that read it.
    WHARF_ZONE: config.namespaceName,
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
  const controlPlane = new ControlPlane(
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
      secrets: secretStore,
      provisioner: options.provisioner ?? resources,
      settings: {
        ...DEFAULT_SETTINGS,
        routerDomain: config.routerDomain,
        instanceEnv: ({ app, processType }) => instanceEnv(app, processType),
      },
      // ECS rolls the services and its events finish each deployment
      releaseDeployer: deployer,
    },
    { holder: `lambda-${lambdaIds.next('h')}` },
  );
  const leaders = new LeaderKeeper({
    store: new DynamoLeaderStore(table),
    discovery,
    targets: leaderTargets,
  });
  return {
    config,
    controlPlane,
    store,
    secrets: secretStore,
    artifacts,
    logs,
    ecs,
    discovery,
    router,
    deployer,
    leaders,
    resources,
  };
}
