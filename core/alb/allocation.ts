/**
 * Places HTTP routes on ALB shards. One ALB holds at most 100 target groups (a hard
 * quota) and, by default, 100 listener rules, so a platform with many apps spreads them
 * over several ALBs. Pure and deterministic: the same current allocation and routes give
 * the same answer, and routes already placed never move (moving one would change the
 * ALB its domain's DNS points at).
 *
 * Constraints kept:
 * - a domain lives on one shard, since its DNS name points at one ALB;
 * - a rule forwards to a target group on its own ALB (one per shard, app and process type);
 * - a leader-only route (Flynn's `--leader`) forwards to a target group of its own per
 *   shard, app and process type, which the ECS service does not attach to: the leader
 *   keeper registers the leader's task in it alone. It counts against the same quotas;
 * - on one host, a deeper path gets a lower priority number (ALB evaluates low first),
 *   so `/api/v2` wins over `/api` and both over `/`.
 */
import { createHash } from 'node:crypto';
import { ValidationError, WharfError } from '../errors.ts';
import { DEFAULT_NAME_PREFIX } from './platform-name.ts';

export { DEFAULT_NAME_PREFIX };

export interface AlbQuotas {
  /** target groups one ALB can be associated with (hard quota: 100) */
  readonly targetGroupsPerAlb: number;
  /** listener rules per ALB, default rules excluded (default quota: 100) */
  readonly rulesPerAlb: number;
}

export const DEFAULT_ALB_QUOTAS: AlbQuotas = { targetGroupsPerAlb: 100, rulesPerAlb: 100 };

export interface RouteToPlace {
  readonly routeId: string;
  readonly app: string;
  readonly processType: string;
  readonly domain: string;
  /** path prefix starting with '/' */
  readonly path: string;
  /** only the process type's leader serves it (absent: every task) */
  readonly leader?: boolean;
}

export interface TargetGroupSlot {
  readonly shard: number;
  readonly app: string;
  readonly processType: string;
  /** the leader's own target group, which the ECS service does not attach to */
  readonly leader?: boolean;
  /** ELB target group name: unique, at most 32 characters */
  readonly name: string;
}

export interface RuleSlot extends RouteToPlace {
  readonly shard: number;
  /** listener rule priority, unique on its shard */
  readonly priority: number;
}

export interface AlbAllocation {
  /** shards in use or used before: 0..shardCount-1 */
  readonly shardCount: number;
  readonly targetGroups: readonly TargetGroupSlot[];
  readonly rules: readonly RuleSlot[];
}

export const EMPTY_ALLOCATION: AlbAllocation = { shardCount: 0, targetGroups: [], rules: [] };

/** ALB priorities run 1..50000; they are split into bands by path depth. */
const MAX_DEPTH = 19;
const BAND = 2500;

export class AlbCapacityError extends WharfError {
  constructor(message: string, options?: ErrorOptions) {
    super('unavailable', message, options);
    this.name = 'AlbCapacityError';
  }
}

export function pathDepth(path: string): number {
  return path.split('/').filter((s) => s.length > 0).length;
}

/** ELB's limit on target group names. */
export const TARGET_GROUP_NAME_MAX = 32;

/**
 * `<prefix>-<shard>[l]-<app stem>-<hash>`: the prefix is the platform's name, which its IAM
 * policy grants target groups on; `l` marks a leader target group; the app stem is cut to
 * what is left of ELB's 32 characters (12 at most, none if nothing is left), and the hash
 * of shard, app, type (and leader) keeps names unique.
 */
