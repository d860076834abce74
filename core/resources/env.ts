/**
 * Env var naming for resources, shared by every runtime so that code written against
 * the local platform reads the same names on AWS. The rule (docs/resources.md):
 *
 * - A resource's own names (DATABASE_URL, PG*, MYSQL_*, REDIS_URL, DYNAMODB_TABLE,
 *   S3_BUCKET, AWS_ENDPOINT_URL_*) are unprefixed unless one of them is already set by
 *   another resource of the app; then all its own names take the prefix `<NAME>_`, the
 *   resource name upper-cased with '-' as '_' (`--as analytics` → ANALYTICS_DATABASE_URL).
 * - Shared names (AWS_REGION and the local dummy AWS credentials) are never prefixed:
 *   every resource that sets them sets the same value, and the AWS SDK reads them as is.
 */
import type { Resource, ResourceProvider } from '../domain.ts';

/** The values a provisioner knows about a resource; each maps to one env var. */
export interface ResourceEnvValues {
  readonly url?: string;
  readonly host?: string;
  readonly port?: number | string;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly table?: string;
  readonly bucket?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

type Field = keyof ResourceEnvValues;

const SHARED: Partial<Record<Field, string>> = {
  region: 'AWS_REGION',
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
};

/** Env var names that several resources may set to the same value; never prefixed. */
export const SHARED_ENV_NAMES: ReadonlySet<string> = new Set(Object.values(SHARED));

const OWN: Record<ResourceProvider, Partial<Record<Field, string>>> = {
  postgres: {
    url: 'DATABASE_URL',
    host: 'PGHOST',
    port: 'PGPORT',
    user: 'PGUSER',
    password: 'PGPASSWORD',
    database: 'PGDATABASE',
  },
  postgis: {
    url: 'DATABASE_URL',
    host: 'PGHOST',
    port: 'PGPORT',
    user: 'PGUSER',
    password: 'PGPASSWORD',
    database: 'PGDATABASE',
  },
  mysql: {
    url: 'DATABASE_URL',
    host: 'MYSQL_HOST',
    port: 'MYSQL_PORT',
    user: 'MYSQL_USER',
    password: 'MYSQL_PASSWORD',
    database: 'MYSQL_DATABASE',
  },
  redis: { url: 'REDIS_URL' },
  document: { table: 'DYNAMODB_TABLE', endpoint: 'AWS_ENDPOINT_URL_DYNAMODB' },
  blob: { bucket: 'S3_BUCKET', endpoint: 'AWS_ENDPOINT_URL_S3' },
};

const USES_AWS_SDK: ReadonlySet<ResourceProvider> = new Set(['document', 'blob']);

/** `analytics` → `ANALYTICS_`, `eu-db` → `EU_DB_`. */
export function prefixFromName(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
}

function fieldNames(provider: ResourceProvider, prefix: string): Array<[Field, string]> {
  const own = Object.entries(OWN[provider]).map(([f, n]) => [f as Field, `${prefix}${n}`] as [Field, string]);
  const shared = USES_AWS_SDK.has(provider) ? (Object.entries(SHARED) as Array<[Field, string]>) : [];
  return [...own, ...shared];
}

/** Every env var name a resource of this provider may set with this prefix (own names first). */
export function resourceEnvNames(provider: ResourceProvider, prefix = ''): string[] {
  return fieldNames(provider, prefix).map(([, n]) => n);
}

/** The names that identify this resource (prefixed), without the shared AWS names. */
export function ownEnvNames(provider: ResourceProvider, prefix = ''): string[] {
  return resourceEnvNames(provider, prefix).filter((n) => !SHARED_ENV_NAMES.has(n));
}

/**
 * The prefix for a new resource: '' when none of its own names is set by another
 * resource of the app, else the prefix made from its name.
 */
export function envPrefixFor(
  name: string,
  provider: ResourceProvider,
  existing: readonly Pick<Resource, 'name' | 'env'>[],
): string {
  const taken = new Set(existing.filter((r) => r.name !== name).flatMap((r) => Object.keys(r.env)));
  const clashes = ownEnvNames(provider, '').some((n) => taken.has(n));
  return clashes ? prefixFromName(name) : '';
}

/** The env a resource adds: each known value under its (prefixed) name. */
export function resourceEnv(
  provider: ResourceProvider,
  prefix: string,
  values: ResourceEnvValues,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [field, envName] of fieldNames(provider, prefix)) {
    const value = values[field];
    if (value !== undefined && value !== '') env[envName] = String(value);
  }
  return env;
}

/**
 * The env keys to drop from the app's config when `removed` goes: its keys, except
 * shared ones that a remaining resource still sets.
 */
export function envKeysToRemove(
  removed: Pick<Resource, 'env'>,
  remaining: readonly Pick<Resource, 'env'>[],
): string[] {
  const stillSet = new Set(remaining.flatMap((r) => Object.keys(r.env)));
  return Object.keys(removed.env).filter((k) => !(SHARED_ENV_NAMES.has(k) && stillSet.has(k)));
}

/** `postgres://user:pass@host:port/db`, each part percent-encoded. */
export function connectionUrl(
  scheme: 'postgres' | 'mysql' | 'redis' | 'rediss',
  parts: { host: string; port: number | string; user?: string; password?: string; database?: string },
): string {
  const user = parts.user === undefined ? '' : encodeURIComponent(parts.user);
  const auth =
    parts.password === undefined
      ? user
        ? `${user}@`
        : ''
      : `${user}:${encodeURIComponent(parts.password)}@`;
  const path = parts.database === undefined ? '' : `/${encodeURIComponent(parts.database)}`;
  return `${scheme}://${auth}${parts.host}:${parts.port}${path}`;
}

/**
 * On AWS, secret values do not enter the release: the env holds a reference that the
 * ECS scheduler turns into a task secret (`secrets[].valueFrom`). Format:
 * `secretsmanager:<ECS valueFrom>`, e.g. `secretsmanager:arn:aws:secretsmanager:...:secret:x:DATABASE_URL::`.
 */
export const SECRET_REF_PREFIX = 'secretsmanager:';

export function secretRef(secretArn: string, jsonKey: string): string {
  return `${SECRET_REF_PREFIX}${secretArn}:${jsonKey}::`;
}

/** The ECS `valueFrom` of a secret reference, or null for a plain value. */
export function secretRefValueFrom(value: string): string | null {
  return value.startsWith(`${SECRET_REF_PREFIX}arn:`) ? value.slice(SECRET_REF_PREFIX.length) : null;
}

const SECRET_NAME = /(PASSWORD|SECRET|_URL$|^DATABASE_URL$|^REDIS_URL$)/;

/** Masks credentials for `resource info` without --reveal: passwords and URLs' passwords. */
export function maskResourceEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (secretRefValueFrom(v) !== null || k.includes('AWS_ENDPOINT_URL')) out[k] = v;
    else if (/PASSWORD|SECRET/.test(k)) out[k] = '********';
    else if (SECRET_NAME.test(k)) out[k] = v.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/, '$1********@');
    else out[k] = v;
  }
  return out;
}
