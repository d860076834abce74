/**
 * Picks TCP ports on 127.0.0.1 for servers that a child process binds later (instances,
 * resource servers). Ports come from below the kernel's ephemeral range: the kernel hands
 * ephemeral ports to every outgoing connection and every `listen(0)`, so a port taken from
 * that range and bound a moment later by a child can be taken in between. Below the range
 * only another picker like this one can collide, and a random pick makes that rare.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const FLOOR = 10_000;

/** The range to pick from: [FLOOR, first ephemeral port), or null when there is no room. */
export function pickRange(ephemeralRange = readEphemeralRange()): readonly [number, number] | null {
  const high = ephemeralRange[0] - 1;
  return high - FLOOR >= 1000 ? [FLOOR, high] : null;
}

function readEphemeralRange(): readonly [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low as number, high as number];
  } catch {
    // not Linux: use the IANA dynamic range
  }
  return [49152, 65535];
}

/**
 * A port that could be bound just now and is not in `skip`. Random picks below the
 * ephemeral range first; the kernel's choice (port 0) when that range is full or absent.
 */
export async function pickFreePort(skip: ReadonlySet<number> = new Set()): Promise<number> {
  const range = pickRange();
  if (range) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1));
      if (!skip.has(port) && (await bindAndClose(port)) !== null) return port;
    }
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindAndClose(0);
    if (port !== null && !skip.has(port)) return port;
  }
  throw new PortAllocationError(
    'could not find a free TCP port on 127.0.0.1 after 100 attempts: free some ports or widen net.ipv4.ip_local_port_range',
  );
}

/** Whether `port` on 127.0.0.1 can be bound now. */
export async function canBind(port: number): Promise<boolean> {
  return (await bindAndClose(port)) !== null;
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
