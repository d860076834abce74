/**
 * The leader handler with the SDK mocked: ECS task events shuffled, duplicated and run
 * concurrently end with exactly one leader, the right one, and no term ever names two.
 */
import {
  CreateServiceCommand,
  DeregisterInstanceCommand,
  ListServicesCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudMapDiscovery } from '../../adapters/aws/cloudmap-discovery.ts';
import { DynamoLeaderStore } from '../../adapters/aws/dynamo-leader-store.ts';
import { LeaderKeeper } from '../../adapters/aws/leader-keeper.ts';
import { handleEcsEvent } from '../../functions/lib/ecs-events-handler.ts';
import { FakeTable, fakeDocumentClient } from './fake-dynamo.ts';
import { type TaskScript, lifecycle, shuffle, taskEvent } from './ecs-task-events.ts';

const cloudMap = mockClient(ServiceDiscoveryClient);
afterAll(() => cloudMap.restore());

const A: TaskScript = { id: 'task-a', ip: '10.0.1.1', startedAt: '2026-11-25T10:00:00.000Z' };
const B: TaskScript = { id: 'task-b', ip: '10.0.1.2', startedAt: '2026-11-25T10:00:05.000Z' };
const C: TaskScript = { id: 'task-c', ip: '10.0.1.3', startedAt: '2026-11-25T10:00:09.000Z' };

function setup() {
  const table = new FakeTable();
  const { client } = fakeDocumentClient(table);
  const services = new Map<string, { id: string; arn: string; name: string }>();
  const registered = new Map<string, Record<string, string>>();
  cloudMap.reset();
  cloudMap.on(ListServicesCommand).callsFake(async () => {
    await new Promise((r) => setImmediate(r));
    return { Services: [...services.values()].map((s) => ({ Id: s.id, Arn: s.arn, Name: s.name })) };
  });
  cloudMap.on(CreateServiceCommand).callsFake(async (input) => {
    const existing = services.get(input.Name);
    if (existing) return { Service: { Id: existing.id, Arn: existing.arn, Name: existing.name } };
    const s = {
      id: `srv-${services.size}`,
      arn: `arn:aws:servicediscovery:eu-west-1:1:service/srv-${services.size}`,
      name: input.Name,
    };
    services.set(input.Name, s);
    return { Service: { Id: s.id, Arn: s.arn, Name: s.name } };
  });
  cloudMap.on(RegisterInstanceCommand).callsFake(async (input) => {
    await new Promise((r) => setImmediate(r));
    registered.set(`${input.ServiceId}/${input.InstanceId}`, input.Attributes);
    return { OperationId: 'op' };
  });
  cloudMap.on(DeregisterInstanceCommand).callsFake(async (input) => {
    registered.delete(`${input.ServiceId}/${input.InstanceId}`);
    return { OperationId: 'op' };
  });
  const discovery = new CloudMapDiscovery({
    client: new ServiceDiscoveryClient({ region: 'eu-west-1' }),
    namespaceId: 'ns-1',
    namespaceName: 'wharf.internal',
  });
  const store = new DynamoLeaderStore({ client, tableName: 't' });
  const leaders = new LeaderKeeper({ store, discovery });
  const terms: { term: number; leaderId: string | null }[] = [];
  const put = table.put.bind(table);
  table.put = async (input) => {
    const out = await put(input);
    if (input.Item['sk'] === 'TERM')
      terms.push(input.Item['data'] as { term: number; leaderId: string | null });
    return out;
  };
  const deployer = { onTaskStopped: async () => {}, onServiceDeployment: async () => null };
  const leaderRecord = () => {
    const leaderService = services.get('leader.web.shop');
    return leaderService ? (registered.get(`${leaderService.id}/leader`) ?? null) : null;
  };
  return { store, leaders, deployer, terms, services, leaderRecord };
}

async function replay(
  events: readonly ReturnType<typeof taskEvent>[],
  deps: ReturnType<typeof setup> & { namePrefix?: string },
  parallel: number,
) {
  for (let i = 0; i < events.length; i += parallel) {
    await Promise.all(events.slice(i, i + parallel).map((e) => handleEcsEvent(deps, e)));
  }
}

