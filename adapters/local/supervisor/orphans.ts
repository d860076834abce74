import { hasEnv, isLive, liveGroupMembers, readProcStat, signalGroup, signalPid } from './proc.ts';
import { sleep } from './process-io.ts';
import type { InstanceRecord } from './state-file.ts';

/** What to signal for one recorded instance that is still running. */
type Target = { readonly record: InstanceRecord } & (
  | { readonly kind: 'group'; readonly pgid: number }
  | { readonly kind: 'pids'; readonly pids: number[] }
);

/**
 * Finds what is left of recorded instances. A group is ours when its leader still has
 * the recorded pid AND start time (a recycled pid has another start time). When the
 * leader is gone, surviving members of its group are ours only if they carry the
 * instance's WHARF_INSTANCE_ID, so a stranger's process is never touched.
 */
export function findSurvivors(records: readonly InstanceRecord[]): Target[] {
  const targets: Target[] = [];
  for (const record of records) {
    const leader = readProcStat(record.pid);
    if (isLive(leader) && record.startTime !== null && leader.startTime === record.startTime) {
      targets.push({ record, kind: 'group', pgid: record.pgid });
      continue;
    }
    if (isLive(leader) && leader.pgid === record.pgid) continue; // the pid and group were recycled
    const pids = liveGroupMembers(record.pgid).filter((pid) => hasEnv(pid, 'WHARF_INSTANCE_ID', record.id));
    if (pids.length > 0) targets.push({ record, kind: 'pids', pids });
  }
  return targets;
}

/** SIGTERM, then SIGKILL after the grace; resolves when none of them is alive. Returns the records found running. */
export async function reapRecords(
  records: readonly InstanceRecord[],
  graceMs: number,
): Promise<InstanceRecord[]> {
  const targets = findSurvivors(records);
  if (targets.length === 0) return [];
  signalAll(targets, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && anyAlive(targets)) await sleep(25);
  if (anyAlive(targets)) {
    signalAll(targets, 'SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (Date.now() < killDeadline && anyAlive(targets)) await sleep(25);
  }
  return targets.map((target) => target.record);
}

function signalAll(targets: readonly Target[], signal: NodeJS.Signals): void {
  for (const target of targets) {
    if (target.kind === 'group') signalGroup(target.pgid, signal);
    else for (const pid of target.pids) signalPid(pid, signal);
  }
}

function anyAlive(targets: readonly Target[]): boolean {
  return targets.some((target) =>
    target.kind === 'group'
      ? liveGroupMembers(target.pgid).length > 0
      : target.pids.some((pid) => isLive(readProcStat(pid))),
  );
}
