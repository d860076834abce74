import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { electLeader } from '../../core/discovery/leader.ts';
import type { DiscoveryInstance } from '../../core/ports.ts';
import { instances } from './helpers.ts';

const unhealthy = (list: DiscoveryInstance[], id: string) =>
  list.map((i) => (i.id === id ? { ...i, healthy: false } : i));

describe('electLeader', () => {
  it('picks the oldest healthy instance, whatever the list order', () => {
    const three = instances(3);
    expect(electLeader(three, null)).toBe('i-1');
    expect(electLeader([...three].reverse(), null)).toBe('i-1');
  });

  it('breaks a tie in start time by id', () => {
    const at = '2024-01-01T00:00:00.000Z';
    const list = ['i-c', 'i-a', 'i-b'].map((id) => ({
      id,
      host: '127.0.0.1',
      port: 1,
      startedAt: at,
      healthy: true,
    }));
    expect(electLeader(list, null)).toBe('i-a');
  });

  it('keeps the current leader while it is healthy, even when an older instance is listed', () => {
    expect(electLeader(instances(3), 'i-3')).toBe('i-3');
  });

  it('hands over to the next oldest when the leader becomes unhealthy or leaves', () => {
    const three = instances(3);
    expect(electLeader(unhealthy(three, 'i-1'), 'i-1')).toBe('i-2');
    expect(electLeader(three.slice(1), 'i-1')).toBe('i-2');
    expect(electLeader(unhealthy(unhealthy(three, 'i-1'), 'i-2'), 'i-2')).toBe('i-3');
  });

  it('skips unhealthy older instances and returns null when none is healthy', () => {
    expect(electLeader(unhealthy(instances(3), 'i-1'), null)).toBe('i-2');
    expect(
      electLeader(
        instances(2).map((i) => ({ ...i, healthy: false })),
        'i-1',
      ),
    ).toBeNull();
    expect(electLeader([], null)).toBeNull();
  });

  it('sorts an unparseable start time last', () => {
    const list = [{ ...instances(1)[0]!, id: 'i-0', startedAt: 'garbage' }, ...instances(2)];
    expect(electLeader(list, null)).toBe('i-1');
  });

  it('always returns a healthy listed instance, and is stable when nothing changes', () => {
    const arb = fc.array(
      fc.record({
        id: fc.stringMatching(/^i-[a-z0-9]{1,4}$/),
        startedAt: fc
          .date({ min: new Date(0), max: new Date(2e12), noInvalidDate: true })
          .map((d) => d.toISOString()),
        healthy: fc.boolean(),
      }),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(arb, fc.option(fc.string()), (raw, current) => {
        const list = raw.map((r) => ({ ...r, host: '127.0.0.1', port: 1 }));
        const leader = electLeader(list, current);
        if (leader === null) {
          expect(list.some((i) => i.healthy)).toBe(false);
          return;
        }
        expect(list.some((i) => i.id === leader && i.healthy)).toBe(true);
        expect(electLeader(list, leader)).toBe(leader);
      }),
    );
  });
});
