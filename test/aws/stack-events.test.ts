/**
 * Resources on AWS through the Lambda functions, with the SDK mocked: the API's
 * `POST /apps/:app/resources` starts a CloudFormation stack; its status events through
 * the stack-events function make the resource ready (and a release with its env) or failed.
 */
import { httpEvent, lambdaContext, setLambdaEnv } from './lambda-env.ts';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretRefValueFrom } from '../../core/resources/env.ts';
import { handler as api } from '../../functions/api.ts';
import { getPlatform, resetPlatform } from '../../functions/lib/platform.ts';
import { handler as stackEvents } from '../../functions/stack-events.ts';
import { FakeTable, installFakeTable } from './fake-dynamo.ts';
import { installFakeSecrets } from './fake-secrets-http.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:wharf/resources/shop-db-AbC';
const mocks = {
  cfn: mockClient(CloudFormationClient),
  logs: mockClient(CloudWatchLogsClient),
};
let dynamo: Awaited<ReturnType<typeof installFakeTable>>;
/** empty: a secret the functions read is missing, as on a fresh platform */
let secrets: Awaited<ReturnType<typeof installFakeSecrets>>;
/** the stacks CreateStack made, by id; a test sets their status */
const stacks = new Map<string, Stack>();

const stackId = (name: string) => `arn:aws:cloudformation:eu-west-1:111122223333:stack/${name}/0b1c2d3e`;
const statusEvent = (id: string, status: string, reason = '') => ({
  id: `ev-${status}`,
  'detail-type': 'CloudFormation Stack Status Change',
  source: 'aws.cloudformation',
  resources: [id],
  detail: { 'stack-id': id, 'status-details': { status, 'status-reason': reason } },
});

async function call<E>(h: (e: E, c: typeof lambdaContext) => Promise<unknown>, e: E) {
  return h(e, lambdaContext) as Promise<{ statusCode?: number; body?: string; outcome?: string }>;
}
const json = (body: unknown) => JSON.stringify(body);
const jsonHeaders = { 'content-type': 'application/json' };

async function addResource(app: string, body: Record<string, unknown>) {
  const res = await call(api, httpEvent('POST', `/apps/${app}/resources`, jsonHeaders, json(body)));
  expect(res.statusCode, res.body).toBe(201);
  return JSON.parse(res.body!);
}

