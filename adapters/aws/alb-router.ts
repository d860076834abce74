/**
 * Router on ALB shards: the route table becomes target groups (one per shard, app and
 * process type, plus one for the leader where a route is leader-only) and listener rules
 * (host and path conditions), placed by core/alb so that no ALB passes its quotas. ECS
 * registers the tasks in the target groups; the leader keeper registers the leader in
 * the leader target groups (alb-leader-targets.ts). Changes go straight to the ELB API,
 * never through a CloudFormation update.
 */
import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  type AlbAllocation,
  type AlbQuotas,
  DEFAULT_ALB_QUOTAS,
  DEFAULT_NAME_PREFIX,
  type RouteToPlace,
  type RuleSlot,
  type TargetGroupSlot,
  reconcileAllocation,
  targetGroupOfRule,
} from '../../core/alb/allocation.ts';
import { ConflictError, WharfError } from '../../core/errors.ts';
import type { Router, RouteTableEntry } from '../../core/ports.ts';
import { TARGET_GROUP_DEFAULTS, targetGroupAttributes } from '../../infra/deploy-settings.ts';
import { type BackoffOptions, awsCall, errorName } from './aws-errors.ts';
import { type AllocationStore, targetGroupArnsOf } from './dynamo-alb-allocation-store.ts';
import { CONTAINER_PORT } from './ecs-names.ts';

export interface AlbRouterOptions {
  readonly client: ElasticLoadBalancingV2Client;
  /** the HTTPS listener of each ALB shard, shard 0 first */
  readonly listenerArns: readonly string[];
  readonly vpcId: string;
  readonly allocations: AllocationStore;
  /**
   * Brings a process type's leader target groups in line with its current leader; called
   * after every table for each type with a leader-only route, so a new leader target group
   * gets the leader that was elected before it existed.
   * @default - nothing: leader target groups are filled at the next change of leader
   */
  readonly syncLeader?: (app: string, processType: string) => Promise<void>;
  /**
   * The platform's name, which starts every target group name (the IAM policy grants on it).
   * @default 'wharf'
   */
  readonly namePrefix?: string;
  readonly quotas?: AlbQuotas;
  readonly backoff?: BackoffOptions;
  readonly maxAttempts?: number;
}

export class AlbRouter implements Router {
  private readonly o: AlbRouterOptions;

  constructor(options: AlbRouterOptions) {
    this.o = options;
  }

  async setTable(table: readonly RouteTableEntry[]): Promise<void> {
    const routes: RouteToPlace[] = table.map((entry) => ({
      routeId: entry.routeId,
      app: entry.app,
      processType: entry.processType,
      domain: entry.domain,
      path: entry.path,
      ...(entry.leader ? { leader: true } : {}),
    }));
    const sticky = new Set(table.filter((e) => e.sticky).map((e) => `${e.app}/${e.routeId}`));
    for (let attempt = 1; ; attempt++) {
      const stored = await this.o.allocations.load();
      const next = reconcileAllocation(
        stored.allocation,
        routes,
        this.o.quotas ?? DEFAULT_ALB_QUOTAS,
        this.o.namePrefix ?? DEFAULT_NAME_PREFIX,
      );
      const arns = await this.apply(stored.allocation, next, { ...stored.arns }, sticky);
      try {
        await this.o.allocations.save({ allocation: next, arns }, stored.revision);
      } catch (e) {
        // Another writer saved first: everything above is idempotent, so redo it on theirs.
        if (!(e instanceof ConflictError) || attempt >= (this.o.maxAttempts ?? 5)) throw e;
        continue;
      }
      const led = new Map(
        next.targetGroups.filter((t) => t.leader).map((t) => [`${t.app}/${t.processType}`, t]),
      );
      for (const t of led.values()) await this.o.syncLeader?.(t.app, t.processType);
      return;
    }
  }

