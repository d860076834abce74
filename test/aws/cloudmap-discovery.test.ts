import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterInstanceCommand,
  ListInstancesCommand,
  ListServicesCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudMapDiscovery } from '../../adapters/aws/cloudmap-discovery.ts';

const sd = mockClient(ServiceDiscoveryClient);
afterAll(() => sd.restore());

const make = () =>
  new CloudMapDiscovery({
    client: new ServiceDiscoveryClient({ region: 'eu-west-1' }),
    namespaceId: 'ns-1',
    namespaceName: 'wharf.internal',
    backoff: { sleep: async () => {} },
  });

describe('CloudMapDiscovery', () => {
  beforeEach(() => sd.reset());

  it('creates a process type service with A and SRV records and ECS custom health, once', async () => {
    sd.on(ListServicesCommand).resolves({ Services: [] });
    sd.on(CreateServiceCommand).resolves({ Service: { Id: 'srv-1', Arn: 'arn:srv-1', Name: 'web.shop' } });
    const d = make();
    expect(await d.ensureService('shop', 'web')).toEqual({ id: 'srv-1', arn: 'arn:srv-1', name: 'web.shop' });
    await d.ensureService('shop', 'web');
    expect(sd.commandCalls(CreateServiceCommand)).toHaveLength(1);
    expect(sd.commandCalls(CreateServiceCommand)[0]!.args[0].input).toEqual({
      Name: 'web.shop',
      NamespaceId: 'ns-1',
      CreatorRequestId: 'wharf-web.shop',
      DnsConfig: {
        RoutingPolicy: 'MULTIVALUE',
        DnsRecords: [
          { Type: 'A', TTL: 10 },
          { Type: 'SRV', TTL: 10 },
        ],
      },
      HealthCheckCustomConfig: { FailureThreshold: 1 },
      Tags: [{ Key: 'wharf:service', Value: 'web.shop' }],
    });
    expect(d.dnsName('shop', 'web')).toBe('web.shop.wharf.internal');
  });

  it('names instances after their SRV targets: <task id>.TYPE.APP under the namespace', async () => {
    // Cloud Map makes an SRV target `<instance id>.<service>.<namespace>` and an A record of the
    // same name per instance (DnsRecord Type); ECS registers each task under its task id.
    sd.on(ListServicesCommand).resolves({ Services: [] });
    sd.on(CreateServiceCommand).resolves({ Service: { Id: 'srv-2', Arn: 'arn:srv-2', Name: 'worker.shop' } });
    const d = new CloudMapDiscovery({
      client: new ServiceDiscoveryClient({ region: 'eu-west-1' }),
      namespaceId: 'ns-9',
      namespaceName: 'acme.internal',
      namePrefix: 'acme',
      ttlSeconds: 5,
    });
    await d.ensureService('shop', 'worker');
    await d.ensureLeaderService('shop', 'worker');
    const [service, leader] = sd.commandCalls(CreateServiceCommand).map((c) => c.args[0].input);
    expect(service).toMatchObject({
      Name: 'worker.shop',
      NamespaceId: 'ns-9',
      CreatorRequestId: 'acme-worker.shop',
      DnsConfig: {
        RoutingPolicy: 'MULTIVALUE',
        DnsRecords: [
          { Type: 'A', TTL: 5 },
          { Type: 'SRV', TTL: 5 },
        ],
      },
      HealthCheckCustomConfig: { FailureThreshold: 1 },
    });
    expect(leader).toMatchObject({
      Name: 'leader.worker.shop',
      CreatorRequestId: 'acme-leader.worker.shop',
      DnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 5 }] },
    });
    expect(leader!.HealthCheckCustomConfig).toBeUndefined();
    expect(d.dnsName('shop', 'worker')).toBe('worker.shop.acme.internal');
    expect(d.instanceDnsName('shop', 'worker', '0123456789ABCDEF0123456789abcdef')).toBe(
      '0123456789abcdef0123456789abcdef.worker.shop.acme.internal',
    );
  });

  it('finds existing services across ListServices pages, retrying throttled pages', async () => {
    sd.on(ListServicesCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }))
      .resolvesOnce({ Services: [{ Id: 'a', Arn: 'arn:a', Name: 'web.blog' }], NextToken: 'n' })
      .resolvesOnce({ Services: [{ Id: 'b', Arn: 'arn:b', Name: 'worker.shop' }] });
    expect((await make().ensureService('shop', 'worker')).id).toBe('b');
    expect(sd.commandCalls(ListServicesCommand).map((c) => c.args[0].input.NextToken)).toEqual([
      undefined,
      undefined,
      'n',
    ]);
    expect(sd.commandCalls(ListServicesCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: 'NAMESPACE_ID', Values: ['ns-1'], Condition: 'EQ' },
    ]);
    expect(sd.commandCalls(CreateServiceCommand)).toHaveLength(0);
  });

  it('points the leader name at one instance, with the term, and clears it', async () => {
    sd.on(ListServicesCommand).resolves({ Services: [{ Id: 'l', Arn: 'arn:l', Name: 'leader.web.shop' }] });
    sd.on(RegisterInstanceCommand).resolves({});
    sd.on(DeregisterInstanceCommand).rejects(Object.assign(new Error('gone'), { name: 'InstanceNotFound' }));
    const d = make();
    await d.setLeader('shop', 'web', { id: 'task-1', host: '10.0.0.9' }, 4);
    expect(sd.commandCalls(RegisterInstanceCommand)[0]!.args[0].input).toEqual({
      ServiceId: 'l',
      InstanceId: 'leader',
      CreatorRequestId: 'task-1-4',
      Attributes: {
        AWS_INSTANCE_IPV4: '10.0.0.9',
        AWS_INSTANCE_PORT: '5000',
        WHARF_INSTANCE_ID: 'task-1',
        WHARF_TERM: '4',
      },
    });
    await d.setLeader('shop', 'web', null, 5);
    expect(sd.commandCalls(DeregisterInstanceCommand)[0]!.args[0].input).toEqual({
      ServiceId: 'l',
      InstanceId: 'leader',
    });
  });

  it('removes an app: deregisters every instance (paged) and deletes its services only', async () => {
    sd.on(ListServicesCommand).resolves({
      Services: [
        { Id: 'w', Arn: 'arn:w', Name: 'web.shop' },
        { Id: 'l', Arn: 'arn:l', Name: 'leader.web.shop' },
        { Id: 'o', Arn: 'arn:o', Name: 'web.shopping' },
      ],
    });
    sd.on(ListInstancesCommand, { ServiceId: 'w' })
      .resolvesOnce({ Instances: [{ Id: 't1' }], NextToken: 'x' })
      .resolvesOnce({ Instances: [{ Id: 't2' }] });
    sd.on(ListInstancesCommand, { ServiceId: 'l' }).resolves({ Instances: [{ Id: 'leader' }] });
    sd.on(DeregisterInstanceCommand).resolves({});
    sd.on(DeleteServiceCommand).resolves({});
    await make().remove('shop');
    expect(sd.commandCalls(DeregisterInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { ServiceId: 'w', InstanceId: 't1' },
      { ServiceId: 'w', InstanceId: 't2' },
      { ServiceId: 'l', InstanceId: 'leader' },
    ]);
    expect(sd.commandCalls(DeleteServiceCommand).map((c) => c.args[0].input.Id)).toEqual(['w', 'l']);
  });
});
