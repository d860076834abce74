/** Runs wrk (closed loop, saturation) and reads its summary. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pinned } from './procs.ts';

const run = promisify(execFile);

export interface WrkResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** socket errors plus non-2xx/3xx responses */
  readonly errors: number;
}

function toMs(value: string, unit: string): number {
  const x = Number(value);
  if (unit === 'us') return x / 1000;
  if (unit === 's') return x * 1000;
  if (unit === 'm') return x * 60_000;
  return x;
}

export function parseWrk(out: string): WrkResult {
  const latency = (pct: string): number => {
    const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : Number.NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? Number.NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = socketErrors ? socketErrors.slice(1).reduce((s, x) => s + Number(x), 0) : 0;
  return { requests, rps, p50Ms: latency('50'), p99Ms: latency('99'), errors: sock + non2xx };
}

export async function runWrk(options: {
  url: string;
  hostHeader?: string;
  connections: number;
  seconds: number;
  keepAlive: boolean;
  cpus: string | null;
}): Promise<WrkResult> {
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', '--timeout', '5s'];
  if (options.hostHeader) args.push('-H', `Host: ${options.hostHeader}`);
  if (!options.keepAlive) args.push('-H', 'Connection: close');
  args.push(options.url);
  const [cmd, full] = pinned(options.cpus, 'wrk', args);
  const { stdout } = await run(cmd, full, { timeout: (options.seconds + 30) * 1000 });
  return parseWrk(stdout);
}
