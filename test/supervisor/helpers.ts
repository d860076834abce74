import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Instance, LogLine } from '../../core/domain.ts';
import type { InstanceSpec } from '../../core/ports.ts';
import { FileLogStore } from '../../adapters/local/logs/file-log-store.ts';
import { Supervisor, type SupervisorOptions } from '../../adapters/local/supervisor/supervisor.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Node 24 from the project, whatever node runs the tests. */
export const NODE = join(repoRoot, 'node_modules/.bin/node');

/** A tiny web app: answers with what it knows about itself; logs to stdout and stderr. */
const SERVER = `
import http from 'node:http';
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({
    instance: process.env.WHARF_INSTANCE_ID, port: process.env.PORT, pid: process.pid, cwd: process.cwd(),
    greeting: process.env.GREETING, path: process.env.PATH, app: process.env.WHARF_APP,
    release: process.env.WHARF_RELEASE, type: process.env.WHARF_PROCESS_TYPE,
  }));
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log('listening on ' + process.env.PORT);
  console.error('a warning on stderr');
});
`;

export interface Fixture {
  readonly dir: string;
  readonly dataDir: string;
  readonly slugDir: string;
  readonly logs: FileLogStore;
  readonly supervisor: Supervisor;
  readonly changes: Instance[];
  cleanup(): Promise<void>;
}

/** The buildpack runner's launch, minus the .profile.d sourcing. */
export const launch = (_slugDir: string, command: string) => ({ file: 'bash', args: ['-c', command] });

export function makeFixture(options: Partial<SupervisorOptions> = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-sup-'));
  const dataDir = join(dir, 'data');
  const slugDir = join(dir, 'slug');
  const logs = new FileLogStore({ dir: join(dataDir, 'logs') });
  mkdirSync(slugDir, { recursive: true });
  writeFileSync(join(slugDir, 'server.mjs'), SERVER);
  const supervisor = new Supervisor({
    dataDir,
    logs,
    launch,
    resolveArtifact: async (uri) => uri,
    backoff: { initialMs: 100, maxMs: 400 },
    stopGraceMs: 1000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    ...options,
  });
  const changes: Instance[] = [];
  supervisor.onChange((instance) => changes.push(instance));
  return {
    dir,
    dataDir,
    slugDir,
    logs,
    supervisor,
    changes,
    async cleanup() {
      await supervisor.shutdown(200);
      await logs.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function spec(fixture: Fixture, overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    app: 'shop',
    processType: 'web',
    releaseVersion: 3,
    command: `exec "${NODE}" server.mjs`,
    env: { GREETING: 'hello' },
    artifactUri: fixture.slugDir,
    ...overrides,
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function getJson(port: number): Promise<Record<string, string>> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return (await response.json()) as Record<string, string>;
}

/** Waits until the instance answers HTTP. */
export async function waitServing(port: number): Promise<Record<string, string>> {
  return waitFor(`a response on port ${port}`, async () => {
    try {
      return await getJson(port);
    } catch {
      return null;
    }
  });
}

/** Alive and not a zombie (the container's init may never reap an orphan). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export async function logLines(fixture: Fixture, app = 'shop'): Promise<LogLine[]> {
  return fixture.logs.query(app, {});
}
