/**
 * Which platform the CLI talks to. In order: `WHARF_URL` (with `WHARF_AWS=1` for an AWS
 * API, else a local one with `WHARF_TOKEN`), the AWS remote that `wharf login --aws` saved
 * (`remote.json`), the local platform that `wharf up` announced (`endpoint.json`).
 * Nothing here loads the AWS SDK: the CLI must start fast for local use.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../core/errors.ts';

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['WHARF_HOME'] || join(homedir(), '.wharf');
}

export interface LocalRemote {
  readonly kind: 'local';
  readonly apiUrl: string;
  readonly token: string;
}

export interface AwsRemote {
  readonly kind: 'aws';
  readonly apiUrl: string;
  readonly region: string;
  /** the AWS profile to sign with; unset = the default chain (AWS_PROFILE, env, SSO…) */
  readonly profile?: string;
}

export type Remote = LocalRemote | AwsRemote;

const REMOTE_FILE = 'remote.json';

export function remoteFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), REMOTE_FILE);
}

/** `abc123.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`. */
export function regionFromUrl(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null;
  }
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1] ?? null;
}

export function isExecuteApiUrl(url: string): boolean {
  return regionFromUrl(url) !== null;
}

export function awsRemote(
  apiUrl: string,
  options: { region?: string; profile?: string },
  env: NodeJS.ProcessEnv = process.env,
): AwsRemote {
  try {
    const u = new URL(apiUrl);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(u.protocol);
  } catch (e) {
    throw new ValidationError(
      `"${apiUrl}" is not a URL: give the ApiUrl output of the platform stack, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com`,
      { cause: e },
    );
  }
  const region =
    options.region || regionFromUrl(apiUrl) || env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || '';
  if (!region) {
    throw new ValidationError(
      `no AWS region for ${apiUrl}: it is not an execute-api URL, so give --region (e.g. --region eu-west-1)`,
    );
  }
  return {
    kind: 'aws',
    apiUrl: apiUrl.replace(/\/+$/, ''),
    region,
    ...(options.profile ? { profile: options.profile } : {}),
  };
}

export function resolveRemote(env: NodeJS.ProcessEnv = process.env): Remote {
  const url = env['WHARF_URL'];
  if (url) {
    if (env['WHARF_AWS'] === '1' || env['WHARF_AWS'] === 'true') {
      return awsRemote(
        url,
        {
          ...(env['WHARF_REGION'] ? { region: env['WHARF_REGION'] } : {}),
          ...(env['AWS_PROFILE'] ? { profile: env['AWS_PROFILE'] } : {}),
        },
        env,
      );
    }
    return { kind: 'local', apiUrl: url, token: env['WHARF_TOKEN'] ?? '' };
  }
  const saved = readSavedRemote(env);
  if (saved) return saved;
  return localEndpoint(env);
}

function readSavedRemote(env: NodeJS.ProcessEnv): AwsRemote | null {
  const file = remoteFile(env);
  if (!existsSync(file)) return null;
  let data: Partial<AwsRemote>;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Partial<AwsRemote>;
  } catch (e) {
    throw new ValidationError(`${file} is not valid JSON: run \`wharf login --aws URL\` again`, { cause: e });
  }
  if (data.kind !== 'aws' || typeof data.apiUrl !== 'string' || typeof data.region !== 'string') {
    throw new ValidationError(`${file} is not a Wharf remote: run \`wharf login --aws URL\` again`);
  }
  return {
    kind: 'aws',
    apiUrl: data.apiUrl,
    region: data.region,
    ...(typeof data.profile === 'string' ? { profile: data.profile } : {}),
  };
}

function localEndpoint(env: NodeJS.ProcessEnv): LocalRemote {
  const dir = dataDir(env);
  const file = join(dir, 'endpoint.json');
  if (!existsSync(file)) {
    throw new ValidationError(
      `no Wharf platform found in ${dir}: start one with \`npm start\` (wharf up), log in to one on AWS with \`wharf login --aws URL\`, or set WHARF_URL`,
    );
  }
  const ep = JSON.parse(readFileSync(file, 'utf8')) as { apiUrl: string };
  const token = env['WHARF_TOKEN'] ?? readFileSync(join(dir, 'token'), 'utf8').trim();
  return { kind: 'local', apiUrl: ep.apiUrl, token };
}

/** Written 0600 in a 0700 dir: it names the account's API, and a profile. */
export function saveRemote(remote: AwsRemote, env: NodeJS.ProcessEnv = process.env): string {
  const dir = dataDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = remoteFile(env);
  writeFileSync(file, `${JSON.stringify(remote, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Returns whether a remote was saved. */
export function forgetRemote(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = remoteFile(env);
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}
