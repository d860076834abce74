import { requireApp } from './apps.ts';
import type { Ctx } from './context.ts';
import type { Route } from './domain.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { recordEvent } from './events.ts';
import { validateDomain, validatePathPrefix, validateProcessType } from './validation.ts';

export interface RouteInput {
  readonly domain: unknown;
  readonly path?: unknown;
  readonly processType?: unknown;
  readonly leader?: unknown;
  readonly sticky?: unknown;
}

/** `DOMAIN[/PATH]` as the CLI takes it. */
export function splitRouteTarget(target: string): { domain: string; path: string } {
  const i = target.indexOf('/');
  return i < 0 ? { domain: target, path: '/' } : { domain: target.slice(0, i), path: target.slice(i) };
}

export async function addRoute(ctx: Ctx, app: string, input: RouteInput): Promise<Route> {
  await requireApp(ctx, app);
  if (input.leader !== undefined && typeof input.leader !== 'boolean') {
    throw new ValidationError('leader must be true or false');
  }
  if (input.sticky !== undefined && typeof input.sticky !== 'boolean') {
    throw new ValidationError('sticky must be true or false');
  }
  const route: Route = {
    id: ctx.ids.next('route'),
    app,
    domain: validateDomain(input.domain),
    path: validatePathPrefix(input.path),
    processType: input.processType === undefined ? 'web' : validateProcessType(input.processType),
    leader: input.leader === true,
    sticky: input.sticky === true,
    createdAt: ctx.clock.now().toISOString(),
  };
  const taken = (await ctx.store.listRoutes()).find(
    (r) => r.domain === route.domain && r.path === route.path,
  );
  if (taken) {
    throw new ConflictError(
      `${route.domain}${route.path === '/' ? '' : route.path} is already routed to ${taken.app}: remove that route first`,
    );
  }
  await ctx.store.putRoute(route);
  await recordEvent(
    ctx,
    app,
    'route.added',
    { id: route.id, domain: route.domain, path: route.path },
    `route ${route.domain}${route.path} added`,
  );
  await ctx.runtime.publishNow();
  return route;
}

export async function listRoutes(ctx: Ctx, app: string): Promise<Route[]> {
  await requireApp(ctx, app);
  return ctx.store.listRoutes(app);
}

export async function removeRoute(ctx: Ctx, app: string, id: string): Promise<void> {
  await requireApp(ctx, app);
  const route = (await ctx.store.listRoutes(app)).find((r) => r.id === id);
  if (!route) throw new NotFoundError(`route ${id} of ${app} not found: see \`wharf route list\``);
  await ctx.store.deleteRoute(app, id);
  await recordEvent(ctx, app, 'route.removed', { id }, `route ${route.domain}${route.path} removed`);
  await ctx.runtime.publishNow();
}
