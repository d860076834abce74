import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AlbRouter } from '../../adapters/aws/alb-router.ts';
import { DynamoAllocationStore } from '../../adapters/aws/dynamo-alb-allocation-store.ts';
import { WharfError } from '../../core/errors.ts';
import type { RouteTableEntry } from '../../core/ports.ts';
import { FakeTable, fakeDocumentClient } from './fake-dynamo.ts';

const elb = mockClient(ElasticLoadBalancingV2Client);
afterAll(() => elb.restore());

const LISTENERS = ['arn:listener/0', 'arn:listener/1'];
const entry = (
  routeId: string,
  app: string,
  domain: string,
  path = '/',
  sticky = false,
  processType = 'web',
): RouteTableEntry => ({
  routeId,
  app,
  domain,
  path,
  processType,
  leader: false,
  sticky,
  backends: [],
});

function make(quotas?: { targetGroupsPerAlb: number; rulesPerAlb: number }) {
  const table = new FakeTable();
  const { client } = fakeDocumentClient(table);
  const allocations = new DynamoAllocationStore({ client, tableName: 't' });
  const router = new AlbRouter({
    client: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
    listenerArns: LISTENERS,
    vpcId: 'vpc-1',
    allocations,
    ...(quotas ? { quotas } : {}),
  });
  return { router, allocations, table };
}

describe('AlbRouter', () => {
  beforeEach(() => {
    elb.reset();
    let n = 0;
    elb
      .on(CreateTargetGroupCommand)
      .callsFake((i) => ({ TargetGroups: [{ TargetGroupArn: `arn:tg/${i.Name}` }] }));
    elb.on(CreateRuleCommand).callsFake(() => ({ Rules: [{ RuleArn: `arn:rule/${++n}` }] }));
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    elb.on(DeleteRuleCommand).resolves({});
    elb.on(DeleteTargetGroupCommand).resolves({});
  });

  it('creates a target group per app and process type with 5 s × 2 checks and host/path rules', async () => {
    const { router } = make();
    await router.setTable([
      entry('r1', 'shop', 'shop.example.com'),
      entry('r2', 'shop', 'shop.example.com', '/api', true),
      entry('worker', 'shop', 'api.shop.example.com', '/', false, 'api'),
    ]);
    const tgs = elb.commandCalls(CreateTargetGroupCommand).map((c) => c.args[0].input);
    expect(tgs).toHaveLength(2);
    expect(tgs[0]).toMatchObject({
      Protocol: 'HTTP',
      Port: 5000,
      VpcId: 'vpc-1',
      TargetType: 'ip',
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 4,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      Matcher: { HttpCode: '200-399' },
    });
    const rules = elb.commandCalls(CreateRuleCommand).map((c) => c.args[0].input);
    expect(rules).toHaveLength(3);
    const api = rules.find((r) => r.Conditions!.some((c) => c.Field === 'path-pattern'))!;
    expect(api).toMatchObject({
      ListenerArn: 'arn:listener/0',
      Conditions: [
        { Field: 'host-header', HostHeaderConfig: { Values: ['shop.example.com'] } },
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/api', '/api/*'] } },
      ],
      Actions: [{ Type: 'forward', TargetGroupArn: expect.stringMatching(/^arn:tg\/wharf-0-shop-/) }],
    });
    const root = rules.find(
      (r) =>
        r.Conditions!.length === 1 && r.Conditions![0]!.HostHeaderConfig!.Values![0] === 'shop.example.com',
    )!;
    expect(api.Priority!).toBeLessThan(root.Priority!);
    const attrs = elb.commandCalls(ModifyTargetGroupAttributesCommand).map((c) => c.args[0].input);
    const webTg = api.Actions![0]!.TargetGroupArn;
    expect(attrs.find((a) => a.TargetGroupArn === webTg)!.Attributes).toEqual([
      { Key: 'deregistration_delay.timeout_seconds', Value: '10' },
      { Key: 'stickiness.enabled', Value: 'true' },
      { Key: 'stickiness.type', Value: 'lb_cookie' },
    ]);
    expect(attrs.find((a) => a.TargetGroupArn !== webTg)!.Attributes).toContainEqual({
      Key: 'stickiness.enabled',
      Value: 'false',
    });
    expect(await router.targetGroupArns('shop', 'api')).toEqual([
      expect.stringMatching(/^arn:tg\/wharf-0-shop-/),
    ]);
  });

  it('is idempotent, and frees rules and target groups of removed routes', async () => {
    const { router } = make();
    const table = [entry('r1', 'shop', 'shop.example.com'), entry('r2', 'blog', 'blog.example.com')];
    await router.setTable(table);
    await router.setTable(table);
    expect(elb.commandCalls(CreateRuleCommand)).toHaveLength(2);
    expect(elb.commandCalls(CreateTargetGroupCommand)).toHaveLength(2);
    await router.setTable([table[1]!]);
    // Placement is sorted by domain: blog got the first rule, shop the second.
    expect(elb.commandCalls(DeleteRuleCommand).map((c) => c.args[0].input.RuleArn)).toEqual(['arn:rule/2']);
    expect(elb.commandCalls(DeleteTargetGroupCommand)).toHaveLength(1);
    expect(await router.targetGroupArns('shop', 'web')).toEqual([]);
  });

  it('takes over a rule whose priority a crashed earlier attempt already created', async () => {
    const { router } = make();
    elb.on(CreateRuleCommand).rejects(Object.assign(new Error('Priority in use'), { name: 'PriorityInUse' }));
    elb
      .on(DescribeRulesCommand)
      .callsFake(() => ({ Rules: [{ RuleArn: 'arn:rule/old', Priority: '47501' }] }));
    elb.on(ModifyRuleCommand).resolves({});
    await router.setTable([entry('r1', 'shop', 'shop.example.com')]);
    expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input).toMatchObject({ RuleArn: 'arn:rule/old' });
  });

  it('shards past the rules quota onto the next listener, and says so when no ALB is left', async () => {
    const { router } = make({ targetGroupsPerAlb: 100, rulesPerAlb: 2 });
    await router.setTable([1, 2, 3, 4].map((i) => entry(`r${i}`, `app${i}`, `a${i}.example.com`)));
    expect(elb.commandCalls(CreateRuleCommand).map((c) => c.args[0].input.ListenerArn)).toEqual([
      'arn:listener/0',
      'arn:listener/0',
      'arn:listener/1',
      'arn:listener/1',
    ]);
    const err = await router
      .setTable([1, 2, 3, 4, 5].map((i) => entry(`r${i}`, `app${i}`, `a${i}.example.com`)))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).code).toBe('unavailable');
    expect((err as Error).message).toMatch(/raise albShards/);
  });

  it('retries when another writer saved the allocation first', async () => {
    const { router, allocations } = make();
    const save = allocations.save.bind(allocations);
    let raced = false;
    allocations.save = async (next, rev) => {
      if (!raced) {
        raced = true;
        await save({ allocation: { shardCount: 0, targetGroups: [], rules: [] }, arns: {} }, rev);
      }
      return save(next, rev);
    };
    await router.setTable([entry('r1', 'shop', 'shop.example.com')]);
    expect((await allocations.load()).allocation.rules.map((r) => r.routeId)).toEqual(['r1']);
    expect((await allocations.load()).revision).toBe(2);
  });
});
