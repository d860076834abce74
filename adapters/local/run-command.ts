/** Runs a short command (tar, git, initdb, psql...) to completion; its output goes into the error when it fails. */
import { spawn } from 'node:child_process';

export class CommandFailedError extends Error {
  readonly output: string;
  constructor(command: string, status: number | null, output: string, options?: ErrorOptions) {
    super(
      `${command} exited with status ${status}: ${output.trim().split('\n').slice(-15).join('\n')}`,
      options,
    );
    this.name = 'CommandFailedError';
    this.output = output;
  }
}

export function runCommand(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    child.stderr?.on('data', (c: Buffer) => {
      output += c.toString('utf8');
    });
    child.on('error', (e) => reject(new CommandFailedError(file, null, e.message, { cause: e })));
    child.on('close', (status) => {
      if (status === 0) resolve(output);
      else reject(new CommandFailedError([file, ...args.slice(0, 3)].join(' '), status, output));
    });
    if (child.stdin) {
      // a command that exits before reading its input must not crash the platform with EPIPE
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
