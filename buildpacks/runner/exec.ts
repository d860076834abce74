import { spawn } from 'node:child_process';

export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** called for each line of stdout and stderr as it arrives; when absent output is only collected */
  onLine?: (line: string) => void;
  /** stdout kept apart from the streamed lines (detect's name, release's YAML) */
  captureStdout?: boolean;
  input?: string;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** the last lines of output, for error messages */
  tail: string[];
}

const TAIL_LINES = 20;

/** Runs a command in its own process group so that an abort kills everything it started. */
export function exec(file: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason ?? new Error('aborted'));
      return;
    }
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    const tail: string[] = [];
    const emit = (line: string) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      opts.onLine?.(line);
    };
    const lineSplitter = (sink: (line: string) => void) => {
      let rest = '';
      return {
        push(chunk: Buffer) {
          rest += chunk.toString('utf8');
          const parts = rest.split('\n');
          rest = parts.pop() ?? '';
          for (const p of parts) sink(p.replace(/\r$/, ''));
        },
        end() {
          if (rest !== '') sink(rest.replace(/\r$/, ''));
          rest = '';
        },
      };
    };
    const out = lineSplitter(emit);
    const err = lineSplitter(emit);
    child.stdout?.on('data', (c: Buffer) => {
      if (opts.captureStdout) stdout += c.toString('utf8');
      else out.push(c);
    });
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const onAbort = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code, signal) => {
      opts.signal?.removeEventListener('abort', onAbort);
      out.end();
      err.end();
      if (opts.signal?.aborted) {
        reject(opts.signal.reason ?? new Error('aborted'));
        return;
      }
      resolve({ code, signal, stdout, tail });
    });
  });
}

/** Runs a command that must succeed; returns its stdout. */
export async function run(
  file: string,
  args: string[],
  opts: ExecOptions = {},
): Promise<{ stdout: string; tail: string[] }> {
  const r = await exec(file, args, { ...opts, captureStdout: opts.captureStdout ?? true });
  if (r.code !== 0) {
    const detail = r.tail.slice(-5).join('\n');
    throw new Error(
      `${file} ${args.join(' ')} exited with ${r.code ?? r.signal}${detail ? `:\n${detail}` : ''}`,
    );
  }
  return { stdout: r.stdout, tail: r.tail };
}

export function exitDescription(r: ExecResult): string {
  return r.code !== null ? `exit status ${r.code}` : `killed by ${r.signal}`;
}
