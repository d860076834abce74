/**
 * The JSON routes of the API, independent of the transport: the local HTTP server and the
 * API Lambda both call this. Authentication happens before (bearer token locally, IAM on
 * API Gateway); streaming routes are served by the transport itself.
 */
import type { ControlPlane } from '../core/control-plane.ts';
import { isWharfError, ValidationError, WharfError } from '../core/errors.ts';
import { type ErrorBody, STATUS_BY_CODE } from './errors.ts';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

type Params = Record<string, string>;
type Handler = (p: Params, req: ApiRequest) => Promise<unknown>;

interface RouteDef {
  readonly method: string;
  readonly pattern: RegExp;
  readonly keys: readonly string[];
  readonly handler: Handler;
  readonly status: number;
}

function route(method: string, path: string, handler: Handler, status = 200): RouteDef {
  const keys: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/:([a-zA-Z]+)/g, (_, k: string) => {
      keys.push(k);
      return '([^/]+)';
    })}$`,
  );
  return { method, pattern, keys, handler, status };
}

function obj(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError('the request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d{1,9}$/.test(v))
    throw new ValidationError(`query parameter ${name} must be a whole number, got "${v}"`);
  return Number(v);
}

export function createApiHandler(cp: ControlPlane): (req: ApiRequest) => Promise<ApiResponse> {
  const routes: RouteDef[] = [
    route('GET', '/apps', () => cp.listApps()),
    route('POST', '/apps', (_, r) => cp.createApp(obj(r.body) as { name: unknown; branch?: unknown }), 201),
    route('GET', '/apps/:app', (p) => cp.appInfo(p['app']!)),
    route('PATCH', '/apps/:app', (p, r) => cp.updateApp(p['app']!, obj(r.body))),
    route('DELETE', '/apps/:app', async (p, r) => {
      await cp.destroyApp(
        p['app']!,
        r.query.get('confirm') === 'true' || r.query.get('confirm') === p['app'],
      );
      return { destroyed: p['app'] };
    }),
    route('GET', '/apps/:app/env', (p, r) => cp.getEnv(p['app']!, r.query.get('type') ?? undefined)),
    route('PATCH', '/apps/:app/env', (p, r) => {
      const b = obj(r.body);
      if (
        b['set'] !== undefined &&
        (typeof b['set'] !== 'object' || b['set'] === null || Array.isArray(b['set']))
      ) {
        throw new ValidationError('set must be an object of KEY: "value" pairs');
      }
      if (b['unset'] !== undefined && !Array.isArray(b['unset'])) {
        throw new ValidationError('unset must be a list of KEY names');
      }
      if (b['processType'] !== undefined && typeof b['processType'] !== 'string') {
        throw new ValidationError('processType must be a process type name such as web');
      }
      return cp.changeEnv(p['app']!, {
        ...(b['set'] ? { set: b['set'] as Record<string, unknown> } : {}),
        ...(b['unset'] ? { unset: b['unset'] as unknown[] } : {}),
        ...(b['processType'] ? { processType: b['processType'] as string } : {}),
      });
    }),
    route('GET', '/apps/:app/releases', (p) => cp.listReleases(p['app']!)),
    route('GET', '/apps/:app/releases/current', (p) => cp.getRelease(p['app']!)),
    route('GET', '/apps/:app/releases/:version', (p) => cp.getRelease(p['app']!, p['version'])),
    route('POST', '/apps/:app/rollback', (p, r) => cp.rollback(p['app']!, obj(r.body)['version'])),
    route('GET', '/apps/:app/formation', (p) => cp.getFormation(p['app']!)),
    route('PUT', '/apps/:app/formation', (p, r) => cp.scale(p['app']!, obj(obj(r.body)['processes']))),
    route('PUT', '/apps/:app/formation/sizes', (p, r) => cp.resize(p['app']!, obj(obj(r.body)['sizes']))),
    // the AWS API answers this route itself (functions/lib/aws-routes.ts); here there is no autoscaler
    route('PUT', '/apps/:app/autoscaling/:type', async (p) => {
      await cp.appInfo(p['app']!);
      throw new ValidationError(
        `autoscaling runs on AWS (Application Auto Scaling); on one machine set the count yourself: wharf scale ${p['type']}=N`,
      );
    }),
    route('GET', '/apps/:app/instances', (p) => cp.instances(p['app']!)),
    route('POST', '/apps/:app/restart', (p) => cp.restart(p['app']!)),
    route('GET', '/apps/:app/routes', (p) => cp.listRoutes(p['app']!)),
    route(
      'POST',
      '/apps/:app/routes',
      (p, r) => cp.addRoute(p['app']!, obj(r.body) as { domain: unknown }),
      201,
    ),
    route('DELETE', '/apps/:app/routes/:id', async (p) => {
      await cp.removeRoute(p['app']!, p['id']!);
      return { removed: p['id'] };
    }),
    route('GET', '/apps/:app/builds', (p) => cp.listBuilds(p['app']!)),
    route('GET', '/builds/:id', (p) => cp.getBuild(p['id']!)),
    route('GET', '/builds/:id/log', (p) => cp.buildLog(p['id']!)),
    route('GET', '/apps/:app/deployments', (p) => cp.listDeployments(p['app']!)),
    route('GET', '/deployments/:id', (p) => cp.getDeployment(p['id']!)),
    route('GET', '/apps/:app/log', (p, r) => {
      const lines = intParam(r.query, 'lines');
      const source = r.query.get('source');
      const instance = r.query.get('instance');
      return cp.queryLogs(p['app']!, {
        ...(lines !== undefined ? { lines } : {}),
        ...(source ? { source } : {}),
        ...(instance ? { instance } : {}),
      });
    }),
    route('GET', '/events', (_, r) => {
      const app = r.query.get('app');
      const afterSeq = intParam(r.query, 'after');
      const limit = intParam(r.query, 'limit');
      return cp.listEvents({
        ...(app ? { app } : {}),
        ...(afterSeq !== undefined ? { afterSeq } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    }),
  ];
  {
    const res = cp.resources;
    routes.push(
      route('GET', '/apps/:app/resources', (p) => res.list(p['app']!)),
      route('POST', '/apps/:app/resources', (p, r) => res.add(p['app']!, obj(r.body)), 201),
      route('GET', '/apps/:app/resources/:name', (p, r) =>
        res.info(p['app']!, p['name']!, r.query.get('reveal') === 'true'),
      ),
      route('DELETE', '/apps/:app/resources/:name', (p, r) =>
        res.remove(p['app']!, p['name']!, r.query.get('confirm') === 'true', keepDataQuery(r.query)),
      ),
    );
  }

  return async (req) => {
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    let pathMatched = false;
    for (const def of routes) {
      const m = def.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (def.method !== req.method) continue;
      const params: Params = {};
      def.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1]!);
      });
      try {
        const body = await def.handler(params, req);
        return { status: def.status, body: body ?? {} };
      } catch (e) {
        return errorResponse(e);
      }
    }
    return pathMatched
      ? errorResponse(new WharfError('validation_error', `${req.method} is not allowed on ${path}`))
      : errorResponse(new WharfError('not_found', `no API route ${req.method} ${path}: see docs/api.md`));
  };
}

export function errorResponse(e: unknown): ApiResponse {
  if (isWharfError(e)) {
    const body: ErrorBody = {
      error: { code: e.code, message: e.message, ...(e.details ? { details: sanitize(e.details) } : {}) },
    };
    return { status: STATUS_BY_CODE[e.code], body };
  }
  const body: ErrorBody = {
    error: { code: 'internal', message: 'internal error: see the platform log for details' },
  };
  return { status: 500, body };
}

function sanitize(details: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
}

/** `keep_data=true|false`, or nothing for the runtime's default. */
function keepDataQuery(query: URLSearchParams): { keepData?: boolean } {
  const v = query.get('keep_data');
  if (v === null) return {};
  if (v !== 'true' && v !== 'false') {
    throw new ValidationError(`invalid keep_data "${v}": use true or false, or leave it out for the default`);
  }
  return { keepData: v === 'true' };
}
