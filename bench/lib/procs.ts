/** Child processes for benchmarks: start, wait for a JSON ready line, read CPU time, pin to CPUs. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export const NODE = process.execPath;

export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Prefixes a command with taskset when CPUs are given and taskset exists. */
export function pinned(cpus: string | null, command: string, args: readonly string[]): [string, string[]] {
  if (cpus === null || !hasCommand('taskset')) return [command, [...args]];
  return ['taskset', ['-c', cpus, command, ...args]];
}

export interface Started<T> {
  readonly child: ChildProcess;
  readonly ready: T;
  /** further stdout lines, one per call */
  nextLine(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts a process that prints a JSON line when ready. Its stdin stays open as a
 * lifeline: when this process dies, the child sees EOF and exits.
 */
export async function startJsonProcess<T>(
  command: string,
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<Started<T>> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    const w = waiters.shift();
    if (w) w(line);
    else queue.push(line);
  });
  const nextLine = (): Promise<string> =>
    new Promise((resolve) => {
      const l = queue.shift();
      if (l !== undefined) resolve(l);
      else waiters.push(resolve);
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await Promise.race([
    nextLine(),
    exited.then(() => {
      throw new Error(`${command} ${args.join(' ')} exited before it was ready`);
    }),
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${command} was not ready within ${timeoutMs} ms`)),
        timeoutMs,
      ).unref(),
    ),
  ]);
  return {
    child,
    ready: JSON.parse(first) as T,
    nextLine,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const TICKS_PER_SECOND = 100;

/** User + system CPU time of a process in microseconds, from /proc/PID/stat (Linux only). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name, which is in parentheses and may hold spaces
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1e6) / TICKS_PER_SECOND;
}

/** CPU time of a process and its direct children (nginx's master and workers). */
export function treeCpuMicros(pid: number): number {
  let total = cpuMicros(pid);
  const children = `/proc/${pid}/task/${pid}/children`;
  if (existsSync(children)) {
    for (const c of readFileSync(children, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      total += cpuMicros(Number(c));
    }
  }
  return total;
}

export function canReadProcStat(): boolean {
  return existsSync(`/proc/${process.pid}/stat`);
}
