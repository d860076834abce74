import type { CoreDeps } from './deps.ts';
import type { WharfEvent } from './domain.ts';

/** Appends an event, publishes it, and writes it to the app's log as a platform line. */
export async function recordEvent(
  deps: Pick<CoreDeps, 'store' | 'bus' | 'logs' | 'clock'>,
  app: string | null,
  type: string,
  data: Record<string, unknown> = {},
  message?: string,
): Promise<WharfEvent> {
  const event = await deps.store.appendEvent({ app, type, at: deps.clock.now().toISOString(), data });
  deps.bus.publish(event);
  if (app && message) {
    deps.logs.append({
      at: event.at,
      app,
      source: 'platform',
      instance: null,
      stream: 'stdout',
      text: message,
    });
  }
  return event;
}
