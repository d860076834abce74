import { describe, expect, it } from 'vitest';
import {
  type AlbAllocation,
  AlbCapacityError,
  DEFAULT_ALB_QUOTAS,
  EMPTY_ALLOCATION,
  type RouteToPlace,
  pathDepth,
  reconcileAllocation,
  removeAppFromAllocation,
} from '../../core/alb/allocation.ts';

const TYPES = ['web', 'api', 'admin'];

/** 500 apps × 3 process types, each type routed on its own host, web also on a path of a shared domain. */
function fleet(apps: number): RouteToPlace[] {
  const routes: RouteToPlace[] = [];
  for (let i = 0; i < apps; i++) {
    const app = `app-${String(i).padStart(3, '0')}`;
    for (const type of TYPES) {
      routes.push({
        routeId: `${app}-${type}`,
        app,
        processType: type,
        domain: `${type}.${app}.example.com`,
        path: '/',
      });
    }
  }
  return routes;
}

function assertValid(a: AlbAllocation, routes: readonly RouteToPlace[]) {
  for (let shard = 0; shard < a.shardCount; shard++) {
    const rules = a.rules.filter((r) => r.shard === shard);
    const tgs = a.targetGroups.filter((t) => t.shard === shard);
    expect(rules.length).toBeLessThanOrEqual(DEFAULT_ALB_QUOTAS.rulesPerAlb);
    expect(tgs.length).toBeLessThanOrEqual(DEFAULT_ALB_QUOTAS.targetGroupsPerAlb);
    expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length);
    for (const r of rules) {
      expect(r.priority).toBeGreaterThanOrEqual(1);
      expect(r.priority).toBeLessThanOrEqual(50_000);
      expect(tgs.some((t) => t.app === r.app && t.processType === r.processType)).toBe(true);
    }
  }
  expect(a.rules.map((r) => r.routeId).sort()).toEqual(routes.map((r) => r.routeId).sort());
  const names = a.targetGroups.map((t) => t.name);
  expect(new Set(names).size).toBe(names.length);
  for (const n of names) expect(n).toMatch(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/);
  const domainShards = new Map<string, Set<number>>();
  for (const r of a.rules) domainShards.set(r.domain, (domainShards.get(r.domain) ?? new Set()).add(r.shard));
  for (const shards of domainShards.values()) expect(shards.size).toBe(1);
}

describe('ALB allocation across shards', () => {
  it('places 500 apps × 3 process types within quotas, making shards as needed', () => {
    const routes = fleet(500);
    const a = reconcileAllocation(EMPTY_ALLOCATION, routes);
    assertValid(a, routes);
    expect(a.rules).toHaveLength(1500);
    expect(a.targetGroups).toHaveLength(1500);
    // 100 rules per ALB by default: 1500 routes need exactly 15 shards when packed.
    expect(a.shardCount).toBe(15);
    console.log(`1500 routes on ${a.shardCount} ALB shards`);
  });

  it('is deterministic and keeps placed routes where they are', () => {
    const routes = fleet(120);
    const a = reconcileAllocation(EMPTY_ALLOCATION, routes);
    expect(reconcileAllocation(EMPTY_ALLOCATION, [...routes].reverse())).toEqual(a);
    const again = reconcileAllocation(a, routes);
    expect(again).toEqual(a);
  });

  it('frees every slot of removed apps and reuses them; no other route moves or is lost', () => {
    const routes = fleet(500);
    const full = reconcileAllocation(EMPTY_ALLOCATION, routes);
    const removed = new Set(Array.from({ length: 50 }, (_, i) => `app-${String(i * 10).padStart(3, '0')}`));
    let a = full;
    for (const app of removed) a = removeAppFromAllocation(a, app);
    const remaining = routes.filter((r) => !removed.has(r.app));
    assertValid(a, remaining);
    for (const r of a.rules) {
      expect(full.rules.find((x) => x.routeId === r.routeId)).toEqual(r);
    }
    // Same outcome through reconcile, the way the router calls it.
    expect(reconcileAllocation(full, remaining)).toEqual(a);

    const newcomers = fleet(550).slice(1500);
    const b = reconcileAllocation(a, [...remaining, ...newcomers]);
    assertValid(b, [...remaining, ...newcomers]);
    // 150 freed + 150 new: the holes are filled, no new shard is opened.
    expect(b.shardCount).toBe(full.shardCount);
  });

  it('keeps a domain on one shard and orders deeper paths first on it', () => {
    const routes: RouteToPlace[] = [
      { routeId: 'root', app: 'site', processType: 'web', domain: 'example.com', path: '/' },
      { routeId: 'api', app: 'api', processType: 'web', domain: 'example.com', path: '/api' },
      { routeId: 'v2', app: 'api2', processType: 'web', domain: 'example.com', path: '/api/v2' },
    ];
    const a = reconcileAllocation(EMPTY_ALLOCATION, routes);
    const p = (id: string) => a.rules.find((r) => r.routeId === id)!.priority;
    expect(p('v2')).toBeLessThan(p('api'));
    expect(p('api')).toBeLessThan(p('root'));
    expect(new Set(a.rules.map((r) => r.shard)).size).toBe(1);
    expect(pathDepth('/api/v2')).toBe(2);
  });

  it('respects a raised rules quota and refuses a domain whose shard is full', () => {
    const routes = fleet(200);
    const a = reconcileAllocation(EMPTY_ALLOCATION, routes, { targetGroupsPerAlb: 100, rulesPerAlb: 1000 });
    // Target groups are the binding limit then: 600 of them need 6 ALBs.
    expect(a.shardCount).toBe(6);
    const tiny = { targetGroupsPerAlb: 100, rulesPerAlb: 2 };
    const two: RouteToPlace[] = [
      { routeId: 'a', app: 'x', processType: 'web', domain: 'd.example.com', path: '/' },
      { routeId: 'b', app: 'x', processType: 'web', domain: 'd.example.com', path: '/b' },
    ];
    const placed = reconcileAllocation(EMPTY_ALLOCATION, two, tiny);
    expect(() =>
      reconcileAllocation(
        placed,
        [...two, { routeId: 'c', app: 'y', processType: 'web', domain: 'd.example.com', path: '/c' }],
        tiny,
      ),
    ).toThrow(AlbCapacityError);
  });
});
