/**
 * Discovery on Cloud Map, in the platform's private DNS namespace (e.g. wharf.internal):
 *   TYPE.APP        a service per process type with A and SRV records (MULTIVALUE);
 *                   ECS registers and health-checks its tasks (custom health from ECS)
 *   leader.TYPE.APP a service holding one instance, `leader`, pointing at the leader,
 *                   set by the task-events handler after a conditional term write.
 * Resolvable names (docs/discovery.md, "On AWS"): `TYPE.APP.NS` (A, SRV), and, because a
 * service with SRV and A records gets an A record named after each SRV target,
 * `<instance id>.TYPE.APP.NS` for every task, whose instance id ECS makes the task id.
 */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterInstanceCommand,
  ListInstancesCommand,
  ListServicesCommand,
  RegisterInstanceCommand,
  type ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { NotFoundError, WharfError } from '../../core/errors.ts';
import type { Discovery, DiscoveryInstance } from '../../core/ports.ts';
import { type BackoffOptions, awsCall, errorName } from './aws-errors.ts';
import { CONTAINER_PORT, DEFAULT_NAME_PREFIX } from './ecs-names.ts';

export interface CloudMapDiscoveryOptions {
  readonly client: ServiceDiscoveryClient;
  readonly namespaceId: string;
  readonly namespaceName: string;
  /** seconds resolvers may cache answers; short, so a new leader is seen fast */
  readonly ttlSeconds?: number;
  /**
   * The platform's name, which starts the services' creator request ids, so that two
   * platforms in one account never share an idempotency token.
   * @default 'wharf'
   */
  readonly namePrefix?: string;
  readonly backoff?: BackoffOptions;
}

export interface CloudMapService {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
}

export const LEADER_INSTANCE_ID = 'leader';

export class CloudMapDiscovery implements Discovery {
  private readonly o: CloudMapDiscoveryOptions;
  private readonly cache = new Map<string, CloudMapService>();

  constructor(options: CloudMapDiscoveryOptions) {
    this.o = options;
  }

  private call<T>(what: string, op: () => Promise<T>): Promise<T> {
    return awsCall(what, op, this.o.backoff);
  }

  static serviceName(app: string, processType: string): string {
    return `${processType}.${app}`;
  }

  static leaderServiceName(app: string, processType: string): string {
    return `leader.${processType}.${app}`;
  }

  /** DNS name of a process type's instances, e.g. web.myapp.wharf.internal. */
  dnsName(app: string, processType: string): string {
    return `${CloudMapDiscovery.serviceName(app, processType)}.${this.o.namespaceName}`;
  }

  /**
   * DNS name of one instance, the target of its SRV record: `<instance id>.TYPE.APP.NS`.
   * For a task ECS registered, the instance id is the task id (32 hex digits).
   */
  instanceDnsName(app: string, processType: string, instanceId: string): string {
    return `${instanceId.toLowerCase()}.${this.dnsName(app, processType)}`;
  }

