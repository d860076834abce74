import { describe, expect, it } from 'vitest';
import { DiscoveryPublisher } from '../../core/discovery/publisher.ts';
import type { Discovery, DiscoveryInstance } from '../../core/ports.ts';
import { DiscoveryRegistry } from '../../adapters/local/discovery/registry.ts';
import { instances } from './helpers.ts';

describe('DiscoveryPublisher', () => {
  it('publishes every change with the leader elected, keeping a healthy leader', async () => {
    const registry = new DiscoveryRegistry();
    const p = new DiscoveryPublisher(registry);
    const [a, b, c] = instances(3) as [DiscoveryInstance, DiscoveryInstance, DiscoveryInstance];
    await p.upsert('app', 'web', { ...b, healthy: true });
    expect(registry.get('app', 'web')?.leaderId).toBe('i-2');
    await p.upsert('app', 'web', a); // older, but the leader stays while healthy
    await p.upsert('app', 'web', c);
    expect(registry.get('app', 'web')?.leaderId).toBe('i-2');
    await p.setHealthy('app', 'web', 'i-2', false);
    expect(registry.get('app', 'web')?.leaderId).toBe('i-1');
    await p.removeInstance('app', 'web', 'i-1');
    expect(registry.get('app', 'web')?.leaderId).toBe('i-3');
    expect(registry.get('app', 'web')?.instances.map((i) => i.id)).toEqual(['i-2', 'i-3']);
    await p.removeApp('app');
    expect(registry.get('app', 'web')).toBeUndefined();
    expect(p.leader('app', 'web')).toBeNull();
  });

  it('keeps publishes of one service in order over a slow adapter, and survives a failed one', async () => {
    const seen: (string | null)[] = [];
    let calls = 0;
    const slow: Discovery = {
      async publish(_app, _type, _list, leaderId) {
        const n = calls++;
        await new Promise((r) => setTimeout(r, n === 0 ? 30 : 1));
        if (n === 1) throw new Error('adapter down');
        seen.push(leaderId);
      },
      async remove() {},
    };
    const p = new DiscoveryPublisher(slow);
    const [a, b] = instances(2) as [DiscoveryInstance, DiscoveryInstance];
    const first = p.upsert('app', 'web', a);
    const second = p.upsert('app', 'web', b);
    const third = p.setHealthy('app', 'web', 'i-1', false);
    await first;
    await expect(second).rejects.toThrow('adapter down');
    await third;
    expect(seen).toEqual(['i-1', 'i-2']);
  });
});
