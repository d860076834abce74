/**
 * Runs the health checks of many instances on timers: probes each one every interval
 * and feeds the results to the pure state machine (core/discovery/health-monitor.ts),
 * reporting every step that asks for an action. The caller acts: publishes discovery,
 * updates the router, restarts the instance and then calls restarted().
 */
import type { HealthCheck } from '../../../core/domain.ts';
import {
  exited,
  type HealthState,
  type HealthStep,
  next,
  restarted,
  startHealth,
} from '../../../core/discovery/health-monitor.ts';
import type { HealthProbe } from '../../../core/ports.ts';

export interface WatchedInstance {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly check: HealthCheck;
}

export interface HealthWatcherOptions {
  readonly probe: HealthProbe;
  /** called for every step whose action is not 'none' */
  readonly onAction: (instanceId: string, step: HealthStep) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

interface Entry {
  target: WatchedInstance;
  state: HealthState;
  timer: NodeJS.Timeout | undefined;
  /** bumps on restart/unwatch so that a probe still in flight is ignored */
  generation: number;
}

export class HealthWatcher {
  readonly #entries = new Map<string, Entry>();
  readonly #probe: HealthProbe;
  readonly #onAction: HealthWatcherOptions['onAction'];
  readonly #now: () => number;

  constructor(options: HealthWatcherOptions) {
    this.#probe = options.probe;
    this.#onAction = options.onAction;
    this.#now = options.now ?? Date.now;
  }

  /** Starts checking a new instance (in its start grace period); the first check runs at once. */
  watch(target: WatchedInstance): void {
    this.unwatch(target.id);
    const entry: Entry = {
      target,
      state: startHealth(target.check, this.#now()),
      timer: undefined,
      generation: 0,
    };
    this.#entries.set(target.id, entry);
    this.#schedule(entry, 0);
  }

  /** The instance was restarted in place (same id, maybe a new port): a fresh grace period. */
  restarted(id: string, target?: Partial<Pick<WatchedInstance, 'host' | 'port'>>): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.generation++;
    entry.target = { ...entry.target, ...target };
    entry.state = restarted(entry.state, this.#now());
    this.#schedule(entry, 0);
  }

  /** The process exited: checks stop until restarted(), and a healthy instance is marked unhealthy at once. */
  exited(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.generation++;
    const step = exited(entry.state);
    entry.state = step.state;
    this.#report(id, step);
  }

  unwatch(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.generation++;
    this.#entries.delete(id);
  }

  state(id: string): HealthState | undefined {
    return this.#entries.get(id)?.state;
  }

  close(): void {
    for (const id of [...this.#entries.keys()]) this.unwatch(id);
  }

  #schedule(entry: Entry, delayMs: number): void {
    const generation = entry.generation;
    entry.timer = setTimeout(() => void this.#run(entry, generation), delayMs);
  }

  async #run(entry: Entry, generation: number): Promise<void> {
    const { host, port, check } = entry.target;
    const passed = await this.#probe.check({ host, port }, check).catch(() => false);
    if (entry.generation !== generation || this.#entries.get(entry.target.id) !== entry) return;
    const step = next(entry.state, passed, this.#now());
    entry.state = step.state;
    if (step.state.phase !== 'restarting') this.#schedule(entry, check.intervalMs);
    this.#report(entry.target.id, step);
  }

  #report(id: string, step: HealthStep): void {
    if (step.action === 'none') return;
    try {
      this.#onAction(id, step);
    } catch {
      // The caller's failure must not stop the checks of this instance.
    }
  }
}
