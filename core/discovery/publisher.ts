/**
 * Keeps each service's membership (instances and their health) and publishes it to a
 * Discovery adapter with the leader elected, so that callers only report facts
 * ("i-3 is up", "i-1 failed its checks") and never compute leaders themselves.
 */
import type { Discovery, DiscoveryInstance } from '../ports.ts';
import { electLeader } from './leader.ts';

interface Service {
  readonly instances: Map<string, DiscoveryInstance>;
  leaderId: string | null;
  /** publishes of one service run in order, so a slow adapter never reorders them */
  chain: Promise<void>;
}

export interface LeaderChange {
  readonly app: string;
  readonly processType: string;
  readonly leaderId: string | null;
  readonly previousLeaderId: string | null;
}

export class DiscoveryPublisher {
  readonly #discovery: Discovery;
  readonly #services = new Map<string, Service>();
  readonly #onLeader: ((change: LeaderChange) => void) | undefined;

  constructor(discovery: Discovery, options: { onLeaderChange?: (change: LeaderChange) => void } = {}) {
    this.#discovery = discovery;
    this.#onLeader = options.onLeaderChange;
  }

  /** Adds or replaces an instance (e.g. when it starts, unhealthy until its checks pass). */
  upsert(app: string, processType: string, instance: DiscoveryInstance): Promise<void> {
    const service = this.#service(app, processType);
    service.instances.set(instance.id, { ...instance });
    return this.#publish(app, processType, service);
  }

  setHealthy(app: string, processType: string, id: string, healthy: boolean): Promise<void> {
    const service = this.#service(app, processType);
    const instance = service.instances.get(id);
    if (!instance || instance.healthy === healthy) return Promise.resolve();
    service.instances.set(id, { ...instance, healthy });
    return this.#publish(app, processType, service);
  }

  removeInstance(app: string, processType: string, id: string): Promise<void> {
    const service = this.#service(app, processType);
    if (!service.instances.delete(id)) return Promise.resolve();
    return this.#publish(app, processType, service);
  }

  async removeApp(app: string): Promise<void> {
    const prefix = `${app}\u0000`;
    const pending: Promise<void>[] = [];
    for (const [k, s] of this.#services) if (k.startsWith(prefix)) pending.push(s.chain);
    for (const k of [...this.#services.keys()]) if (k.startsWith(prefix)) this.#services.delete(k);
    await Promise.allSettled(pending);
    await this.#discovery.remove(app);
  }

  leader(app: string, processType: string): string | null {
    return this.#services.get(`${app}\u0000${processType}`)?.leaderId ?? null;
  }

  instances(app: string, processType: string): DiscoveryInstance[] {
    return [...(this.#services.get(`${app}\u0000${processType}`)?.instances.values() ?? [])];
  }

  #service(app: string, processType: string): Service {
    const k = `${app}\u0000${processType}`;
    let s = this.#services.get(k);
    if (!s) {
      s = { instances: new Map(), leaderId: null, chain: Promise.resolve() };
      this.#services.set(k, s);
    }
    return s;
  }

  #publish(app: string, processType: string, service: Service): Promise<void> {
    const list = [...service.instances.values()];
    const previous = service.leaderId;
    service.leaderId = electLeader(list, previous);
    const leaderId = service.leaderId;
    if (leaderId !== previous) this.#onLeader?.({ app, processType, leaderId, previousLeaderId: previous });
    // A failed publish must not block later ones; the next change publishes the whole state again.
    service.chain = service.chain
      .catch(() => {})
      .then(() => this.#discovery.publish(app, processType, list, leaderId));
    return service.chain;
  }
}
