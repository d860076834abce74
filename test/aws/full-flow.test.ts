/**
 * The whole AWS path with every client mocked in one test: webhook → CodeBuild →
 * build-succeeded event → task definitions, services, Cloud Map, target group and rule →
 * duplicated events → still one release → ECS says the rollout is done. Then a failing
 * rollout: the deployment fails with the task's stopped reason and v1 stays current.
 */
import { httpEvent, lambdaContext, setLambdaEnv } from './lambda-env.ts';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateServiceCommand as CreateCloudMapServiceCommand,
  DeleteServiceCommand as DeleteCloudMapServiceCommand,
  ListInstancesCommand,
  ListServicesCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as api } from '../../functions/api.ts';
import { handler as buildEvents } from '../../functions/build-events.ts';
import { getPlatform, resetPlatform } from '../../functions/lib/platform.ts';
import { handler as taskEvents } from '../../functions/task-events.ts';
import { handler as webhook } from '../../functions/webhook.ts';
import { deliver, githubExamples } from '../webhooks/deliveries.ts';
import { FakeTable, installFakeTable } from './fake-dynamo.ts';
import { installFakeSecrets } from './fake-secrets-http.ts';
import { buildSucceeded } from './codebuild-state-events.ts';
import { taskEvent } from './ecs-task-events.ts';

const SECRET = 'full-flow-webhook-secret';
const mocks = {
  codebuild: mockClient(CodeBuildClient),
  ecs: mockClient(ECSClient),
  elb: mockClient(ElasticLoadBalancingV2Client),
  cloudMap: mockClient(ServiceDiscoveryClient),
  logs: mockClient(CloudWatchLogsClient),
};
let dynamo: Awaited<ReturnType<typeof installFakeTable>>;
let secrets: Awaited<ReturnType<typeof installFakeSecrets>>;

const IMAGE = (n: number) =>
  `111122223333.dkr.ecr.eu-west-1.amazonaws.com/wharf-apps@sha256:${String(n).repeat(64)}`;
const shopBuildSucceeded = (buildId: string, image: string) =>
  buildSucceeded(buildId, image, { web: 'npm start', worker: 'node worker.js' }, { NODE_ENV: 'production' });

const deploymentEvent = (eventName: string, reason: string) => ({
  id: `dep-${eventName}`,
  'detail-type': 'ECS Deployment State Change' as const,
  resources: ['arn:aws:ecs:eu-west-1:111122223333:service/wharf/wharf-shop_web'],
  detail: { eventName, deploymentId: 'ecs-svc/1', reason },
});

async function call<E>(h: (e: E, c: typeof lambdaContext) => Promise<unknown>, e: E) {
  return h(e, lambdaContext) as Promise<{ statusCode?: number; body?: string; outcome?: string }>;
}

async function pushCommit(commit: string): Promise<string> {
  const p = githubExamples('push').find((x) => x['ref'] === 'refs/heads/master')!;
  p['after'] = commit;
  const d = deliver('github', 'push', JSON.stringify(p), SECRET);
  const res = await call(webhook, httpEvent('POST', '/webhooks/github/shop', d.headers, d.body));
  expect(res.statusCode, res.body).toBe(202);
  return JSON.parse(res.body!).build as string;
}

