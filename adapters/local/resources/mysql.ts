/** MySQL as Debian's MariaDB: one data dir per resource, a user with a password, TCP on loopback. */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalServerKind, type ServerContext, sqlEnvValues } from './kind.ts';
import { tcpExchange } from './net.ts';
import { runCommand } from '../run-command.ts';
import { asUser, chownTree, requireBinary, serviceUser } from './system.ts';

const APT = ['mariadb-server'];

function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** MariaDB always opens a unix socket; a short path in tmpdir keeps under the 107-byte limit. */
function socketPath(ctx: ServerContext): string {
  const hash = createHash('sha256').update(ctx.dir).digest('hex').slice(0, 12);
  return join(tmpdir(), `wharf-mariadb-${hash}.sock`);
}

export function mysqlKind(): LocalServerKind {
  const user = () => serviceUser('mysql');
  const dataDir = (ctx: ServerContext) => join(ctx.dir, 'data');

  return {
    checkInstalled: () => {
      requireBinary('mariadbd', APT);
      requireBinary('mariadb-install-db', APT);
      return 'MariaDB';
    },

    async init(ctx, facts) {
      const runAs = user();
      await mkdir(dataDir(ctx), { recursive: true, mode: 0o700 });
      const initSql = join(ctx.dir, 'init.sql');
      const db = `\`${facts.database.replaceAll('`', '``')}\``;
      await writeFile(
        initSql,
        [
          // bootstrap runs with --skip-grant-tables: loading them lets CREATE USER work
          'FLUSH PRIVILEGES;',
          `CREATE DATABASE ${db};`,
          `CREATE USER ${sqlString(facts.user)}@'%' IDENTIFIED BY ${sqlString(facts.password)};`,
          `GRANT ALL PRIVILEGES ON ${db}.* TO ${sqlString(facts.user)}@'%';`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      await chownTree(ctx.dir, runAs);
      try {
        const [file, args] = asUser(runAs, requireBinary('mariadb-install-db', APT), [
          '--no-defaults',
          `--datadir=${dataDir(ctx)}`,
          // root may log in only through the socket as the OS user running the server
          '--auth-root-authentication-method=socket',
          `--auth-root-socket-user=${runAs?.name ?? 'root'}`,
          '--skip-test-db',
          '--skip-name-resolve',
          `--extra-file=${initSql}`,
        ]);
        await runCommand(file, args);
      } finally {
        await rm(initSql, { force: true });
      }
    },

    command(ctx, facts) {
      const [file, args] = asUser(user(), requireBinary('mariadbd', APT), [
        '--no-defaults',
        `--datadir=${dataDir(ctx)}`,
        `--port=${facts.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${socketPath(ctx)}`,
        `--pid-file=${join(ctx.dir, 'mariadbd.pid')}`,
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        ...(ctx.fastDurability ? ['--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0'] : []),
      ]);
      return { file, args };
    },

    async ready(_ctx, facts) {
      // The server's first packet is its handshake: protocol version 10 after the 4-byte header.
      const greeting = await tcpExchange(facts.port, null, (b) => b.length >= 5);
      return greeting[4] === 0x0a;
    },

    async afterFirstStart() {},

    envValues(facts) {
      return sqlEnvValues('mysql', facts);
    },
  };
}
