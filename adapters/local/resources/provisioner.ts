/**
 * The local ResourceProvisioner: one real server per resource, a child process that
 * the platform supervises. Data lives in dataDir/resources/<app>/<name>/, with the
 * facts needed to start the server again (port, user, password) in wharf-resource.json,
 * written only once the resource is complete: a dir without it is a half-made one.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Resource, ResourceProvider } from '../../../core/domain.ts';
import type { LogStore, ProvisionedResource, ResourceProvisioner } from '../../../core/ports.ts';
import { resourceEnv } from '../../../core/resources/env.ts';
import { validateProvider, validateResourceName } from '../../../core/resources/providers.ts';
import { blobKind, documentKind } from './aws-api-servers.ts';
import { ResourcePortInUseError, ResourceServerStartError } from './errors.ts';
import type { LocalServerKind, ServerContext, ServerFacts } from './kind.ts';
import { mysqlKind } from './mysql.ts';
import { freePort, isPortOpen } from './net.ts';
import { postgresKind } from './postgres.ts';
import { redisKind } from './redis.ts';
import { reapOrphan } from './orphans.ts';
import { PID_FILE, SupervisedServer } from './supervisor.ts';

export interface LocalResourceProvisionerOptions {
  /** the platform's data dir; resources live under dataDir/resources */
  readonly dataDir: string;
  /** where the servers' output goes, as source `resource:<name>` */
  readonly logs?: LogStore;
  /**
   * fsync off, no doublewrite, no synchronous commit: fast and unsafe on a crash.
   * @default false - for tests only
   */
  readonly fastDurability?: boolean;
  /** @default 30_000 */
  readonly startTimeoutMs?: number;
  /** @default - a free port on 127.0.0.1 chosen by the OS */
  readonly allocatePort?: () => Promise<number>;
}

export interface ResourceStartResult {
  readonly app: string;
  readonly name: string;
  readonly ok: boolean;
  readonly error?: Error;
}

interface StoredResource {
  readonly provider: ResourceProvider;
  readonly envPrefix: string;
  readonly facts: ServerFacts;
}

const FACTS_FILE = 'wharf-resource.json';

const KINDS: Record<ResourceProvider, () => LocalServerKind> = {
  postgres: () => postgresKind({ postgis: false }),
  postgis: () => postgresKind({ postgis: true }),
  mysql: () => mysqlKind(),
  redis: () => redisKind(),
  document: () => documentKind(),
  blob: () => blobKind(),
};

function sqlName(app: string, name: string): string {
  return `${app}_${name}`.replace(/-/g, '_').slice(0, 63);
}

export class LocalResourceProvisioner implements ResourceProvisioner {
  readonly #options: LocalResourceProvisionerOptions;
  readonly #running = new Map<string, SupervisedServer>();

  constructor(options: LocalResourceProvisionerOptions) {
    this.#options = options;
  }

