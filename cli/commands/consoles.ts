/**
 * `wharf pg psql|dump|restore` and `wharf redis cli` (Flynn's consoles): the resource's
 * revealed env comes from the API, and the tool runs here with the terminal's stdio, its
 * exit status passed on. Arguments for the tool go after `--`.
 */
import type { WharfClient } from '../../api/client.ts';
import type { Resource, ResourceProvider } from '../../core/domain.ts';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import {
  type ConsoleCommand,
  pgDumpCommand,
  pgRestoreCommand,
  psqlCommand,
  redisCliCommand,
  runConsole,
} from '../consoles/index.ts';
import type { CommandContext, Command } from './types.ts';

interface ConsoleFamily {
  /** the command's name, for messages */
  readonly command: string;
  readonly providers: readonly ResourceProvider[];
}

const PG: ConsoleFamily = { command: 'pg', providers: ['postgres', 'postgis'] };
const REDIS: ConsoleFamily = { command: 'redis', providers: ['redis'] };

/**
 * The resource a console runs against, with its credentials: the one named by
 * `--resource`, else the app's only resource of the family.
 */
export async function consoleResource(
  client: WharfClient,
  app: string,
  family: ConsoleFamily,
  named: string | undefined,
): Promise<Resource> {
  const kinds = family.providers.join(' or ');
  if (named !== undefined) {
    const r = await client.resourceInfo(app, named, true);
    if (!family.providers.includes(r.provider))
      throw new ValidationError(
        `${named} is a ${r.provider} resource: \`wharf ${family.command}\` works with ${kinds} resources`,
      );
    return r;
  }
  const candidates = (await client.listResources(app)).filter((r) => family.providers.includes(r.provider));
  if (candidates.length === 0)
    throw new NotFoundError(
      `${app} has no ${kinds} resource: add one with \`wharf resource add ${family.providers[0]}\``,
    );
  if (candidates.length > 1)
    throw new ValidationError(
      `${app} has ${candidates.length} ${kinds} resources (${candidates.map((r) => r.name).join(', ')}): choose one with --resource NAME`,
    );
  return client.resourceInfo(app, candidates[0]!.name, true);
}

function resourceFlag(ctx: CommandContext): string | undefined {
  const v = ctx.args.flags.get('resource');
  if (v === true) throw new ValidationError('--resource needs a name: see `wharf resource list`');
  return v;
}

async function runOn(
  ctx: CommandContext,
  family: ConsoleFamily,
  build: (env: Readonly<Record<string, string>>, args: readonly string[]) => ConsoleCommand,
): Promise<number> {
  const resource = await consoleResource(ctx.client(), ctx.app(), family, resourceFlag(ctx));
  return runConsole(build(resource.env, ctx.args.rest));
}

const writesToFile = (args: readonly string[]) =>
  args.some((a) => a === '-f' || a.startsWith('--file') || (a.startsWith('-f') && a.length > 2));

export const pg: Command = {
  usage: 'wharf pg [psql | dump > FILE | restore < FILE] [--resource NAME] [-a APP] [-- TOOL ARGS]',
  summary: 'PostgreSQL consoles on a postgres or postgis resource: psql, pg_dump, pg_restore',
  async run(ctx) {
    const [sub = 'psql'] = ctx.args.positional;
    if (sub === 'psql') return runOn(ctx, PG, psqlCommand);
    if (sub === 'dump') {
      // a custom-format dump is binary: never onto a terminal
      if (process.stdout.isTTY && !writesToFile(ctx.args.rest))
        throw new ValidationError('the dump is binary: redirect it to a file, `wharf pg dump > backup.dump`');
      return runOn(ctx, PG, pgDumpCommand);
    }
    if (sub === 'restore') {
      const fromFile = ctx.args.rest.some((a) => !a.startsWith('-'));
      if (process.stdin.isTTY && !fromFile)
        throw new ValidationError(
          'give the dump on stdin: `wharf pg restore < backup.dump` (a file made by `wharf pg dump`)',
        );
      return runOn(ctx, PG, pgRestoreCommand);
    }
    throw new ValidationError(`unknown pg command "${sub}": use psql, dump or restore`);
  },
};

export const redis: Command = {
  usage: 'wharf redis cli [--resource NAME] [-a APP] [-- REDIS-CLI ARGS]',
  summary: 'redis-cli on a redis resource',
  async run(ctx) {
    const [sub = 'cli'] = ctx.args.positional;
    if (sub !== 'cli') throw new ValidationError(`unknown redis command "${sub}": use cli`);
    return runOn(ctx, REDIS, redisCliCommand);
  },
};