describe('resources on AWS: API → CloudFormation → stack events', () => {
  beforeAll(async () => {
    setLambdaEnv();
    resetPlatform();
    dynamo = await installFakeTable(new FakeTable());
    secrets = await installFakeSecrets();
    mocks.logs.on(PutLogEventsCommand).resolves({});
    mocks.cfn.on(CreateStackCommand).callsFake((i) => {
      const id = stackId(i.StackName);
      stacks.set(id, {
        StackId: id,
        StackName: i.StackName,
        StackStatus: 'CREATE_IN_PROGRESS',
        CreationTime: new Date(),
        Parameters: i.Parameters,
        Tags: i.Tags,
      });
      return { StackId: id };
    });
    mocks.cfn.on(DescribeStacksCommand).callsFake((i) => {
      const s = stacks.get(i.StackName);
      if (!s) throw new Error(`Stack with id ${i.StackName} does not exist`);
      return { Stacks: [s] };
    });
    mocks.cfn.on(DeleteStackCommand).resolves({});
    const res = await call(api, httpEvent('POST', '/apps', jsonHeaders, json({ name: 'shop' })));
    expect(res.statusCode, res.body).toBe(201);
  });
  afterAll(async () => {
    for (const m of Object.values(mocks)) m.restore();
    await dynamo.restore();
    await secrets.restore();
    resetPlatform();
  });

  it('creates the stack, and CREATE_COMPLETE makes the resource ready and a release with its env, once', async () => {
    const added = await addResource('shop', { provider: 'postgres', name: 'db' });
    expect(added.resource).toMatchObject({ name: 'db', status: 'provisioning' });

    const create = mocks.cfn.commandCalls(CreateStackCommand).map((c) => c.args[0].input);
    expect(create).toHaveLength(1);
    expect(create[0]).toMatchObject({
      StackName: 'wharf-resource-shop--db',
      TemplateURL: 'https://wharf-bucket.s3.eu-west-1.amazonaws.com/templates/postgres.json',
      RoleARN: 'arn:aws:iam::111122223333:role/wharf-resource-stacks',
      OnFailure: 'ROLLBACK',
    });
    expect(Object.fromEntries(create[0]!.Parameters!.map((p) => [p.ParameterKey, p.ParameterValue]))).toEqual(
      {
        AppName: 'shop',
        ResourceName: 'db',
        KeepDataOnDelete: 'true',
        VpcId: 'vpc-1',
        SubnetIds: 'subnet-a,subnet-b',
        AppSecurityGroupId: 'sg-tasks',
        TaskExecutionRoleName: 'exec',
        MaxCapacityAcu: '4',
      },
    );

    const id = stackId('wharf-resource-shop--db');
    const inProgress = await call(stackEvents, statusEvent(id, 'CREATE_IN_PROGRESS'));
    expect(inProgress.outcome).toMatch(/^ignored/);

    Object.assign(stacks.get(id)!, {
      StackStatus: 'CREATE_COMPLETE',
      Outputs: [
        { OutputKey: 'Host', OutputValue: 'db.cluster-abc.eu-west-1.rds.amazonaws.com' },
        { OutputKey: 'Port', OutputValue: '5432' },
        { OutputKey: 'Database', OutputValue: 'app' },
        { OutputKey: 'Username', OutputValue: 'wharf' },
        { OutputKey: 'ConnectionSecretArn', OutputValue: SECRET_ARN },
      ],
    });
    const ready = await call(stackEvents, statusEvent(id, 'CREATE_COMPLETE'));
    expect(ready.outcome).toBe('resource shop/db ready: release v1');
    // EventBridge delivers at least once
    expect((await call(stackEvents, statusEvent(id, 'CREATE_COMPLETE'))).outcome).toBe(
      'resource shop/db ready',
    );

    const info = await call(api, httpEvent('GET', '/apps/shop/resources/db', {}));
    expect(JSON.parse(info.body!)).toMatchObject({ status: 'ready', meta: { stackId: id } });
    const releases = await call(api, httpEvent('GET', '/apps/shop/releases', {}));
    const list = JSON.parse(releases.body!) as { version: number; env: Record<string, string> }[];
    expect(list.map((r) => r.version)).toEqual([1]);
    expect(list[0]!.env).toMatchObject({
      PGHOST: 'db.cluster-abc.eu-west-1.rds.amazonaws.com',
      PGPORT: '5432',
      PGUSER: 'wharf',
      PGDATABASE: 'app',
    });
    // the stored release keeps the secrets as references that ECS injects
    const stored = await getPlatform().store.latestRelease('shop');
    expect(secretRefValueFrom(stored!.env['DATABASE_URL']!)).toBe(`${SECRET_ARN}:url::`);
    expect(secretRefValueFrom(stored!.env['PGPASSWORD']!)).toBe(`${SECRET_ARN}:password::`);
  });

  it('ROLLBACK_COMPLETE marks the resource failed with the failing resource’s reason and removes the stack', async () => {
    await addResource('shop', { provider: 'redis', name: 'cache' });
    const id = stackId('wharf-resource-shop--cache');
    Object.assign(stacks.get(id)!, {
      StackStatus: 'ROLLBACK_COMPLETE',
      StackStatusReason: 'The following resource(s) failed to create: [Cache].',
    });
    mocks.cfn.on(DescribeStackEventsCommand, { StackName: id }).resolves({
      StackEvents: [
        {
          StackId: id,
          StackName: 'wharf-resource-shop--cache',
          EventId: '2',
          Timestamp: new Date(),
          LogicalResourceId: 'Cache',
          ResourceType: 'AWS::ElastiCache::ServerlessCache',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason: 'Subnet subnet-a is not in a supported availability zone',
        },
      ],
    });

    const failed = await call(stackEvents, statusEvent(id, 'ROLLBACK_COMPLETE', 'rolled back'));
    expect(failed.outcome).toBe('resource shop/cache failed');
    const info = JSON.parse((await call(api, httpEvent('GET', '/apps/shop/resources/cache', {}))).body!);
    expect(info.status).toBe('failed');
    expect(info.error).toMatch(
      /wharf-resource-shop--cache ended in ROLLBACK_COMPLETE: Cache \(AWS::ElastiCache::ServerlessCache\) CREATE_FAILED: Subnet subnet-a is not in a supported/,
    );
    expect(mocks.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName)).toEqual([id]);
    // no release for a failed resource
    const releases = JSON.parse((await call(api, httpEvent('GET', '/apps/shop/releases', {}))).body!);
    expect(releases).toHaveLength(1);
  });

  it('ignores stacks that are not resources', async () => {
    const other = stackId('wharf-platform');
    stacks.set(other, {
      StackId: other,
      StackName: 'wharf-platform',
      StackStatus: 'UPDATE_COMPLETE',
      CreationTime: new Date(),
    });
    expect((await call(stackEvents, statusEvent(other, 'UPDATE_COMPLETE'))).outcome).toMatch(/^ignored/);
  });

  it('removing a resource deletes its stack keeping the final snapshot, unless told to drop the data', async () => {
    const keep = await call(api, httpEvent('DELETE', '/apps/shop/resources/db', {}));
    expect(keep.statusCode, keep.body).toBe(400); // no --yes
    mocks.cfn.resetHistory();
    const removed = await call(
      api,
      httpEvent('DELETE', '/apps/shop/resources/db', {}, undefined, { confirm: 'true' }),
    );
    expect(removed.statusCode, removed.body).toBe(200);
    const id = stackId('wharf-resource-shop--db');
    expect(mocks.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName)).toEqual([id]);
    expect(mocks.cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
    const releases = JSON.parse((await call(api, httpEvent('GET', '/apps/shop/releases', {}))).body!);
    expect(releases.at(-1).description).toBe('Detach db (postgres)');
    expect(Object.keys(releases.at(-1).env)).not.toContain('DATABASE_URL');

    await addResource('shop', { provider: 'postgres', name: 'scratch' });
    const scratch = stackId('wharf-resource-shop--scratch');
    mocks.cfn.resetHistory();
    mocks.cfn.on(UpdateStackCommand).resolves({ StackId: scratch });
    const bad = await call(
      api,
      httpEvent('DELETE', '/apps/shop/resources/scratch', {}, undefined, {
        confirm: 'true',
        keep_data: 'maybe',
      }),
    );
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body!).error.message).toMatch(/keep_data "maybe": use true or false/);
    const dropped = await call(
      api,
      httpEvent('DELETE', '/apps/shop/resources/scratch', {}, undefined, {
        confirm: 'true',
        keep_data: 'false',
      }),
    );
    expect(dropped.statusCode, dropped.body).toBe(200);
    expect(mocks.cfn.commandCalls(UpdateStackCommand)[0]!.args[0].input.Parameters).toContainEqual({
      ParameterKey: 'KeepDataOnDelete',
      ParameterValue: 'false',
    });
  });
});
