/**
 * The AWS ResourceProvisioner: each resource is a CloudFormation stack made from a
 * template synthesized by CDK at build time (infra/resources). provision() only starts
 * CreateStack; the stack's status events (EventBridge → the stack-events Lambda →
 * handleStackEvent) say when it is ready and with which env. Every handler step reads
 * the stack's current state, so events may come twice or out of order.
 */
import {
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Parameter,
  type Stack,
  type Tag,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import type { Resource, ResourceProvider } from '../../../core/domain.ts';
import { ConflictError } from '../../../core/errors.ts';
import type { ProvisionedResource, ResourceProvisioner } from '../../../core/ports.ts';
import {
  isResourceProvider,
  validateProvider,
  validateResourceName,
} from '../../../core/resources/providers.ts';
import { envFromOutputs } from './stack-env.ts';
import type { ResourceTemplateSource } from './templates.ts';

/** What the templates need to know about the app's place in the platform. */
export interface AppStackContext {
  readonly vpcId: string;
  /** private subnets in at least two availability zones */
  readonly subnetIds: readonly string[];
  /** the app's task security group: the only source the resource admits */
  readonly appSecurityGroupId: string;
  /** the app's ECS task role (document and blob grant it access) */
  readonly appTaskRoleName: string;
  /** the ECS task execution role that reads the connection secret */
  readonly taskExecutionRoleName: string;
}

export interface CloudFormationResourceProvisionerOptions {
  readonly client: CloudFormationClient;
  readonly templates: ResourceTemplateSource;
  /** stacks are named `<prefix><app>--<name>`, e.g. `wharf-resource-` */
  readonly stackNamePrefix: string;
  readonly appContext: (app: string) => Promise<AppStackContext>;
  /** @default - CloudFormation uses the caller's credentials */
  readonly roleArn?: string;
  /** @default 4 - the largest Aurora size in ACU (the smallest is 0) */
  readonly maxCapacityAcu?: number;
}

/** What a stack status event meant for its resource; null when there is nothing to do yet. */
export interface ResourceStackChange {
  readonly app: string;
  readonly name: string;
  readonly provider: ResourceProvider;
  readonly stackId: string;
  readonly status: 'ready' | 'failed' | 'deleting' | 'deleted';
  readonly env?: Readonly<Record<string, string>>;
  readonly error?: string;
}

/** The EventBridge event "CloudFormation Stack Status Change" (the fields used). */
export interface StackStatusEvent {
  readonly resources?: readonly string[];
  readonly detail: {
    readonly 'stack-id'?: string;
    readonly 'status-details'?: { readonly status?: string; readonly 'status-reason'?: string };
  };
}

const TAG = {
  app: 'wharf:app',
  resource: 'wharf:resource',
  provider: 'wharf:provider',
  envPrefix: 'wharf:env-prefix',
  deleteAfterUpdate: 'wharf:delete-after-update',
} as const;
/** CloudFormation tag values may not be empty */
const NO_PREFIX = 'none';
const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;
const FAILED = new Set([
  'CREATE_FAILED',
  'ROLLBACK_COMPLETE',
  'ROLLBACK_FAILED',
  'DELETE_FAILED',
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_FAILED',
]);

export class CloudFormationResourceProvisioner implements ResourceProvisioner {
  readonly #options: CloudFormationResourceProvisionerOptions;

  constructor(options: CloudFormationResourceProvisionerOptions) {
    this.#options = options;
  }

  /** `<prefix><app>--<name>`: resource names have no '--', so the last one splits them. */
  stackName(app: string, name: string): string {
    return `${this.#options.stackNamePrefix}${app}--${name}`;
  }

  async provision(
    app: string,
    name: string,
    provider: ResourceProvider,
    envPrefix: string,
  ): Promise<ProvisionedResource> {
    validateResourceName(name);
    validateProvider(provider);
    const stackName = this.stackName(app, name);
    const [template, context] = await Promise.all([
      this.#options.templates.template(provider),
      this.#options.appContext(app),
    ]);
    try {
      const created = await this.#options.client.send(
        new CreateStackCommand({
          StackName: stackName,
          ...('body' in template ? { TemplateBody: template.body } : { TemplateURL: template.url }),
          Parameters: this.#parameters(app, name, provider, context),
          Capabilities: [...CAPABILITIES],
          ...(this.#options.roleArn ? { RoleARN: this.#options.roleArn } : {}),
          OnFailure: 'ROLLBACK',
          Tags: [
            { Key: TAG.app, Value: app },
            { Key: TAG.resource, Value: name },
            { Key: TAG.provider, Value: provider },
            { Key: TAG.envPrefix, Value: envPrefix || NO_PREFIX },
          ],
        }),
      );
      return { env: {}, meta: { stackName, stackId: created.StackId }, ready: false };
    } catch (error) {
      if ((error as Error).name !== 'AlreadyExistsException') throw error;
      // A retried call (Lambdas run at least once) finds its own stack: same result.
      const existing = await this.#describe(stackName);
      if (
        existing &&
        tag(existing, TAG.app) === app &&
        tag(existing, TAG.resource) === name &&
        tag(existing, TAG.provider) === provider &&
        !existing.StackStatus?.startsWith('DELETE')
      ) {
        return { env: {}, meta: { stackName, stackId: existing.StackId }, ready: false };
      }
      throw new ConflictError(
        `a CloudFormation stack named ${stackName} already exists (${existing?.StackStatus ?? 'unknown status'}): remove it, or choose another resource name`,
        { cause: error },
      );
    }
  }

  /**
   * Deletes the resource's stack. Keeping data deletes at once (final snapshot, table
   * and bucket retained); otherwise the stack is first updated to KeepDataOnDelete=false
   * and deleted when that update completes (handleStackEvent).
   */
  /** AWS default: the stack is deleted with the final snapshot its KeepDataOnDelete gives. */
  async deprovision(resource: Resource, options: { keepData?: boolean }): Promise<void> {
    const stackName =
      (resource.meta['stackId'] as string | undefined) ?? this.stackName(resource.app, resource.name);
    const stack = await this.#describe(stackName);
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return;
    const keepsData =
      stack.Parameters?.find((p) => p.ParameterKey === 'KeepDataOnDelete')?.ParameterValue !== 'false';
    if (options.keepData !== false || !keepsData) {
      await this.#delete(stackName);
      return;
    }
    await this.#options.client.send(
      new UpdateStackCommand({
        StackName: stackName,
        UsePreviousTemplate: true,
        Parameters: (stack.Parameters ?? []).map(
          (p): Parameter =>
            p.ParameterKey === 'KeepDataOnDelete'
              ? { ParameterKey: p.ParameterKey, ParameterValue: 'false' }
              : { ParameterKey: p.ParameterKey, UsePreviousValue: true },
        ),
        Capabilities: [...CAPABILITIES],
        ...(this.#options.roleArn ? { RoleARN: this.#options.roleArn } : {}),
        Tags: [
          ...(stack.Tags ?? []).filter((t) => t.Key !== TAG.deleteAfterUpdate),
          { Key: TAG.deleteAfterUpdate, Value: 'true' },
        ],
      }),
    );
  }

  /** Turns a stack status event into what happened to the resource (null: wait for the next). */
  async handleStackEvent(event: StackStatusEvent): Promise<ResourceStackChange | null> {
    const stackId = event.detail['stack-id'] ?? event.resources?.[0];
    if (!stackId) return null;
    const stack = await this.#describe(stackId);
    if (!stack) return null;
    const app = tag(stack, TAG.app);
    const name = tag(stack, TAG.resource);
    const provider = tag(stack, TAG.provider);
    if (!app || !name || !isResourceProvider(provider)) return null;
    const base = { app, name, provider, stackId: stack.StackId ?? stackId };
    const status = stack.StackStatus ?? '';

    if (status === 'UPDATE_COMPLETE' && tag(stack, TAG.deleteAfterUpdate) === 'true') {
      await this.#delete(base.stackId);
      return { ...base, status: 'deleting' };
    }
    if (status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE') {
      const prefix = tag(stack, TAG.envPrefix);
      const env = envFromOutputs(
        stack.StackName ?? stackId,
        provider,
        prefix === NO_PREFIX ? '' : (prefix ?? ''),
        stack.Outputs ?? [],
      );
      return { ...base, status: 'ready', env };
    }
    if (status === 'DELETE_COMPLETE') return { ...base, status: 'deleted' };
    if (FAILED.has(status)) {
      const error = await this.#failureReason(stack, event.detail['status-details']?.['status-reason']);
      // nothing half-made: a stack that never came up is removed (a failed delete is left to inspect)
      if (status === 'ROLLBACK_COMPLETE') await this.#delete(base.stackId);
      return { ...base, status: 'failed', error };
    }
    return null;
  }

  #parameters(app: string, name: string, provider: ResourceProvider, ctx: AppStackContext): Parameter[] {
    const p = (key: string, value: string): Parameter => ({ ParameterKey: key, ParameterValue: value });
    const params = [p('AppName', app), p('ResourceName', name), p('KeepDataOnDelete', 'true')];
    const network = [
      p('VpcId', ctx.vpcId),
      p('SubnetIds', ctx.subnetIds.join(',')),
      p('AppSecurityGroupId', ctx.appSecurityGroupId),
    ];
    switch (provider) {
      case 'postgres':
      case 'postgis':
      case 'mysql':
        return [
          ...params,
          ...network,
          p('TaskExecutionRoleName', ctx.taskExecutionRoleName),
          p('MaxCapacityAcu', String(this.#options.maxCapacityAcu ?? 4)),
        ];
      case 'redis':
        return [...params, ...network];
      case 'document':
      case 'blob':
        return [...params, p('AppTaskRoleName', ctx.appTaskRoleName)];
    }
  }

  async #describe(stackNameOrId: string): Promise<Stack | null> {
    try {
      const out = await this.#options.client.send(new DescribeStacksCommand({ StackName: stackNameOrId }));
      return out.Stacks?.[0] ?? null;
    } catch (error) {
      if (/does not exist/.test((error as Error).message)) return null;
      throw error;
    }
  }

  async #delete(stackNameOrId: string): Promise<void> {
    await this.#options.client.send(
      new DeleteStackCommand({
        StackName: stackNameOrId,
        ...(this.#options.roleArn ? { RoleARN: this.#options.roleArn } : {}),
      }),
    );
  }

  /** The first resource that failed, which caused the rest; else the stack's own reason. */
  async #failureReason(stack: Stack, eventReason: string | undefined): Promise<string> {
    const out = await this.#options.client.send(new DescribeStackEventsCommand({ StackName: stack.StackId }));
    const firstFailure = [...(out.StackEvents ?? [])]
      .reverse()
      .find(
        (e) =>
          e.ResourceStatus?.endsWith('_FAILED') &&
          e.LogicalResourceId !== stack.StackName &&
          e.ResourceStatusReason &&
          !/cancelled/i.test(e.ResourceStatusReason),
      );
    const cause = firstFailure
      ? `${firstFailure.LogicalResourceId} (${firstFailure.ResourceType}) ${firstFailure.ResourceStatus}: ${firstFailure.ResourceStatusReason}`
      : (stack.StackStatusReason ?? eventReason ?? 'no reason given');
    return `resource stack ${stack.StackName} ended in ${stack.StackStatus}: ${cause}`;
  }
}

function tag(stack: Stack, key: string): string | undefined {
  return stack.Tags?.find((t: Tag) => t.Key === key)?.Value;
}
