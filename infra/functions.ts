import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WharfConfigError } from './errors.ts';
import { allow } from './iam.ts';
import { acknowledge } from './nag.ts';
import { type ExtraFiles, functionCode, HANDLER } from './lambda-code.ts';

/** The five handlers: entry file in the functions directory (each exports `handler`). */
export const FUNCTION_ENTRIES = {
  api: 'api.ts',
  webhook: 'webhook.ts',
  buildEvents: 'build-events.ts',
  taskEvents: 'task-events.ts',
  stackEvents: 'stack-events.ts',
} as const;
export type FunctionKey = keyof typeof FUNCTION_ENTRIES;

const SETTINGS: Record<
  FunctionKey,
  { id: string; memoryMb: number; timeout: Duration; description: string }
> = {
  api: { id: 'Api', memoryMb: 1024, timeout: Duration.seconds(29), description: 'Wharf HTTP API' },
  webhook: {
    id: 'Webhook',
    memoryMb: 512,
    timeout: Duration.seconds(29),
    description: 'Wharf git host webhooks',
  },
  buildEvents: {
    id: 'BuildEvents',
    memoryMb: 512,
    timeout: Duration.minutes(5),
    description: 'Wharf: CodeBuild build state changes',
  },
  taskEvents: {
    id: 'TaskEvents',
    memoryMb: 512,
    timeout: Duration.minutes(5),
    description: 'Wharf: ECS task and deployment state changes',
  },
  stackEvents: {
    id: 'StackEvents',
    memoryMb: 512,
    timeout: Duration.minutes(5),
    description: 'Wharf: resource stack status changes',
  },
};

/** The entry file of each handler in `directory`; refuses a folder that lacks one. */
export function functionEntries(directory: string): Record<FunctionKey, string> {
  const entries = {} as Record<FunctionKey, string>;
  for (const key of Object.keys(FUNCTION_ENTRIES) as FunctionKey[]) {
    const entry = path.join(directory, FUNCTION_ENTRIES[key]);
    if (!fs.existsSync(entry)) {
      throw new WharfConfigError(
        'functionsDirectory',
        `${entry} does not exist: point functionsDirectory at the folder holding ${Object.values(FUNCTION_ENTRIES).join(', ')}`,
      );
    }
    entries[key] = entry;
  }
  return entries;
}

export interface WharfFunctionsProps {
  readonly name: string;
  readonly directory: string;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly tracing: boolean;
  /** Files shipped beside every handler's bundle (the resource templates), by path in the code. */
  readonly files?: ExtraFiles;
}

/**
 * The control-plane functions, each with its own role and log group. Event handlers get
 * a dead-letter queue for events that still fail after Lambda's retries.
 */
export class WharfFunctions extends Construct {
  readonly functions: Record<FunctionKey, lambda.Function>;
  readonly roles: Record<FunctionKey, iam.Role>;
  /** Events that event handlers failed on, kept 14 days. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WharfFunctionsProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'SQS3',
      'This queue is itself the dead-letter queue of the event handlers and their EventBridge targets.',
    );
    const functions: Partial<Record<FunctionKey, lambda.Function>> = {};
    const roles: Partial<Record<FunctionKey, iam.Role>> = {};
    for (const key of Object.keys(FUNCTION_ENTRIES) as FunctionKey[]) {
      const made = this.makeFunction(key, props);
      functions[key] = made.fn;
      roles[key] = made.role;
    }
    this.functions = functions as Record<FunctionKey, lambda.Function>;
    this.roles = roles as Record<FunctionKey, iam.Role>;
  }

  private makeFunction(key: FunctionKey, props: WharfFunctionsProps) {
    const settings = SETTINGS[key];
    const entry = functionEntries(props.directory)[key];
    const functionName = `${props.name}-${settings.id.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`;
    const logGroup = new logs.LogGroup(this, `${settings.id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, `${settings.id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Wharf (${props.name}): ${settings.description}`,
    });
    allow(role, {
      sid: 'OwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
      why: "The function's own log group and its streams (a log group ARN ends in :*).",
    });
    const isEventHandler = key !== 'api' && key !== 'webhook';
    const fn = new lambda.Function(this, settings.id, {
      functionName,
      description: settings.description,
      code: functionCode(this, entry, props.files),
      handler: HANDLER,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: settings.memoryMb,
      timeout: settings.timeout,
      role,
      logGroup,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: 'Wharf',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      ...(isEventHandler ? { deadLetterQueue: this.deadLetterQueue, retryAttempts: 2 } : {}),
    });
    return { fn, role };
  }
}