  async listServices(): Promise<CloudMapService[]> {
    const services: CloudMapService[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.call('list Cloud Map services', () =>
        this.o.client.send(
          new ListServicesCommand({
            Filters: [{ Name: 'NAMESPACE_ID', Values: [this.o.namespaceId], Condition: 'EQ' }],
            ...(NextToken ? { NextToken } : {}),
          }),
        ),
      );
      for (const s of page.Services ?? []) {
        if (s.Id && s.Arn && s.Name) services.push({ id: s.Id, arn: s.Arn, name: s.Name });
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return services;
  }

  private async ensure(name: string, leader: boolean): Promise<CloudMapService> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const found = (await this.listServices()).find((s) => s.name === name);
    if (found) {
      this.cache.set(name, found);
      return found;
    }
    const ttl = this.o.ttlSeconds ?? 10;
    const out = await this.call(`create Cloud Map service ${name}`, () =>
      this.o.client.send(
        new CreateServiceCommand({
          Name: name,
          NamespaceId: this.o.namespaceId,
          // The same request id makes a retried creation return the first one.
          CreatorRequestId: `${this.o.namePrefix ?? DEFAULT_NAME_PREFIX}-${name}`.slice(0, 64),
          DnsConfig: {
            RoutingPolicy: 'MULTIVALUE',
            DnsRecords: leader
              ? [{ Type: 'A', TTL: ttl }]
              : [
                  { Type: 'A', TTL: ttl },
                  { Type: 'SRV', TTL: ttl },
                ],
          },
          // ECS reports task health (the container health check); the leader is kept by Wharf.
          ...(leader ? {} : { HealthCheckCustomConfig: { FailureThreshold: 1 } }),
          Tags: [{ Key: 'wharf:service', Value: name }],
        }),
      ),
    );
    const s = out.Service;
    if (!s?.Id || !s.Arn) throw new WharfError('internal', `Cloud Map created ${name} but returned no id`);
    const service = { id: s.Id, arn: s.Arn, name };
    this.cache.set(name, service);
    return service;
  }

  /** The Cloud Map service of a process type, made if missing: its ARN goes in the ECS service registries. */
  ensureService(app: string, processType: string): Promise<CloudMapService> {
    return this.ensure(CloudMapDiscovery.serviceName(app, processType), false);
  }

  ensureLeaderService(app: string, processType: string): Promise<CloudMapService> {
    return this.ensure(CloudMapDiscovery.leaderServiceName(app, processType), true);
  }

  /** Points leader.TYPE.APP at one task, or at nothing. */
  async setLeader(
    app: string,
    processType: string,
    leader: { id: string; host: string; port?: number } | null,
    term: number,
  ): Promise<void> {
    const service = await this.ensureLeaderService(app, processType);
    if (!leader?.host) {
      await this.call(`clear leader of ${app}/${processType}`, () =>
        this.o.client.send(
          new DeregisterInstanceCommand({ ServiceId: service.id, InstanceId: LEADER_INSTANCE_ID }),
        ),
      ).catch((e: unknown) => {
        if (
          !(e instanceof NotFoundError) &&
          errorName((e as { cause?: unknown }).cause) !== 'InstanceNotFound'
        )
          throw e;
      });
      return;
    }
    await this.call(`set leader of ${app}/${processType}`, () =>
      this.o.client.send(
        new RegisterInstanceCommand({
          ServiceId: service.id,
          InstanceId: LEADER_INSTANCE_ID,
          CreatorRequestId: `${leader.id}-${term}`.slice(0, 64),
          Attributes: {
            AWS_INSTANCE_IPV4: leader.host,
            AWS_INSTANCE_PORT: String(leader.port ?? CONTAINER_PORT),
            WHARF_INSTANCE_ID: leader.id,
            WHARF_TERM: String(term),
          },
        }),
      ),
    );
  }

  /**
   * ECS registers the tasks themselves, and the task-events handler owns the leader name
   * (it alone knows the term), so publishing only makes sure both services exist.
   */
  async publish(
    app: string,
    processType: string,
    _instances: readonly DiscoveryInstance[],
    _leaderId: string | null,
  ): Promise<void> {
    await this.ensureService(app, processType);
    await this.ensureLeaderService(app, processType);
  }

  async remove(app: string): Promise<void> {
    const mine = (await this.listServices()).filter((s) => s.name.endsWith(`.${app}`));
    for (const service of mine) {
      const ids: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await this.call(`list instances of ${service.name}`, () =>
          this.o.client.send(
            new ListInstancesCommand({ ServiceId: service.id, ...(NextToken ? { NextToken } : {}) }),
          ),
        );
        ids.push(...(page.Instances ?? []).map((i) => i.Id ?? '').filter(Boolean));
        NextToken = page.NextToken;
      } while (NextToken);
      for (const id of ids) {
        await this.call(`deregister ${id} from ${service.name}`, () =>
          this.o.client.send(new DeregisterInstanceCommand({ ServiceId: service.id, InstanceId: id })),
        );
      }
      await this.call(`delete Cloud Map service ${service.name}`, () =>
        this.o.client.send(new DeleteServiceCommand({ Id: service.id })),
      ).catch((e: unknown) => {
        if (!(e instanceof NotFoundError)) throw e;
      });
      this.cache.delete(service.name);
    }
  }
}
