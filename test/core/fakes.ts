/**
 * Hand-written stateful fakes of the ports, for core tests: a scheduler whose instances
 * behave as each release says (healthy, crashing, never healthy), and recorders for the
 * router and discovery.
 */
import type { CoreDeps } from '../../core/deps.ts';
import { DEFAULT_SETTINGS } from '../../core/deps.ts';
import type { Instance, LogLine, WharfEvent } from '../../core/domain.ts';
import type {
  BuildOutcome,
  Builder,
  Discovery,
  DiscoveryInstance,
  HealthProbe,
  InstanceSpec,
  LogQuery,
  LogStore,
  ResourceProvisioner,
  Router,
  RouteTableEntry,
  Scheduler,
} from '../../core/ports.ts';
import { SqliteStateStore } from '../../adapters/local/state/sqlite-store.ts';

export type Behaviour = 'healthy' | 'crash' | 'never-healthy';

export class FakeScheduler implements Scheduler {
  readonly instances = new Map<string, Instance>();
  readonly behaviourByEnv = new Map<string, Behaviour>();
  readonly started: InstanceSpec[] = [];
  readonly stopped: string[] = [];
  private listeners = new Set<(i: Instance) => void>();
  private n = 0;

  behaviourOf(instance: Instance): Behaviour {
    return (this.specs.get(instance.id)?.env['BEHAVIOUR'] as Behaviour) ?? 'healthy';
  }
  private readonly specs = new Map<string, InstanceSpec>();

  private emit(i: Instance) {
    this.instances.set(i.id, i);
    for (const l of this.listeners) l(i);
  }

  async start(spec: InstanceSpec): Promise<Instance> {
    this.n++;
    const id = `${spec.processType}.${String(this.n).padStart(8, '0')}`;
    const instance: Instance = {
      id,
      app: spec.app,
      processType: spec.processType,
      releaseVersion: spec.releaseVersion,
      state: 'starting',
      host: '127.0.0.1',
      port: 10000 + this.n,
      startedAt: new Date(Date.now() + this.n).toISOString(),
      restarts: 0,
    };
    this.specs.set(id, spec);
    this.started.push(spec);
    this.emit(instance);
    if (spec.env['BEHAVIOUR'] === 'crash') {
      setTimeout(() => this.emit({ ...instance, state: 'crashed', exitStatus: 3 }), 5);
    }
    return instance;
  }
  async stop(id: string): Promise<void> {
    const i = this.instances.get(id);
    if (!i) return;
    this.stopped.push(id);
    this.instances.delete(id);
    for (const l of this.listeners) l({ ...i, state: 'down' });
  }
  async restart(id: string): Promise<void> {
    const i = this.instances.get(id);
    if (i) this.emit({ ...i, state: 'starting', restarts: i.restarts + 1 });
  }
  async list(app?: string): Promise<Instance[]> {
    return [...this.instances.values()].filter((i) => !app || i.app === app);
  }
  onChange(listener: (i: Instance) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async runOneOff() {
    return { exitStatus: 0, signal: null };
  }
}

export class FakeProbe implements HealthProbe {
  private readonly scheduler: FakeScheduler;
  constructor(scheduler: FakeScheduler) {
    this.scheduler = scheduler;
  }
  async check(target: { host: string; port: number }): Promise<boolean> {
    const i = [...this.scheduler.instances.values()].find((x) => x.port === target.port);
    return !!i && i.state !== 'crashed' && this.scheduler.behaviourOf(i) === 'healthy';
  }
}

export class RecordingRouter implements Router {
  tables: RouteTableEntry[][] = [];
  async setTable(table: readonly RouteTableEntry[]): Promise<void> {
    this.tables.push([...table]);
  }
  get last(): RouteTableEntry[] {
    return this.tables.at(-1) ?? [];
  }
}

export class RecordingDiscovery implements Discovery {
  readonly state = new Map<string, { instances: readonly DiscoveryInstance[]; leader: string | null }>();
  async publish(app: string, type: string, instances: readonly DiscoveryInstance[], leader: string | null) {
    this.state.set(`${app}/${type}`, { instances, leader });
  }
  async remove(app: string) {
    for (const k of [...this.state.keys()]) if (k.startsWith(`${app}/`)) this.state.delete(k);
  }
}

export class MemoryLogs implements LogStore {
  readonly lines: LogLine[] = [];
  append(line: LogLine): void {
    this.lines.push(line);
  }
  async query(app: string, q: LogQuery): Promise<LogLine[]> {
    return this.lines
      .filter(
        (l) =>
          l.app === app && (!q.source || l.source === q.source) && (!q.instance || l.instance === q.instance),
      )
      .slice(-(q.lines ?? 100));
  }
  follow(): () => void {
    return () => {};
  }
}

/** A builder that "builds" instantly, with the process types given per call. */
export class FakeBuilder implements Builder {
  next: BuildOutcome = {
    ok: true,
    artifact: {
      kind: 'slug',
      uri: 'file:///slug',
      processTypes: { web: 'serve', worker: 'work' },
      configDefaults: {},
    },
  };
  async build(): Promise<BuildOutcome> {
    return this.next;
  }
}

export function fakeDeps(overrides: Partial<CoreDeps> = {}) {
  const scheduler = new FakeScheduler();
  const router = new RecordingRouter();
  const discovery = new RecordingDiscovery();
  const logs = new MemoryLogs();
  const builder = new FakeBuilder();
  const events: WharfEvent[] = [];
  let id = 0;
  const provisioner: ResourceProvisioner = {
    provision: async () => ({ env: {}, meta: {}, ready: true }),
    deprovision: async () => {},
  };
  const deps: CoreDeps = {
    store: new SqliteStateStore(':memory:'),
    clock: { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    ids: { next: (p) => `${p}-${++id}` },
    bus: { publish: (e) => events.push(e), subscribe: () => () => {} },
    logs,
    builder,
    artifacts: { put: async () => 'file:///slug', resolve: async (u) => u, remove: async () => {} },
    scheduler,
    router,
    discovery,
    probe: new FakeProbe(scheduler),
    secrets: { get: async () => null, put: async () => {}, delete: async () => {} },
    provisioner,
    settings: { ...DEFAULT_SETTINGS, settleMs: 20, drainMs: 0, stopGraceMs: 10 },
    ...overrides,
  };
  return { deps, scheduler, router, discovery, logs, builder, events };
}
