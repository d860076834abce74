/**
 * StateStore on one DynamoDB table (see dynamo-table.ts for the item shape).
 *
 * Keys:
 *   APPS            APP#<name>                 the app
 *   APP#<name>      REL#<version>              releases (zero-padded: string order = number order)
 *   APP#<name>      BUILD#<id> | DEPLOY#<id> | ARTIFACT#<id>   per-app copies for listing
 *   BUILD#<id>      BUILD        (likewise DEPLOY#, ARTIFACT#)  lookup by id
 *   APP#<name>      FORMATION | CURRENT | ROUTE#<id> | RES#<name> | EVENT#<seq>
 *   ROUTES          KEY#<domain>#<path>         the route, unique per domain+path
 *   RESOURCES       RES#<app>#<name>            every resource, for listing across apps
 *   EVENTS          SEQ#<seq>                   every event; COUNTER/EVENTS holds the last seq
 *   LEASE#<key>     LEASE                       leases; DELIVERY#<id>/DELIVERY webhook dedupe
 *
 * Consistency comes from conditional writes: a release number is taken by writing its
 * key only if absent (the loser re-reads and retries), a lease only if free or expired.
 */
import type {
  App,
  Artifact,
  Build,
  Deployment,
  Formation,
  Release,
  Resource,
  Route,
  WharfEvent,
} from '../../core/domain.ts';
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '../../core/errors.ts';
import type { ReleaseDraft, StateStore } from '../../core/ports.ts';
import { type BackoffOptions, awsCall, realSleep } from './aws-errors.ts';
import type { DynamoDocApi } from './dynamo-doc-api.ts';
import { type Item, type TableOptions, deleteKeys, pad, plain, queryAll } from './dynamo-table.ts';

export interface DynamoStateStoreOptions {
  readonly client: DynamoDocApi;
  readonly tableName: string;
  readonly now?: () => Date;
  readonly backoff?: BackoffOptions;
  /** attempts at taking a release number under contention */
  readonly maxReleaseAttempts?: number;
}

const ENTITY_PREFIXES = ['BUILD#', 'DEPLOY#', 'ARTIFACT#'];

