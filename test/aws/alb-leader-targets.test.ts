/**
 * Leader-only routes on the ALB with the SDK mocked: the route's own target group, and the
 * leader keeper registering the leader task in it (and only it) from ECS task events that
 * arrive duplicated, reordered and concurrently.
 */
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AlbLeaderTargets } from '../../adapters/aws/alb-leader-targets.ts';
import { AlbRouter } from '../../adapters/aws/alb-router.ts';
import { DynamoAllocationStore } from '../../adapters/aws/dynamo-alb-allocation-store.ts';
import { DynamoLeaderStore } from '../../adapters/aws/dynamo-leader-store.ts';
import { LeaderKeeper } from '../../adapters/aws/leader-keeper.ts';
import type { RouteTableEntry } from '../../core/ports.ts';
import { handleEcsEvent } from '../../functions/lib/ecs-events-handler.ts';
import { type TaskScript, lifecycle, shuffle, type taskEvent } from './ecs-task-events.ts';
import { FakeTable, fakeDocumentClient } from './fake-dynamo.ts';

const elb = mockClient(ElasticLoadBalancingV2Client);
afterAll(() => elb.restore());

const A: TaskScript = { id: 'task-a', ip: '10.0.1.1', startedAt: '2026-11-25T10:00:00.000Z' };
const B: TaskScript = { id: 'task-b', ip: '10.0.1.2', startedAt: '2026-11-25T10:00:05.000Z' };
const C: TaskScript = { id: 'task-c', ip: '10.0.1.3', startedAt: '2026-11-25T10:00:09.000Z' };

const route = (routeId: string, leader: boolean, path = '/'): RouteTableEntry => ({
  routeId,
  app: 'shop',
  domain: 'shop.example.com',
  path,
  processType: 'web',
  leader,
  sticky: false,
  backends: [],
});

const TARGET_COMMANDS = new Set([
  'DescribeTargetHealthCommand',
  'RegisterTargetsCommand',
  'DeregisterTargetsCommand',
]);

/** An ELB that keeps target groups and their targets, as ELB does (deregistered ones drain). */
function fakeElb() {
  const groups = new Map<string, Map<string, 'healthy' | 'draining'>>();
  let rule = 0;
  let mostServing = 0;
  const failures = { register: 0 };
  const tick = () => new Promise((r) => setImmediate(r));
  const serving = (arn: string) =>
    [...(groups.get(arn) ?? new Map()).entries()].filter(([, s]) => s !== 'draining').map(([k]) => k);
  elb.reset();
  elb.on(CreateTargetGroupCommand).callsFake((i) => {
    const arn = `arn:tg/${i.Name}`;
    if (!groups.has(arn)) groups.set(arn, new Map());
    return { TargetGroups: [{ TargetGroupArn: arn }] };
  });
  elb.on(DeleteTargetGroupCommand).callsFake((i) => {
    groups.delete(i.TargetGroupArn);
    return {};
  });
  elb.on(CreateRuleCommand).callsFake(() => ({ Rules: [{ RuleArn: `arn:rule/${++rule}` }] }));
  elb.on(DeleteRuleCommand).resolves({});
  elb.on(ModifyTargetGroupAttributesCommand).resolves({});
  const group = (arn: string) => {
    const g = groups.get(arn);
    if (!g) throw Object.assign(new Error('no such group'), { name: 'TargetGroupNotFoundException' });
    return g;
  };
  elb.on(DescribeTargetHealthCommand).callsFake(async (i) => {
    await tick();
    return {
      TargetHealthDescriptions: [...group(i.TargetGroupArn).entries()].map(([key, state]) => {
        const [Id, Port] = key.split(':');
        return { Target: { Id, Port: Number(Port) }, TargetHealth: { State: state } };
      }),
    };
  });
  elb.on(RegisterTargetsCommand).callsFake(async (i) => {
    await tick();
    if (failures.register > 0) {
      failures.register--;
      throw Object.assign(new Error('Lambda timed out'), { name: 'InternalFailure' });
    }
    const g = group(i.TargetGroupArn);
    for (const t of i.Targets) g.set(`${t.Id}:${t.Port}`, 'healthy');
    mostServing = Math.max(mostServing, serving(i.TargetGroupArn).length);
    return {};
  });
  elb.on(DeregisterTargetsCommand).callsFake(async (i) => {
    await tick();
    const g = group(i.TargetGroupArn);
    for (const t of i.Targets) {
      if (!g.has(`${t.Id}:${t.Port}`)) {
        throw Object.assign(new Error('not registered'), { name: 'InvalidTargetException' });
      }
      g.set(`${t.Id}:${t.Port}`, 'draining');
    }
    return {};
  });
  return { groups, serving, failures, mostServing: () => mostServing };
}

