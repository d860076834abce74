/**
 * The local platform's composition root (`wharf up`): the control plane over the local
 * adapters, the API and git server, the router, and discovery, in one process.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { launchCommand } from '../buildpacks/runner/index.ts';
import { ControlPlane } from '../core/control-plane.ts';
import { DEFAULT_SETTINGS } from '../core/deps.ts';
import { discoveryEnv } from '../core/discovery/env.ts';
import { SlugStore } from '../adapters/local/artifacts/slug-store.ts';
import { startDnsServer, type DnsServer } from '../adapters/local/discovery/dns-server.ts';
import { createDiscoveryHandler } from '../adapters/local/discovery/http-api.ts';
import { DiscoveryRegistry } from '../adapters/local/discovery/registry.ts';
import { FileSecretStore } from '../adapters/local/file-secret-store.ts';
import { LocalHealthProbe } from '../adapters/local/health-probe.ts';
import { LocalBuilder } from '../adapters/local/local-builder.ts';
import { FileLogStore } from '../adapters/local/logs/file-log-store.ts';
import { LocalResourceProvisioner } from '../adapters/local/resources/provisioner.ts';
import { LocalRouter } from '../adapters/local/router/index.ts';
import { SqliteStateStore } from '../adapters/local/state/sqlite-store.ts';
import { Supervisor } from '../adapters/local/supervisor/supervisor.ts';
import { InProcessEventBus, randomIds, systemClock } from '../adapters/local/system.ts';
import { pidAlive } from '../adapters/local/run-command.ts';
import { ApiServer } from './api-server.ts';
import { GitServer } from './git-server.ts';

export interface PlatformOptions {
  readonly dataDir: string;
  /** 0 picks a free port @default 7070 */
  readonly apiPort?: number;
  /** @default 8080 */
  readonly routerPort?: number;
  /** @default 0 (a free port) */
  readonly dnsPort?: number;
  readonly zone?: string;
  /** overrides for tests: faster drains and grace periods */
  readonly settings?: Partial<typeof DEFAULT_SETTINGS>;
  readonly log?: (line: string) => void;
}

export interface Platform {
  readonly apiUrl: string;
  readonly routerUrl: string;
  readonly routerPort: number;
  readonly dns: string;
  readonly token: string;
  readonly tokenFile: string;
  readonly dataDir: string;
  readonly controlPlane: ControlPlane;
  stop(): Promise<void>;
}

