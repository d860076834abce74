import type { StateStore } from './ports.ts';
import { ConflictError } from './errors.ts';
import type { Clock } from './ports.ts';

/**
 * Serialises the changes of one app's running state (deploys, scale, restarts), inside
 * this process with a queue and across processes with a lease in the store.
 */
export class AppLocks {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly store: StateStore;
  private readonly clock: Clock;
  private readonly holder: string;
  private readonly leaseMs: number;

  constructor(store: StateStore, clock: Clock, holder: string, leaseMs = 15 * 60_000) {
    this.store = store;
    this.clock = clock;
    this.holder = holder;
    this.leaseMs = leaseMs;
  }

  run<T>(app: string, fn: () => Promise<T>): Promise<T> {
    const tail = this.tails.get(app) ?? Promise.resolve();
    const next = tail.catch(() => {}).then(() => this.withLease(app, fn));
    this.tails.set(app, next);
    void next
      .finally(() => {
        if (this.tails.get(app) === next) this.tails.delete(app);
      })
      .catch(() => {});
    return next;
  }

  private async withLease<T>(app: string, fn: () => Promise<T>): Promise<T> {
    const key = `deploy/${app}`;
    const deadline = this.clock.now().getTime() + 60_000;
    while (!(await this.store.acquireLease(key, this.holder, this.leaseMs))) {
      if (this.clock.now().getTime() > deadline) {
        throw new ConflictError(
          `another deploy of ${app} is in progress: wait for it to finish and try again`,
        );
      }
      await this.clock.sleep(250);
    }
    try {
      return await fn();
    } finally {
      await this.store.releaseLease(key, this.holder);
    }
  }
}
