import { readdirSync, readFileSync } from 'node:fs';

/** What the supervisor needs from /proc/PID/stat. */
export interface ProcStat {
  readonly pid: number;
  /** R, S, D, Z (zombie), T... */
  readonly state: string;
  readonly pgid: number;
  /** clock ticks after boot: with the pid, it names one process for the life of the machine */
  readonly startTime: string;
}

/** The process's stat, or null when there is no such process. */
export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgid = Number(fields[2]);
  const startTime = fields[19];
  if (!state || !Number.isInteger(pgid) || !startTime) return null;
  return { pid, state, pgid, startTime };
}

/** Alive means it exists and is not a zombie waiting for a parent that may never reap it. */
export function isLive(stat: ProcStat | null): stat is ProcStat {
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

/** The live processes of a process group, found through /proc (kill(-pgid, 0) also counts zombies). */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const pid of allPids()) {
    const stat = readProcStat(pid);
    if (isLive(stat) && stat.pgid === pgid) members.push(pid);
  }
  return members;
}

/** Whether the process's environment holds NAME=VALUE (false when it cannot be read). */
export function hasEnv(pid: number, name: string, value: string): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    return environ.split('\0').includes(`${name}=${value}`);
  } catch {
    return false;
  }
}

/** Sends a signal to a whole process group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  return signalPid(-pgid, signal);
}

export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

function allPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0) pids.push(pid);
  }
  return pids;
}