  /**
   * The target group ARNs of a routed process type on any shard, for the ECS service's load
   * balancers. Leader target groups are left out: only the leader keeper registers in them.
   */
  async targetGroupArns(app: string, processType: string): Promise<string[]> {
    return targetGroupArnsOf(await this.o.allocations.load(), app, processType, { leader: false });
  }

  private listener(shard: number): string {
    const arn = this.o.listenerArns[shard];
    if (!arn) {
      throw new WharfError(
        'unavailable',
        `routes need ALB shard ${shard + 1} but the platform has ${this.o.listenerArns.length}: raise albShards in the platform stack and deploy it`,
      );
    }
    return arn;
  }

  private async apply(
    before: AlbAllocation,
    after: AlbAllocation,
    arns: Record<string, string>,
    sticky: ReadonlySet<string>,
  ): Promise<Record<string, string>> {
    const call = <T>(what: string, op: () => Promise<T>) => awsCall(what, op, this.o.backoff);
    const c = this.o.client;
    for (const tg of after.targetGroups) {
      if (arns[`tg:${tg.name}`]) continue;
      arns[`tg:${tg.name}`] = await this.createTargetGroup(tg);
    }
    const keptRules = new Map(before.rules.map((r) => [r.routeId, r]));
    for (const rule of after.rules) {
      const old = keptRules.get(rule.routeId);
      if (old && arns[`rule:${rule.routeId}`] && old.priority === rule.priority && old.shard === rule.shard)
        continue;
      arns[`rule:${rule.routeId}`] = await this.putRule(rule, arns[`tg:${tgName(after, rule)}`]!);
    }
    const liveRules = new Set(after.rules.map((r) => r.routeId));
    for (const rule of before.rules) {
      const arn = arns[`rule:${rule.routeId}`];
      if (liveRules.has(rule.routeId) || !arn) continue;
      await call(`delete listener rule of route ${rule.routeId}`, () =>
        c.send(new DeleteRuleCommand({ RuleArn: arn })),
      ).catch(ignoreNotFound);
      delete arns[`rule:${rule.routeId}`];
    }
    const liveTgs = new Set(after.targetGroups.map((t) => t.name));
    for (const tg of before.targetGroups) {
      const arn = arns[`tg:${tg.name}`];
      if (liveTgs.has(tg.name) || !arn) continue;
      await call(`delete target group ${tg.name}`, () =>
        c.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn })),
      ).catch(ignoreNotFound);
      delete arns[`tg:${tg.name}`];
    }
    for (const tg of after.targetGroups) {
      const stickyOn = after.rules.some(
        (r) => targetGroupOfRule(after, r) === tg && sticky.has(`${r.app}/${r.routeId}`),
      );
      await call(`configure target group ${tg.name}`, () =>
        c.send(
          new ModifyTargetGroupAttributesCommand({
            TargetGroupArn: arns[`tg:${tg.name}`]!,
            Attributes: [
              ...targetGroupAttributes(),
              { Key: 'stickiness.enabled', Value: String(stickyOn) },
              { Key: 'stickiness.type', Value: 'lb_cookie' },
            ],
          }),
        ),
      );
    }
    return arns;
  }

  private async createTargetGroup(tg: TargetGroupSlot): Promise<string> {
    // CreateTargetGroup with the same name and settings returns the existing group: safe to retry.
    const out = await awsCall(
      `create target group ${tg.name}`,
      () =>
        this.o.client.send(
          new CreateTargetGroupCommand({
            Name: tg.name,
            Protocol: 'HTTP',
            Port: CONTAINER_PORT,
            VpcId: this.o.vpcId,
            TargetType: TARGET_GROUP_DEFAULTS.targetType,
            HealthCheckProtocol: 'HTTP',
            HealthCheckPath: TARGET_GROUP_DEFAULTS.healthCheckPath,
            HealthCheckIntervalSeconds: TARGET_GROUP_DEFAULTS.healthCheckIntervalSeconds,
            HealthCheckTimeoutSeconds: TARGET_GROUP_DEFAULTS.healthCheckTimeoutSeconds,
            HealthyThresholdCount: TARGET_GROUP_DEFAULTS.healthyThresholdCount,
            UnhealthyThresholdCount: TARGET_GROUP_DEFAULTS.unhealthyThresholdCount,
            Matcher: { HttpCode: TARGET_GROUP_DEFAULTS.healthCheckMatcher },
            Tags: [
              { Key: 'wharf:app', Value: tg.app },
              { Key: 'wharf:process', Value: tg.processType },
              ...(tg.leader ? [{ Key: 'wharf:leader', Value: 'true' }] : []),
            ],
          }),
        ),
      this.o.backoff,
    );
    const arn = out.TargetGroups?.[0]?.TargetGroupArn;
    if (!arn) throw new WharfError('internal', `ELB created target group ${tg.name} but returned no ARN`);
    return arn;
  }

  private async putRule(rule: RuleSlot, targetGroupArn: string): Promise<string> {
    const listener = this.listener(rule.shard);
    const Conditions = ruleConditions(rule);
    const Actions = [{ Type: 'forward' as const, TargetGroupArn: targetGroupArn }];
    try {
      const out = await awsCall(
        `create listener rule for ${rule.domain}${rule.path}`,
        () =>
          this.o.client.send(
            new CreateRuleCommand({
              ListenerArn: listener,
              Priority: rule.priority,
              Conditions,
              Actions,
              Tags: [{ Key: 'wharf:route', Value: rule.routeId }],
            }),
          ),
        this.o.backoff,
      );
      return out.Rules?.[0]?.RuleArn ?? '';
    } catch (e) {
      if (!(e instanceof ConflictError) && !isElbError(e, 'PriorityInUse')) throw e;
      // A retried event already made the rule (or an older one holds the slot): take it over.
      const existing = await awsCall(
        'describe listener rules',
        () => this.o.client.send(new DescribeRulesCommand({ ListenerArn: listener })),
        this.o.backoff,
      );
      const found = existing.Rules?.find((r) => r.Priority === String(rule.priority));
      if (!found?.RuleArn) throw e;
      await awsCall(
        `update listener rule for ${rule.domain}${rule.path}`,
        () => this.o.client.send(new ModifyRuleCommand({ RuleArn: found.RuleArn, Conditions, Actions })),
        this.o.backoff,
      );
      return found.RuleArn;
    }
  }
}

