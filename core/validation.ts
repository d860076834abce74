import { ValidationError } from './errors.ts';

const DNS_LABEL = /^[a-z][a-z0-9-]{0,61}[a-z0-9]$|^[a-z]$/;
const PROCESS_TYPE = /^[a-z][a-z0-9_-]{0,29}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names that would collide with the platform's own hosts or discovery names. */
export const RESERVED_APP_NAMES: ReadonlySet<string> = new Set([
  'wharf',
  'api',
  'git',
  'www',
  'leader',
  'localhost',
  'controller',
  'router',
  'discovery',
  'internal',
  'admin',
]);

export const MAX_INSTANCES_PER_TYPE = 100;
export const MAX_ENV_VALUE_BYTES = 32 * 1024;

export function validateAppName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ValidationError('app name is required: give a DNS label such as "my-app"');
  }
  if (!DNS_LABEL.test(name)) {
    throw new ValidationError(
      `invalid app name "${name}": use 1-63 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
      { details: { field: 'name', value: name } },
    );
  }
  if (RESERVED_APP_NAMES.has(name)) {
    throw new ValidationError(`app name "${name}" is reserved by the platform: choose another name`, {
      details: { field: 'name', value: name },
    });
  }
  return name;
}

export function validateProcessType(type: unknown): string {
  if (typeof type !== 'string' || !PROCESS_TYPE.test(type)) {
    throw new ValidationError(
      `invalid process type "${String(type)}": use up to 30 lowercase letters, digits, '-' or '_', starting with a letter (e.g. web, worker)`,
      { details: { field: 'processType', value: type } },
    );
  }
  return type;
}

export function validateEnvName(name: unknown): string {
  if (typeof name !== 'string' || !ENV_NAME.test(name)) {
    throw new ValidationError(
      `invalid config var name "${String(name)}": use letters, digits and '_', not starting with a digit (e.g. DATABASE_URL)`,
      { details: { field: 'key', value: name } },
    );
  }
  if (name === 'PORT') {
    throw new ValidationError(
      'config var PORT is set by the platform for each instance: remove it from the request',
    );
  }
  return name;
}

export function validateEnvValue(name: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new ValidationError(`config var ${name} must be a string, got ${typeof value}`);
  }
  if (Buffer.byteLength(value) > MAX_ENV_VALUE_BYTES) {
    throw new ValidationError(
      `config var ${name} is larger than ${MAX_ENV_VALUE_BYTES / 1024} KB: store large values in a file`,
    );
  }
  if (value.includes('\0')) {
    throw new ValidationError(
      `config var ${name} contains a NUL byte, which processes cannot receive: remove it`,
    );
  }
  return value;
}

export function validateScaleCount(type: string, count: unknown): number {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > MAX_INSTANCES_PER_TYPE) {
    throw new ValidationError(
      `invalid count for ${type}: "${String(count)}": give a whole number from 0 to ${MAX_INSTANCES_PER_TYPE}`,
      { details: { field: type, value: count } },
    );
  }
  return count;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function validateDomain(domain: unknown): string {
  if (typeof domain !== 'string' || !DOMAIN.test(domain.toLowerCase())) {
    throw new ValidationError(
      `invalid domain "${String(domain)}": give a host name such as www.example.com`,
      {
        details: { field: 'domain', value: domain },
      },
    );
  }
  return domain.toLowerCase();
}

export function validatePathPrefix(path: unknown): string {
  if (path === undefined || path === null || path === '') return '/';
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(path) || path.includes('//')) {
    throw new ValidationError(`invalid route path "${String(path)}": give a path prefix such as /api`, {
      details: { field: 'path', value: path },
    });
  }
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