function setup() {
  const fake = fakeElb();
  const table = new FakeTable();
  const { client } = fakeDocumentClient(table);
  const allocations = new DynamoAllocationStore({ client, tableName: 't' });
  const elbClient = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
  const backoff = { sleep: async () => {} };
  const targets = new AlbLeaderTargets({ client: elbClient, allocations, backoff });
  const store = new DynamoLeaderStore({ client, tableName: 't' });
  const leaders = new LeaderKeeper({ store, discovery: { setLeader: async () => {} }, targets });
  const router = new AlbRouter({
    client: elbClient,
    listenerArns: ['arn:listener/0'],
    vpcId: 'vpc-1',
    allocations,
    backoff,
    syncLeader: async (app, type) => {
      await leaders.publish(app, type);
    },
  });
  const deps = {
    leaders,
    deployer: { onTaskStopped: async () => {}, onServiceDeployment: async () => null },
  };
  const leaderArn = async () => {
    const { allocation, arns } = await allocations.load();
    const tg = allocation.targetGroups.find((t) => t.leader);
    return tg ? arns[`tg:${tg.name}`]! : null;
  };
  return { fake, router, leaders, store, targets, deps, leaderArn };
}

type Deps = ReturnType<typeof setup>['deps'];
async function replay(events: readonly ReturnType<typeof taskEvent>[], deps: Deps, parallel: number) {
  for (let i = 0; i < events.length; i += parallel) {
    await Promise.all(events.slice(i, i + parallel).map((e) => handleEcsEvent(deps, e)));
  }
}

/** The target commands sent since the last reset of the history, as [name, input]. */
function targetCalls() {
  return elb
    .calls()
    .map((c) => c.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> })
    .filter((cmd) => TARGET_COMMANDS.has(cmd.constructor.name))
    .map((cmd) => [cmd.constructor.name, cmd.input] as const);
}