export class DynamoStateStore implements StateStore {
  private readonly table: TableOptions;
  private readonly now: () => Date;
  private readonly maxReleaseAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: DynamoStateStoreOptions) {
    this.table = { client: options.client, tableName: options.tableName, backoff: options.backoff };
    this.now = options.now ?? (() => new Date());
    this.maxReleaseAttempts = options.maxReleaseAttempts ?? 60;
    this.sleep = options.backoff?.sleep ?? realSleep;
  }

  // --- plumbing -----------------------------------------------------------------------

  private get client(): DynamoDocApi {
    return this.table.client;
  }

  private async get<T>(pk: string, sk: string, what: string): Promise<T | null> {
    const out = await awsCall(
      what,
      () => this.client.get({ TableName: this.table.tableName, Key: { pk, sk }, ConsistentRead: true }),
      this.table.backoff,
    );
    return out.Item ? (out.Item['data'] as T) : null;
  }

  private async put(item: Item, what: string, condition?: Condition): Promise<void> {
    await awsCall(
      what,
      () =>
        this.client.put({
          TableName: this.table.tableName,
          Item: plain(item),
          ...(condition ? conditionInput(condition) : {}),
        }),
      this.table.backoff,
    );
  }

  private async remove(pk: string, sk: string, what: string, condition?: Condition): Promise<void> {
    await awsCall(
      what,
      () =>
        this.client.delete({
          TableName: this.table.tableName,
          Key: { pk, sk },
          ...(condition ? conditionInput(condition) : {}),
        }),
      this.table.backoff,
    );
  }

  private async listData<T>(pk: string, prefix: string, what: string, newestFirst = false): Promise<T[]> {
    const items = await queryAll(
      this.table,
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ScanIndexForward: !newestFirst,
        ConsistentRead: true,
      },
      what,
    );
    return items.map((i) => i['data'] as T);
  }

  // --- apps ---------------------------------------------------------------------------

  async createApp(app: App): Promise<void> {
    try {
      await this.put({ pk: 'APPS', sk: `APP#${app.name}`, data: app }, `create app ${app.name}`, {
        expression: 'attribute_not_exists(pk)',
      });
    } catch (e) {
      if (e instanceof ConflictError) {
        throw new ConflictError(`app ${app.name} already exists: choose another name`, { cause: e });
      }
      throw e;
    }
  }

  getApp(name: string): Promise<App | null> {
    return this.get<App>('APPS', `APP#${name}`, `read app ${name}`);
  }

  listApps(): Promise<App[]> {
    return this.listData<App>('APPS', 'APP#', 'list apps');
  }

  async updateApp(name: string, patch: Partial<Omit<App, 'name' | 'createdAt'>>): Promise<App> {
    const current = await this.getApp(name);
    if (!current) throw new NotFoundError(`app ${name} not found: list apps with \`wharf apps\``);
    const next: App = { ...current, ...plain(patch), name: current.name, createdAt: current.createdAt };
    await this.put({ pk: 'APPS', sk: `APP#${name}`, data: next }, `update app ${name}`, {
      expression: 'attribute_exists(pk)',
    });
    return next;
  }

  async deleteApp(name: string): Promise<void> {
    const owned = await queryAll(
      this.table,
      {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `APP#${name}` },
        ConsistentRead: true,
      },
      `list items of app ${name}`,
    );
    const keys: { pk: string; sk: string }[] = owned.map((i) => ({ pk: i.pk, sk: i.sk }));
    for (const item of owned) {
      const prefix = ENTITY_PREFIXES.find((p) => item.sk.startsWith(p));
      if (prefix) keys.push({ pk: item.sk, sk: prefix.slice(0, -1) });
      if (item.sk.startsWith('ROUTE#')) {
        const route = item['data'] as Route;
        keys.push({ pk: 'ROUTES', sk: routeKey(route) });
      }
      if (item.sk.startsWith('RES#')) keys.push({ pk: 'RESOURCES', sk: `RES#${name}#${item.sk.slice(4)}` });
    }
    keys.push({ pk: 'APPS', sk: `APP#${name}` });
    await deleteKeys(this.table, keys, `delete app ${name}`);
  }

  // --- releases -----------------------------------------------------------------------

  async appendRelease(app: string, make: (latest: Release | null) => ReleaseDraft): Promise<Release> {
    for (let attempt = 1; ; attempt++) {
      const latest = await this.latestRelease(app);
      const version = (latest?.version ?? 0) + 1;
      const release: Release = { ...make(latest), app, version, createdAt: this.now().toISOString() };
      try {
        await this.put(
          { pk: `APP#${app}`, sk: `REL#${pad(version)}`, data: release },
          `append release of ${app}`,
          {
            expression: 'attribute_not_exists(pk)',
          },
        );
        return release;
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= this.maxReleaseAttempts) throw e;
        // Another writer took this number: back off a little, re-read and try the next one.
        await this.sleep(Math.round(Math.random() * 10 * Math.min(attempt, 10)));
      }
    }
  }

  getRelease(app: string, version: number): Promise<Release | null> {
    return this.get<Release>(`APP#${app}`, `REL#${pad(version)}`, `read release v${version} of ${app}`);
  }

  async latestRelease(app: string): Promise<Release | null> {
    const items = await queryAll(
      this.table,
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `APP#${app}`, ':prefix': 'REL#' },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      },
      `read latest release of ${app}`,
    );
    return (items[0]?.['data'] as Release | undefined) ?? null;
  }

  listReleases(app: string): Promise<Release[]> {
    return this.listData<Release>(`APP#${app}`, 'REL#', `list releases of ${app}`);
  }

  // --- builds, artifacts, deployments: one item per id plus a per-app copy --------------

  private async putEntity(kind: 'BUILD' | 'ARTIFACT' | 'DEPLOY', app: string, id: string, data: unknown) {
    await this.put({ pk: `${kind}#${id}`, sk: kind, data }, `save ${kind.toLowerCase()} ${id}`);
    await this.put({ pk: `APP#${app}`, sk: `${kind}#${id}`, data }, `save ${kind.toLowerCase()} ${id}`);
  }

  putBuild(build: Build): Promise<void> {
    return this.putEntity('BUILD', build.app, build.id, build);
  }

  getBuild(id: string): Promise<Build | null> {
    return this.get<Build>(`BUILD#${id}`, 'BUILD', `read build ${id}`);
  }

  async listBuilds(app: string): Promise<Build[]> {
    const builds = await this.listData<Build>(`APP#${app}`, 'BUILD#', `list builds of ${app}`);
    return builds.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  putArtifact(artifact: Artifact): Promise<void> {
    return this.putEntity('ARTIFACT', artifact.app, artifact.id, artifact);
  }

  getArtifact(id: string): Promise<Artifact | null> {
    return this.get<Artifact>(`ARTIFACT#${id}`, 'ARTIFACT', `read artifact ${id}`);
  }

  putDeployment(deployment: Deployment): Promise<void> {
    return this.putEntity('DEPLOY', deployment.app, deployment.id, deployment);
  }

  getDeployment(id: string): Promise<Deployment | null> {
    return this.get<Deployment>(`DEPLOY#${id}`, 'DEPLOY', `read deployment ${id}`);
  }

  async listDeployments(app: string): Promise<Deployment[]> {
    const all = await this.listData<Deployment>(`APP#${app}`, 'DEPLOY#', `list deployments of ${app}`);
    return all.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  // --- formation and current version ----------------------------------------------------

  getFormation(app: string): Promise<Formation | null> {
    return this.get<Formation>(`APP#${app}`, 'FORMATION', `read formation of ${app}`);
  }

  putFormation(formation: Formation): Promise<void> {
    return this.put(
      { pk: `APP#${formation.app}`, sk: 'FORMATION', data: formation },
      `save formation of ${formation.app}`,
    );
  }

  getCurrentVersion(app: string): Promise<number | null> {
    return this.get<number>(`APP#${app}`, 'CURRENT', `read current release of ${app}`);
  }

  setCurrentVersion(app: string, version: number): Promise<void> {
    return this.put({ pk: `APP#${app}`, sk: 'CURRENT', data: version }, `set current release of ${app}`);
  }

  // --- leases -------------------------------------------------------------------------

  async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const nowMs = this.now().getTime();
    const until = nowMs + ttlMs;
    try {
      await this.put(
        {
          pk: `LEASE#${key}`,
          sk: 'LEASE',
          data: { holder, until },
          holder,
          until,
          expiresAt: Math.ceil(until / 1000) + 60,
        },
        `take lease ${key}`,
        {
          expression: 'attribute_not_exists(pk) OR #until < :now OR #holder = :holder',
          names: { '#until': 'until', '#holder': 'holder' },
          values: { ':now': nowMs, ':holder': holder },
        },
      );
      return true;
    } catch (e) {
      if (e instanceof ConflictError) return false;
      throw e;
    }
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    try {
      await this.remove(`LEASE#${key}`, 'LEASE', `release lease ${key}`, {
        expression: '#holder = :holder',
        names: { '#holder': 'holder' },
        values: { ':holder': holder },
      });
    } catch (e) {
      // Someone else holds it now (ours expired): theirs is not ours to release.
      if (!(e instanceof ConflictError)) throw e;
    }
  }

  // --- routes -------------------------------------------------------------------------

  async putRoute(route: Route): Promise<void> {
    const previous = await this.get<Route>(`APP#${route.app}`, `ROUTE#${route.id}`, `read route ${route.id}`);
    try {
      await this.put(
        { pk: 'ROUTES', sk: routeKey(route), data: route, routeId: route.id },
        `save route ${route.id}`,
        {
          expression: 'attribute_not_exists(pk) OR #routeId = :id',
          names: { '#routeId': 'routeId' },
          values: { ':id': route.id },
        },
      );
    } catch (e) {
      if (e instanceof ConflictError) {
        throw new ConflictError(
          `a route for ${route.domain}${route.path} already exists: remove it first or choose another domain or path`,
          { cause: e },
        );
      }
      throw e;
    }
    await this.put(
      { pk: `APP#${route.app}`, sk: `ROUTE#${route.id}`, data: route },
      `save route ${route.id}`,
    );
    if (previous && routeKey(previous) !== routeKey(route)) {
      await this.remove('ROUTES', routeKey(previous), `free old key of route ${route.id}`);
    }
  }

  async deleteRoute(app: string, id: string): Promise<void> {
    const route = await this.get<Route>(`APP#${app}`, `ROUTE#${id}`, `read route ${id}`);
    if (!route) return;
    await this.remove('ROUTES', routeKey(route), `delete route ${id}`, {
      expression: 'attribute_not_exists(pk) OR #routeId = :id',
      names: { '#routeId': 'routeId' },
      values: { ':id': id },
    }).catch((e: unknown) => {
      if (!(e instanceof ConflictError)) throw e;
    });
    await this.remove(`APP#${app}`, `ROUTE#${id}`, `delete route ${id}`);
  }

  listRoutes(app?: string): Promise<Route[]> {
    if (app !== undefined) return this.listData<Route>(`APP#${app}`, 'ROUTE#', `list routes of ${app}`);
    return this.listData<Route>('ROUTES', 'KEY#', 'list routes');
  }

  // --- resources ----------------------------------------------------------------------

  async putResource(resource: Resource): Promise<void> {
    const what = `save resource ${resource.name} of ${resource.app}`;
    await this.put({ pk: `APP#${resource.app}`, sk: `RES#${resource.name}`, data: resource }, what);
    await this.put({ pk: 'RESOURCES', sk: `RES#${resource.app}#${resource.name}`, data: resource }, what);
  }

  getResource(app: string, name: string): Promise<Resource | null> {
    return this.get<Resource>(`APP#${app}`, `RES#${name}`, `read resource ${name} of ${app}`);
  }

  listResources(app?: string): Promise<Resource[]> {
    if (app !== undefined) return this.listData<Resource>(`APP#${app}`, 'RES#', `list resources of ${app}`);
    return this.listData<Resource>('RESOURCES', 'RES#', 'list resources');
  }

  async deleteResource(app: string, name: string): Promise<void> {
    await this.remove(`APP#${app}`, `RES#${name}`, `delete resource ${name} of ${app}`);
    await this.remove('RESOURCES', `RES#${app}#${name}`, `delete resource ${name} of ${app}`);
  }

  // --- events -------------------------------------------------------------------------

  async appendEvent(event: Omit<WharfEvent, 'seq'>): Promise<WharfEvent> {
    const out = await awsCall(
      'number an event',
      () =>
        this.client.update({
          TableName: this.table.tableName,
          Key: { pk: 'COUNTER', sk: 'EVENTS' },
          UpdateExpression: 'ADD #seq :one',
          ExpressionAttributeNames: { '#seq': 'seq' },
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      this.table.backoff,
    );
    const seq = Number(out.Attributes?.['seq']);
    const full: WharfEvent = { ...event, seq };
    await this.put({ pk: 'EVENTS', sk: `SEQ#${pad(seq)}`, data: full }, `record event ${seq}`);
    if (event.app !== null) {
      await this.put({ pk: `APP#${event.app}`, sk: `EVENT#${pad(seq)}`, data: full }, `record event ${seq}`);
    }
    return full;
  }

  async listEvents(filter: { app?: string; afterSeq?: number; limit?: number }): Promise<WharfEvent[]> {
    const pk = filter.app !== undefined ? `APP#${filter.app}` : 'EVENTS';
    const prefix = filter.app !== undefined ? 'EVENT#' : 'SEQ#';
    const items = await queryAll(
      this.table,
      {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': pk,
          ':from': `${prefix}${pad((filter.afterSeq ?? 0) + 1)}`,
          ':to': `${prefix}${'9'.repeat(12)}`,
        },
        ConsistentRead: true,
        ...(filter.limit !== undefined ? { Limit: filter.limit } : {}),
      },
      'list events',
    );
    return items.map((i) => i['data'] as WharfEvent);
  }

  // --- webhook deliveries ---------------------------------------------------------------

  async markDelivery(id: string, ttlMs: number): Promise<boolean> {
    const nowSec = Math.floor(this.now().getTime() / 1000);
    // This call's own mark: if a retry of the write (its answer lost on the way back) finds
    // the record, the claim says whether it was this call that made it.
    const claim = randomUUID();
    const pk = `DELIVERY#${id}`;
    try {
      await this.put(
        { pk, sk: 'DELIVERY', data: { id, claim }, expiresAt: nowSec + Math.ceil(ttlMs / 1000) },
        `record delivery ${id}`,
        // TTL deletes lag by up to two days: an expired record counts as absent.
        {
          expression: 'attribute_not_exists(pk) OR #exp < :now',
          names: { '#exp': 'expiresAt' },
          values: { ':now': nowSec },
        },
      );
      return true;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      const held = await this.get<{ claim?: unknown } | string>(pk, 'DELIVERY', `read delivery ${id}`);
      return typeof held === 'object' && held !== null && held.claim === claim;
    }
  }
}

interface Condition {
  readonly expression: string;
  readonly names?: Record<string, string>;
  readonly values?: Record<string, unknown>;
}

function conditionInput(c: Condition) {
  return {
    ConditionExpression: c.expression,
    ...(c.names ? { ExpressionAttributeNames: c.names } : {}),
    ...(c.values ? { ExpressionAttributeValues: c.values } : {}),
  };
}

function routeKey(route: Pick<Route, 'domain' | 'path'>): string {
  return `KEY#${route.domain}#${route.path}`;
}
