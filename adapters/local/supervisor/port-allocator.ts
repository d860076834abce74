import { createServer } from 'node:net';

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
 * Asks the kernel for a free port (bind to port 0, then close). The kernel may offer a
 * port it gave out a moment ago whose instance has not bound it yet, so recent ports
 * are remembered and skipped.
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
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await bindAndClose(0);
      if (port !== null && !this.#recent.has(port)) {
        this.#recent.set(port, now);
        return port;
      }
    }
    throw new PortAllocationError(
      'could not find a free TCP port on 127.0.0.1 after 50 attempts: free some ports or widen net.ipv4.ip_local_port_range',
    );
  }

  async isFree(port: number): Promise<boolean> {
    return (await bindAndClose(port)) !== null;
  }
}

export class PortAllocationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PortAllocationError';
  }
}

function bindAndClose(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}
