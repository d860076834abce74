/**
 * The live view of an app's instances: which are healthy, who leads each process type,
 * and what the router and discovery should publish. Health checks run here, against the
 * HealthProbe port, so both runtimes decide health the same way.
 */
import type { CoreDeps } from './deps.ts';
import type { HealthCheck, Instance, Route } from './domain.ts';
import { next, startHealth } from './discovery/health-monitor.ts';
import { electLeader } from './discovery/leader.ts';
import type { DiscoveryInstance, RouteTableEntry } from './ports.ts';

interface Tracked {
  instance: Instance;
  check: HealthCheck | null;
  healthy: boolean;
  everHealthy: boolean;
  /** instance generation: bumps on every (re)start so a stale probe loop stops */
  generation: number;
  draining: boolean;
}

type HealthWaiter = { id: string; resolve: (r: HealthResult) => void };

export type HealthResult =
  | { ok: true }
  | { ok: false; reason: string; exitStatus?: number | null; lastLines?: string[] };

export class InstanceRuntime {
  private readonly deps: CoreDeps;
  private readonly tracked = new Map<string, Tracked>();
  private readonly leaders = new Map<string, string | null>();
  private waiters: HealthWaiter[] = [];
  private publishQueued = false;
  private publishing: Promise<void> = Promise.resolve();
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private healthFor: (app: string, processType: string) => Promise<HealthCheck | null>;

  constructor(deps: CoreDeps, healthFor: (app: string, processType: string) => Promise<HealthCheck | null>) {
    this.deps = deps;
    this.healthFor = healthFor;
  }

