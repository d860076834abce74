/** postgres, postgis and mysql as real local servers, reached only through the env they return. */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import type { Resource } from '../../core/domain.ts';
import { isPortOpen } from '../../adapters/local/resources/net.ts';
import type { LocalResourceProvisioner } from '../../adapters/local/resources/provisioner.ts';
import { localProvisioner, resourceRecord, tempDataDir } from './helpers.ts';

async function pgQuery(env: Readonly<Record<string, string>>, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: env['DATABASE_URL'] });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function mysqlQuery(env: Readonly<Record<string, string>>, sql: string, params: unknown[] = []) {
  const conn = await mysql.createConnection(env['DATABASE_URL']!);
  try {
    const [rows] = await conn.query(sql, params);
    return rows as Array<Record<string, unknown>>;
  } finally {
    await conn.end();
  }
}

describe('local SQL resources', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let provisioner: LocalResourceProvisioner;
  let postgres: Resource;
  let postgis: Resource;
  let maria: Resource;

  beforeAll(async () => {
    data = await tempDataDir();
    provisioner = localProvisioner(data.dir);
    const [a, b, c] = await Promise.all([
      provisioner.provision('shop', 'postgres', 'postgres', ''),
      provisioner.provision('shop', 'geo', 'postgis', 'GEO_'),
      provisioner.provision('shop', 'mysql', 'mysql', ''),
    ]);
    postgres = resourceRecord('shop', 'postgres', 'postgres', a);
    postgis = resourceRecord('shop', 'geo', 'postgis', b);
    maria = resourceRecord('shop', 'mysql', 'mysql', c);
  });

  afterAll(async () => {
    await provisioner?.shutdown();
    await data?.cleanup();
  });

  it('returns the PG* and MYSQL_* env with a DATABASE_URL, prefixed when asked', () => {
    expect(Object.keys(postgres.env).sort()).toEqual(
      ['DATABASE_URL', 'PGDATABASE', 'PGHOST', 'PGPASSWORD', 'PGPORT', 'PGUSER'].sort(),
    );
    expect(postgres.env['DATABASE_URL']).toMatch(
      /^postgres:\/\/shop_postgres:[^@]+@127\.0\.0\.1:\d+\/shop_postgres$/,
    );
    expect(Object.keys(postgis.env)).toContain('GEO_DATABASE_URL');
    expect(Object.keys(maria.env).sort()).toEqual(
      ['DATABASE_URL', 'MYSQL_DATABASE', 'MYSQL_HOST', 'MYSQL_PASSWORD', 'MYSQL_PORT', 'MYSQL_USER'].sort(),
    );
  });

  it('postgres: stores and reads a row through DATABASE_URL, with password auth enforced', async () => {
    await pgQuery(postgres.env, 'CREATE TABLE notes (id serial PRIMARY KEY, body text)');
    await pgQuery(postgres.env, 'INSERT INTO notes (body) VALUES ($1)', ['hello from wharf']);
    expect(await pgQuery(postgres.env, 'SELECT body FROM notes')).toEqual([{ body: 'hello from wharf' }]);
    const wrong = postgres.env['DATABASE_URL']!.replace(/:[^:@]+@/, ':wrong@');
    await expect(pgQuery({ DATABASE_URL: wrong }, 'SELECT 1')).rejects.toThrow(
      /password authentication failed/,
    );
  });

  it('postgis: runs a spatial query with ST_Distance', async () => {
    const env = { DATABASE_URL: postgis.env['GEO_DATABASE_URL']! };
    await pgQuery(env, 'CREATE TABLE places (name text, geom geography(Point, 4326))');
    await pgQuery(
      env,
      `INSERT INTO places VALUES ('paris', 'SRID=4326;POINT(2.3522 48.8566)'), ('london', 'SRID=4326;POINT(-0.1276 51.5072)')`,
    );
    const [row] = await pgQuery(
      env,
      `SELECT round(ST_Distance(a.geom, b.geom) / 1000) AS km FROM places a, places b WHERE a.name = 'paris' AND b.name = 'london'`,
    );
    expect(Number(row.km)).toBeGreaterThan(330);
    expect(Number(row.km)).toBeLessThan(350);
  });

  it('mysql: stores and reads a row through DATABASE_URL', async () => {
    await mysqlQuery(maria.env, 'CREATE TABLE notes (id int AUTO_INCREMENT PRIMARY KEY, body text)');
    await mysqlQuery(maria.env, 'INSERT INTO notes (body) VALUES (?)', ['hello from mariadb']);
    expect(await mysqlQuery(maria.env, 'SELECT body FROM notes')).toEqual([{ body: 'hello from mariadb' }]);
  });

  it('keeps the data across a platform restart (shutdown, then startAll in a new provisioner)', async () => {
    await provisioner.shutdown();
    expect(await isPortOpen(Number(postgres.env['PGPORT']))).toBe(false);
    provisioner = localProvisioner(data.dir);
    const results = await provisioner.startAll([postgres, postgis, maria]);
    expect(results.map((r) => [r.name, r.ok, r.error?.message])).toEqual([
      ['postgres', true, undefined],
      ['geo', true, undefined],
      ['mysql', true, undefined],
    ]);
    expect(await pgQuery(postgres.env, 'SELECT body FROM notes')).toEqual([{ body: 'hello from wharf' }]);
    expect(
      await pgQuery(
        { DATABASE_URL: postgis.env['GEO_DATABASE_URL']! },
        'SELECT count(*)::int AS n FROM places',
      ),
    ).toEqual([{ n: 2 }]);
    expect(await mysqlQuery(maria.env, 'SELECT body FROM notes')).toEqual([{ body: 'hello from mariadb' }]);
  });

  it('deprovision stops the server; keepData false removes its data, keepData true keeps it', async () => {
    await provisioner.deprovision(postgres, { keepData: false });
    await provisioner.deprovision(maria, { keepData: true });
    expect(await isPortOpen(Number(postgres.env['PGPORT']))).toBe(false);
    expect(await isPortOpen(Number(maria.env['MYSQL_PORT']))).toBe(false);
    expect(existsSync(provisioner.resourceDir('shop', 'postgres'))).toBe(false);
    expect(existsSync(provisioner.resourceDir('shop', 'mysql'))).toBe(true);
  });
});
