/** The Lambda functions' configuration, from the env vars the platform stack sets. */
import { DEFAULT_NAME_PREFIX, validatePlatformName } from '../../core/alb/platform-name.ts';
import { ValidationError } from '../../core/errors.ts';
import { NAME_PREFIXES } from '../../infra/deploy-settings.ts';

export interface AwsConfig {
  readonly region: string;
  /** the platform's name (`WHARF_NAME`, default `wharf`): the prefix of the AWS names it creates */
  readonly name: string;
  readonly table: string;
  readonly bucket: string;
  readonly cluster: string;
  readonly namespaceId: string;
  readonly namespaceName: string;
  readonly listenerArns: readonly string[];
  readonly albArns: readonly string[];
  readonly repository: string;
  readonly buildProject: string;
  readonly dockerBuildProject: string;
  readonly secretsPrefix: string;
  readonly subnets: readonly string[];
  readonly taskSecurityGroup: string;
  readonly executionRoleArn: string;
  readonly taskRoleArn: string;
  readonly logGroupPrefix: string;
  readonly vpcId: string;
  /** largest webhook body accepted (bytes) */
  readonly maxWebhookBytes: number;
  /** routes are `<app>.<routerDomain>` by default */
  readonly routerDomain: string;
  /** resource stacks are `<resourceStackPrefix><app>--<name>` (`wharf-resource-`) */
  readonly resourceStackPrefix: string;
  /** the role CloudFormation assumes for resource stacks; '' = the caller's credentials */
  readonly resourceStackRoleArn: string;
  /** where the synthesized resource templates are: `<url>/<provider>.json` */
  readonly resourceTemplatesUrl: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const v = env[name];
  if (!v)
    throw new ValidationError(`env var ${name} is not set: the platform stack sets it; redeploy the stack`);
  return v;
}

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function readAwsConfig(env: Env = process.env): AwsConfig {
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
  const bucket = required(env, 'WHARF_BUCKET');
  // The IAM policy grants on `<name>-*`: adapters must name what they create with the same prefix.
  const name = validatePlatformName(env['WHARF_NAME'] ?? DEFAULT_NAME_PREFIX);
  return {
    region,
    name,
    table: required(env, 'WHARF_TABLE'),
    bucket,
    cluster: env['WHARF_CLUSTER'] ?? '',
    namespaceId: env['WHARF_NAMESPACE_ID'] ?? '',
    namespaceName: env['WHARF_NAMESPACE_NAME'] ?? 'wharf.internal',
    listenerArns: list(env['WHARF_LISTENER_ARNS'] ?? ''),
    albArns: list(env['WHARF_ALB_ARNS'] ?? ''),
    repository: env['WHARF_REPOSITORY'] ?? '',
    buildProject: env['WHARF_BUILD_PROJECT'] ?? '',
    dockerBuildProject: env['WHARF_DOCKER_BUILD_PROJECT'] ?? env['WHARF_BUILD_PROJECT'] ?? '',
    secretsPrefix: env['WHARF_SECRETS_PREFIX'] ?? 'wharf/',
    subnets: list(env['WHARF_SUBNETS'] ?? ''),
    taskSecurityGroup: env['WHARF_TASK_SECURITY_GROUP'] ?? '',
    executionRoleArn: env['WHARF_EXECUTION_ROLE_ARN'] ?? '',
    taskRoleArn: env['WHARF_TASK_ROLE_ARN'] ?? '',
    logGroupPrefix: env['WHARF_LOG_GROUP_PREFIX'] ?? '/wharf/apps/',
    vpcId: env['WHARF_VPC_ID'] ?? '',
    maxWebhookBytes: Number(env['WHARF_MAX_WEBHOOK_BYTES'] ?? 1024 * 1024),
    routerDomain: env['WHARF_ROUTER_DOMAIN'] ?? 'localhost',
    resourceStackPrefix: env['WHARF_RESOURCE_STACK_PREFIX'] ?? `${name}-${NAME_PREFIXES.resourceStack}`,
    resourceStackRoleArn: env['WHARF_RESOURCE_STACK_ROLE_ARN'] ?? '',
    // The artifacts bucket's `templates/` (infra/storage.ts): CloudFormation reads them from S3.
    resourceTemplatesUrl:
      env['WHARF_RESOURCE_TEMPLATES_URL'] ?? `https://${bucket}.s3.${region}.amazonaws.com/templates`,
  };
}