export function targetGroupName(
  shard: number,
  app: string,
  processType: string,
  options: { readonly prefix?: string; readonly leader?: boolean } = {},
): string {
  const prefix = options.prefix ?? DEFAULT_NAME_PREFIX;
  const leader = options.leader === true;
  const hash = createHash('sha256')
    .update(`${shard}/${app}/${processType}${leader ? '/leader' : ''}`)
    .digest('hex')
    .slice(0, 8);
  const head = `${prefix}-${shard}${leader ? 'l' : ''}-`;
  const room = TARGET_GROUP_NAME_MAX - head.length - hash.length - 1;
  const stem = room > 0 ? app.slice(0, Math.min(12, room)).replace(/-+$/, '') : '';
  const name = stem ? `${head}${stem}-${hash}` : `${head}${hash}`;
  if (name.length > TARGET_GROUP_NAME_MAX) {
    throw new ValidationError(
      `target group name ${name} is longer than ELB's ${TARGET_GROUP_NAME_MAX} characters: give the platform a shorter name (WHARF_NAME, at most 12 characters)`,
    );
  }
  return name;
}

const isLeader = (r: { readonly leader?: boolean }) => r.leader === true;

function sameRoute(a: RouteToPlace, b: RouteToPlace): boolean {
  return (
    a.routeId === b.routeId &&
    a.app === b.app &&
    a.processType === b.processType &&
    a.domain === b.domain &&
    a.path === b.path &&
    isLeader(a) === isLeader(b)
  );
}

type TgOwner = Pick<TargetGroupSlot, 'shard' | 'app' | 'processType' | 'leader'>;

const tgKey = (t: TgOwner) => `${t.shard}/${t.app}/${t.processType}${isLeader(t) ? '/leader' : ''}`;

/** Whether target group `t` is the one rule or route `r` forwards to on `shard`. */
function servesRoute(t: TargetGroupSlot, r: Omit<TgOwner, 'shard'>, shard: number): boolean {
  return (
    t.shard === shard && t.app === r.app && t.processType === r.processType && isLeader(t) === isLeader(r)
  );
}

/** The target group a placed rule forwards to. */
export function targetGroupOfRule(allocation: AlbAllocation, rule: RuleSlot): TargetGroupSlot | undefined {
  return allocation.targetGroups.find((t) => servesRoute(t, rule, rule.shard));
}

/**
 * The allocation for exactly `routes`: existing placements kept, those of removed routes
 * freed (with their target groups once no rule uses them), new routes placed.
 */
export function reconcileAllocation(
  current: AlbAllocation,
  routes: readonly RouteToPlace[],
  quotas: AlbQuotas = DEFAULT_ALB_QUOTAS,
  namePrefix: string = DEFAULT_NAME_PREFIX,
): AlbAllocation {
  const wanted = new Map(routes.map((r) => [r.routeId, r]));
  const rules: RuleSlot[] = current.rules.filter((slot) => {
    const route = wanted.get(slot.routeId);
    return route !== undefined && sameRoute(route, slot);
  });
  const placed = new Set(rules.map((r) => r.routeId));
  const usedTg = new Set(rules.map(tgKey));
  const targetGroups: TargetGroupSlot[] = current.targetGroups.filter((t) => usedTg.has(tgKey(t)));
  let shardCount = current.shardCount;

  const pending = routes
    .filter((r) => !placed.has(r.routeId))
    .sort((a, b) => cmp(a.domain, b.domain) || cmp(a.path, b.path) || cmp(a.routeId, b.routeId));

  // A new domain's routes are placed together, on a shard with room for all of them: its
  // DNS will point at that one ALB, so a route left over could not go anywhere else.
  for (const group of byDomain(pending)) {
    const shard = chooseShard(group, rules, targetGroups, shardCount, quotas);
    shardCount = Math.max(shardCount, shard + 1);
    for (const route of group) {
      const leader = isLeader(route);
      if (!targetGroups.some((t) => servesRoute(t, route, shard))) {
        targetGroups.push({
          shard,
          app: route.app,
          processType: route.processType,
          ...(leader ? { leader: true } : {}),
          name: targetGroupName(shard, route.app, route.processType, { prefix: namePrefix, leader }),
        });
      }
      const { leader: _flag, ...plain } = route;
      rules.push({
        ...plain,
        ...(leader ? { leader: true } : {}),
        shard,
        priority: freePriority(rules, shard, route.path),
      });
    }
  }
  return { shardCount, targetGroups, rules };
}

