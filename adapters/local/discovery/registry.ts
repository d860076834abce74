/**
 * The local Discovery adapter: an in-memory table of each app's process types, their
 * instances and leader, which the DNS server and the HTTP API read, and whose changes
 * the watch stream follows.
 */
import type { Discovery, DiscoveryInstance } from '../../../core/ports.ts';

export interface ServiceState {
  readonly app: string;
  readonly type: string;
  /** every published instance, healthy or not, oldest first as published */
  readonly instances: readonly DiscoveryInstance[];
  /** null when no healthy instance leads */
  readonly leaderId: string | null;
  /** increases on every change of this service (SSE event ids) */
  readonly version: number;
}

export interface DiscoveryChange {
  readonly app: string;
  readonly type: string;
  /** null when the service was removed */
  readonly current: ServiceState | null;
  readonly previousLeaderId: string | null;
}

type Listener = (change: DiscoveryChange) => void;

function key(app: string, type: string): string {
  return `${app.toLowerCase()}\u0000${type.toLowerCase()}`;
}

function sameInstances(a: readonly DiscoveryInstance[], b: readonly DiscoveryInstance[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return (
      x.id === y.id &&
      x.host === y.host &&
      x.port === y.port &&
      x.healthy === y.healthy &&
      x.startedAt === y.startedAt
    );
  });
}

export class DiscoveryRegistry implements Discovery {
  readonly #services = new Map<string, ServiceState>();
  readonly #listeners = new Set<Listener>();
  #version = 0;

  async publish(
    app: string,
    processType: string,
    instances: readonly DiscoveryInstance[],
    leaderId: string | null,
  ): Promise<void> {
    this.publishSync(app, processType, instances, leaderId);
  }

  /** publish() without the promise, for in-process callers and tests. */
  publishSync(
    app: string,
    type: string,
    instances: readonly DiscoveryInstance[],
    leaderId: string | null,
  ): void {
    const k = key(app, type);
    const before = this.#services.get(k);
    // A leader must be a healthy listed instance; anything else would answer DNS with a dead address.
    const leader = instances.some((i) => i.id === leaderId && i.healthy) ? leaderId : null;
    const copy = instances.map((i) => ({ ...i }));
    if (before && before.leaderId === leader && sameInstances(before.instances, copy)) return;
    const current: ServiceState = {
      app: app.toLowerCase(),
      type: type.toLowerCase(),
      instances: copy,
      leaderId: leader,
      version: ++this.#version,
    };
    this.#services.set(k, current);
    this.#emit({ app: current.app, type: current.type, current, previousLeaderId: before?.leaderId ?? null });
  }

  async remove(app: string): Promise<void> {
    const prefix = `${app.toLowerCase()}\u0000`;
    for (const [k, state] of [...this.#services]) {
      if (!k.startsWith(prefix)) continue;
      this.#services.delete(k);
      this.#version++;
      this.#emit({ app: state.app, type: state.type, current: null, previousLeaderId: state.leaderId });
    }
  }

  get(app: string, type: string): ServiceState | undefined {
    return this.#services.get(key(app, type));
  }

  /** The process types published for an app. */
  types(app: string): string[] {
    const a = app.toLowerCase();
    return [...this.#services.values()].filter((s) => s.app === a).map((s) => s.type);
  }

  hasApp(app: string): boolean {
    return this.types(app).length > 0;
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(change: DiscoveryChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch {
        // A failing watcher must not stop the others nor the publisher.
      }
    }
  }
}

export function healthyInstances(state: ServiceState | undefined): DiscoveryInstance[] {
  return state ? state.instances.filter((i) => i.healthy) : [];
}
