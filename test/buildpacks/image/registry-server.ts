import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pickFreePort } from '../../../adapters/local/loopback-ports.ts';

export interface RunningRegistry {
  readonly port: number;
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly url: string;
  readonly logs: () => string;
  stop(): Promise<void>;
}

/** Debian's docker-registry (distribution v2) on a free loopback port, storing in a temp dir. */
export async function startRegistry(): Promise<RunningRegistry> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wharf-registry-'));
  const port = await pickFreePort();
  const config = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dir}/data`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'config.yml'), config);
  let output = '';
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited at start:\n${output}`);
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 200) throw new Error(`docker-registry did not answer on ${url}:\n${output}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    url,
    logs: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
