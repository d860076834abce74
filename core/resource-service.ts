/**
 * Resources: add provisions a store and makes a release with its env vars; remove
 * deprovisions it and makes a release without them. Both deploy when the app runs.
 */
import { requireApp } from './apps.ts';
import type { Ctx } from './context.ts';
import type { Deployment, Release, Resource, ResourceProvider } from './domain.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { recordEvent } from './events.ts';
import { appendRelease } from './releases.ts';
import {
  assertResourceNameFree,
  defaultResourceName,
  envKeysToRemove,
  envPrefixFor,
  maskResourceEnv,
  resourceEnvNames,
  validateProvider,
  validateResourceName,
} from './resources/index.ts';

export interface ResourceChange {
  readonly resource: Resource;
  readonly release: Release | null;
  readonly deployment: Deployment | null;
}

export class ResourceService {
  private readonly ctx: Ctx;
  constructor(ctx: Ctx) {
    this.ctx = ctx;
  }

  async list(app: string): Promise<Resource[]> {
    await requireApp(this.ctx, app);
    return (await this.ctx.store.listResources(app)).map((r) => ({ ...r, env: maskResourceEnv(r.env) }));
  }

  async info(app: string, name: string, reveal = false): Promise<Resource> {
    await requireApp(this.ctx, app);
    const r = await this.ctx.store.getResource(app, name);
    if (!r) throw new NotFoundError(`${app} has no resource "${name}": see \`wharf resource list\``);
    return reveal ? r : { ...r, env: maskResourceEnv(r.env) };
  }

  async add(app: string, input: Record<string, unknown>): Promise<ResourceChange> {
    await requireApp(this.ctx, app);
    const provider = validateProvider(input['provider']);
    const { base, prefix } = await this.reserve(app, provider, input['name']);
    const name = base.name;
    let provisioned: Awaited<ReturnType<Ctx['provisioner']['provision']>>;
    try {
      provisioned = await this.ctx.provisioner.provision(app, name, provider, prefix);
    } catch (e) {
      // nothing half-made: the record goes, the provisioner cleaned up its own part
      await this.ctx.store.deleteResource(app, name);
      throw e;
    }
    const resource: Resource = {
      ...base,
      status: provisioned.ready ? 'ready' : 'provisioning',
      env: provisioned.env,
      meta: { ...base.meta, ...provisioned.meta },
    };
    await this.ctx.store.putResource(resource);
    await recordEvent(
      this.ctx,
      app,
      'resource.added',
      { name, provider },
      `resource ${name} (${provider}) added`,
    );
    if (!provisioned.ready)
      return {
        resource: { ...resource, env: maskResourceEnv(resource.env) },
        release: null,
        deployment: null,
      };
    const change = await this.releaseWith(app, resource.env, [], `Attach ${name} (${provider})`);
    return { resource: { ...resource, env: maskResourceEnv(resource.env) }, ...change };
  }

  /** On AWS: a resource whose stack finished; makes the release with its env. Idempotent. */
  async markReady(
    app: string,
    name: string,
    env: Record<string, string>,
    meta: Record<string, unknown>,
  ): Promise<ResourceChange> {
    const r = await this.ctx.store.getResource(app, name);
    if (!r) throw new NotFoundError(`${app} has no resource "${name}"`);
    if (r.status === 'ready') return { resource: r, release: null, deployment: null };
    const resource: Resource = { ...r, status: 'ready', env, meta: { ...r.meta, ...meta } };
    await this.ctx.store.putResource(resource);
    return { resource, ...(await this.releaseWith(app, env, [], `Attach ${name} (${r.provider})`)) };
  }

