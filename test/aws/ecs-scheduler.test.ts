import { createHash } from 'node:crypto';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EcsScheduler } from '../../adapters/aws/ecs-scheduler.ts';
import { renderHealthCheck, taskSizeFromEnv } from '../../adapters/aws/ecs-task-definition.ts';
import { ValidationError } from '../../core/errors.ts';
import type { InstanceSpec } from '../../core/ports.ts';

const ecs = mockClient(ECSClient);
afterAll(() => ecs.restore());
const waits: number[] = [];

const scheduler = () =>
  new EcsScheduler({
    client: new ECSClient({ region: 'eu-west-1' }),
    cluster: 'wharf',
    subnets: ['subnet-a', 'subnet-b'],
    securityGroups: ['sg-tasks'],
    region: 'eu-west-1',
    executionRoleArn: 'arn:exec',
    taskRoleArn: 'arn:task',
    logGroupPrefix: '/wharf/apps/',
    secretArn: (name) => `arn:aws:secretsmanager:eu-west-1:1:secret:wharf/${name}`,
    backoff: { sleep: async (ms) => void waits.push(ms), random: () => 0 },
  });

const IMAGE = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/wharf-apps@sha256:' + 'a'.repeat(64);
const spec: InstanceSpec = {
  app: 'shop',
  processType: 'web',
  releaseVersion: 3,
  command: 'node server.js',
  env: { NODE_ENV: 'production', DATABASE_URL: 'secret:resources/shop/db', WHARF_MEMORY: '1 GB' },
  artifactUri: IMAGE,
};
const TD_ARN = 'arn:aws:ecs:eu-west-1:1:task-definition/wharf-shop_web:9';