/** Routes sorted by domain, cut into one run per domain. */
function byDomain(sorted: readonly RouteToPlace[]): RouteToPlace[][] {
  const groups: RouteToPlace[][] = [];
  for (const route of sorted) {
    const last = groups.at(-1);
    if (last && last[0]!.domain === route.domain) last.push(route);
    else groups.push([route]);
  }
  return groups;
}

/** Frees every rule and target group of an app. */
export function removeAppFromAllocation(current: AlbAllocation, app: string): AlbAllocation {
  return {
    shardCount: current.shardCount,
    rules: current.rules.filter((r) => r.app !== app),
    targetGroups: current.targetGroups.filter((t) => t.app !== app),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether all of `group` fits on `shard`: its rules, and the target groups it would add. */
function fits(
  group: readonly RouteToPlace[],
  shard: number,
  rules: readonly RuleSlot[],
  tgs: readonly TargetGroupSlot[],
  quotas: AlbQuotas,
): boolean {
  if (rules.filter((r) => r.shard === shard).length + group.length > quotas.rulesPerAlb) return false;
  const onShard = tgs.filter((t) => t.shard === shard);
  const added = new Set(
    group.filter((r) => !onShard.some((t) => servesRoute(t, r, shard))).map((r) => tgKey({ ...r, shard })),
  );
  return onShard.length + added.size <= quotas.targetGroupsPerAlb;
}

function chooseShard(
  group: readonly RouteToPlace[],
  rules: readonly RuleSlot[],
  tgs: readonly TargetGroupSlot[],
  shardCount: number,
  quotas: AlbQuotas,
): number {
  const domain = group[0]!.domain;
  const domainShard = rules.find((r) => r.domain === domain)?.shard;
  if (domainShard !== undefined) {
    if (fits(group, domainShard, rules, tgs, quotas)) return domainShard;
    throw new AlbCapacityError(
      `no room on ALB shard ${domainShard}, which serves ${domain}, for the route${group.length > 1 ? 's' : ''} ` +
        `${group.map((r) => `${domain}${r.path}`).join(', ')}: ` +
        'raise the listener rules quota of that ALB, or remove a route on that domain',
    );
  }
  // Keep an app's routes together where possible: fewer target groups per service.
  const apps = new Set(group.map((r) => r.app));
  const types = new Set(group.map((r) => `${r.app}/${r.processType}`));
  const appShards = [
    ...new Set(tgs.filter((t) => types.has(`${t.app}/${t.processType}`)).map((t) => t.shard)),
    ...new Set(tgs.filter((t) => apps.has(t.app)).map((t) => t.shard)),
  ];
  for (const shard of appShards) if (fits(group, shard, rules, tgs, quotas)) return shard;
  for (let shard = 0; shard < shardCount; shard++) if (fits(group, shard, rules, tgs, quotas)) return shard;
  if (!fits(group, shardCount, [], [], quotas)) {
    throw new AlbCapacityError(
      `the ${group.length} routes of ${domain} need more rules or target groups than one ALB holds: ` +
        'a domain is served by one ALB, so split them over more domains or raise the listener rules quota',
    );
  }
  return shardCount;
}

function freePriority(rules: readonly RuleSlot[], shard: number, path: string): number {
  const band = MAX_DEPTH - Math.min(pathDepth(path), MAX_DEPTH);
  const taken = new Set(rules.filter((r) => r.shard === shard).map((r) => r.priority));
  for (let p = band * BAND + 1; p <= (band + 1) * BAND; p++) if (!taken.has(p)) return p;
  throw new AlbCapacityError(
    `ALB shard ${shard} has no free rule priority left for paths of depth ${pathDepth(path)}`,
  );
}
