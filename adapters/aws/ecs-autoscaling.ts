/**
 * Target-tracking autoscaling of an ECS service's desired count through Application
 * Auto Scaling: a scalable target (min/max) plus one policy per process type, holding
 * average CPU or ALB requests per target at the configured value. Removing the config
 * deregisters the target, which deletes its policies with it.
 */
import {
  type ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AutoscalingConfig } from '../../core/autoscaling.ts';
import { ValidationError } from '../../core/errors.ts';
import { type BackoffOptions, awsCall, errorName } from './aws-errors.ts';
import { DEFAULT_NAME_PREFIX } from './ecs-names.ts';

export interface EcsAutoscalingOptions {
  readonly client: ApplicationAutoScalingClient;
  readonly cluster: string;
  /**
   * The platform's name, which starts the policy names.
   * @default 'wharf'
   */
  readonly namePrefix?: string;
  readonly backoff?: BackoffOptions;
}

/** The ALB in front of a web process type, needed for requests-per-target policies. */
export interface LoadBalancing {
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
}

const DIMENSION = 'ecs:service:DesiredCount' as const;
/** Scale out fast so a burst is absorbed; scale in slowly so it does not flap. */
export const SCALE_OUT_COOLDOWN_SECONDS = 60;
export const SCALE_IN_COOLDOWN_SECONDS = 300;

export function autoscalingPolicyName(
  app: string,
  processType: string,
  prefix: string = DEFAULT_NAME_PREFIX,
): string {
  return `${prefix}-${app}-${processType}-target-tracking`;
}

/** `app/<lb>/<id>/targetgroup/<tg>/<id>`: the label CloudWatch's RequestCountPerTarget is keyed by. */
export function albResourceLabel(lb: LoadBalancing): string {
  const lbSuffix = /:loadbalancer\/(app\/[^/]+\/[^/]+)$/.exec(lb.loadBalancerArn)?.[1];
  const tgSuffix = /:(targetgroup\/[^/]+\/[^/]+)$/.exec(lb.targetGroupArn)?.[1];
  if (!lbSuffix) {
    throw new ValidationError(
      `"${lb.loadBalancerArn}" is not an Application Load Balancer ARN (…:loadbalancer/app/NAME/ID)`,
    );
  }
  if (!tgSuffix) {
    throw new ValidationError(`"${lb.targetGroupArn}" is not a target group ARN (…:targetgroup/NAME/ID)`);
  }
  return `${lbSuffix}/${tgSuffix}`;
}

/**
 * The ALB a target group forwards for: a routed type's target group sits on one shard's
 * ALB, which only the target group itself records. Null when it is attached to none yet.
 */
export async function loadBalancingOf(
  elb: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  backoff?: BackoffOptions,
): Promise<LoadBalancing | null> {
  const out = await awsCall(
    `target group ${targetGroupArn}`,
    () => elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] })),
    backoff,
  );
  const loadBalancerArn = out.TargetGroups?.[0]?.LoadBalancerArns?.[0];
  return loadBalancerArn ? { loadBalancerArn, targetGroupArn } : null;
}

export class EcsAutoscaling {
  private readonly o: EcsAutoscalingOptions;

  constructor(options: EcsAutoscalingOptions) {
    this.o = options;
  }

  private resourceId(serviceName: string): string {
    return `service/${this.o.cluster}/${serviceName}`;
  }

  /** Sets (or with `null` removes) the policy of one process type; idempotent either way. */
  async apply(
    app: string,
    processType: string,
    serviceName: string,
    config: AutoscalingConfig | null,
    loadBalancing?: LoadBalancing,
  ): Promise<void> {
    const what = `autoscaling of ${app}/${processType}`;
    const ResourceId = this.resourceId(serviceName);
    if (config === null) {
      await this.deregister(what, ResourceId);
      return;
    }
    // Resolve the metric before touching AWS, so a bad request changes nothing.
    const metric =
      'cpu' in config.target
        ? { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' as const }
        : {
            PredefinedMetricType: 'ALBRequestCountPerTarget' as const,
            ResourceLabel: albResourceLabel(this.requireLoadBalancing(app, processType, loadBalancing)),
          };
    const TargetValue = 'cpu' in config.target ? config.target.cpu : config.target.requestsPerTarget;
    await awsCall(
      what,
      () =>
        this.o.client.send(
          new RegisterScalableTargetCommand({
            ServiceNamespace: 'ecs',
            ResourceId,
            ScalableDimension: DIMENSION,
            MinCapacity: config.min,
            MaxCapacity: config.max,
          }),
        ),
      this.o.backoff,
    );
    await awsCall(
      what,
      () =>
        this.o.client.send(
          new PutScalingPolicyCommand({
            PolicyName: autoscalingPolicyName(app, processType, this.o.namePrefix),
            ServiceNamespace: 'ecs',
            ResourceId,
            ScalableDimension: DIMENSION,
            PolicyType: 'TargetTrackingScaling',
            TargetTrackingScalingPolicyConfiguration: {
              TargetValue,
              PredefinedMetricSpecification: metric,
              ScaleOutCooldown: SCALE_OUT_COOLDOWN_SECONDS,
              ScaleInCooldown: SCALE_IN_COOLDOWN_SECONDS,
            },
          }),
        ),
      this.o.backoff,
    );
  }

  private requireLoadBalancing(
    app: string,
    processType: string,
    lb: LoadBalancing | undefined,
  ): LoadBalancing {
    if (!lb) {
      throw new ValidationError(
        `${app}/${processType} has no load balancer target group: requests per target work for routed (web) types only; use --cpu instead`,
      );
    }
    return lb;
  }

  private async deregister(what: string, ResourceId: string): Promise<void> {
    try {
      await awsCall(
        what,
        () =>
          this.o.client.send(
            new DeregisterScalableTargetCommand({
              ServiceNamespace: 'ecs',
              ResourceId,
              ScalableDimension: DIMENSION,
            }),
          ),
        this.o.backoff,
      );
    } catch (e) {
      // Removing autoscaling that is not there is already done.
      if (errorName((e as { cause?: unknown }).cause) === 'ObjectNotFoundException') return;
      throw e;
    }
  }
}
