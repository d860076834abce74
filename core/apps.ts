import type { Ctx } from './context.ts';
import type { App, Formation, Instance, Release, Resource, Route } from './domain.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { recordEvent } from './events.ts';
import { appSecretNames } from './secret-names.ts';
import { validateAppName } from './validation.ts';

export const DEFAULT_DEPLOY_TIMEOUT_MS = 120_000;

export interface AppInfo {
  readonly app: App;
  readonly release: Release | null;
  readonly currentVersion: number | null;
  readonly formation: Formation | null;
  readonly instances: Instance[];
  readonly routes: Route[];
  readonly resources: Resource[];
}

export async function requireApp(ctx: Ctx, name: string): Promise<App> {
  const app = await ctx.store.getApp(name);
  if (!app) throw new NotFoundError(`app "${name}" not found: see \`wharf apps\` for the apps that exist`);
  return app;
}

export async function createApp(ctx: Ctx, input: { name: unknown; branch?: unknown }): Promise<App> {
  const name = validateAppName(input.name);
  const branch = input.branch === undefined ? 'main' : input.branch;
  if (typeof branch !== 'string' || !/^[A-Za-z0-9._/-]{1,100}$/.test(branch)) {
    throw new ValidationError(`invalid branch "${String(branch)}": give a git branch name such as main`);
  }
  const app: App = {
    name,
    createdAt: ctx.clock.now().toISOString(),
    branch,
    buildpacks: [],
    strategy: 'one-by-one',
    health: {},
    deployTimeoutMs: DEFAULT_DEPLOY_TIMEOUT_MS,
  };
  try {
    await ctx.store.createApp(app);
  } catch (e) {
    if (e instanceof ConflictError)
      throw new ConflictError(`app "${name}" already exists: choose another name`);
    throw e;
  }
  await ctx.store.putRoute({
    id: ctx.ids.next('route'),
    app: name,
    domain: `${name}.${ctx.settings.routerDomain}`,
    path: '/',
    processType: 'web',
    leader: false,
    sticky: false,
    createdAt: app.createdAt,
  });
  await recordEvent(ctx, name, 'app.created', { name }, `app ${name} created`);
  return app;
}

export async function appInfo(ctx: Ctx, name: string): Promise<AppInfo> {
  const app = await requireApp(ctx, name);
  const [currentVersion, formation, instances, routes, resources] = await Promise.all([
    ctx.store.getCurrentVersion(name),
    ctx.store.getFormation(name),
    ctx.scheduler.list(name),
    ctx.store.listRoutes(name),
    ctx.store.listResources(name),
  ]);
  const release = currentVersion
    ? await ctx.store.getRelease(name, currentVersion)
    : await ctx.store.latestRelease(name);
  const withHealth = instances.map((i) =>
    i.state === 'starting' || i.state === 'up'
      ? { ...i, state: ctx.runtime.isHealthy(i.id) ? ('up' as const) : i.state }
      : i,
  );
  return { app, release, currentVersion, formation, instances: withHealth, routes, resources };
}

export async function destroyApp(ctx: Ctx, name: string, confirm: boolean): Promise<void> {
  await requireApp(ctx, name);
  if (!confirm) {
    throw new ValidationError(
      `destroying ${name} stops it and deletes its releases and data: confirm with --yes`,
    );
  }
  await ctx.locks.run(name, async () => {
    await ctx.deployer.removeApp(name);
    for (const resource of await ctx.store.listResources(name)) {
      // the runtime's default: a final snapshot on AWS, nothing locally
      await ctx.provisioner.deprovision(resource, {});
    }
    // Secrets named after the app would otherwise outlive it, and a new app of the same
    // name would inherit its webhook secret and git token.
    for (const secret of appSecretNames(name)) await ctx.secrets.delete(secret);
    await ctx.store.deleteApp(name);
    await ctx.discovery.remove(name);
  });
  await ctx.runtime.publishNow();
  await recordEvent(ctx, name, 'app.destroyed', { name });
}