  async start(): Promise<void> {
    this.unsubscribe = this.deps.scheduler.onChange((instance) => void this.onInstanceChange(instance));
    for (const instance of await this.deps.scheduler.list()) await this.onInstanceChange(instance);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const w of this.waiters) w.resolve({ ok: false, reason: 'platform stopping' });
    this.waiters = [];
  }

  isHealthy(id: string): boolean {
    return this.tracked.get(id)?.healthy ?? false;
  }

  leaderOf(app: string, processType: string): string | null {
    return this.leaders.get(`${app}/${processType}`) ?? null;
  }

  /** Takes an instance out of the router and discovery before it is stopped. */
  async drain(id: string): Promise<void> {
    const t = this.tracked.get(id);
    if (!t) return;
    t.draining = true;
    await this.publishNow();
  }

  /** Resolves when the instance passes its health check, fails its start, or exits. */
  waitHealthy(id: string): Promise<HealthResult> {
    const t = this.tracked.get(id);
    if (t?.healthy) return Promise.resolve({ ok: true });
    return new Promise((resolve) => this.waiters.push({ id, resolve }));
  }

  private settle(id: string, result: HealthResult): void {
    const mine = this.waiters.filter((w) => w.id === id);
    if (mine.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.id !== id);
    for (const w of mine) w.resolve(result);
  }

  private async onInstanceChange(instance: Instance): Promise<void> {
    if (this.stopped) return;
    const prev = this.tracked.get(instance.id);
    if (instance.state === 'down') {
      this.tracked.delete(instance.id);
      this.settle(instance.id, { ok: false, reason: `instance ${instance.id} stopped`, exitStatus: instance.exitStatus ?? null });
      this.schedulePublish();
      return;
    }
    if (instance.state === 'crashed') {
      const lastLines = await this.lastLines(instance);
      if (prev) {
        prev.instance = instance;
        prev.healthy = false;
        prev.generation++;
      }
      this.settle(instance.id, {
        ok: false,
        reason: `instance ${instance.id} exited with status ${instance.exitStatus ?? 'unknown'}`,
        exitStatus: instance.exitStatus ?? null,
        lastLines,
      });
      this.schedulePublish();
      return;
    }
    if (instance.state === 'starting' && (!prev || prev.instance.state !== 'starting')) {
      const check = instance.oneOff ? null : await this.healthFor(instance.app, instance.processType);
      const generation = (prev?.generation ?? 0) + 1;
      const t: Tracked = {
        instance,
        check,
        healthy: false,
        everHealthy: false,
        generation,
        draining: prev?.draining ?? false,
      };
      this.tracked.set(instance.id, t);
      this.schedulePublish();
      if (!instance.oneOff) void this.watch(t, generation);
      return;
    }
    if (prev) prev.instance = instance;
    else if (instance.state !== 'stopping') {
      // an instance we learn of while already running (platform restart): watch it from now
      const check = await this.healthFor(instance.app, instance.processType);
      const t: Tracked = {
        instance,
        check,
        healthy: false,
        everHealthy: false,
        generation: 1,
        draining: false,
      };
      this.tracked.set(instance.id, t);
      void this.watch(t, 1);
    }
  }

  private current(t: Tracked, generation: number): boolean {
    return !this.stopped && this.tracked.get(t.instance.id) === t && t.generation === generation;
  }

  /** The probe loop of one instance generation, driven by the health state machine. */
  private async watch(t: Tracked, generation: number): Promise<void> {
    const { clock, probe } = this.deps;
    const check = t.check;
    if (!check) {
      await clock.sleep(this.deps.settings.settleMs);
      if (!this.current(t, generation) || t.instance.state === 'crashed') return;
      this.markHealthy(t);
      return;
    }
    let state = startHealth(check, clock.now().getTime());
    while (this.current(t, generation)) {
      const passed =
        t.instance.port > 0 ? await probe.check({ host: t.instance.host, port: t.instance.port }, check) : false;
      if (!this.current(t, generation)) return;
      const result = next(state, passed, clock.now().getTime());
      state = result.state;
      if (result.action === 'mark-healthy') this.markHealthy(t);
      if (result.action === 'mark-unhealthy') {
        t.healthy = false;
        await this.publishNow();
      }
      if (result.action === 'restart') {
        const reason = t.everHealthy
          ? `${check.threshold} failed ${check.kind} checks in a row`
          : `no healthy ${check.kind} check within ${Math.round(check.startTimeoutMs / 1000)} s`;
        if (!t.everHealthy) {
          const lastLines = await this.lastLines(t.instance);
          this.settle(t.instance.id, {
            ok: false,
            reason: `${t.instance.id} failed its health check: ${reason}`,
            lastLines,
          });
        }
        await this.restartUnhealthy(t, reason);
        return;
      }
      // while starting, check often so a healthy instance joins quickly
      await clock.sleep(state.phase === 'starting' ? Math.min(check.intervalMs, 100) : check.intervalMs);
    }
  }

  private markHealthy(t: Tracked): void {
    t.healthy = true;
    t.everHealthy = true;
    this.settle(t.instance.id, { ok: true });
    this.schedulePublish();
  }

  private async restartUnhealthy(t: Tracked, reason: string): Promise<void> {
    t.healthy = false;
    await this.publishNow();
    this.deps.logs.append({
      at: this.deps.clock.now().toISOString(),
      app: t.instance.app,
      source: 'platform',
      instance: t.instance.id,
      stream: 'stderr',
      text: `${t.instance.id} is unhealthy (${reason}); restarting it`,
    });
    await this.deps.scheduler.restart(t.instance.id).catch(() => {});
  }

  private async lastLines(instance: Instance): Promise<string[]> {
    const lines = await this.deps.logs.query(instance.app, { instance: instance.id, lines: 10 }).catch(() => []);
    return lines.map((l) => l.text);
  }

  /** Instances that may receive traffic: healthy, not draining. */
  healthyInstances(app: string, processType: string): Instance[] {
    return [...this.tracked.values()]
      .filter(
        (t) =>
          t.instance.app === app &&
          t.instance.processType === processType &&
          t.healthy &&
          !t.draining &&
          !t.instance.oneOff,
      )
      .map((t) => t.instance);
  }

  schedulePublish(): void {
    if (this.publishQueued) return;
    this.publishQueued = true;
    queueMicrotask(() => {
      this.publishQueued = false;
      void this.publishNow();
    });
  }

  /** Pushes the route table and discovery records; serialised so tables never go backwards. */
  publishNow(): Promise<void> {
    this.publishing = this.publishing.then(() => this.publish()).catch(() => {});
    return this.publishing;
  }

  private async publish(): Promise<void> {
    const groups = new Map<string, Tracked[]>();
    for (const t of this.tracked.values()) {
      if (t.instance.oneOff) continue;
      const key = `${t.instance.app}/${t.instance.processType}`;
      const list = groups.get(key) ?? [];
      list.push(t);
      groups.set(key, list);
    }
    for (const key of this.leaders.keys()) if (!groups.has(key)) groups.set(key, []);
    for (const [key, list] of groups) {
      const [app, processType] = key.split('/') as [string, string];
      const discovered: DiscoveryInstance[] = list
        .filter((t) => !t.draining)
        .map((t) => ({
          id: t.instance.id,
          host: t.instance.host,
          port: t.instance.port,
          startedAt: t.instance.startedAt,
          healthy: t.healthy,
        }));
      const leader = electLeader(discovered, this.leaders.get(key) ?? null);
      const before = this.leaders.get(key) ?? null;
      if (list.length === 0) this.leaders.delete(key);
      else this.leaders.set(key, leader);
      await this.deps.discovery.publish(app, processType, discovered, leader);
      if (leader !== before && leader) {
        this.deps.bus.publish({
          seq: 0,
          app,
          type: 'leader.changed',
          at: this.deps.clock.now().toISOString(),
          data: { processType, leader, previous: before },
        });
      }
    }
    await this.deps.router.setTable(this.routeTable(await this.deps.store.listRoutes()));
  }

  routeTable(routes: readonly Route[]): RouteTableEntry[] {
    return routes.map((route) => {
      let instances = this.healthyInstances(route.app, route.processType);
      if (route.leader) {
        const leader = this.leaderOf(route.app, route.processType);
        instances = instances.filter((i) => i.id === leader);
      }
      return {
        routeId: route.id,
        app: route.app,
        domain: route.domain,
        path: route.path,
        sticky: route.sticky,
        backends: instances.map((i) => ({ id: i.id, host: i.host, port: i.port })),
      };
    });
  }
}