describe('EcsScheduler', () => {
  beforeEach(() => {
    ecs.reset();
    waits.length = 0;
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TD_ARN } });
  });

  it('renders the task definition: size, env and secrets, awslogs by process type, health check', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [] });
    ecs.on(CreateServiceCommand).resolves({});
    await scheduler().deployService({
      spec,
      desiredCount: 2,
      health: {
        kind: 'http',
        path: '/health',
        status: 204,
        intervalMs: 5000,
        timeoutMs: 2000,
        threshold: 2,
        startTimeoutMs: 10_000,
      },
      targetGroupArns: ['arn:tg'],
      registryArn: 'arn:cloudmap:web.shop',
    });
    const td = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    expect(td).toMatchObject({
      family: 'wharf-shop_web',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '1024',
      executionRoleArn: 'arn:exec',
      taskRoleArn: 'arn:task',
      tags: [
        { key: 'wharf:app', value: 'shop' },
        { key: 'wharf:process', value: 'web' },
        { key: 'wharf:release', value: '3' },
      ],
    });
    const c = td.containerDefinitions![0]!;
    expect(c.name).toBe('web');
    expect(c.image).toBe(IMAGE);
    expect(c.command).toEqual(['bash', '-c', 'node server.js']);
    expect(c.portMappings).toEqual([{ containerPort: 5000, protocol: 'tcp', name: 'web' }]);
    expect(c.environment).toEqual([
      { name: 'NODE_ENV', value: 'production' },
      { name: 'PORT', value: '5000' },
    ]);
    expect(c.secrets).toEqual([
      {
        name: 'DATABASE_URL',
        valueFrom: 'arn:aws:secretsmanager:eu-west-1:1:secret:wharf/resources/shop/db',
      },
    ]);
    expect(c.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/wharf/apps/shop',
        'awslogs-region': 'eu-west-1',
        'awslogs-stream-prefix': 'web',
        'awslogs-create-group': 'true',
        mode: 'non-blocking',
      },
    });
    expect(c.healthCheck).toEqual({
      command: [
        'CMD-SHELL',
        `test "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$PORT/health")" = "204" || exit 1`,
      ],
      interval: 5,
      timeout: 2,
      retries: 2,
      startPeriod: 10,
    });
  });

  it('creates a missing service with rolling deploys, circuit breaker, 100/200 %, Cloud Map and the target group', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    ecs.on(CreateServiceCommand).resolves({
      service: {
        deployments: [
          { id: 'ecs-svc/7', status: 'PRIMARY' },
          { id: 'ecs-svc/6', status: 'ACTIVE' },
        ],
      },
    });
    const out = await scheduler().deployService({
      spec,
      desiredCount: 2,
      health: null,
      targetGroupArns: ['arn:tg'],
      registryArn: 'arn:cm',
    });
    expect(out).toEqual({ taskDefinitionArn: TD_ARN, created: true, deploymentId: 'ecs-svc/7' });
    expect(ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input).toEqual({
      cluster: 'wharf',
      serviceName: 'wharf-shop_web',
      taskDefinition: TD_ARN,
      desiredCount: 2,
      launchType: 'FARGATE',
      deploymentController: { type: 'ECS' },
      deploymentConfiguration: {
        deploymentCircuitBreaker: { enable: true, rollback: true },
        minimumHealthyPercent: 100,
        maximumPercent: 200,
      },
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-a', 'subnet-b'],
          securityGroups: ['sg-tasks'],
          assignPublicIp: 'DISABLED',
        },
      },
      loadBalancers: [{ targetGroupArn: 'arn:tg', containerName: 'web', containerPort: 5000 }],
      // awsvpc + SRV records: ECS requires the container and port for the registry
      serviceRegistries: [{ registryArn: 'arn:cm', containerName: 'web', containerPort: 5000 }],
      healthCheckGracePeriodSeconds: 10,
      propagateTags: 'TASK_DEFINITION',
      enableECSManagedTags: true,
      // a hash of service name and release: at most 36 characters, never a cut name
      clientToken: createHash('sha256').update('wharf-shop_web\n3').digest('hex').slice(0, 36),
    });
  });

  it('updates an active service in place, retrying a throttled call with backoff', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [{ serviceName: 'wharf-shop_web', status: 'ACTIVE', desiredCount: 2 }] });
    ecs
      .on(UpdateServiceCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({});
    const out = await scheduler().deployService({
      spec: { ...spec, processType: 'worker' },
      desiredCount: 1,
      health: null,
    });
    expect(out).toMatchObject({ created: false, deploymentId: null });
    const calls = ecs.commandCalls(UpdateServiceCommand);
    expect(calls).toHaveLength(3);
    expect(calls[2]!.args[0].input).toMatchObject({
      service: 'wharf-shop_worker',
      taskDefinition: TD_ARN,
      desiredCount: 1,
      loadBalancers: [],
      serviceRegistries: [],
    });
    expect(waits).toEqual([50, 100]);
  });

  it('scales with UpdateService desiredCount and removes a service by force', async () => {
    ecs.on(UpdateServiceCommand).resolves({});
    ecs.on(DeleteServiceCommand).resolves({});
    await scheduler().scale('shop', 'worker', 4);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({
      cluster: 'wharf',
      service: 'wharf-shop_worker',
      desiredCount: 4,
    });
    await scheduler().removeService('shop', 'worker');
    expect(ecs.commandCalls(DeleteServiceCommand)[0]!.args[0].input).toEqual({
      cluster: 'wharf',
      service: 'wharf-shop_worker',
      force: true,
    });
  });

  it('runs a one-off task with the command overridden', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: 'arn:aws:ecs:eu-west-1:1:task/wharf/abc123' }] });
    const arn = await scheduler().runTask({
      ...spec,
      processType: 'run',
      command: 'rake db:migrate',
      oneOff: true,
    });
    expect(arn).toMatch(/abc123$/);
    expect(ecs.commandCalls(RunTaskCommand)[0]!.args[0].input).toMatchObject({
      cluster: 'wharf',
      taskDefinition: TD_ARN,
      launchType: 'FARGATE',
      count: 1,
      startedBy: 'wharf-run',
      overrides: { containerOverrides: [{ name: 'run', command: ['bash', '-c', 'rake db:migrate'] }] },
    });
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:ENI' }] });
    await expect(scheduler().runTask(spec)).rejects.toThrow(/RESOURCE:ENI/);
  });

  it('lists instances across ListTasks pages and DescribeTasks chunks of 100', async () => {
    const arns = Array.from({ length: 150 }, (_, i) => `arn:aws:ecs:eu-west-1:1:task/wharf/t${i}`);
    ecs.on(ListTasksCommand).resolves({ taskArns: arns.slice(0, 100), nextToken: 'p2' });
    ecs.on(ListTasksCommand, { cluster: 'wharf', nextToken: 'p2' }).resolves({ taskArns: arns.slice(100) });
    ecs.on(DescribeTasksCommand).callsFake((input) => ({
      tasks: input.tasks.map((arn: string, i: number) => ({
        taskArn: arn,
        group: i % 2 ? 'service:wharf-shop_web' : 'service:wharf-blog_worker',
        lastStatus: 'RUNNING',
        healthStatus: 'HEALTHY',
        startedAt: new Date('2026-11-25T10:00:00Z'),
        tags: [{ key: 'wharf:release', value: '3' }],
        attachments: [{ details: [{ name: 'privateIPv4Address', value: '10.0.0.1' }] }],
        containers: [{ name: 'web' }],
      })),
    }));
    const shop = await scheduler().list('shop');
    expect(ecs.commandCalls(ListTasksCommand)).toHaveLength(2);
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input.tasks!.length)).toEqual([
      100, 50,
    ]);
    expect(shop).toHaveLength(75);
    expect(shop[0]).toMatchObject({
      app: 'shop',
      processType: 'web',
      releaseVersion: 3,
      state: 'up',
      host: '10.0.0.1',
      port: 5000,
    });
  });

  it('stops and restarts tasks with StopTask', async () => {
    ecs.on(StopTaskCommand).resolves({});
    await scheduler().stop('abc');
    await scheduler().restart('def');
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input.task)).toEqual(['abc', 'def']);
  });

  it('sizes tasks from WHARF_CPU and WHARF_MEMORY in human units, refusing what Fargate cannot run', () => {
    expect(taskSizeFromEnv({})).toEqual({ cpu: 256, memory: 512 });
    expect(taskSizeFromEnv({ WHARF_CPU: '1', WHARF_MEMORY: '4 GB' })).toEqual({ cpu: 1024, memory: 4096 });
    expect(() => taskSizeFromEnv({ WHARF_CPU: '3' })).toThrow(ValidationError);
    expect(() => taskSizeFromEnv({ WHARF_CPU: '0.25', WHARF_MEMORY: '8 GB' })).toThrow(/0.25 vCPU/);
    expect(
      renderHealthCheck({
        kind: 'tcp',
        intervalMs: 2000,
        timeoutMs: 500,
        threshold: 20,
        startTimeoutMs: 900_000,
      }),
    ).toEqual({
      command: ['CMD-SHELL', 'bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" || exit 1'],
      interval: 5,
      timeout: 2,
      retries: 10,
      startPeriod: 300,
    });
  });
});