describe('leader from ECS task events', () => {
  beforeEach(() => cloudMap.reset());

  it('registers the leader service with one A record instance pointing at the oldest healthy task', async () => {
    const deps = setup();
    await replay([...lifecycle(A, false), ...lifecycle(B, false)], deps, 1);
    expect(await deps.store.term('shop', 'web')).toEqual({ term: 1, leaderId: 'task-a' });
    const create = cloudMap.commandCalls(CreateServiceCommand).map((c) => c.args[0].input);
    expect(create).toEqual([
      expect.objectContaining({
        Name: 'leader.web.shop',
        NamespaceId: 'ns-1',
        DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }] },
      }),
    ]);
    expect(deps.leaderRecord()).toEqual({
      AWS_INSTANCE_IPV4: '10.0.1.1',
      AWS_INSTANCE_PORT: '5000',
      WHARF_INSTANCE_ID: 'task-a',
      WHARF_TERM: '1',
    });
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])(
    'seed %i: shuffled, duplicated, concurrent events end with exactly one leader, the right one',
    async (seed) => {
      const deps = setup();
      // A (oldest) leads, then stops; B and C stay healthy: B, the oldest left, must lead.
      const events = [...lifecycle(A, true), ...lifecycle(B, false), ...lifecycle(C, false)];
      const noisy = shuffle([...events, ...shuffle(events, seed + 100).slice(0, 8)], seed);
      await replay(noisy, deps, 4);
      const final = await deps.store.term('shop', 'web');
      expect(final.leaderId).toBe('task-b');
      expect(deps.leaderRecord()).toMatchObject({
        AWS_INSTANCE_IPV4: '10.0.1.2',
        WHARF_INSTANCE_ID: 'task-b',
      });
      // Every term names one leader: terms strictly increase, none written twice.
      const numbers = deps.terms.map((t) => t.term);
      expect(new Set(numbers).size).toBe(numbers.length);
      expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
      expect(final.term).toBe(numbers.at(-1));
      // Replaying the whole history again changes nothing.
      await replay(shuffle(events, seed + 7), deps, 3);
      expect(await deps.store.term('shop', 'web')).toEqual(final);
    },
  );

  it('clears the leader name when no task is healthy, and an out-of-order old event cannot revive a stopped task', async () => {
    const deps = setup();
    await replay(lifecycle(A, true), deps, 1);
    expect((await deps.store.term('shop', 'web')).leaderId).toBeNull();
    expect(deps.leaderRecord()).toBeNull();
    await handleEcsEvent(deps, taskEvent(A, 4, 'RUNNING', 'HEALTHY'));
    expect((await deps.store.term('shop', 'web')).leaderId).toBeNull();
  });

  it('recognises the tasks of a platform not named wharf by its own name only', async () => {
    const deps = setup();
    const acme = (e: ReturnType<typeof taskEvent>) =>
      taskEvent(A, e.detail.version!, e.detail.lastStatus!, e.detail.healthStatus!, {
        group: 'service:acme-shop_web',
        taskDefinitionArn: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/acme-shop_web:3',
      });
    const events = lifecycle(A, false).map(acme);
    for (const e of events) expect(await handleEcsEvent(deps, e)).toMatch(/ignored/);
    expect(deps.terms).toEqual([]);
    await replay(events, { ...deps, namePrefix: 'acme' }, 1);
    expect(await deps.store.term('shop', 'web')).toEqual({ term: 1, leaderId: 'task-a' });
    // A wharf-named task in the acme platform's cluster is not one of its services.
    expect(
      await handleEcsEvent({ ...deps, namePrefix: 'acme' }, taskEvent(B, 4, 'RUNNING', 'HEALTHY')),
    ).toMatch(/ignored/);
  });

  it('ignores tasks that are not Wharf services and one-off runs', async () => {
    const deps = setup();
    const foreign = taskEvent(A, 1, 'RUNNING', 'HEALTHY', {
      group: 'service:someone-else',
      taskDefinitionArn: 'arn:x:task-definition/other:1',
    });
    expect(await handleEcsEvent(deps, foreign)).toMatch(/ignored/);
    const oneOff = taskEvent(A, 1, 'RUNNING', 'HEALTHY', { startedBy: 'wharf-run' });
    expect(await handleEcsEvent(deps, oneOff)).toBe('one-off task');
    expect(deps.terms).toEqual([]);
  });
});
