/**
 * The AWS side of the CLI tests: every SDK client the API Lambda and the CLI use, mocked at
 * the client (aws-sdk-client-mock) as test/aws/full-flow.test.ts does, with DynamoDB and
 * Secrets Manager as in-memory services over HTTP (the functions reach both with their own
 * signed fetch client), plus seeds for an app that has a release.
 */
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateServiceCommand as CreateCloudMapServiceCommand,
  ListServicesCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';
import { getPlatform, resetPlatform } from '../../functions/lib/platform.ts';
import { FakeTable, installFakeTable } from '../aws/fake-dynamo.ts';
import { installFakeSecrets } from '../aws/fake-secrets-http.ts';
import { setLambdaEnv } from '../aws/lambda-env.ts';

export const IMAGE = `111122223333.dkr.ecr.eu-west-1.amazonaws.com/wharf-apps@sha256:${'1'.repeat(64)}`;

export async function installAwsMocks() {
  setLambdaEnv();
  resetPlatform();
  const dynamo = await installFakeTable(new FakeTable());
  const secrets = await installFakeSecrets();
  const mocks = {
    codebuild: mockClient(CodeBuildClient),
    ecs: mockClient(ECSClient),
    elb: mockClient(ElasticLoadBalancingV2Client),
    cloudMap: mockClient(ServiceDiscoveryClient),
    logs: mockClient(CloudWatchLogsClient),
  };
  mocks.codebuild
    .on(StartBuildCommand)
    .callsFake((i: { idempotencyToken: string }) => ({ build: { id: `wharf-build:${i.idempotencyToken}` } }));
  const services = new Map<string, { taskDefinition: string; desiredCount: number }>();
  let revision = 0;
  mocks.ecs.on(RegisterTaskDefinitionCommand).callsFake((i: { family: string }) => ({
    taskDefinition: {
      taskDefinitionArn: `arn:aws:ecs:eu-west-1:111122223333:task-definition/${i.family}:${++revision}`,
    },
  }));
  mocks.ecs.on(DescribeServicesCommand).callsFake((i: { services: string[] }) => {
    const s = services.get(i.services[0]!);
    return { services: s ? [{ serviceName: i.services[0], status: 'ACTIVE', ...s }] : [] };
  });
  mocks.ecs
    .on(CreateServiceCommand)
    .callsFake((i: { serviceName: string; taskDefinition: string; desiredCount: number }) => {
      services.set(i.serviceName, { taskDefinition: i.taskDefinition, desiredCount: i.desiredCount });
      return {};
    });
  mocks.ecs
    .on(UpdateServiceCommand)
    .callsFake((i: { service: string; taskDefinition: string; desiredCount: number }) => {
      services.set(i.service, { taskDefinition: i.taskDefinition, desiredCount: i.desiredCount });
      return {};
    });
  mocks.elb
    .on(CreateTargetGroupCommand)
    .callsFake((i: { Name: string }) => ({ TargetGroups: [{ TargetGroupArn: `arn:tg/${i.Name}` }] }));
  mocks.elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: 'arn:rule/1' }] });
  mocks.elb.on(ModifyTargetGroupAttributesCommand).resolves({});
  const cloudMapServices: { Id: string; Arn: string; Name: string }[] = [];
  mocks.cloudMap.on(ListServicesCommand).callsFake(() => ({ Services: [...cloudMapServices] }));
  mocks.cloudMap.on(CreateCloudMapServiceCommand).callsFake((i: { Name: string }) => {
    const s = { Id: `srv-${cloudMapServices.length}`, Arn: `arn:srv/${i.Name}`, Name: i.Name };
    cloudMapServices.push(s);
    return { Service: s };
  });
  mocks.cloudMap.on(RegisterInstanceCommand).resolves({});
  mocks.logs.on(PutLogEventsCommand).resolves({});
  mocks.logs.on(FilterLogEventsCommand).resolves({ events: [] });
  return {
    mocks,
    /** the Secrets Manager the functions write to and read from */
    secrets: secrets.fake,
    services,
    async restore() {
      for (const m of Object.values(mocks)) m.restore();
      await dynamo.restore();
      await secrets.restore();
    },
  };
}

/** An app with a release of a built image, as a build would leave it (no rollout). */
export async function seedRelease(app: string, processes: Record<string, string> = { web: 'npm start' }) {
  const store = getPlatform().store;
  const artifactId = `art-${app}`;
  await store.putArtifact({
    id: artifactId,
    app,
    kind: 'image',
    uri: IMAGE,
    processTypes: processes,
    configDefaults: { NODE_ENV: 'production' },
    createdAt: new Date().toISOString(),
  });
  return store.appendRelease(app, (latest) => ({
    app,
    artifactId,
    env: latest?.env ?? {},
    processEnv: {},
    processes,
    description: 'Deploy of a seeded build',
  }));
}

/** Live Tail's response stream: a session start, then one update per batch, `after` each. */
export async function* liveTailStream(
  batches: ReadonlyArray<ReadonlyArray<{ stream: string; message: string; timestamp: number }>>,
  after: (batch: number) => Promise<void> = async () => {},
) {
  yield { sessionStart: { requestId: 'r-1', sessionId: 's-1' } };
  for (const [i, batch] of batches.entries()) {
    yield {
      sessionUpdate: {
        sessionMetadata: { sampled: false },
        sessionResults: batch.map((l) => ({
          logStreamName: l.stream,
          logGroupIdentifier: 'arn:aws:logs:eu-west-1:111122223333:log-group:/wharf/apps/x',
          message: l.message,
          timestamp: l.timestamp,
          ingestionTime: l.timestamp,
        })),
      },
    };
    await after(i);
  }
}
