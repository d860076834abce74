/**
 * The live view of an app's instances: which are healthy, who leads each process type,
 * and what the router and discovery should publish. Health checks run here, against the
 * HealthProbe port and the pure state machine of core/discovery/health-monitor.ts, so
 * both runtimes decide health the same way. This is the only driver of that machine:
 * instance events from the Scheduler and probe results go in, discovery records, the
 * route table, restarts and deploy verdicts come out.
 */
import type { CoreDeps } from './deps.ts';
import type { HealthCheck, Instance, Route } from './domain.ts';
import { exited, type HealthState, next, restarted, startHealth } from './discovery/health-monitor.ts';
import { electLeader } from './discovery/leader.ts';
import type { DiscoveryInstance, RouteTableEntry } from './ports.ts';

interface Tracked {
  instance: Instance;
  check: HealthCheck | null;
  /** the state machine's state for the current process; null when the type has no check */
  health: HealthState | null;
  healthy: boolean;
  everHealthy: boolean;
  /** instance generation: bumps on every (re)start or exit so a stale probe loop stops */
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
  /** instance events are handled one at a time, in the order the scheduler sent them */
  private events: Promise<void> = Promise.resolve();
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private healthFor: (app: string, processType: string) => Promise<HealthCheck | null>;

  constructor(deps: CoreDeps, healthFor: (app: string, processType: string) => Promise<HealthCheck | null>) {
    this.deps = deps;
    this.healthFor = healthFor;
  }

  async start(): Promise<void> {
    this.unsubscribe = this.deps.scheduler.onChange((instance) => void this.enqueue(instance));
    for (const instance of await this.deps.scheduler.list()) await this.enqueue(instance);
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

  private enqueue(instance: Instance): Promise<void> {
    // A crash seen while the 'starting' before it is still being handled must not be overtaken by it.
    this.events = this.events.then(() => this.onInstanceChange(instance)).catch(() => {});
    return this.events;
  }

  private async onInstanceChange(instance: Instance): Promise<void> {
    if (this.stopped) return;
    const prev = this.tracked.get(instance.id);
    if (instance.state === 'down') {
      this.tracked.delete(instance.id);
      this.settle(instance.id, {
        ok: false,
        reason: `instance ${instance.id} stopped`,
        exitStatus: instance.exitStatus ?? null,
      });
      this.schedulePublish();
      return;
    }
    if (instance.state === 'crashed') {
      if (prev) {
        prev.instance = instance;
        prev.generation++;
        if (prev.health) prev.health = exited(prev.health).state;
        prev.healthy = false;
      }
      // Out of discovery first: the leader's successor must not wait for the log query below.
      this.schedulePublish();
      if (!this.waiters.some((w) => w.id === instance.id)) return;
      this.settle(instance.id, {
        ok: false,
        reason: `instance ${instance.id} exited with status ${instance.exitStatus ?? 'unknown'}`,
        exitStatus: instance.exitStatus ?? null,
        lastLines: await this.lastLines(instance),
      });
      return;
    }
    if (instance.state === 'starting' && prev?.instance.state !== 'starting') {
      await this.track(instance, prev);
      return;
    }
    if (prev) prev.instance = instance;
    // an instance we learn of while already running (platform restart): watch it from now
    else if (instance.state !== 'stopping') await this.track(instance, undefined);
  }

  /** Starts checking a new process of an instance: a first start, or the same id after a restart. */
  private async track(instance: Instance, prev: Tracked | undefined): Promise<void> {
    const check = instance.oneOff ? null : await this.healthFor(instance.app, instance.processType);
    const now = this.deps.clock.now().getTime();
    let health: HealthState | null = null;
    if (check) {
      // restarted() keeps the count of restarts; the check is re-read so `wharf health set` applies from here on
      health = prev?.health ? { ...restarted(prev.health, now), check } : startHealth(check, now);
    }
    const generation = (prev?.generation ?? 0) + 1;
    const t: Tracked = {
      instance,
      check,
      health,
      healthy: false,
      everHealthy: false,
      generation,
      draining: prev?.draining ?? false,
    };
    this.tracked.set(instance.id, t);
    this.schedulePublish();
    if (!instance.oneOff) void this.watch(t, generation);
  }

  private current(t: Tracked, generation: number): boolean {
    return !this.stopped && this.tracked.get(t.instance.id) === t && t.generation === generation;
  }

  /** The probe loop of one process of an instance, driven by the health state machine. */
  private async watch(t: Tracked, generation: number): Promise<void> {
    const { clock, probe } = this.deps;
    if (!t.check || !t.health) {
      await clock.sleep(this.deps.settings.settleMs);
      if (!this.current(t, generation) || t.instance.state === 'crashed') return;
      this.markHealthy(t);
      return;
    }
    const check = t.check;
    while (this.current(t, generation)) {
      const passed =
        t.instance.port > 0
          ? await probe.check({ host: t.instance.host, port: t.instance.port }, check).catch(() => false)
          : false;
      if (!this.current(t, generation)) return;
      const result = next(t.health, passed, clock.now().getTime());
      t.health = result.state;
      if (result.action === 'mark-healthy') this.markHealthy(t);
      if (result.action === 'mark-unhealthy') {
        t.healthy = false;
        await this.publishNow();
      }
      if (result.action === 'restart') {
        await this.restartUnhealthy(t, check);
        return;
      }
      // while starting, check often so a healthy instance joins quickly
      await clock.sleep(t.health.phase === 'starting' ? Math.min(check.intervalMs, 100) : check.intervalMs);
    }
  }

  private markHealthy(t: Tracked): void {
    t.healthy = true;
    t.everHealthy = true;
    this.settle(t.instance.id, { ok: true });
    this.schedulePublish();
  }

  /**
   * Out of the router and discovery, then a restart in place; the supervisor's next
   * 'starting' event brings the new process in through track(), which applies restarted().
   */
  private async restartUnhealthy(t: Tracked, check: HealthCheck): Promise<void> {
    const reason = t.everHealthy
      ? `${check.threshold} failed ${check.kind} checks in a row`
      : `no healthy ${check.kind} check within ${Math.round(check.startTimeoutMs / 1000)} s`;
    t.healthy = false;
    await this.publishNow();
    if (!t.everHealthy) {
      this.settle(t.instance.id, {
        ok: false,
        reason: `${t.instance.id} failed its health check: ${reason}`,
        lastLines: await this.lastLines(t.instance),
      });
    }
    this.deps.logs.append({
      at: this.deps.clock.now().toISOString(),
      app: t.instance.app,
      source: 'platform',
      instance: t.instance.id,
      stream: 'stderr',
      text: `${t.instance.id} is unhealthy (${reason}); restarting it`,
    });
    // Fails only when the instance was stopped meanwhile, and then its 'down' event removes it.
    await this.deps.scheduler.restart(t.instance.id).catch(() => {});
  }

  private async lastLines(instance: Instance): Promise<string[]> {
    const lines = await this.deps.logs
      .query(instance.app, { instance: instance.id, lines: 10 })
      .catch(() => []);
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
        processType: route.processType,
        leader: route.leader,
        sticky: route.sticky,
        backends: instances.map((i) => ({ id: i.id, host: i.host, port: i.port })),
      };
    });
  }
}