describe('AWS full flow', () => {
  const services = new Map<string, { taskDefinition: string; desiredCount: number }>();
  const cloudMapServices: { Id: string; Arn: string; Name: string }[] = [];

  beforeAll(async () => {
    setLambdaEnv();
    resetPlatform();
    dynamo = await installFakeTable(new FakeTable());
    secrets = await installFakeSecrets();
    secrets.fake.set('wharf/webhook/shop', SECRET);
    mocks.codebuild
      .on(StartBuildCommand)
      .callsFake((i) => ({ build: { id: `wharf-build:${i.idempotencyToken}` } }));
    let revision = 0;
    mocks.ecs.on(RegisterTaskDefinitionCommand).callsFake((i) => ({
      taskDefinition: {
        taskDefinitionArn: `arn:aws:ecs:eu-west-1:111122223333:task-definition/${i.family}:${++revision}`,
      },
    }));
    mocks.ecs.on(DescribeServicesCommand).callsFake((i) => {
      const s = services.get(i.services[0]);
      return { services: s ? [{ serviceName: i.services[0], status: 'ACTIVE', ...s }] : [] };
    });
    mocks.ecs.on(CreateServiceCommand).callsFake((i) => {
      services.set(i.serviceName, { taskDefinition: i.taskDefinition, desiredCount: i.desiredCount });
      return {};
    });
    mocks.ecs.on(UpdateServiceCommand).callsFake((i) => {
      services.set(i.service, { taskDefinition: i.taskDefinition, desiredCount: i.desiredCount });
      return {};
    });
    mocks.elb
      .on(CreateTargetGroupCommand)
      .callsFake((i) => ({ TargetGroups: [{ TargetGroupArn: `arn:tg/${i.Name}` }] }));
    mocks.elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: 'arn:rule/1' }] });
    mocks.elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    mocks.cloudMap.on(ListServicesCommand).callsFake(() => ({ Services: [...cloudMapServices] }));
    mocks.cloudMap.on(CreateCloudMapServiceCommand).callsFake((i) => {
      const s = { Id: `srv-${cloudMapServices.length}`, Arn: `arn:srv/${i.Name}`, Name: i.Name };
      cloudMapServices.push(s);
      return { Service: s };
    });
    mocks.cloudMap.on(RegisterInstanceCommand).resolves({});
    mocks.logs.on(PutLogEventsCommand).resolves({});
    mocks.logs.on(FilterLogEventsCommand).resolves({
      events: [
        {
          eventId: 'x',
          timestamp: 1,
          logStreamName: 'web/web/task-v2',
          message: 'Error: Cannot find module express',
        },
      ],
    });
  });
  afterAll(async () => {
    for (const m of Object.values(mocks)) m.restore();
    await dynamo.restore();
    await secrets.restore();
  });

  it('deploys a push once however often its events arrive, and records a failed rollout with its reason', async () => {
    const created = await call(
      api,
      httpEvent('POST', '/apps', {}, JSON.stringify({ name: 'shop', branch: 'master' })),
    );
    expect(created.statusCode).toBe(201);

    const buildId = await pushCommit('1'.repeat(40));
    expect(mocks.codebuild.commandCalls(StartBuildCommand)).toHaveLength(1);

    const event = shopBuildSucceeded(buildId, IMAGE(1));
    const outcomes = await Promise.all(
      [call(buildEvents, event), call(buildEvents, event)].map((p) =>
        p.catch((e: Error) => ({ outcome: `retry: ${e.name}` })),
      ),
    );
    // One handler completes the build; its concurrent duplicate is told to retry (EventBridge does).
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(
      [expect.stringMatching(/made v1/), 'retry: ConflictError'].sort(),
    );
    await call(buildEvents, event);
    await call(buildEvents, event);

    const store = getPlatform().store;
    expect((await store.listReleases('shop')).map((r) => r.version)).toEqual([1]);
    const deployments = await store.listDeployments('shop');
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ toVersion: 1, status: 'running' });

    // Task definitions for both process types, one service each: web routed and discoverable.
    expect(
      mocks.ecs
        .commandCalls(RegisterTaskDefinitionCommand)
        .map((c) => c.args[0].input.family)
        .sort(),
    ).toEqual(['wharf-shop_web', 'wharf-shop_worker']);
    const createdServices = mocks.ecs.commandCalls(CreateServiceCommand).map((c) => c.args[0].input);
    expect(createdServices).toHaveLength(2);
    const web = createdServices.find((s) => s.serviceName === 'wharf-shop_web')!;
    expect(web).toMatchObject({
      desiredCount: 1,
      loadBalancers: [
        {
          targetGroupArn: expect.stringMatching(/^arn:tg\/wharf-0-shop-/),
          containerName: 'web',
          containerPort: 5000,
        },
      ],
      serviceRegistries: [{ registryArn: 'arn:srv/web.shop', containerName: 'web', containerPort: 5000 }],
    });
    expect(createdServices.find((s) => s.serviceName === 'wharf-shop_worker')).toMatchObject({
      desiredCount: 0,
      loadBalancers: [],
    });
    expect(mocks.elb.commandCalls(CreateRuleCommand)[0]!.args[0].input.Conditions).toEqual([
      { Field: 'host-header', HostHeaderConfig: { Values: ['shop.apps.example.com'] } },
    ]);
    expect(cloudMapServices.map((s) => s.Name).sort()).toEqual([
      'leader.web.shop',
      'leader.worker.shop',
      'web.shop',
      'worker.shop',
    ]);
    const webEnv = mocks.ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input
      .containerDefinitions![0]!.environment!;
    expect(webEnv).toEqual(
      expect.arrayContaining([
        { name: 'NODE_ENV', value: 'production' },
        { name: 'WHARF_RELEASE', value: 'v1' },
      ]),
    );

    // ECS finishes the rollout: the deployment completes and v1 becomes current, once.
    await call(
      taskEvents,
      deploymentEvent('SERVICE_DEPLOYMENT_COMPLETED', 'ECS deployment ecs-svc/1 completed.'),
    );
    await call(
      taskEvents,
      deploymentEvent('SERVICE_DEPLOYMENT_COMPLETED', 'ECS deployment ecs-svc/1 completed.'),
    );
    expect((await store.getDeployment(deployments[0]!.id))?.status).toBe('complete');
    expect(await store.getCurrentVersion('shop')).toBe(1);

    // v2 fails: its task stops, ECS's circuit breaker rolls back, the deployment says why.
    const build2 = await pushCommit('2'.repeat(40));
    await call(buildEvents, shopBuildSucceeded(build2, IMAGE(2)));
    const tdV2 = services.get('wharf-shop_web')!.taskDefinition;
    expect(
      mocks.ecs
        .commandCalls(UpdateServiceCommand)
        .map((c) => c.args[0].input.service)
        .sort(),
    ).toEqual(['wharf-shop_web', 'wharf-shop_worker']);
    await call(
      taskEvents,
      taskEvent(
        { id: 'task-v2', ip: '10.0.3.3', startedAt: '2026-11-25T11:00:00Z' },
        6,
        'STOPPED',
        'UNKNOWN',
        {
          taskDefinitionArn: tdV2,
          stoppedReason: 'Essential container in task exited',
        },
      ),
    );
    await call(
      taskEvents,
      deploymentEvent('SERVICE_DEPLOYMENT_FAILED', 'ECS deployment circuit breaker: tasks failed to start.'),
    );
    const v2 = (await store.listDeployments('shop')).find((d) => d.toVersion === 2)!;
    expect(v2.status).toBe('failed');
    expect(v2.error).toContain('circuit breaker');
    expect(v2.error).toContain('task task-v2 stopped: Essential container in task exited (exit 137)');
    expect(v2.error).toContain('Cannot find module express');
    expect(await store.getCurrentVersion('shop')).toBe(1);

    const releases = await call(api, httpEvent('GET', '/apps/shop/releases', {}));
    expect(releases.statusCode).toBe(200);
    expect(JSON.parse(releases.body!).map((r: { version: number }) => r.version)).toEqual([1, 2]);
  });

  it('scales through the API with UpdateService, and a config change rolls a new release onto ECS', async () => {
    mocks.ecs.resetHistory();
    const scaled = await call(
      api,
      httpEvent('PUT', '/apps/shop/formation', {}, JSON.stringify({ processes: { web: 3, worker: 1 } })),
    );
    expect(scaled.statusCode).toBe(200);
    expect(
      mocks.ecs
        .commandCalls(UpdateServiceCommand)
        .map((c) => c.args[0].input)
        .map((i) => [i.service, i.desiredCount]),
    ).toEqual([
      ['wharf-shop_web', 3],
      ['wharf-shop_worker', 1],
    ]);
    const bad = await call(
      api,
      httpEvent('PUT', '/apps/shop/formation', {}, JSON.stringify({ processes: { web: -1 } })),
    );
    expect(bad.statusCode).toBe(400);

    const changed = await call(
      api,
      httpEvent('PATCH', '/apps/shop/env', {}, JSON.stringify({ set: { FEATURE: 'on' } })),
    );
    expect(changed.statusCode).toBe(200);
    const body = JSON.parse(changed.body!);
    expect(body.release.version).toBe(3);
    expect(body.deployment).toMatchObject({ toVersion: 3, status: 'running' });
    const web = mocks.ecs
      .commandCalls(RegisterTaskDefinitionCommand)
      .find((c) => c.args[0].input.family === 'wharf-shop_web')!;
    expect(web.args[0].input.containerDefinitions![0]!.environment).toContainEqual({
      name: 'FEATURE',
      value: 'on',
    });
    expect(mocks.ecs.commandCalls(UpdateServiceCommand).at(-1)!.args[0].input).toMatchObject({
      desiredCount: 1,
    });
  });

  it('hands out a presigned upload URL and the log group for Live Tail', async () => {
    const upload = await call(api, httpEvent('POST', '/apps/shop/sources', {}));
    expect(upload.statusCode, upload.body).toBe(201);
    const u = JSON.parse(upload.body!);
    expect(u.key).toMatch(/^sources\/shop\/[0-9a-f]{16}\.tar\.gz$/);
    expect(new URL(u.url).hostname).toBe('wharf-bucket.s3.eu-west-1.amazonaws.com');
    const group = await call(api, httpEvent('GET', '/apps/shop/log-group', {}));
    expect(JSON.parse(group.body!)).toEqual({
      region: 'eu-west-1',
      logGroupName: '/wharf/apps/shop',
      logGroupArn: 'arn:aws:logs:eu-west-1:111122223333:log-group:/wharf/apps/shop',
    });
    const missing = await call(api, httpEvent('GET', '/apps/nope/log-group', {}));
    expect(missing.statusCode).toBe(404);
  });

  it('sizes come from the formation, a restart rolls the services again, and an autoscaled count is left to ECS', async () => {
    const p = getPlatform();
    mocks.ecs.resetHistory();
    const resized = await call(
      api,
      httpEvent(
        'PUT',
        '/apps/shop/formation/sizes',
        {},
        JSON.stringify({ sizes: { web: { cpu: '1', memory: '2 GB' } } }),
      ),
    );
    expect(resized.statusCode, resized.body).toBe(200);
    const body = JSON.parse(resized.body!);
    expect(body.formation.sizes).toEqual({ web: { cpu: 1024, memory: 2048 } });
    expect(body.deployment).toMatchObject({ status: 'running' });
    const families = mocks.ecs.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input);
    expect(families.find((t) => t.family === 'wharf-shop_web')).toMatchObject({
      cpu: '1024',
      memory: '2048',
    });
    expect(families.find((t) => t.family === 'wharf-shop_worker')).toMatchObject({
      cpu: '256',
      memory: '512',
    });
    const badSize = await call(
      api,
      httpEvent(
        'PUT',
        '/apps/shop/formation/sizes',
        {},
        JSON.stringify({ sizes: { web: { cpu: '0.25', memory: '8 GB' } } }),
      ),
    );
    expect(badSize.statusCode).toBe(400);
    expect(JSON.parse(badSize.body!).error.message).toMatch(/memory of web 8192 MB does not fit 0.25 vCPU/);

    // ECS finishes that rollout; then a restart is a new deployment, not the one already complete
    for (const type of ['web', 'worker']) {
      await p.deployer.onServiceDeployment('shop', type, 'completed', '');
    }
    await p.controlPlane.setAutoscaling('shop', 'worker', { min: 1, max: 4, target: { cpu: 60 } });
    mocks.ecs.resetHistory();
    const restarted = await call(api, httpEvent('POST', '/apps/shop/restart', {}));
    expect(restarted.statusCode, restarted.body).toBeLessThan(300);
    expect(JSON.parse(restarted.body!).id).not.toBe(body.deployment.id);
    const updates = Object.fromEntries(
      mocks.ecs.commandCalls(UpdateServiceCommand).map((c) => [c.args[0].input.service, c.args[0].input]),
    );
    expect(updates['wharf-shop_web']!.desiredCount).toBe(3);
    expect(updates['wharf-shop_worker']).not.toHaveProperty('desiredCount');
    await p.controlPlane.setAutoscaling('shop', 'worker', null);
  });

  it('a resource attached to the running app rolls its release onto ECS, and destroying the app deletes the services', async () => {
    const p = getPlatform();
    mocks.ecs.resetHistory();
    await p.store.putResource({
      name: 'cache',
      app: 'shop',
      provider: 'redis',
      status: 'provisioning',
      env: {},
      meta: {},
      createdAt: new Date().toISOString(),
    });
    const attached = await p.controlPlane.resources.markReady(
      'shop',
      'cache',
      { REDIS_URL: 'rediss://cache.example:6379' },
      {},
    );
    expect(attached.deployment).toMatchObject({ toVersion: attached.release!.version, status: 'running' });
    const web = mocks.ecs
      .commandCalls(RegisterTaskDefinitionCommand)
      .find((c) => c.args[0].input.family === 'wharf-shop_web')!;
    expect(web.args[0].input.containerDefinitions![0]!.environment).toContainEqual({
      name: 'REDIS_URL',
      value: 'rediss://cache.example:6379',
    });
    // the ECS deployer, not the in-process one: no instance was started by the Lambda
    expect(mocks.ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input.service)).toEqual([
      'wharf-shop_web',
      'wharf-shop_worker',
    ]);

    mocks.ecs.on(DeleteServiceCommand).resolves({});
    mocks.elb.on(DeleteRuleCommand).resolves({});
    mocks.elb.on(DeleteTargetGroupCommand).resolves({});
    mocks.cloudMap.on(ListInstancesCommand).resolves({ Instances: [] });
    mocks.cloudMap.on(DeleteCloudMapServiceCommand).resolves({});
    await p.store.deleteResource('shop', 'cache');
    const refused = await call(api, httpEvent('DELETE', '/apps/shop', {}));
    expect(refused.statusCode).toBe(400);
    expect(mocks.ecs.commandCalls(DeleteServiceCommand)).toHaveLength(0);
    const destroyed = await call(api, httpEvent('DELETE', '/apps/shop', {}, undefined, { confirm: 'true' }));
    expect(destroyed.statusCode, destroyed.body).toBeLessThan(300);
    expect(
      mocks.ecs
        .commandCalls(DeleteServiceCommand)
        .map((c) => c.args[0].input.service)
        .sort(),
    ).toEqual(['wharf-shop_web', 'wharf-shop_worker']);
    // its secrets go with it: a new app of the same name must not inherit its webhook secret
    expect(secrets.fake.calls('DeleteSecret').map((b) => b['SecretId'])).toEqual([
      'wharf/webhook/shop',
      'wharf/git-token/shop',
      'wharf/build-env/shop',
    ]);
    expect(secrets.fake.value('wharf/webhook/shop')).toBeUndefined();
    expect(secrets.fake.pendingDeletion('wharf/webhook/shop')).toBe(true);
    // its listener rule and target group are freed for other apps
    expect(mocks.elb.commandCalls(DeleteRuleCommand)).toHaveLength(1);
    expect(
      mocks.elb.commandCalls(DeleteTargetGroupCommand).map((c) => c.args[0].input.TargetGroupArn),
    ).toEqual([expect.stringMatching(/^arn:tg\/wharf-0-shop/)]);
    // its Cloud Map services (instances, leader) go too
    expect(mocks.cloudMap.commandCalls(DeleteCloudMapServiceCommand).length).toBeGreaterThanOrEqual(2);
    expect(await p.store.getApp('shop')).toBeNull();
  });
});
