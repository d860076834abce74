/** The CloudFormation provisioner with the SDK mocked at its client. */
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  type AppStackContext,
  CloudFormationResourceProvisioner,
} from '../../adapters/aws/resources/provisioner.ts';
import { staticTemplateSource } from '../../adapters/aws/resources/templates.ts';
import type { Resource } from '../../core/domain.ts';
import { ConflictError } from '../../core/errors.ts';
import { secretRefValueFrom } from '../../core/resources/env.ts';

const cfn = mockClient(CloudFormationClient);
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/wharf-resource-shop--analytics/0b1c';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:w-0b1c-conn-AbCdEf';
const CONTEXT: AppStackContext = {
  vpcId: 'vpc-1',
  subnetIds: ['subnet-a', 'subnet-b'],
  appSecurityGroupId: 'sg-app',
  appTaskRoleName: 'wharf-shop-task',
  taskExecutionRoleName: 'wharf-execution',
};
const TAGS = [
  { Key: 'wharf:app', Value: 'shop' },
  { Key: 'wharf:resource', Value: 'analytics' },
  { Key: 'wharf:provider', Value: 'postgres' },
  { Key: 'wharf:env-prefix', Value: 'ANALYTICS_' },
];

function provisioner() {
  return new CloudFormationResourceProvisioner({
    client: new CloudFormationClient({ region: 'eu-west-1' }),
    templates: staticTemplateSource({ postgres: '{"Resources":{"pg":{}}}', blob: '{"Resources":{"b":{}}}' }),
    stackNamePrefix: 'wharf-resource-',
    roleArn: 'arn:aws:iam::123456789012:role/wharf-resource-stacks',
    appContext: async () => CONTEXT,
  });
}

function stack(status: string, extra: Partial<Stack> = {}): Stack {
  return {
    StackName: 'wharf-resource-shop--analytics',
    StackId: STACK_ID,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date(),
    Tags: TAGS,
    ...extra,
  };
}

const statusEvent = (status: string, reason = '') => ({
  resources: [STACK_ID],
  detail: { 'stack-id': STACK_ID, 'status-details': { status, 'status-reason': reason } },
});

function resource(meta: Record<string, unknown>): Resource {
  return {
    app: 'shop',
    name: 'analytics',
    provider: 'postgres',
    status: 'ready',
    env: {},
    meta,
    createdAt: '2024-01-01T00:00:00Z',
  };
}

