import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../core/errors.ts';
import {
  assertResourceNameFree,
  connectionUrl,
  defaultResourceName,
  envKeysToRemove,
  envPrefixFor,
  maskResourceEnv,
  resourceEnv,
  resourceEnvNames,
  secretRef,
  secretRefValueFrom,
  validateProvider,
  validateResourceName,
} from '../../core/resources/index.ts';

describe('resource env names', () => {
  it('names each provider’s vars', () => {
    expect(resourceEnvNames('postgres')).toEqual([
      'DATABASE_URL',
      'PGHOST',
      'PGPORT',
      'PGUSER',
      'PGPASSWORD',
      'PGDATABASE',
    ]);
    expect(resourceEnvNames('postgis')).toEqual(resourceEnvNames('postgres'));
    expect(resourceEnvNames('mysql')).toEqual([
      'DATABASE_URL',
      'MYSQL_HOST',
      'MYSQL_PORT',
      'MYSQL_USER',
      'MYSQL_PASSWORD',
      'MYSQL_DATABASE',
    ]);
    expect(resourceEnvNames('redis')).toEqual(['REDIS_URL']);
    expect(resourceEnvNames('document')).toEqual([
      'DYNAMODB_TABLE',
      'AWS_ENDPOINT_URL_DYNAMODB',
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    expect(resourceEnvNames('blob')).toEqual([
      'S3_BUCKET',
      'AWS_ENDPOINT_URL_S3',
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ]);
  });

  it('prefixes a resource’s own names but never the shared AWS ones', () => {
    expect(resourceEnvNames('postgres', 'ANALYTICS_')[0]).toBe('ANALYTICS_DATABASE_URL');
    expect(resourceEnvNames('blob', 'MEDIA_')).toEqual([
      'MEDIA_S3_BUCKET',
      'MEDIA_AWS_ENDPOINT_URL_S3',
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ]);
  });

  it('gives no prefix to the first resource of its names, the name’s prefix to the next', () => {
    const pg = { name: 'postgres', env: resourceEnv('postgres', '', { url: 'postgres://x', host: 'h' }) };
    expect(envPrefixFor('postgres', 'postgres', [])).toBe('');
    expect(envPrefixFor('analytics', 'postgres', [pg])).toBe('ANALYTICS_');
    expect(envPrefixFor('eu-replica', 'postgis', [pg])).toBe('EU_REPLICA_');
    // mysql also sets DATABASE_URL, so it takes a prefix next to postgres
    expect(envPrefixFor('orders', 'mysql', [pg])).toBe('ORDERS_');
    expect(envPrefixFor('cache', 'redis', [pg])).toBe('');
  });

  it('lets document and blob share AWS_REGION and the credentials without a prefix', () => {
    const doc = {
      name: 'document',
      env: resourceEnv('document', '', { table: 't', endpoint: 'http://d', region: 'us-east-1' }),
    };
    expect(envPrefixFor('blob', 'blob', [doc])).toBe('');
    expect(envPrefixFor('events', 'document', [doc])).toBe('EVENTS_');
  });

  it('builds the env from the known values only', () => {
    expect(resourceEnv('redis', 'SESSIONS_', { url: 'redis://:p@h:1' })).toEqual({
      SESSIONS_REDIS_URL: 'redis://:p@h:1',
    });
    expect(resourceEnv('document', '', { table: 't', region: 'eu-west-1' })).toEqual({
      DYNAMODB_TABLE: 't',
      AWS_REGION: 'eu-west-1',
    });
  });

  it('keeps shared names still set by another resource when one is removed', () => {
    const doc = { env: { DYNAMODB_TABLE: 't', AWS_REGION: 'r', AWS_ENDPOINT_URL_DYNAMODB: 'e' } };
    const blob = { env: { S3_BUCKET: 'b', AWS_REGION: 'r' } };
    expect(envKeysToRemove(doc, [blob]).sort()).toEqual(['AWS_ENDPOINT_URL_DYNAMODB', 'DYNAMODB_TABLE']);
    expect(envKeysToRemove(doc, []).sort()).toEqual([
      'AWS_ENDPOINT_URL_DYNAMODB',
      'AWS_REGION',
      'DYNAMODB_TABLE',
    ]);
  });

  it('encodes URL parts and masks passwords', () => {
    const url = connectionUrl('postgres', {
      host: 'h',
      port: 5432,
      user: 'u',
      password: 'p@ss/:x',
      database: 'd',
    });
    expect(url).toBe('postgres://u:p%40ss%2F%3Ax@h:5432/d');
    expect(new URL(url).password).toBe('p%40ss%2F%3Ax');
    expect(maskResourceEnv({ DATABASE_URL: url, PGPASSWORD: 'p@ss', PGHOST: 'h' })).toEqual({
      DATABASE_URL: 'postgres://u:********@h:5432/d',
      PGPASSWORD: '********',
      PGHOST: 'h',
    });
  });

  it('round-trips secret references for ECS task secrets', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:wharf-shop-db-AbCdEf';
    const ref = secretRef(arn, 'DATABASE_URL');
    expect(secretRefValueFrom(ref)).toBe(`${arn}:DATABASE_URL::`);
    expect(secretRefValueFrom('postgres://u:p@h/d')).toBeNull();
  });
});

describe('providers and names', () => {
  it('rejects an unknown provider, listing the providers', () => {
    expect(() => validateProvider('mongo')).toThrow(ValidationError);
    expect(() => validateProvider('mongo')).toThrow(
      'unknown resource provider "mongo": choose one of postgres, mysql, redis, document, blob, postgis',
    );
    expect(validateProvider('postgis')).toBe('postgis');
  });

  it('validates resource names as short DNS labels', () => {
    expect(validateResourceName('analytics')).toBe('analytics');
    for (const bad of ['', 'Analytics', '1db', 'db-', 'a--b', 'a_b', 'x'.repeat(41), 42]) {
      expect(() => validateResourceName(bad)).toThrow(ValidationError);
    }
  });

  it('names resources after their provider, numbering the next ones', () => {
    expect(defaultResourceName('postgres', [])).toBe('postgres');
    expect(defaultResourceName('postgres', ['postgres', 'redis'])).toBe('postgres-2');
    expect(defaultResourceName('postgres', ['postgres', 'postgres-2'])).toBe('postgres-3');
  });

  it('refuses a duplicate name with a ConflictError', () => {
    expect(() => assertResourceNameFree('shop', 'db', ['cache', 'db'])).toThrow(ConflictError);
    expect(() => assertResourceNameFree('shop', 'db', ['cache'])).not.toThrow();
  });
});