describe('leader-only routes on the ALB', () => {
  beforeEach(() => elb.reset());

  it('a leader route has its own target group, which the ECS service is not given', async () => {
    const s = setup();
    await s.router.setTable([route('all', false), route('lead', true, '/admin')]);
    const created = elb.commandCalls(CreateTargetGroupCommand).map((c) => c.args[0].input);
    expect(created.map((t) => t.Name)).toEqual([
      expect.stringMatching(/^wharf-0-shop-[0-9a-f]{8}$/),
      expect.stringMatching(/^wharf-0l-shop-[0-9a-f]{8}$/),
    ]);
    expect(created[1]!.Tags).toContainEqual({ Key: 'wharf:leader', Value: 'true' });
    expect(created[1]).toMatchObject({ TargetType: 'ip', Port: 5000, Protocol: 'HTTP' });
    const leaderTg = `arn:tg/${created[1]!.Name}`;
    const rules = elb.commandCalls(CreateRuleCommand).map((c) => c.args[0].input);
    const admin = rules.find((r) => r.Conditions!.some((c) => c.Field === 'path-pattern'))!;
    expect(admin.Actions).toEqual([{ Type: 'forward', TargetGroupArn: leaderTg }]);
    expect(await s.router.targetGroupArns('shop', 'web')).toEqual([`arn:tg/${created[0]!.Name}`]);
  });

  it('registers the elected leader, and on a change takes the old one out before putting the new one in', async () => {
    const s = setup();
    await s.router.setTable([route('lead', true)]);
    const arn = (await s.leaderArn())!;
    elb.resetHistory();
    await replay([...lifecycle(A, false), ...lifecycle(B, false)], s.deps, 1);
    expect(targetCalls()).toEqual([
      ['DescribeTargetHealthCommand', { TargetGroupArn: arn }],
      ['RegisterTargetsCommand', { TargetGroupArn: arn, Targets: [{ Id: '10.0.1.1', Port: 5000 }] }],
    ]);
    elb.resetHistory();
    await replay(lifecycle(A, true).slice(4), s.deps, 1);
    expect(targetCalls()).toEqual([
      ['DescribeTargetHealthCommand', { TargetGroupArn: arn }],
      ['DeregisterTargetsCommand', { TargetGroupArn: arn, Targets: [{ Id: '10.0.1.1', Port: 5000 }] }],
      ['RegisterTargetsCommand', { TargetGroupArn: arn, Targets: [{ Id: '10.0.1.2', Port: 5000 }] }],
    ]);
    expect(s.fake.serving(arn)).toEqual(['10.0.1.2:5000']);
    // The same events again: the term holds, so ELB is not touched.
    elb.resetHistory();
    await replay([...lifecycle(A, true), ...lifecycle(B, false)], s.deps, 1);
    expect(targetCalls()).toEqual([]);
    // Next change: A is still draining and is left alone; only B goes out.
    await replay(lifecycle(C, false), s.deps, 1);
    elb.resetHistory();
    await replay(lifecycle(B, true).slice(4), s.deps, 1);
    expect(targetCalls()).toEqual([
      ['DescribeTargetHealthCommand', { TargetGroupArn: arn }],
      ['DeregisterTargetsCommand', { TargetGroupArn: arn, Targets: [{ Id: '10.0.1.2', Port: 5000 }] }],
      ['RegisterTargetsCommand', { TargetGroupArn: arn, Targets: [{ Id: '10.0.1.3', Port: 5000 }] }],
    ]);
  });

  it('a slower writer of an older term does not leave its leader registered', async () => {
    const s = setup();
    await s.router.setTable([route('lead', true)]);
    const arn = (await s.leaderArn())!;
    const { targets } = s;
    const other = new LeaderKeeper({ store: s.store, discovery: { setLeader: async () => {} }, targets });
    let overtaken = false;
    const slow = new LeaderKeeper({
      store: s.store,
      discovery: { setLeader: async () => {} },
      targets: {
        // Term 1 (A) is being published when A stops and another writer publishes term 2 (B) first.
        setLeader: async (app, type, leader, term) => {
          if (!overtaken) {
            overtaken = true;
            await s.store.recordObservation('shop', 'web', {
              taskId: 'task-a',
              version: 9,
              startedAt: A.startedAt,
              healthy: false,
              stopped: true,
              host: A.ip,
            });
            expect((await other.reconcile('shop', 'web')).term).toBe(2);
            expect(s.fake.serving(arn)).toEqual(['10.0.1.2:5000']);
          }
          await targets.setLeader(app, type, leader, term);
        },
      },
    });
    for (const t of [A, B]) {
      await s.store.recordObservation('shop', 'web', {
        taskId: t.id,
        version: 4,
        startedAt: t.startedAt,
        healthy: true,
        stopped: false,
        host: t.ip,
      });
    }
    expect(await slow.reconcile('shop', 'web')).toEqual({ term: 2, leaderId: 'task-b' });
    expect(s.fake.serving(arn)).toEqual(['10.0.1.2:5000']);
  });

  it('empties the leader target group when no task is healthy', async () => {
    const s = setup();
    await s.router.setTable([route('lead', true)]);
    const arn = (await s.leaderArn())!;
    await replay(lifecycle(A, true), s.deps, 1);
    expect(s.fake.serving(arn)).toEqual([]);
    expect((await s.store.term('shop', 'web')).leaderId).toBeNull();
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'seed %i: duplicated, reordered, concurrent events leave the right leader alone in the group',
    async (seed) => {
      const s = setup();
      await s.router.setTable([route('lead', true)]);
      const arn = (await s.leaderArn())!;
      // A (oldest) leads, then stops; B and C stay healthy: B, the oldest left, must lead.
      const events = [...lifecycle(A, true), ...lifecycle(B, false), ...lifecycle(C, false)];
      const noisy = shuffle([...events, ...shuffle(events, seed + 100).slice(0, 8)], seed);
      await replay(noisy, s.deps, 4);
      expect((await s.store.term('shop', 'web')).leaderId).toBe('task-b');
      expect(s.fake.serving(arn)).toEqual(['10.0.1.2:5000']);
    },
  );

  it.each([11, 12, 13, 14])(
    'seed %i: one event at a time, the group never holds two serving targets',
    async (seed) => {
      const s = setup();
      await s.router.setTable([route('lead', true)]);
      const arn = (await s.leaderArn())!;
      const events = [...lifecycle(A, true), ...lifecycle(B, false), ...lifecycle(C, true)];
      await replay(shuffle([...events, ...events.slice(0, 5)], seed), s.deps, 1);
      expect(s.fake.mostServing()).toBe(1);
      expect(s.fake.serving(arn)).toEqual(['10.0.1.2:5000']);
    },
  );

  it('a term whose publishing died half way is published when the event is delivered again', async () => {
    const s = setup();
    await s.router.setTable([route('lead', true)]);
    const arn = (await s.leaderArn())!;
    s.fake.failures.register = 1;
    const events = lifecycle(A, false);
    await replay(events.slice(0, 2), s.deps, 1);
    // The term is written, then registering the leader fails: EventBridge delivers the event again.
    await expect(handleEcsEvent(s.deps, events[2]!)).rejects.toThrow(/register the leader/);
    expect((await s.store.term('shop', 'web')).leaderId).toBe('task-a');
    expect(s.fake.serving(arn)).toEqual([]);
    await handleEcsEvent(s.deps, events[2]!);
    expect(s.fake.serving(arn)).toEqual(['10.0.1.1:5000']);
    // Published now: a further delivery touches nothing.
    elb.resetHistory();
    await handleEcsEvent(s.deps, events[2]!);
    await handleEcsEvent(s.deps, events[3]!);
    expect(targetCalls()).toEqual([]);
  });

  it('a leader route added after the election gets the current leader at once', async () => {
    const s = setup();
    await replay([...lifecycle(A, false), ...lifecycle(B, false)], s.deps, 1);
    expect(elb.commandCalls(RegisterTargetsCommand)).toHaveLength(0);
    await s.router.setTable([route('lead', true)]);
    const arn = (await s.leaderArn())!;
    expect(s.fake.serving(arn)).toEqual(['10.0.1.1:5000']);
    // Applying the same table again converges to the same single target.
    await s.router.setTable([route('lead', true)]);
    expect(elb.commandCalls(RegisterTargetsCommand)).toHaveLength(1);
  });

  it('a removed leader route takes its target group along; later leader changes touch no targets', async () => {
    const s = setup();
    await s.router.setTable([route('lead', true)]);
    await replay(lifecycle(A, false), s.deps, 1);
    const arn = (await s.leaderArn())!;
    await s.router.setTable([]);
    expect(elb.commandCalls(DeleteTargetGroupCommand).map((c) => c.args[0].input.TargetGroupArn)).toEqual([
      arn,
    ]);
    elb.resetHistory();
    await replay([...lifecycle(B, false), ...lifecycle(A, true).slice(4)], s.deps, 1);
    expect((await s.store.term('shop', 'web')).leaderId).toBe('task-b');
    expect(targetCalls()).toEqual([]);
  });

  it('retries throttled target calls, and a group deleted meanwhile is not an error', async () => {
    const s = setup();
    await s.router.setTable([route('lead', true)]);
    const arn = (await s.leaderArn())!;
    const register = elb.commandCalls(RegisterTargetsCommand).length;
    elb
      .on(RegisterTargetsCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({});
    await replay(lifecycle(A, false), s.deps, 1);
    expect(elb.commandCalls(RegisterTargetsCommand).length - register).toBe(2);
    elb
      .on(DescribeTargetHealthCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'TargetGroupNotFoundException' }));
    await expect(replay(lifecycle(B, false), s.deps, 1)).resolves.toBeUndefined();
    await expect(replay(lifecycle(A, true).slice(4), s.deps, 1)).resolves.toBeUndefined();
    expect((await s.store.term('shop', 'web')).leaderId).toBe('task-b');
    expect(arn).toMatch(/^arn:tg\/wharf-0l-shop-/);
  });
});
