import { describe, expect, it } from 'vitest';
import {
  type AlbAllocation,
  AlbCapacityError,
  DEFAULT_ALB_QUOTAS,
  EMPTY_ALLOCATION,
  type RouteToPlace,
  TARGET_GROUP_NAME_MAX,
  pathDepth,
  reconcileAllocation,
  removeAppFromAllocation,
  targetGroupName,
  targetGroupOfRule,
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
      // A rule forwards to a target group on its own shard, the leader one for a leader route.
      const tg = tgs.filter(
        (t) => t.app === r.app && t.processType === r.processType && t.leader === r.leader,
      );
      expect(tg).toHaveLength(1);
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

/** Every app's web type routed twice: to all tasks on its host, and leader-only on /admin. */
function leaderFleet(apps: number): RouteToPlace[] {
  const routes: RouteToPlace[] = [];
  for (let i = 0; i < apps; i++) {
    const app = `app-${String(i).padStart(3, '0')}`;
    const domain = `${app}.example.com`;
    routes.push({ routeId: `${app}-all`, app, processType: 'web', domain, path: '/' });
    routes.push({ routeId: `${app}-lead`, app, processType: 'web', domain, path: '/admin', leader: true });
  }
  return routes;
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

  it('gives leader routes their own target groups, counted against the 100 per ALB', () => {
    const routes = leaderFleet(300);
    const a = reconcileAllocation(EMPTY_ALLOCATION, routes);
    assertValid(a, routes);
    // 300 apps × (1 target group for all tasks + 1 for the leader): 6 ALBs of 100 each.
    expect(a.targetGroups).toHaveLength(600);
    expect(a.targetGroups.filter((t) => t.leader)).toHaveLength(300);
    expect(a.shardCount).toBe(6);
    for (let shard = 0; shard < a.shardCount; shard++) {
      expect(a.targetGroups.filter((t) => t.shard === shard).length).toBe(100);
    }
    // With room for 3 target groups per ALB, an app's pair leaves a third app no room beside it.
    const tiny = { targetGroupsPerAlb: 3, rulesPerAlb: 100 };
    const b = reconcileAllocation(EMPTY_ALLOCATION, leaderFleet(2), tiny);
    expect(b.shardCount).toBe(2);
    expect(b.targetGroups.map((t) => [t.shard, t.app, t.leader === true])).toEqual([
      [0, 'app-000', false],
      [0, 'app-000', true],
      [1, 'app-001', false],
      [1, 'app-001', true],
    ]);
  });

  it('moves a route whose leader flag changes to the other target group and frees the old one', () => {
    const plain: RouteToPlace = {
      routeId: 'r',
      app: 'shop',
      processType: 'web',
      domain: 's.example.com',
      path: '/',
    };
    const a = reconcileAllocation(EMPTY_ALLOCATION, [plain]);
    const b = reconcileAllocation(a, [{ ...plain, leader: true }]);
    expect(b.targetGroups).toEqual([
      {
        shard: 0,
        app: 'shop',
        processType: 'web',
        leader: true,
        name: targetGroupName(0, 'shop', 'web', { leader: true }),
      },
    ]);
    expect(targetGroupOfRule(b, b.rules[0]!)?.leader).toBe(true);
    expect(reconcileAllocation(b, [plain]).targetGroups).toEqual(a.targetGroups);
  });

  it('names target groups with the platform name, within 32 characters', () => {
    const routes = leaderFleet(150).map((r) => ({ ...r, app: `${r.app}-with-a-long-name` }));
    const a = reconcileAllocation(EMPTY_ALLOCATION, routes, DEFAULT_ALB_QUOTAS, 'acme');
    assertValid(a, routes);
    for (const t of a.targetGroups) expect(t.name).toMatch(/^acme-\d+l?-/);
    expect(targetGroupName(0, 'shop', 'web', { prefix: 'acme' })).toMatch(/^acme-0-shop-[0-9a-f]{8}$/);
    // The longest platform name the stack accepts (12) on a three-digit shard still fits.
    for (const leader of [false, true]) {
      const name = targetGroupName(123, 'a-very-long-application-name', 'web', {
        prefix: 'abcdefghijkl',
        leader,
      });
      expect(name.length).toBeLessThanOrEqual(TARGET_GROUP_NAME_MAX);
      expect(name).toMatch(/^abcdefghijkl-123l?-a(-[0-9a-f]{8}|[a-z-]*-[0-9a-f]{8})$/);
    }
    // The default name keeps the names of target groups made before the prefix was configurable.
    expect(targetGroupName(3, 'shop', 'web')).toBe(targetGroupName(3, 'shop', 'web', { prefix: 'wharf' }));
    expect(() => targetGroupName(0, 'shop', 'web', { prefix: 'a-name-far-too-long-for-elb' })).toThrow(
      /shorter name/,
    );
  });
});
