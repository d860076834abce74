/** The pg and redis consoles against real local resources, run as the CLI runs them. */
import { spawn } from 'node:child_process';
import { createReadStream, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalResourceProvisioner } from '../../adapters/local/resources/provisioner.ts';
import {
  ConsoleEnvError,
  ConsoleToolMissingError,
  type ConsoleCommand,
  pgDumpCommand,
  pgRestoreCommand,
  psqlCommand,
  redisCliCommand,
  runConsole,
} from '../../cli/consoles/index.ts';
import { localProvisioner, tempDataDir } from './helpers.ts';

/** Runs a console with stdin from a file (or none) and captures stdout. */
function capture(command: ConsoleCommand, stdinFile?: string): Promise<{ status: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, command.args, {
      env: { ...process.env, ...command.env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status: status ?? 1, out }));
    if (stdinFile) createReadStream(stdinFile).pipe(child.stdin);
    else child.stdin.end();
  });
}

describe('resource consoles', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let provisioner: LocalResourceProvisioner;
  let pgEnv: Record<string, string>;
  let redisEnv: Record<string, string>;

  beforeAll(async () => {
    data = await tempDataDir();
    provisioner = localProvisioner(data.dir);
    const [pg, redis] = await Promise.all([
      provisioner.provision('shop', 'reports', 'postgres', 'REPORTS_'),
      provisioner.provision('shop', 'redis', 'redis', ''),
    ]);
    pgEnv = { ...pg.env };
    redisEnv = { ...redis.env };
  });

  afterAll(async () => {
    await provisioner?.shutdown();
    await data?.cleanup();
  });

  it('psql runs against the prefixed resource with the password in its env, not argv', async () => {
    const command = psqlCommand(pgEnv, ['-X', '-At', '-c', 'SELECT current_database()']);
    expect(command.env['PGPASSWORD']).toBe(pgEnv['REPORTS_PGPASSWORD']);
    expect(command.args.join(' ')).not.toContain(pgEnv['REPORTS_PGPASSWORD']);
    expect(await capture(command)).toEqual({ status: 0, out: `${pgEnv['REPORTS_PGDATABASE']}\n` });
  });

  it('pg dump > file, then pg restore < file brings the data back', async () => {
    const psql = (sql: string) =>
      capture(psqlCommand(pgEnv, ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql]));
    await psql(
      "CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders VALUES (1, 'anchor')",
    );
    const dumpFile = join(data.dir, 'orders.dump');
    const fd = openSync(dumpFile, 'w');
    try {
      expect(await runConsole(pgDumpCommand(pgEnv), ['ignore', fd, 'inherit'])).toBe(0);
    } finally {
      closeSync(fd);
    }
    await psql("UPDATE orders SET item = 'lost'; INSERT INTO orders VALUES (2, 'extra')");
    expect((await capture(pgRestoreCommand(pgEnv), dumpFile)).status).toBe(0);
    expect((await psql('SELECT id, item FROM orders ORDER BY id')).out).toBe('1|anchor\n');
  });

  it('redis cli talks to the resource with REDISCLI_AUTH', async () => {
    const command = redisCliCommand(redisEnv, ['PING']);
    expect(command.args.join(' ')).not.toContain(new URL(redisEnv['REDIS_URL']!).password);
    expect(await capture(command)).toEqual({ status: 0, out: 'PONG\n' });
  });

  it('says what is wrong with an env it cannot use, and which package brings a missing tool', async () => {
    expect(() => psqlCommand(redisEnv)).toThrow(ConsoleEnvError);
    expect(() =>
      psqlCommand({
        ...pgEnv,
        REPORTS_PGPASSWORD: 'secretsmanager:arn:aws:secretsmanager:x:1:secret:y:password::',
      }),
    ).toThrow(/Secrets Manager/);
    await expect(
      runConsole({ file: 'wharf-no-such-psql', args: [], env: {}, aptPackage: 'postgresql-client' }),
    ).rejects.toThrow(ConsoleToolMissingError);
  });
});
