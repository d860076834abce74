/**
 * Leader-only routes on the ALB. Such a route forwards to a target group of its own
 * (core/alb places it; the ECS service does not attach to it), and this adapter makes
 * that group hold exactly one target, the leader task's IP and port, whenever the leader
 * keeper moves to a new term.
 *
 * Each call converges rather than applies a delta: it reads the group's targets, takes out
 * every one that is not the leader (first, so two tasks never serve together), then puts
 * the leader in if it is missing. Duplicate or reordered calls therefore end in the same
 * state, and the keeper's re-check of the term after each call repairs a slower writer of
 * an older term.
 *
 * A new leader serves once the ALB finds it healthy (2 checks × 5 s): until then the route
 * answers 503, since the old leader is already out. Leader routes trade that gap for never
 * sending a request to a task that is not the leader.
 */
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  type TargetDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { WharfError } from '../../core/errors.ts';
import { isElbError } from './alb-router.ts';
import { type BackoffOptions, awsCall } from './aws-errors.ts';
import { type AllocationStore, targetGroupArnsOf } from './dynamo-alb-allocation-store.ts';
import { CONTAINER_PORT } from './ecs-names.ts';

export interface AlbLeaderTargetsOptions {
  readonly client: ElasticLoadBalancingV2Client;
  readonly allocations: AllocationStore;
  readonly backoff?: BackoffOptions;
}

export interface LeaderTask {
  readonly id: string;
  readonly host: string;
  readonly port?: number;
}

export class AlbLeaderTargets {
  private readonly o: AlbLeaderTargetsOptions;

  constructor(options: AlbLeaderTargetsOptions) {
    this.o = options;
  }

  /**
   * Points every leader target group of the process type at `leader` alone, or at nothing.
   * Types without a leader-only route have no such group: one read of the allocation, no ELB call.
   */
  async setLeader(app: string, processType: string, leader: LeaderTask | null, _term: number): Promise<void> {
    const arns = targetGroupArnsOf(await this.o.allocations.load(), app, processType, { leader: true });
    const want = leader?.host ? { Id: leader.host, Port: leader.port ?? CONTAINER_PORT } : null;
    for (const arn of arns) await this.converge(arn, want, `${app}/${processType}`);
  }

  private async converge(
    arn: string,
    want: { Id: string; Port: number } | null,
    what: string,
  ): Promise<void> {
    const call = <T>(action: string, op: () => Promise<T>) =>
      awsCall(`${action} (leader of ${what})`, op, this.o.backoff);
    let current: TargetDescription[];
    try {
      const health = await call('read leader targets', () =>
        this.o.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
      );
      // Draining targets are already out: they finish requests in flight and receive no new ones.
      current = (health.TargetHealthDescriptions ?? [])
        .filter((d) => d.TargetHealth?.State !== 'draining' && d.Target?.Id)
        .map((d) => ({ Id: d.Target!.Id!, Port: d.Target!.Port ?? CONTAINER_PORT }));
    } catch (e) {
      // The route was removed meanwhile and its target group with it: nothing to keep.
      if (isNotFound(e)) return;
      throw e;
    }
    const isWanted = (t: TargetDescription) => want !== null && t.Id === want.Id && t.Port === want.Port;
    const stale = current.filter((t) => !isWanted(t));
    if (stale.length > 0) {
      await call('take out the previous leader', () =>
        this.o.client.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: stale })),
      ).catch((e: unknown) => {
        // A target someone else took out already is what we wanted.
        if (!isNotFound(e) && !isElbError(e, 'InvalidTarget')) throw e;
      });
    }
    if (want && !current.some(isWanted)) {
      await call('register the leader', () =>
        this.o.client.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [want] })),
      ).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
    }
  }
}

function isNotFound(e: unknown): boolean {
  return (e instanceof WharfError && e.code === 'not_found') || isElbError(e, 'TargetGroupNotFound');
}
