import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { LineSplitter } from '../logs/line-splitter.ts';
import { liveGroupMembers, signalGroup } from './proc.ts';
import { settlesWithin, sleep } from './process-io.ts';

export interface SpawnedProcess {
  readonly child: ChildProcess;
  /** undefined when the spawn itself failed (e.g. the file is missing) */
  readonly pid: number | undefined;
  /** settles once, when the process has exited or could not be started */
  readonly exited: Promise<ProcessExit>;
  /** settles when its output pipes have closed too, so every line has been delivered */
  readonly closed: Promise<void>;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** the shell's view: the code, or 128 + the signal's number */
  readonly status: number | null;
  readonly spawnError?: Error;
}

export interface SpawnRequest {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly pipeStdin: boolean;
  readonly onLine: (stream: 'stdout' | 'stderr', text: string) => void;
  readonly onChunk?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/**
 * Starts a process in its own process group (and session), so that one signal to the
 * group reaches its whole tree, and a Ctrl-C in the platform's terminal does not reach
 * it directly: the platform stops its instances itself. Stdin is /dev/null unless
 * piped; stdout and stderr are pipes, never the platform's own terminal.
 */
export function spawnProcess(request: SpawnRequest): SpawnedProcess {
  const child = spawn(request.file, [...request.args], {
    cwd: request.cwd,
    env: request.env,
    detached: true,
    stdio: [request.pipeStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  capture(child.stdout, 'stdout', request);
  capture(child.stderr, 'stderr', request);
  const exited = new Promise<ProcessExit>((resolve) => {
    let settled = false;
    child.once('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      resolve({ code, signal, status: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null) });
    });
    child.on('error', (error) => {
      // 'error' without a pid is a failed spawn; with a pid it is a failed kill, which is not an exit.
      if (settled || child.pid !== undefined) return;
      settled = true;
      resolve({ code: 127, signal: null, status: 127, spawnError: error });
    });
  });
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    if (child.pid === undefined) void exited.then(() => resolve());
  });
  return { child, pid: child.pid, exited, closed };
}

function capture(stream: Readable | null, name: 'stdout' | 'stderr', request: SpawnRequest): void {
  if (!stream) return;
  const splitter = new LineSplitter();
  stream.on('data', (chunk: Buffer) => {
    request.onChunk?.(name, chunk);
    for (const line of splitter.push(chunk)) request.onLine(name, line);
  });
  stream.on('end', () => {
    for (const line of splitter.end()) request.onLine(name, line);
  });
  // A read error on a pipe only ends the capture; the exit is reported through 'exit'.
  stream.on('error', () => {});
}

/**
 * SIGTERM to the process's group, SIGKILL after the grace; resolves when the whole
 * group is gone (the leader's exit alone is not enough: its children may linger).
 */
export async function terminateGroup(proc: SpawnedProcess, graceMs: number): Promise<void> {
  if (proc.pid === undefined) {
    await proc.exited;
    return;
  }
  const pgid = proc.pid;
  const deadline = Date.now() + graceMs;
  signalGroup(pgid, 'SIGTERM');
  if (!(await settlesWithin(proc.exited, graceMs))) signalGroup(pgid, 'SIGKILL');
  await proc.exited;
  // The leader is gone; the rest of its tree gets what is left of the grace.
  while (liveGroupMembers(pgid).length > 0 && Date.now() < deadline) await sleep(25);
  if (liveGroupMembers(pgid).length > 0) {
    signalGroup(pgid, 'SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (liveGroupMembers(pgid).length > 0 && Date.now() < killDeadline) await sleep(25);
  }
}
