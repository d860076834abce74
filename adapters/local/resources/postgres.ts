/** PostgreSQL (and PostGIS): one initdb cluster per resource, scram password auth, TCP on loopback only. */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LocalServerKind, type ServerContext, type ServerFacts, sqlEnvValues } from './kind.ts';
import { LOOPBACK } from './net.ts';
import { runCommand } from '../run-command.ts';
import { asUser, chownTree, findPostgres, serviceUser } from './system.ts';

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function postgresKind(options: { postgis: boolean }): LocalServerKind {
  const install = () => findPostgres(options);
  const user = () => serviceUser('postgres');
  const dataDir = (ctx: ServerContext) => join(ctx.dir, 'data');
  const clientEnv = (facts: ServerFacts) => ({
    ...process.env,
    PGPASSWORD: facts.password,
    PGCONNECT_TIMEOUT: '2',
  });
  const psql = (facts: ServerFacts, database: string, sql: string) =>
    runCommand(
      join(install().bin, 'psql'),
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        LOOPBACK,
        '-p',
        String(facts.port),
        '-U',
        facts.user,
        '-d',
        database,
        '-c',
        sql,
      ],
      { env: clientEnv(facts) },
    );

  return {
    checkInstalled: () => `PostgreSQL ${install().version}${options.postgis ? ' with PostGIS' : ''}`,

    async init(ctx, facts) {
      const runAs = user();
      await mkdir(dataDir(ctx), { recursive: true, mode: 0o700 });
      const pwfile = join(ctx.dir, 'initdb.pw');
      await writeFile(pwfile, `${facts.password}\n`, { mode: 0o600 });
      await chownTree(ctx.dir, runAs);
      try {
        const [file, args] = asUser(runAs, join(install().bin, 'initdb'), [
          '-D',
          dataDir(ctx),
          '-U',
          facts.user,
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '-E',
          'UTF8',
          '--locale=C',
          '--no-instructions',
          ...(ctx.fastDurability ? ['--no-sync'] : []),
        ]);
        await runCommand(file, args, { env: { ...process.env, LC_ALL: 'C' } });
      } finally {
        await rm(pwfile, { force: true });
      }
      await chmod(dataDir(ctx), 0o700);
    },

    command(ctx, facts) {
      const settings = [
        'listen_addresses=127.0.0.1',
        `port=${facts.port}`,
        // no unix socket: a socket path under a deep data dir would pass the 107-byte limit
        'unix_socket_directories=',
        'max_connections=50',
        'shared_buffers=32MB',
        ...(ctx.fastDurability ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'] : []),
      ];
      const [file, args] = asUser(user(), join(install().bin, 'postgres'), [
        '-D',
        dataDir(ctx),
        ...settings.flatMap((s) => ['-c', s]),
      ]);
      return { file, args, env: { ...process.env, LC_ALL: 'C' }, stopSignal: 'SIGINT' };
    },

    async ready(_ctx, facts) {
      await runCommand(join(install().bin, 'pg_isready'), [
        '-q',
        '-h',
        LOOPBACK,
        '-p',
        String(facts.port),
        '-U',
        facts.user,
        '-t',
        '1',
      ]);
      return true;
    },

    async afterFirstStart(_ctx, facts) {
      await psql(facts, 'postgres', `CREATE DATABASE ${quoteIdent(facts.database)}`);
      if (options.postgis) await psql(facts, facts.database, 'CREATE EXTENSION IF NOT EXISTS postgis');
    },

    envValues(facts) {
      return sqlEnvValues('postgres', facts);
    },
  };
}
