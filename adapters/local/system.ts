/** The system clock, short random ids, and an in-process event bus. */
import { randomBytes } from 'node:crypto';
import type { WharfEvent } from '../../core/domain.ts';
import type { Clock, EventBus, Ids } from '../../core/ports.ts';

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export const randomIds: Ids = {
  next: (prefix) => `${prefix}-${randomBytes(5).toString('hex')}`,
};

export class InProcessEventBus implements EventBus {
  private readonly listeners = new Set<(event: WharfEvent) => void>();
  publish(event: WharfEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a failing subscriber must not stop the others or the publisher
      }
    }
  }
  subscribe(listener: (event: WharfEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
