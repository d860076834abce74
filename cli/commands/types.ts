import type { WharfClient } from '../../api/client.ts';
import type { ParsedArgs } from '../args.ts';
import type { Out } from '../output.ts';
import { type Remote, resolveRemote } from '../remote.ts';

/** Where a CLI run reads and writes: the process's by default, a test's when run in process. */
export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface CommandContext {
  readonly args: ParsedArgs;
  readonly out: Out;
  readonly client: () => WharfClient;
  /** the app from -a, WHARF_APP or the repo's git config */
  readonly app: () => string;
  readonly env: NodeJS.ProcessEnv;
  /** the platform: local (`wharf up`) or AWS (`wharf login --aws`); resolved from env when absent */
  readonly remote?: () => Remote;
  /** the process's streams and cwd when absent (contexts built by hand, e.g. in tests) */
  readonly io?: Io;
}

export function ioOf(ctx: Pick<CommandContext, 'io' | 'env'>): Io {
  return ctx.io ?? { stdout: process.stdout, stderr: process.stderr, env: ctx.env, cwd: process.cwd() };
}

export function remoteOf(ctx: Pick<CommandContext, 'remote' | 'env'>): Remote {
  return ctx.remote ? ctx.remote() : resolveRemote(ctx.env);
}

export interface Command {
  readonly usage: string;
  readonly summary: string;
  /** resolves to the process exit code */
  run(ctx: CommandContext): Promise<number>;
}