export function ruleConditions(rule: Pick<RuleSlot, 'domain' | 'path'>): RuleCondition[] {
  const conditions: RuleCondition[] = [{ Field: 'host-header', HostHeaderConfig: { Values: [rule.domain] } }];
  if (rule.path !== '/') {
    conditions.push({ Field: 'path-pattern', PathPatternConfig: { Values: [rule.path, `${rule.path}/*`] } });
  }
  return conditions;
}

function tgName(allocation: AlbAllocation, rule: RuleSlot): string {
  const tg = targetGroupOfRule(allocation, rule);
  if (!tg) throw new WharfError('internal', `allocation has no target group for route ${rule.routeId}`);
  return tg.name;
}

/**
 * Whether an error (or the SDK error it wraps) is ELB's `code`. The SDK names its
 * exceptions `<Code>Exception` while the wire code has no suffix: both are accepted.
 */
export function isElbError(e: unknown, ...codes: string[]): boolean {
  const names = [errorName(e), errorName((e as { cause?: unknown } | null)?.cause)];
  return codes.some((c) => names.includes(c) || names.includes(`${c}Exception`));
}

function ignoreNotFound(e: unknown): void {
  if (e instanceof WharfError && e.code === 'not_found') return;
  if (isElbError(e, 'TargetGroupNotFound', 'RuleNotFound')) return;
  throw e;
}
