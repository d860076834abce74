/** Servers that cannot start: a clear error and nothing half-made left behind. */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingServerBinaryError, ResourceServerStartError } from '../../adapters/local/resources/errors.ts';
import { freePort } from '../../adapters/local/resources/net.ts';
import { LocalResourceProvisioner } from '../../adapters/local/resources/provisioner.ts';
import { SupervisedServer } from '../../adapters/local/resources/supervisor.ts';
import { requireBinary } from '../../adapters/local/resources/system.ts';
import { ValidationError } from '../../core/errors.ts';
import { resourceRecord, tempDataDir } from './helpers.ts';

describe('local resource failures', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let squatter: Server;
  let takenPort: number;

  beforeAll(async () => {
    data = await tempDataDir();
    takenPort = await freePort();
    squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(takenPort, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => squatter.close(resolve));
    await data.cleanup();
  });

  it('a server whose port is taken fails with a clear error and leaves no data dir', async () => {
    const provisioner = new LocalResourceProvisioner({
      dataDir: data.dir,
      allocatePort: async () => takenPort,
      startTimeoutMs: 10_000,
    });
    const attempt = provisioner.provision('web', 'cache', 'redis', '');
    await expect(attempt).rejects.toBeInstanceOf(ResourceServerStartError);
    await expect(attempt).rejects.toThrow(
      `web/cache failed to start: port ${takenPort} on 127.0.0.1 is in use by another process`,
    );
    expect(existsSync(provisioner.resourceDir('web', 'cache'))).toBe(false);
    await provisioner.shutdown();
  });

  it('a fresh resource whose port is taken before it binds is set up again on another port', async () => {
    const ports = [takenPort, await freePort()];
    const handedOut: number[] = [];
    const provisioner = new LocalResourceProvisioner({
      dataDir: data.dir,
      allocatePort: async () => {
        const port = ports.shift() ?? (await freePort());
        handedOut.push(port);
        return port;
      },
      startTimeoutMs: 10_000,
    });
    const provisioned = await provisioner.provision('web', 'retry', 'redis', '');
    expect(handedOut).toHaveLength(2);
    expect(provisioned.meta.port).toBe(handedOut[1]);
    expect(provisioned.env.REDIS_URL).toContain(`:${handedOut[1]}`);
    await provisioner.shutdown();
  });

  it('an unknown provider is a ValidationError listing the providers, before anything is made', async () => {
    const provisioner = new LocalResourceProvisioner({ dataDir: data.dir });
    // biome-ignore lint/suspicious/noExplicitAny: an API caller may send any string
    const attempt = provisioner.provision('web', 'db', 'oracle' as any, '');
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toThrow('postgres, mysql, redis, document, blob, postgis');
    expect(existsSync(provisioner.resourceDir('web', 'db'))).toBe(false);
  });

  it('startAll reports a resource with no data on this machine and starts nothing for it', async () => {
    const provisioner = new LocalResourceProvisioner({ dataDir: data.dir });
    const ghost = resourceRecord('web', 'ghost', 'postgres', { env: {}, meta: {}, ready: true });
    const [result] = await provisioner.startAll([ghost]);
    expect(result?.ok).toBe(false);
    expect(result?.error?.message).toMatch(/never completely provisioned.*remove it and add it again/);
  });

  it('a missing binary names the apt command to run', () => {
    expect(() => requireBinary('wharf-no-such-server', ['wharf-server-pkg'])).toThrow(
      MissingServerBinaryError,
    );
    expect(() => requireBinary('wharf-no-such-server', ['wharf-server-pkg'])).toThrow(
      /sudo apt-get install -y wharf-server-pkg/,
    );
  });

  it('a process that exits before it is ready fails with its output', async () => {
    const server = new SupervisedServer({
      app: 'web',
      resource: 'broken',
      command: {
        file: process.execPath,
        args: ['-e', 'console.error("bad config line 3"); process.exit(2)'],
      },
      ready: async () => false,
    });
    await expect(server.start()).rejects.toThrow(
      /exited with status 2 before it was ready[\s\S]*bad config line 3/,
    );
  });
});