export function readOrCreateToken(dataDir: string): { token: string; file: string } {
  const file = join(dataDir, 'token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), file };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file };
}

/** Refuses a second platform on one data dir, and takes over from a dead one. */
function lockDataDir(dataDir: string): () => void {
  const pidFile = join(dataDir, 'platform.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (pid && pid !== process.pid && pidAlive(pid)) {
      throw new Error(
        `a Wharf platform (pid ${pid}) already runs on ${dataDir}: stop it first, or give another --data-dir`,
      );
    }
  }
  writeFileSync(pidFile, String(process.pid));
  return () => {
    try {
      if (Number(readFileSync(pidFile, 'utf8')) === process.pid) writeFileSync(pidFile, '');
    } catch {
      // the data dir may be gone already
    }
  };
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const { dataDir } = options;
  const log = options.log ?? (() => {});
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  const { token, file: tokenFile } = readOrCreateToken(dataDir);
  const zone = options.zone ?? 'wharf.internal';
  const nodeBin = process.execPath;
  let dnsAddress = (): string => '';
  let apiUrl = '';
  const pathEnv = [dirname(nodeBin), process.env['PATH'] ?? '/usr/bin:/bin'].join(':');

  const store = new SqliteStateStore(join(dataDir, 'state.db'));
  const logs = new FileLogStore({ dir: join(dataDir, 'logs') });
  const slugs = new SlugStore(join(dataDir, 'slugs'));
  const supervisor = new Supervisor({
    dataDir,
    logs,
    launch: (slugDir, command) => launchCommand(slugDir, command),
    resolveArtifact: (uri) => slugs.resolve(uri),
    env: { PATH: pathEnv, LANG: process.env['LANG'] ?? 'C.UTF-8' },
    // discovery names depend on the instance id, which the supervisor gives
    instanceEnv: (id, spec) =>
      discoveryEnv({
        app: spec.app,
        processType: spec.processType,
        instanceId: id,
        zone,
        dns: dnsAddress(),
        url: `${apiUrl}/discovery`,
      }),
    ...(options.settings?.stopGraceMs !== undefined ? { stopGraceMs: options.settings.stopGraceMs } : {}),
  });
  const reaped = await supervisor.reapOrphans();
  if (reaped) log(`-----> Stopped ${reaped} process(es) left by an earlier platform`);
  const registry = new DiscoveryRegistry();
  const dnsServer: DnsServer = await startDnsServer({ registry, zone, port: options.dnsPort ?? 0 });
  dnsAddress = () => dnsServer.address;
  const router = new LocalRouter({ port: options.routerPort ?? 8080 });
  const { port: routerPort } = await router.listen();
  const provisioner = new LocalResourceProvisioner({ dataDir, logs });
  const cp = new ControlPlane(
    {
      store,
      clock: systemClock,
      ids: randomIds,
      bus: new InProcessEventBus(),
      logs,
      builder: new LocalBuilder({ dataDir, slugs, path: pathEnv }),
      artifacts: slugs,
      scheduler: supervisor,
      router,
      discovery: registry,
      probe: new LocalHealthProbe(),
      secrets: new FileSecretStore(join(dataDir, 'secrets.json')),
      provisioner,
      settings: {
        ...DEFAULT_SETTINGS,
        routerDomain: 'localhost',
        instanceEnv: ({ app, processType }) => {
          const env = discoveryEnv({
            app,
            processType,
            instanceId: '',
            zone,
            dns: dnsServer.address,
            url: `${apiUrl}/discovery`,
          });
          // the supervisor sets WHARF_INSTANCE_ID; the instance's own name is `$WHARF_INSTANCE_ID.$WHARF_SERVICE_NAME`
          delete env['WHARF_INSTANCE_ID'];
          delete env['WHARF_INSTANCE_NAME'];
          return env;
        },
        ...options.settings,
      },
    },
    { holder: 'local-platform' },
  );
  const git = new GitServer({
    reposDir: join(dataDir, 'repos'),
    apiUrl: () => apiUrl,
    tokenFile,
    nodePath: nodeBin,
  });
  const discoveryHandler = createDiscoveryHandler(registry, { zone });
  const api = new ApiServer({
    cp,
    token,
    git,
    tmpDir: join(dataDir, 'tmp'),
    discovery: discoveryHandler,
    appUrl: (app) => `http://${app}.localhost${routerPort === 80 ? '' : `:${routerPort}`}/`,
  });
  const apiPort = await api.listen(options.apiPort ?? 7070);
  apiUrl = `http://127.0.0.1:${apiPort}`;
  for (const app of await store.listApps()) await git.ensureRepo(app.name);
  const started = await provisioner.startAll(await store.listResources());
  for (const r of started)
    if (!r.ok) log(` !     resource failed to start: ${r.error?.message ?? 'unknown error'}`);
  await cp.start();

  let stopping: Promise<void> | null = null;
  return {
    apiUrl,
    routerUrl: `http://127.0.0.1:${routerPort}`,
    routerPort,
    dns: dnsServer.address,
    token,
    tokenFile,
    dataDir,
    controlPlane: cp,
    stop() {
      stopping ??= (async () => {
        cp.stop();
        discoveryHandler.closeStreams();
        await api.close();
        await supervisor.shutdown();
        await provisioner.shutdown();
        await router.close();
        await dnsServer.close();
        await logs.close();
        store.close();
        unlock();
      })();
      return stopping;
    },
  };
}
