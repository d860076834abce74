/**
 * Renders the task definition of one process type of one release: pure, so the shape
 * is checked by golden tests apart from any AWS call.
 */
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import type { HealthCheck, ProcessSize } from '../../core/domain.ts';
import { DEFAULT_PROCESS_SIZE, parseProcessSize } from '../../core/process-size.ts';
import type { InstanceSpec } from '../../core/ports.ts';
import { CONTAINER_PORT, ecsName } from './ecs-names.ts';

export type TaskSize = ProcessSize;

export const DEFAULT_TASK_SIZE: TaskSize = DEFAULT_PROCESS_SIZE;

/**
 * Size from the process env, for process types with no size in the formation:
 * `WHARF_CPU` in vCPU ("0.25", "1"), `WHARF_MEMORY` ("512 MB", "2 GB").
 */
export function taskSizeFromEnv(env: Readonly<Record<string, string>>): TaskSize {
  return parseProcessSize(env['WHARF_CPU'], env['WHARF_MEMORY'], {
    cpu: 'WHARF_CPU',
    memory: 'WHARF_MEMORY',
  });
}

const seconds = (ms: number, min: number, max: number) => Math.min(max, Math.max(min, Math.round(ms / 1000)));

/** The container health check: ECS runs it in the container, so it uses only bash and curl. */
export function renderHealthCheck(check: HealthCheck) {
  const probe =
    check.kind === 'http'
      ? `test "$(curl -s -o /dev/null -m ${seconds(check.timeoutMs, 1, 60)} -w '%{http_code}' "http://127.0.0.1:$PORT${check.path ?? '/'}")" = "${check.status ?? 200}"`
      : 'bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT"';
  return {
    command: ['CMD-SHELL', `${probe} || exit 1`],
    interval: seconds(check.intervalMs, 5, 300),
    timeout: seconds(check.timeoutMs, 2, 60),
    retries: Math.min(10, Math.max(1, check.threshold)),
    startPeriod: seconds(check.startTimeoutMs, 0, 300),
  };
}

export interface TaskDefinitionInput {
  readonly spec: InstanceSpec;
  /** image reference (with digest) */
  readonly image: string;
  readonly size: TaskSize;
  readonly health: HealthCheck | null;
  readonly logGroup: string;
  readonly region: string;
  readonly executionRoleArn: string;
  readonly taskRoleArn: string;
  /** config vars whose value is `secret:NAME` become task secrets with this ARN resolver */
  readonly secretArn: (name: string) => string;
  /** the platform's name, which starts the family (`<prefix>-<app>_<type>`); default 'wharf' */
  readonly namePrefix?: string | undefined;
}

export const SECRET_REF = /^secret:([A-Za-z0-9/_+=.@-]+)$/;

export function renderTaskDefinition(input: TaskDefinitionInput): RegisterTaskDefinitionCommandInput {
  const { spec } = input;
  const environment: { name: string; value: string }[] = [];
  const secrets: { name: string; valueFrom: string }[] = [];
  const env: Record<string, string> = { ...spec.env, PORT: String(CONTAINER_PORT) };
  delete env['WHARF_CPU'];
  delete env['WHARF_MEMORY'];
  for (const name of Object.keys(env).sort()) {
    const value = env[name]!;
    const ref = SECRET_REF.exec(value);
    if (ref) secrets.push({ name, valueFrom: input.secretArn(ref[1]!) });
    else environment.push({ name, value });
  }
  const family = ecsName(spec.app, spec.processType, input.namePrefix);
  return {
    family,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: String(input.size.cpu),
    memory: String(input.size.memory),
    runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
    executionRoleArn: input.executionRoleArn,
    taskRoleArn: input.taskRoleArn,
    containerDefinitions: [
      {
        name: spec.processType,
        image: input.image,
        essential: true,
        // The slug's launcher runs the Procfile command through bash, as Heroku does.
        command: spec.command ? ['bash', '-c', spec.command] : undefined,
        portMappings: [{ containerPort: CONTAINER_PORT, protocol: 'tcp', name: spec.processType }],
        environment,
        secrets,
        stopTimeout: 30,
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': input.logGroup,
            'awslogs-region': input.region,
            'awslogs-stream-prefix': spec.processType,
            'awslogs-create-group': 'true',
            mode: 'non-blocking',
          },
        },
        ...(input.health ? { healthCheck: renderHealthCheck(input.health) } : {}),
      },
    ],
    tags: [
      { key: 'wharf:app', value: spec.app },
      { key: 'wharf:process', value: spec.processType },
      { key: 'wharf:release', value: String(spec.releaseVersion) },
    ],
  };
}
