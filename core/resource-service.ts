/**
 * Resources: add provisions a store and makes a release with its env vars; remove
 * deprovisions it and makes a release without them. Both deploy when the app runs.
 */
import { requireApp } from './apps.ts';
import type { Ctx } from './context.ts';
import { deploy } from './deployer.ts';
import type { Deployment, Release, Resource } from './domain.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { recordEvent } from './events.ts';
import { appendRelease } from './releases.ts';
import {
  assertResourceNameFree,
  defaultResourceName,
  envKeysToRemove,
  envPrefixFor,
  maskResourceEnv,
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
    const existing = await this.ctx.store.listResources(app);
    const name =
      input['name'] === undefined || input['name'] === null
        ? defaultResourceName(
            provider,
            existing.map((r) => r.name),
          )
        : validateResourceName(input['name']);
    assertResourceNameFree(
      app,
      name,
      existing.map((r) => r.name),
    );
    const prefix = envPrefixFor(name, provider, existing);
    const base: Resource = {
      name,
      app,
      provider,
      status: 'provisioning',
      env: {},
      meta: {},
      createdAt: this.ctx.clock.now().toISOString(),
    };
    await this.ctx.store.putResource(base);
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
      meta: provisioned.meta,
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

  async remove(app: string, name: string, confirm: boolean): Promise<ResourceChange> {
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
    await this.ctx.provisioner.deprovision(r, { keepData: false });
    await this.ctx.store.deleteResource(app, name);
    await recordEvent(this.ctx, app, 'resource.removed', { name }, `resource ${name} removed`);
    return { resource: { ...r, status: 'deleting', env: maskResourceEnv(r.env) }, ...change };
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
    const deployment =
      current !== null && release.artifactId ? await deploy(this.ctx, app, release.version) : null;
    return { release, deployment };
  }
}
