/**
 * Leader election as Flynn's discoverd did it: the oldest healthy instance leads, and
 * stays leader while it is healthy and listed, even if an older instance comes back,
 * so that a leader never changes without a reason (flapping leaders break the apps
 * that act on leadership).
 */
import type { DiscoveryInstance } from '../ports.ts';

function startedMs(instance: DiscoveryInstance): number {
  const ms = Date.parse(instance.startedAt);
  // An unparseable start time sorts last, so it never wins over a known older instance.
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/** Orders instances oldest first (by startedAt, then id). */
export function byAge(a: DiscoveryInstance, b: DiscoveryInstance): number {
  const d = startedMs(a) - startedMs(b);
  if (d !== 0 && !Number.isNaN(d)) return d < 0 ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The id of the leader among `instances`, or null when none is healthy. */
export function electLeader(
  instances: readonly DiscoveryInstance[],
  currentLeaderId: string | null,
): string | null {
  const healthy = instances.filter((i) => i.healthy);
  if (currentLeaderId !== null && healthy.some((i) => i.id === currentLeaderId)) return currentLeaderId;
  if (healthy.length === 0) return null;
  return [...healthy].sort(byAge)[0]!.id;
}
