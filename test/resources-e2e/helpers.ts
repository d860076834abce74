/** HTTP through the router and the API, and the CLI with stdout or stdin on a file (`> file`, `< file`). */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { ROOT, type RunResult, type TestPlatform } from '../helpers/platform.ts';

const CLI = join(ROOT, 'cli/wharf.ts');

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/** A request to an app through the platform's router (`<app>.localhost`). */
export function viaRouter(
  platform: TestPlatform,
  app: string,
  method: string,
  path: string,
  body?: string,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: platform.routerPort,
        method,
        path,
        agent: false,
        headers: {
          host: `${app}.localhost`,
          ...(body === undefined
            ? {}
            : { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A raw API call, to see the HTTP status the platform answers with. */
export async function viaApi(
  platform: TestPlatform,
  method: string,
  path: string,
  body?: unknown,
): Promise<{
  status: number;
  json: { error?: { code?: string; message?: string } } & Record<string, unknown>;
}> {
  const token = (await import('node:fs')).readFileSync(join(platform.dataDir, 'token'), 'utf8').trim();
  const res = await fetch(`${platform.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

/** `wharf ARGS > outFile` or `wharf ARGS < inFile`: the CLI with one end of stdio on a file. */
export function cliWithFile(
  platform: TestPlatform,
  args: string[],
  file: { stdout?: string; stdin?: string },
): Promise<RunResult> {
  const stdinFd = file.stdin ? openSync(file.stdin, 'r') : 'ignore';
  const stdoutFd = file.stdout ? openSync(file.stdout, 'w') : 'pipe';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: platform.env,
      stdio: [stdinFd, stdoutFd, 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (typeof stdinFd === 'number') closeSync(stdinFd);
      if (typeof stdoutFd === 'number') closeSync(stdoutFd);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}
