/**
 * Runs a console tool (psql, pg_dump, pg_restore, redis-cli) with the terminal's stdio.
 * Credentials go through the tool's env vars (PGPASSWORD, REDISCLI_AUTH), never argv,
 * which other users of the machine can read.
 */
import { spawn, type StdioOptions } from 'node:child_process';

export interface ConsoleCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** added to the process env */
  readonly env: Readonly<Record<string, string>>;
  /** the Debian package that brings `file`, for the error when it is missing */
  readonly aptPackage: string;
}

export class ConsoleToolMissingError extends Error {
  constructor(tool: string, aptPackage: string, options?: ErrorOptions) {
    super(
      `${tool} was not found on this machine: install it with \`sudo apt-get install -y ${aptPackage}\``,
      options,
    );
    this.name = 'ConsoleToolMissingError';
  }
}

export class ConsoleEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConsoleEnvError';
  }
}

/** Runs the command and resolves with its exit status (signals as 128+n, like a shell). */
export function runConsole(command: ConsoleCommand, stdio: StdioOptions = 'inherit'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, command.args, { stdio, env: { ...process.env, ...command.env } });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new ConsoleToolMissingError(command.file, command.aptPackage, { cause: error })
          : error,
      );
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return (
    ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0
  );
}

/** Values on AWS that are Secrets Manager references cannot be used from a laptop. */
export function assertUsable(name: string, value: string | undefined): string {
  if (value === undefined || value === '') {
    throw new ConsoleEnvError(`the resource has no ${name}: is it ready? See \`wharf resource info\``);
  }
  if (value.startsWith('secretsmanager:')) {
    throw new ConsoleEnvError(
      `${name} is kept in AWS Secrets Manager and the database is inside the platform's VPC: consoles reach local resources only for now`,
    );
  }
  return value;
}
