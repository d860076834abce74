/** A platform killed without shutdown(): its servers outlive it, and the next platform takes them over. */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resource } from '../../core/domain.ts';
import { reapOrphan } from '../../adapters/local/resources/orphans.ts';
import type { LocalResourceProvisioner } from '../../adapters/local/resources/provisioner.ts';
import { localProvisioner, resourceRecord, tempDataDir } from './helpers.ts';

const NODE = resolve('node_modules/.bin/node');
const PLATFORM = `
import { LocalResourceProvisioner } from ${JSON.stringify(resolve('adapters/local/resources/provisioner.ts'))};
const p = new LocalResourceProvisioner({ dataDir: process.argv[1], fastDurability: true });
const r = await p.provision('web', 'sessions', 'redis', '');
console.log(JSON.stringify({ env: r.env, meta: r.meta, pid: p.server('web', 'sessions').pid }));
setInterval(() => {}, 1000);
`;

describe('platform crash', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let provisioner: LocalResourceProvisioner | undefined;
  let orphanPid: number | undefined;

  beforeAll(async () => {
    data = await tempDataDir();
  });

  afterAll(async () => {
    await provisioner?.shutdown();
    // should the test fail before startAll reaps it, the orphan must not outlive the test
    if (orphanPid) await reapOrphan(join(data.dir, 'resources', 'web', 'sessions'));
    await data.cleanup();
  });

  it('startAll stops the server a killed platform left running and starts its own, data intact', async () => {
    const platform = spawn(NODE, ['--input-type=module', '-e', PLATFORM, data.dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = await createInterface({ input: platform.stdout })
      [Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value as string]);
    const started = JSON.parse(line!) as {
      env: Record<string, string>;
      meta: Record<string, unknown>;
      pid: number;
    };
    const client = createClient({ url: started.env['REDIS_URL'] });
    await client.connect();
    await client.set('session:1', 'alive');
    await client.close();
    platform.kill('SIGKILL');
    await new Promise((r) => platform.once('exit', r));
    expect(() => process.kill(started.pid, 0)).not.toThrow();

    provisioner = localProvisioner(data.dir);
    const record: Resource = resourceRecord('web', 'sessions', 'redis', { ...started, ready: true });
    expect(await provisioner.startAll([record])).toEqual([{ app: 'web', name: 'sessions', ok: true }]);
    expect(provisioner.server('web', 'sessions')!.pid).not.toBe(started.pid);
    expect(() => process.kill(started.pid, 0)).toThrow();
    const again = createClient({ url: started.env['REDIS_URL'] });
    await again.connect();
    expect(await again.get('session:1')).toBe('alive');
    await again.close();
  });
});
