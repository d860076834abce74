/** Clock, ids and event bus of a Lambda: the same shapes as the local platform's. */
import { randomBytes } from 'node:crypto';
import type { WharfEvent } from '../../core/domain.ts';
import type { Clock, EventBus, HealthProbe, Ids } from '../../core/ports.ts';

export const lambdaClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export const lambdaIds: Ids = {
  next: (prefix) => `${prefix}-${randomBytes(5).toString('hex')}`,
};

/** Events are already stored; subscribers within one invocation only. */
export class LambdaEventBus implements EventBus {
  private readonly listeners = new Set<(event: WharfEvent) => void>();
  publish(event: WharfEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // one failing subscriber must not stop the publisher
      }
    }
  }
  subscribe(listener: (event: WharfEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** On ECS the container health check and the ALB decide health; the control plane trusts them. */
export const ecsHealthProbe: HealthProbe = {
  check: async () => true,
};
