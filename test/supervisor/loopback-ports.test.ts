import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { canBind, pickFreePort, pickRange } from '../../adapters/local/loopback-ports.ts';

describe('loopback port picks', () => {
  it('come from below the kernel ephemeral range, so no listen(0) or outgoing connection can take them', () => {
    expect(pickRange([32768, 60999])).toEqual([10_000, 32767]);
    expect(pickRange([49152, 65535])).toEqual([10_000, 49151]);
    // no room below the range: the kernel picks (port 0)
    expect(pickRange([10_500, 65535])).toBeNull();
  });

  it('is a port that can be bound and is not one of the skipped ones', async () => {
    const first = await pickFreePort();
    expect(await canBind(first)).toBe(true);
    const skip = new Set([first]);
    for (let i = 0; i < 20; i++) expect(await pickFreePort(skip)).not.toBe(first);
  });

  it('canBind says no for a port a server holds', async () => {
    const port = await pickFreePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await canBind(port)).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
