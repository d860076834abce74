/**
 * `wharf pg psql`, `wharf pg dump > file`, `wharf pg restore < file` (Flynn's pg
 * consoles): the resource's PG* vars, with or without its env prefix, become the
 * libpq env of psql, pg_dump and pg_restore. Dumps use pg_dump's custom format.
 */
import { assertUsable, ConsoleEnvError, type ConsoleCommand } from './spawn.ts';

const APT = 'postgresql-client';

/** libpq's env (PGHOST...) from a resource env whose names may carry a prefix (ANALYTICS_PGHOST). */
export function libpqEnv(resourceEnv: Readonly<Record<string, string>>): Record<string, string> {
  const hostKey = Object.keys(resourceEnv).find((k) => k.endsWith('PGHOST'));
  if (!hostKey)
    throw new ConsoleEnvError(
      'this resource has no PGHOST: `wharf pg` works with postgres and postgis resources',
    );
  const prefix = hostKey.slice(0, -'PGHOST'.length);
  const env: Record<string, string> = {};
  for (const name of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE']) {
    env[name] = assertUsable(`${prefix}${name}`, resourceEnv[`${prefix}${name}`]);
  }
  return env;
}

export function psqlCommand(
  resourceEnv: Readonly<Record<string, string>>,
  args: readonly string[] = [],
): ConsoleCommand {
  return { file: 'psql', args: [...args], env: libpqEnv(resourceEnv), aptPackage: APT };
}

/** Writes a custom-format dump to stdout (or `--file`). */
export function pgDumpCommand(
  resourceEnv: Readonly<Record<string, string>>,
  args: readonly string[] = [],
): ConsoleCommand {
  return {
    file: 'pg_dump',
    args: ['--format=custom', '--no-owner', '--no-acl', ...args],
    env: libpqEnv(resourceEnv),
    aptPackage: APT,
  };
}

/** Restores a custom-format dump from stdin (or a file argument) over the resource's database. */
export function pgRestoreCommand(
  resourceEnv: Readonly<Record<string, string>>,
  args: readonly string[] = [],
): ConsoleCommand {
  const env = libpqEnv(resourceEnv);
  return {
    file: 'pg_restore',
    args: [
      '--clean',
      '--if-exists',
      '--no-owner',
      '--no-acl',
      '--exit-on-error',
      `--dbname=${env['PGDATABASE']}`,
      ...args,
    ],
    env,
    aptPackage: APT,
  };
}
