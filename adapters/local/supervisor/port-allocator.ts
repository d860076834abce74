import { canBind, pickFreePort } from '../loopback-ports.ts';

export { PortAllocationError } from '../loopback-ports.ts';

/** Hands out TCP ports on 127.0.0.1 for instances. */
export interface PortAllocator {
  allocate(): Promise<number>;
  /** whether the port can be bound now (checked before an instance restarts on its old port) */
  isFree(port: number): Promise<boolean>;
}

export interface LoopbackPortAllocatorOptions {
  /** how long a port handed out is not handed out again. @default 10 minutes */
  readonly quarantineMs?: number;
}

/**
 * Picks free ports below the kernel's ephemeral range (see loopback-ports.ts). A port
 * handed out a moment ago may not be bound by its instance yet, so recent ports are
 * remembered and skipped.
 */
export class LoopbackPortAllocator implements PortAllocator {
  readonly #quarantineMs: number;
  readonly #recent = new Map<number, number>();

  constructor(options: LoopbackPortAllocatorOptions = {}) {
    this.#quarantineMs = options.quarantineMs ?? 10 * 60_000;
  }

  async allocate(): Promise<number> {
    const now = Date.now();
    for (const [port, at] of this.#recent) {
      if (now - at > this.#quarantineMs) this.#recent.delete(port);
    }
    const port = await pickFreePort(new Set(this.#recent.keys()));
    this.#recent.set(port, now);
    return port;
  }

  isFree(port: number): Promise<boolean> {
    return canBind(port);
  }
}