  /** The resource's dir under the data dir. */
  resourceDir(app: string, name: string): string {
    return join(this.#options.dataDir, 'resources', app, name);
  }

  /** The running server of a resource (pid, restarts), for diagnostics and tests. */
  server(app: string, name: string): SupervisedServer | undefined {
    return this.#running.get(`${app}/${name}`);
  }

  async provision(
    app: string,
    name: string,
    provider: ResourceProvider,
    envPrefix: string,
  ): Promise<ProvisionedResource> {
    validateResourceName(name);
    const kind = KINDS[validateProvider(provider)]();
    const server = kind.checkInstalled();
    const ctx = this.#context(app, name);

    const kept = await this.#readStored(ctx.dir);
    if (kept && kept.provider === provider) {
      // Data kept by an earlier `remove` without deleting it: start it again as it was.
      await this.#start(kind, ctx, kept.facts);
      await this.#writeStored(ctx.dir, { ...kept, envPrefix });
      return this.#provisioned(provider, envPrefix, kind, ctx, kept.facts, true);
    }
    if (kept) {
      throw new ResourceServerStartError(
        `${app}/${name}`,
        `${ctx.dir} holds the kept data of a ${kept.provider} resource: choose another name, or delete that dir`,
        '',
      );
    }

    // A port picked free can be bound by another process before our server binds it;
    // a server that then fails with "address in use" is set up again on a new port.
    for (let attempt = 1; ; attempt++) {
      const facts: ServerFacts = {
        port: await (this.#options.allocatePort ?? freePort)(),
        user: sqlName(app, name),
        password: randomBytes(18).toString('base64url'),
        database:
          provider === 'document' || provider === 'blob' ? `${app}-${name}`.slice(0, 63) : sqlName(app, name),
        server,
      };
      try {
        await rm(ctx.dir, { recursive: true, force: true });
        await mkdir(ctx.dir, { recursive: true, mode: 0o700 });
        await kind.init(ctx, facts);
        await this.#start(kind, ctx, facts);
        await kind.afterFirstStart(ctx, facts);
        await this.#writeStored(ctx.dir, { provider, envPrefix, facts });
        return this.#provisioned(provider, envPrefix, kind, ctx, facts, false);
      } catch (error) {
        await this.#stop(app, name);
        await rm(ctx.dir, { recursive: true, force: true });
        if (error instanceof ResourceServerStartError) {
          if (attempt < PORT_ATTEMPTS && lostPortRace(error)) continue;
          throw error;
        }
        throw new ResourceServerStartError(`${app}/${name}`, (error as Error).message, '', { cause: error });
      }
    }
  }

  /** Local default: the data dir goes with the resource. */
  async deprovision(resource: Resource, options: { keepData?: boolean }): Promise<void> {
    await this.#stop(resource.app, resource.name);
    if (!options.keepData)
      await rm(this.resourceDir(resource.app, resource.name), { recursive: true, force: true });
  }

  /**
   * Starts the servers of these resources (on platform start), in parallel. Never
   * throws: each result says whether its server runs, so that one broken resource
   * does not keep the others down.
   */
  async startAll(resources: readonly Resource[]): Promise<ResourceStartResult[]> {
    return Promise.all(
      resources.map(async (r): Promise<ResourceStartResult> => {
        try {
          if (this.#running.has(`${r.app}/${r.name}`)) return { app: r.app, name: r.name, ok: true };
          const ctx = this.#context(r.app, r.name);
          const stored = await this.#readStored(ctx.dir);
          if (!stored) {
            throw new ResourceServerStartError(
              `${r.app}/${r.name}`,
              `no data at ${ctx.dir}: the resource was never completely provisioned on this machine; remove it and add it again`,
              '',
            );
          }
          const kind = KINDS[stored.provider]();
          kind.checkInstalled();
          await this.#start(kind, ctx, stored.facts);
          return { app: r.app, name: r.name, ok: true };
        } catch (error) {
          return { app: r.app, name: r.name, ok: false, error: error as Error };
        }
      }),
    );
  }

  /** Stops every server (on platform stop); their data stays. */
  async shutdown(): Promise<void> {
    const servers = [...this.#running.values()];
    this.#running.clear();
    await Promise.all(servers.map((s) => s.stop()));
  }

  #context(app: string, name: string): ServerContext {
    return {
      app,
      name,
      dir: this.resourceDir(app, name),
      fastDurability: this.#options.fastDurability ?? false,
    };
  }

  async #start(kind: LocalServerKind, ctx: ServerContext, facts: ServerFacts): Promise<void> {
    await reapOrphan(ctx.dir);
    // a readiness check would otherwise take whatever answers on the port for our server
    if (await isPortOpen(facts.port)) {
      throw new ResourcePortInUseError(`${ctx.app}/${ctx.name}`, facts.port);
    }
    const server = new SupervisedServer({
      onSpawn: (pid) => writeFileSync(join(ctx.dir, PID_FILE), `${pid}\n`),
      app: ctx.app,
      resource: ctx.name,
      command: kind.command(ctx, facts),
      ready: () => kind.ready(ctx, facts),
      startTimeoutMs: this.#options.startTimeoutMs,
      logs: this.#options.logs,
    });
    await server.start();
    this.#running.set(`${ctx.app}/${ctx.name}`, server);
  }

  async #stop(app: string, name: string): Promise<void> {
    const server = this.#running.get(`${app}/${name}`);
    this.#running.delete(`${app}/${name}`);
    await server?.stop();
  }

  #provisioned(
    provider: ResourceProvider,
    envPrefix: string,
    kind: LocalServerKind,
    ctx: ServerContext,
    facts: ServerFacts,
    restored: boolean,
  ): ProvisionedResource {
    return {
      env: resourceEnv(provider, envPrefix, kind.envValues(facts)),
      meta: { port: facts.port, dir: ctx.dir, server: facts.server, ...(restored ? { restored: true } : {}) },
      ready: true,
    };
  }

  async #readStored(dir: string): Promise<StoredResource | null> {
    try {
      return JSON.parse(await readFile(join(dir, FACTS_FILE), 'utf8')) as StoredResource;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async #writeStored(dir: string, stored: StoredResource): Promise<void> {
    await writeFile(join(dir, FACTS_FILE), `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
}

const PORT_ATTEMPTS = 3;

/** Whether the server died because its port was taken between the pick and its bind. */
function lostPortRace(error: ResourceServerStartError): boolean {
  return (
    error instanceof ResourcePortInUseError ||
    /EADDRINUSE|address already in use|could not bind|could not create listen socket/i.test(error.output)
  );
}
