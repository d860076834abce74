/**
 * The leader of a process type on ECS, kept from task state-change events that arrive
 * at least once and in any order. Each task's latest observation wins by the event's
 * own version number (ECS bumps `detail.version` on every change of a task), so the set
 * of observations converges to the same state whatever the delivery order. The leader
 * is the oldest healthy task of that set, and every change of leader takes the next term
 * number, written with a condition on the previous term: two writers racing on stale
 * reads cannot both win, so there is never more than one leader per term.
 *
 * Flynn keeps a healthy leader even when an older instance comes back; on ECS an
 * unhealthy task is stopped and replaced rather than revived, so "oldest healthy" is
 * stable in practice and, unlike a sticky rule, independent of delivery order.
 */

export interface TaskObservation {
  readonly taskId: string;
  /** ECS `detail.version`: increases with every change of the task */
  readonly version: number;
  /** when the task started (ISO), null while it has not */
  readonly startedAt: string | null;
  readonly healthy: boolean;
  readonly stopped: boolean;
  readonly host: string | null;
}

export interface LeaderTerm {
  readonly term: number;
  readonly leaderId: string | null;
}

export const NO_TERM: LeaderTerm = { term: 0, leaderId: null };

/** The observation to keep: the one with the higher version; a stopped task stays stopped. */
export function mergeObservation(
  stored: TaskObservation | null | undefined,
  incoming: TaskObservation,
): TaskObservation {
  if (!stored) return incoming;
  if (stored.stopped && !incoming.stopped) return stored;
  if (incoming.stopped && !stored.stopped) return incoming;
  return incoming.version > stored.version ? incoming : stored;
}

function startedMs(o: TaskObservation): number {
  const ms = o.startedAt === null ? Number.NaN : Date.parse(o.startedAt);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/** Oldest healthy running task first; ties broken by id so every reader agrees. */
export function electLeader(observations: readonly TaskObservation[]): string | null {
  const candidates = observations.filter((o) => o.healthy && !o.stopped && o.startedAt !== null);
  if (candidates.length === 0) return null;
  candidates.sort((a, b) => startedMs(a) - startedMs(b) || (a.taskId < b.taskId ? -1 : 1));
  return candidates[0]!.taskId;
}

/** The term to write when the leader changes, or null when the current term already holds. */
export function nextTerm(current: LeaderTerm, electedId: string | null): LeaderTerm | null {
  if (current.leaderId === electedId) return null;
  return { term: current.term + 1, leaderId: electedId };
}
