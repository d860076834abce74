/**
 * Where the CLI finds the platform: WHARF_URL and WHARF_TOKEN, else the endpoint file
 * that `wharf up` writes in the data dir ($WHARF_HOME, else ~/.wharf).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { WharfClient } from '../api/client.ts';
import { ValidationError } from '../core/errors.ts';

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['WHARF_HOME'] || join(homedir(), '.wharf');
}

export interface Endpoint {
  readonly apiUrl: string;
  readonly token: string;
}

export function endpoint(env: NodeJS.ProcessEnv = process.env): Endpoint {
  if (env['WHARF_URL']) {
    return { apiUrl: env['WHARF_URL'], token: env['WHARF_TOKEN'] ?? '' };
  }
  const dir = dataDir(env);
  const file = join(dir, 'endpoint.json');
  if (!existsSync(file)) {
    throw new ValidationError(
      `no Wharf platform found in ${dir}: start one with \`npm start\` (wharf up), or set WHARF_URL`,
    );
  }
  const ep = JSON.parse(readFileSync(file, 'utf8')) as { apiUrl: string };
  const token = env['WHARF_TOKEN'] ?? readFileSync(join(dir, 'token'), 'utf8').trim();
  return { apiUrl: ep.apiUrl, token };
}

export function client(env: NodeJS.ProcessEnv = process.env): WharfClient {
  const ep = endpoint(env);
  return new WharfClient({ url: ep.apiUrl, token: ep.token });
}

/** The app: `-a NAME`, else WHARF_APP, else the git remote named `wharf`. */
export function resolveApp(flag: string | true | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (typeof flag === 'string') return flag;
  if (env['WHARF_APP']) return env['WHARF_APP'];
  try {
    const url = execFileSync('git', ['remote', 'get-url', 'wharf'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const m = /\/git\/([a-z0-9-]+)\.git$/.exec(url);
    if (m) return m[1]!;
  } catch {
    // not a git repo, or no wharf remote
  }
  throw new ValidationError(
    'no app given: use -a APP, or run inside a git repo with a `wharf` remote (`wharf create NAME`)',
  );
}
