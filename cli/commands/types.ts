import type { WharfClient } from '../../api/client.ts';
import type { ParsedArgs } from '../args.ts';
import type { Out } from '../output.ts';

export interface CommandContext {
  readonly args: ParsedArgs;
  readonly out: Out;
  readonly client: () => WharfClient;
  /** the app from -a, WHARF_APP or the `wharf` git remote */
  readonly app: () => string;
  readonly env: NodeJS.ProcessEnv;
}

export interface Command {
  readonly usage: string;
  readonly summary: string;
  /** resolves to the process exit code */
  run(ctx: CommandContext): Promise<number>;
}