  async remove(
    app: string,
    name: string,
    confirm: boolean,
    options: { keepData?: boolean } = {},
  ): Promise<ResourceChange> {
    await requireApp(this.ctx, app);
    const r = await this.ctx.store.getResource(app, name);
    if (!r) throw new NotFoundError(`${app} has no resource "${name}": see \`wharf resource list\``);
    if (!confirm) {
      throw new ValidationError(
        `removing ${name} deletes its data and its env vars from ${app}: confirm with --yes`,
      );
    }
    const remaining = (await this.ctx.store.listResources(app)).filter((x) => x.name !== name);
    const drop = envKeysToRemove(r, remaining);
    const change = await this.releaseWith(app, {}, drop, `Detach ${name} (${r.provider})`);
    await this.ctx.provisioner.deprovision(
      r,
      options.keepData === undefined ? {} : { keepData: options.keepData },
    );
    await this.ctx.store.deleteResource(app, name);
    await recordEvent(this.ctx, app, 'resource.removed', { name }, `resource ${name} removed`);
    return { resource: { ...r, status: 'deleting', env: maskResourceEnv(r.env) }, ...change };
  }

  /**
   * Chooses the name and env prefix and stores the resource as provisioning, under a
   * per-app lease: parallel adds (the API allows them, and provisioning is slow) must
   * neither take one name twice nor both claim DATABASE_URL.
   */
  private async reserve(
    app: string,
    provider: ResourceProvider,
    requestedName: unknown,
  ): Promise<{ base: Resource; prefix: string }> {
    return this.withLease(`resources/${app}`, async () => {
      const existing = await this.ctx.store.listResources(app);
      const names = existing.map((r) => r.name);
      const name =
        requestedName === undefined || requestedName === null
          ? defaultResourceName(provider, names)
          : validateResourceName(requestedName);
      assertResourceNameFree(app, name, names);
      const prefix = envPrefixFor(name, provider, existing.map(withClaimedEnv));
      const base: Resource = {
        name,
        app,
        provider,
        status: 'provisioning',
        env: {},
        meta: { envPrefix: prefix },
        createdAt: this.ctx.clock.now().toISOString(),
      };
      await this.ctx.store.putResource(base);
      return { base, prefix };
    });
  }

  private async withLease<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const holder = this.ctx.ids.next('lease');
    const deadline = this.ctx.clock.now().getTime() + 30_000;
    while (!(await this.ctx.store.acquireLease(key, holder, 60_000))) {
      if (this.ctx.clock.now().getTime() > deadline)
        throw new ConflictError(`another resource change of ${key} is in progress: try again`);
      await this.ctx.clock.sleep(50);
    }
    try {
      return await fn();
    } finally {
      await this.ctx.store.releaseLease(key, holder);
    }
  }

  private async releaseWith(
    app: string,
    set: Record<string, string>,
    unset: string[],
    description: string,
  ): Promise<{ release: Release; deployment: Deployment | null }> {
    const release = await appendRelease(this.ctx, app, (latest) => {
      const env = { ...(latest?.env ?? {}), ...set };
      for (const k of unset) delete env[k];
      return {
        app,
        artifactId: latest?.artifactId ?? null,
        env,
        processEnv: latest?.processEnv ?? {},
        processes: latest?.processes ?? {},
        description,
      };
    });
    const current = await this.ctx.store.getCurrentVersion(app);
    // A newer release (another add, an env change) carries this env too and is deployed
    // by whoever made it; deploying this one after it would take its changes away.
    const latest = await this.ctx.store.latestRelease(app);
    const superseded = latest !== null && latest.version > release.version;
    const deployment =
      current !== null && release.artifactId && !superseded
        ? await this.ctx.deployer.deploy(app, release.version)
        : null;
    return { release, deployment };
  }
}

/**
 * A resource still provisioning has no env yet; the names it will set (from the prefix
 * chosen when it was reserved) count as taken.
 */
function withClaimedEnv(r: Resource): Pick<Resource, 'name' | 'env'> {
  if (Object.keys(r.env).length > 0) return r;
  const prefix = typeof r.meta['envPrefix'] === 'string' ? r.meta['envPrefix'] : '';
  return { name: r.name, env: Object.fromEntries(resourceEnvNames(r.provider, prefix).map((n) => [n, ''])) };
}
