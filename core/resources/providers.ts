/** The resource providers Wharf offers, their validation and default names. Pure. */
import type { ResourceProvider } from '../domain.ts';
import { ConflictError, ValidationError } from '../errors.ts';

export interface ProviderInfo {
  readonly provider: ResourceProvider;
  readonly kind: 'relational' | 'cache' | 'document' | 'blob' | 'spatial';
  readonly description: string;
}

export const RESOURCE_PROVIDERS: readonly ProviderInfo[] = [
  { provider: 'postgres', kind: 'relational', description: 'PostgreSQL (Aurora Serverless v2 on AWS)' },
  {
    provider: 'mysql',
    kind: 'relational',
    description: 'MySQL (MariaDB locally, Aurora Serverless v2 on AWS)',
  },
  { provider: 'redis', kind: 'cache', description: 'Redis (ElastiCache Serverless Valkey on AWS)' },
  { provider: 'document', kind: 'document', description: 'a DynamoDB table (dynalite locally)' },
  { provider: 'blob', kind: 'blob', description: 'an S3 bucket (s3rver locally)' },
  { provider: 'postgis', kind: 'spatial', description: 'PostgreSQL with the PostGIS extension' },
];

const PROVIDER_NAMES: ReadonlySet<string> = new Set(RESOURCE_PROVIDERS.map((p) => p.provider));

export function isResourceProvider(value: unknown): value is ResourceProvider {
  return typeof value === 'string' && PROVIDER_NAMES.has(value);
}

export function validateProvider(value: unknown): ResourceProvider {
  if (isResourceProvider(value)) return value;
  const known = RESOURCE_PROVIDERS.map((p) => p.provider).join(', ');
  throw new ValidationError(`unknown resource provider "${String(value)}": choose one of ${known}`, {
    details: { field: 'provider', value, providers: RESOURCE_PROVIDERS.map((p) => p.provider) },
  });
}

/** Resource names become stack names, directory names and env prefixes: a short DNS label. */
export const MAX_RESOURCE_NAME_LENGTH = 40;
const RESOURCE_NAME = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

export function validateResourceName(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length > MAX_RESOURCE_NAME_LENGTH ||
    !RESOURCE_NAME.test(value) ||
    value.includes('--')
  ) {
    throw new ValidationError(
      `invalid resource name "${String(value)}": use up to ${MAX_RESOURCE_NAME_LENGTH} lowercase letters, digits and single hyphens, starting with a letter (e.g. analytics)`,
      { details: { field: 'name', value } },
    );
  }
  return value;
}

/** The provider's own name when free in the app, else `<provider>-2`, `<provider>-3`... */
export function defaultResourceName(provider: ResourceProvider, existingNames: Iterable<string>): string {
  const taken = new Set(existingNames);
  if (!taken.has(provider)) return provider;
  for (let n = 2; ; n++) {
    const candidate = `${provider}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Throws ConflictError when the app already has a resource of that name. */
export function assertResourceNameFree(app: string, name: string, existingNames: Iterable<string>): void {
  for (const existing of existingNames) {
    if (existing === name) {
      throw new ConflictError(
        `app ${app} already has a resource named "${name}": choose another name with --as NAME, or remove it first`,
      );
    }
  }
}