describe('CloudFormationResourceProvisioner', () => {
  beforeEach(() => cfn.reset());

  it('creates the stack from the provider’s template with the app’s parameters, not ready yet', async () => {
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    const result = await provisioner().provision('shop', 'analytics', 'postgres', 'ANALYTICS_');

    expect(result).toEqual({
      env: {},
      meta: { stackName: 'wharf-resource-shop--analytics', stackId: STACK_ID },
      ready: false,
    });
    const [call] = cfn.commandCalls(CreateStackCommand);
    const input = call!.args[0].input;
    expect(input).toMatchObject({
      StackName: 'wharf-resource-shop--analytics',
      TemplateBody: '{"Resources":{"pg":{}}}',
      RoleARN: 'arn:aws:iam::123456789012:role/wharf-resource-stacks',
      OnFailure: 'ROLLBACK',
      Capabilities: expect.arrayContaining(['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND']),
      Tags: expect.arrayContaining(TAGS),
    });
    expect(Object.fromEntries(input.Parameters!.map((p) => [p.ParameterKey, p.ParameterValue]))).toEqual({
      AppName: 'shop',
      ResourceName: 'analytics',
      KeepDataOnDelete: 'true',
      VpcId: 'vpc-1',
      SubnetIds: 'subnet-a,subnet-b',
      AppSecurityGroupId: 'sg-app',
      TaskExecutionRoleName: 'wharf-execution',
      MaxCapacityAcu: '4',
    });
  });

  it('gives blob stacks the task role, and no network', async () => {
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    await provisioner().provision('shop', 'files', 'blob', '');
    const input = cfn.commandCalls(CreateStackCommand)[0]!.args[0].input;
    expect(input.Parameters!.map((p) => p.ParameterKey)).toEqual([
      'AppName',
      'ResourceName',
      'KeepDataOnDelete',
      'AppTaskRoleName',
    ]);
    expect(input.Tags).toContainEqual({ Key: 'wharf:env-prefix', Value: 'none' });
  });

  it('answers a retried provision with the same stack, and a foreign one with a ConflictError', async () => {
    const exists = Object.assign(new Error('Stack [wharf-resource-shop--analytics] already exists'), {
      name: 'AlreadyExistsException',
    });
    cfn.on(CreateStackCommand).rejects(exists);
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_IN_PROGRESS')] });
    await expect(provisioner().provision('shop', 'analytics', 'postgres', '')).resolves.toMatchObject({
      meta: { stackId: STACK_ID },
      ready: false,
    });

    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_COMPLETE', { Tags: [] })] });
    await expect(provisioner().provision('shop', 'analytics', 'postgres', '')).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('turns CREATE_COMPLETE into a ready resource whose env comes from the outputs, secrets as references', async () => {
    cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({
      Stacks: [
        stack('CREATE_COMPLETE', {
          Outputs: [
            { OutputKey: 'Host', OutputValue: 'w-0b1c.cluster-abc.eu-west-1.rds.amazonaws.com' },
            { OutputKey: 'Port', OutputValue: '5432' },
            { OutputKey: 'Database', OutputValue: 'app' },
            { OutputKey: 'Username', OutputValue: 'wharf' },
            { OutputKey: 'ConnectionSecretArn', OutputValue: SECRET_ARN },
          ],
        }),
      ],
    });
    const change = await provisioner().handleStackEvent(statusEvent('CREATE_COMPLETE'));

    expect(change).toMatchObject({ app: 'shop', name: 'analytics', provider: 'postgres', status: 'ready' });
    expect(change!.env).toMatchObject({
      ANALYTICS_PGHOST: 'w-0b1c.cluster-abc.eu-west-1.rds.amazonaws.com',
      ANALYTICS_PGPORT: '5432',
      ANALYTICS_PGUSER: 'wharf',
      ANALYTICS_PGDATABASE: 'app',
    });
    expect(secretRefValueFrom(change!.env!['ANALYTICS_DATABASE_URL']!)).toBe(`${SECRET_ARN}:url::`);
    expect(secretRefValueFrom(change!.env!['ANALYTICS_PGPASSWORD']!)).toBe(`${SECRET_ARN}:password::`);
  });

  it('reports ROLLBACK_COMPLETE as the resource’s error with the failing resource’s reason, and removes the stack', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        stack('ROLLBACK_COMPLETE', {
          StackStatusReason: 'The following resource(s) failed to create: [Cluster].',
        }),
      ],
    });
    cfn.on(DescribeStackEventsCommand).resolves({
      // newest first, as CloudFormation returns them
      StackEvents: [
        {
          StackId: STACK_ID,
          EventId: '4',
          StackName: 'x',
          Timestamp: new Date(),
          LogicalResourceId: 'wharf-resource-shop--analytics',
          ResourceStatus: 'ROLLBACK_COMPLETE',
        },
        {
          StackId: STACK_ID,
          EventId: '3',
          StackName: 'x',
          Timestamp: new Date(),
          LogicalResourceId: 'Writer',
          ResourceType: 'AWS::RDS::DBInstance',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason: 'Resource creation cancelled',
        },
        {
          StackId: STACK_ID,
          EventId: '2',
          StackName: 'x',
          Timestamp: new Date(),
          LogicalResourceId: 'Cluster',
          ResourceType: 'AWS::RDS::DBCluster',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason:
            'The engine version 16.6 does not support min capacity 0 (Service: Rds, Status Code: 400)',
        },
        {
          StackId: STACK_ID,
          EventId: '1',
          StackName: 'x',
          Timestamp: new Date(),
          LogicalResourceId: 'Cluster',
          ResourceType: 'AWS::RDS::DBCluster',
          ResourceStatus: 'CREATE_IN_PROGRESS',
        },
      ],
    });
    cfn.on(DeleteStackCommand).resolves({});
    const change = await provisioner().handleStackEvent(statusEvent('ROLLBACK_COMPLETE'));

    expect(change).toMatchObject({ app: 'shop', name: 'analytics', status: 'failed' });
    expect(change!.error).toBe(
      'resource stack wharf-resource-shop--analytics ended in ROLLBACK_COMPLETE: Cluster (AWS::RDS::DBCluster) CREATE_FAILED: The engine version 16.6 does not support min capacity 0 (Service: Rds, Status Code: 400)',
    );
    expect(cfn.commandCalls(DeleteStackCommand)[0]!.args[0].input.StackName).toBe(STACK_ID);
  });

  it('ignores in-progress events and stacks that are not Wharf resources', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_IN_PROGRESS')] });
    expect(await provisioner().handleStackEvent(statusEvent('CREATE_IN_PROGRESS'))).toBeNull();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_COMPLETE', { Tags: [] })] });
    expect(await provisioner().handleStackEvent(statusEvent('CREATE_COMPLETE'))).toBeNull();
  });

  it('removal keeping data deletes the stack at once (final snapshot by its policy)', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        stack('CREATE_COMPLETE', {
          Parameters: [{ ParameterKey: 'KeepDataOnDelete', ParameterValue: 'true' }],
        }),
      ],
    });
    cfn.on(DeleteStackCommand).resolves({});
    await provisioner().deprovision(resource({ stackId: STACK_ID }), { keepData: true });
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(1);
    expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
  });

  it('removal without keeping data turns KeepDataOnDelete off first, then deletes when that update completes', async () => {
    const params = [
      { ParameterKey: 'AppName', ParameterValue: 'shop' },
      { ParameterKey: 'KeepDataOnDelete', ParameterValue: 'true' },
    ];
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('CREATE_COMPLETE', { Parameters: params })] });
    cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });
    cfn.on(DeleteStackCommand).resolves({});
    await provisioner().deprovision(resource({ stackId: STACK_ID }), { keepData: false });

    const update = cfn.commandCalls(UpdateStackCommand)[0]!.args[0].input;
    expect(update).toMatchObject({ StackName: STACK_ID, UsePreviousTemplate: true });
    expect(update.Parameters).toEqual([
      { ParameterKey: 'AppName', UsePreviousValue: true },
      { ParameterKey: 'KeepDataOnDelete', ParameterValue: 'false' },
    ]);
    expect(update.Tags).toContainEqual({ Key: 'wharf:delete-after-update', Value: 'true' });
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);

    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        stack('UPDATE_COMPLETE', { Tags: [...TAGS, { Key: 'wharf:delete-after-update', Value: 'true' }] }),
      ],
    });
    expect(await provisioner().handleStackEvent(statusEvent('UPDATE_COMPLETE'))).toMatchObject({
      status: 'deleting',
    });
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(1);

    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack('DELETE_COMPLETE')] });
    expect(await provisioner().handleStackEvent(statusEvent('DELETE_COMPLETE'))).toMatchObject({
      status: 'deleted',
    });
  });
});
