/**
 * Deployment and target-group settings shared by the CDK platform and the AWS adapters.
 *
 * The control plane creates ECS services and ALB target groups itself (DESIGN.md: deploys
 * never go through a CloudFormation stack update), so the values it uses and the values the
 * platform's own defaults use must come from one place. This file imports nothing: the
 * adapters bundle it into Lambda functions.
 */

/** ECS service deployment configuration (`DeploymentConfiguration` in the ECS API). */
export const ECS_DEPLOYMENT = {
  /** Stop a deployment whose tasks keep failing, and roll back to the last steady state. */
  circuitBreaker: { enable: true, rollback: true },
  /** Never drop below the desired count while a deploy runs: new tasks start first. */
  minimumHealthyPercent: 100,
  /** Start a whole new set beside the old one, so a deploy takes one health-check cycle. */
  maximumPercent: 200,
} as const;

/**
 * Seconds ECS ignores failing ALB health checks of a new task. Kept short: the
 * target-group checks below already decide within ~10 s, and the circuit breaker is
 * the backstop.
 */
export const ECS_HEALTH_CHECK_GRACE_PERIOD_SECONDS = 10;

/** ALB target group defaults (DESIGN.md: checks 5 s × 2, deregistration delay ≤ 15 s). */
export const TARGET_GROUP_DEFAULTS = {
  healthCheckIntervalSeconds: 5,
  healthCheckTimeoutSeconds: 4,
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
  healthCheckPath: '/',
  /** HTTP codes a health check accepts; redirects count as alive. */
  healthCheckMatcher: '200-399',
  deregistrationDelaySeconds: 10,
  /** Target type for Fargate tasks in awsvpc mode. */
  targetType: 'ip',
} as const;

/** The ALB limits the control plane shards routes by (not raisable / default quota). */
export const ALB_LIMITS = {
  targetGroupsPerLoadBalancer: 100,
  rulesPerListener: 100,
} as const;

/** Prefixes that scope IAM permissions: the control plane must name what it creates with them. */
export const NAME_PREFIXES = {
  /** CloudFormation stacks for resources (databases, caches): `wharf-resource-<app>-<name>`. */
  resourceStack: 'resource-',
} as const;

/**
 * Names of the secrets builds and the webhook read, under the platform's secrets prefix
 * (`wharf/`): the CodeBuild role may read exactly these (infra/builds.ts).
 */
export { SECRET_NAMES } from '../core/secret-names.ts';

/**
 * The ECS target-group attribute list for ModifyTargetGroupAttributes, derived from
 * TARGET_GROUP_DEFAULTS so that adapters need not spell the attribute keys.
 */
export function targetGroupAttributes(): { Key: string; Value: string }[] {
  return [
    {
      Key: 'deregistration_delay.timeout_seconds',
      Value: String(TARGET_GROUP_DEFAULTS.deregistrationDelaySeconds),
    },
  ];
}
