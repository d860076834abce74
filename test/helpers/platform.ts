/**
 * Runs a real local platform (`wharf up`) as a child process in a temp data dir, and
 * the real CLI and git against it. Used by the end-to-end and fault tests.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  unlinkSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WharfClient } from '../../api/client.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'cli/wharf.ts');
const NODE_BIN = dirname(process.execPath);

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class TestPlatform {
  readonly dataDir: string;
  child: ChildProcess | null = null;
  apiUrl = '';
  routerPort = 0;
  dns = '';
  private stderr = '';

  constructor(dataDir?: string) {
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'wharf-e2e-'));
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${NODE_BIN}:${process.env['PATH'] ?? ''}`,
      WHARF_HOME: this.dataDir,
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    };
  }

  async start(): Promise<void> {
    const endpoint = join(this.dataDir, 'endpoint.json');
    if (existsSync(endpoint)) unlinkSync(endpoint);
    this.stderr = '';
    this.child = spawn(process.execPath, [CLI, 'up', '--api-port', '0', '--router-port', '0'], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.child.stdout?.resume();
    const deadline = Date.now() + 30_000;
    while (!existsSync(endpoint)) {
      if (this.child.exitCode !== null) throw new Error(`wharf up exited: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`wharf up did not start: ${this.stderr}`);
      await sleep(50);
    }
    const ep = JSON.parse(readFileSync(endpoint, 'utf8')) as {
      apiUrl: string;
      routerUrl: string;
      dns: string;
    };
    this.apiUrl = ep.apiUrl;
    this.routerPort = Number(new URL(ep.routerUrl).port);
    this.dns = ep.dns;
  }

  /** Ctrl-C: the platform stops everything it started. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
    this.child = null;
  }

  /** kill -9 of the platform itself. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  client(token?: string): WharfClient {
    return new WharfClient({
      url: this.apiUrl,
      token: token ?? readFileSync(join(this.dataDir, 'token'), 'utf8').trim(),
    });
  }

  cli(args: string[], cwd = ROOT): Promise<RunResult> {
    return run(process.execPath, [CLI, ...args], cwd, this.env);
  }

  git(args: string[], cwd: string): Promise<RunResult> {
    return run('git', args, cwd, this.env);
  }

  /** Copies an example into a fresh git repo. */
  async appRepo(example = 'node-web'): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-app-'));
    cpSync(join(ROOT, 'examples', example), dir, { recursive: true });
    await this.git(['init', '-q', '-b', 'main'], dir);
    await this.git(['add', '.'], dir);
    await this.git(['commit', '-qm', 'first'], dir);
    return dir;
  }

  get(
    app: string,
    path = '/',
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    return httpGet(this.routerPort, `${app}.localhost`, path, headers);
  }

  cleanup(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export function httpGet(
  port: number,
  host: string,
  path = '/',
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host, ...headers }, agent: false },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` returns a value (not undefined/false) or the timeout passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Live processes whose working directory is under `dir` (the platform's instances run in its slug dirs). */
export function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd.startsWith(dir)) out.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
