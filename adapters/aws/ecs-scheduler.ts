/**
 * Scheduler on ECS Fargate: one service per process type (rolling, circuit breaker with
 * rollback, minimum healthy 100 %, maximum 200 %, registered in Cloud Map and, for
 * routed types, in an ALB target group); scale is the service's desired count; one-off
 * runs are RunTask with the command overridden. Instances are ECS tasks; their changes
 * arrive as EventBridge events, which the task-events function feeds to `emit`.
 */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { createHash } from 'node:crypto';
import type { Instance } from '../../core/domain.ts';
import { NotFoundError, ValidationError, WharfError } from '../../core/errors.ts';
import type { InstanceSpec, Scheduler } from '../../core/ports.ts';
import { ECS_DEPLOYMENT, ECS_HEALTH_CHECK_GRACE_PERIOD_SECONDS } from '../../infra/deploy-settings.ts';
import { type BackoffOptions, awsCall } from './aws-errors.ts';
import { CONTAINER_PORT, ecsName, parseTaskGroup, taskIdOf } from './ecs-names.ts';
import {
  type TaskDefinitionInput,
  type TaskSize,
  renderTaskDefinition,
  taskSizeFromEnv,
} from './ecs-task-definition.ts';
import type { HealthCheck } from '../../core/domain.ts';

export interface EcsSchedulerOptions {
  readonly client: ECSClient;
  readonly cluster: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly region: string;
  readonly executionRoleArn: string;
  readonly taskRoleArn: string;
  readonly logGroupPrefix: string;
  readonly secretArn: (name: string) => string;
  /**
   * The platform's name, which starts service and task family names (the IAM policy grants on it).
   * @default 'wharf'
   */
  readonly namePrefix?: string;
  readonly backoff?: BackoffOptions;
}

export interface ServiceDeployment {
  readonly spec: InstanceSpec;
  readonly desiredCount: number;
  /** an existing service keeps its desired count (autoscaled); desiredCount applies on create only */
  readonly keepDesiredCount?: boolean;
  readonly health: HealthCheck | null;
  readonly size?: TaskSize;
  /** the ALB target group of a routed process type */
  readonly targetGroupArns?: readonly string[];
  /** the Cloud Map service the tasks register in */
  readonly registryArn?: string | null;
}

export class EcsScheduler implements Scheduler {
  private readonly o: EcsSchedulerOptions;
  private readonly listeners = new Set<(instance: Instance) => void>();

  constructor(options: EcsSchedulerOptions) {
    this.o = options;
  }

  private call<T>(what: string, op: () => Promise<T>): Promise<T> {
    return awsCall(what, op, this.o.backoff);
  }

  private network() {
    return {
      awsvpcConfiguration: {
        subnets: [...this.o.subnets],
        securityGroups: [...this.o.securityGroups],
        assignPublicIp: 'DISABLED' as const,
      },
    };
  }

  async registerTaskDefinition(
    spec: InstanceSpec,
    health: HealthCheck | null,
    size?: TaskSize,
  ): Promise<string> {
    if (!spec.artifactUri)
      throw new ValidationError(`${spec.app} has no image yet: push code before deploying`);
    const input: TaskDefinitionInput = {
      spec,
      image: spec.artifactUri,
      size: size ?? taskSizeFromEnv(spec.env),
      health,
      logGroup: `${this.o.logGroupPrefix}${spec.app}`,
      region: this.o.region,
      executionRoleArn: this.o.executionRoleArn,
      taskRoleArn: this.o.taskRoleArn,
      secretArn: this.o.secretArn,
      namePrefix: this.o.namePrefix,
    };
    const out = await this.call(`register task definition of ${spec.app}/${spec.processType}`, () =>
      this.o.client.send(new RegisterTaskDefinitionCommand(renderTaskDefinition(input))),
    );
    const arn = out.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new WharfError('internal', 'ECS registered a task definition but returned no ARN');
    return arn;
  }

  /**
   * Creates the process type's service, or rolls it to the new task definition. Returns the
   * ECS deployment that rolls it (its id is what ECS deployment events name), when ECS says.
   */
  async deployService(
    d: ServiceDeployment,
  ): Promise<{ taskDefinitionArn: string; created: boolean; deploymentId: string | null }> {
    const { app, processType } = d.spec;
    const name = ecsName(app, processType, this.o.namePrefix);
    const taskDefinition = await this.registerTaskDefinition(d.spec, d.health, d.size);
    const existing = await this.describeService(app, processType);
    const loadBalancers = (d.targetGroupArns ?? []).map((targetGroupArn) => ({
      targetGroupArn,
      containerName: processType,
      containerPort: CONTAINER_PORT,
    }));
    // awsvpc tasks in a service with SRV records must name the container and port the SRV records carry.
    const serviceRegistries = d.registryArn
      ? [{ registryArn: d.registryArn, containerName: processType, containerPort: CONTAINER_PORT }]
      : [];
    const common = {
      cluster: this.o.cluster,
      taskDefinition,
      desiredCount: d.desiredCount,
      deploymentConfiguration: {
        deploymentCircuitBreaker: { ...ECS_DEPLOYMENT.circuitBreaker },
        minimumHealthyPercent: ECS_DEPLOYMENT.minimumHealthyPercent,
        maximumPercent: ECS_DEPLOYMENT.maximumPercent,
      },
      networkConfiguration: this.network(),
      loadBalancers,
      serviceRegistries,
      ...(loadBalancers.length > 0
        ? { healthCheckGracePeriodSeconds: ECS_HEALTH_CHECK_GRACE_PERIOD_SECONDS }
        : {}),
    };
    if (!existing || existing.status === 'INACTIVE') {
      const created = await this.call(`create service ${name}`, () =>
        this.o.client.send(
          new CreateServiceCommand({
            ...common,
            serviceName: name,
            launchType: 'FARGATE',
            deploymentController: { type: 'ECS' },
            propagateTags: 'TASK_DEFINITION',
            enableECSManagedTags: true,
            // Idempotent across retried events: the same token returns the same service.
            // Hashed: ECS allows 36 characters, and a cut name could repeat another's.
            clientToken: createHash('sha256')
              .update(`${name}\n${d.spec.releaseVersion}`)
              .digest('hex')
              .slice(0, 36),
          }),
        ),
      );
      return { taskDefinitionArn: taskDefinition, created: true, deploymentId: primaryDeployment(created) };
    }
    const { desiredCount: _count, ...keepCount } = common;
    const updated = await this.call(`update service ${name}`, () =>
      this.o.client.send(
        new UpdateServiceCommand({ ...(d.keepDesiredCount ? keepCount : common), service: name }),
      ),
    );
    return { taskDefinitionArn: taskDefinition, created: false, deploymentId: primaryDeployment(updated) };
  }

  async describeService(app: string, processType: string) {
    const service = ecsName(app, processType, this.o.namePrefix);
    const out = await this.call(`describe service ${service}`, () =>
      this.o.client.send(new DescribeServicesCommand({ cluster: this.o.cluster, services: [service] })),
    );
    return out.services?.[0] ?? null;
  }

  async scale(app: string, processType: string, desiredCount: number): Promise<void> {
    await this.call(`scale ${app}/${processType}`, () =>
      this.o.client.send(
        new UpdateServiceCommand({
          cluster: this.o.cluster,
          service: ecsName(app, processType, this.o.namePrefix),
          desiredCount,
        }),
      ),
    );
  }

  /** `wharf run`: a task of the release with the command overridden; returns its ARN. */
  async runTask(spec: InstanceSpec, health: HealthCheck | null = null): Promise<string> {
    const taskDefinition = await this.registerTaskDefinition({ ...spec, command: spec.command }, health);
    const out = await this.call(`run a one-off task of ${spec.app}`, () =>
      this.o.client.send(
        new RunTaskCommand({
          cluster: this.o.cluster,
          taskDefinition,
          launchType: 'FARGATE',
          count: 1,
          startedBy: 'wharf-run',
          networkConfiguration: this.network(),
          propagateTags: 'TASK_DEFINITION',
          overrides: {
            containerOverrides: [{ name: spec.processType, command: ['bash', '-c', spec.command] }],
          },
        }),
      ),
    );
    const failure = out.failures?.[0];
    const arn = out.tasks?.[0]?.taskArn;
    if (!arn) {
      throw new WharfError(
        'unavailable',
        `ECS could not start the task: ${failure?.reason ?? 'no reason given'}; try again`,
      );
    }
    return arn;
  }

  /** A one-off task's progress, for `wharf run` to follow until it exits. */
  async describeTask(
    taskId: string,
  ): Promise<{ status: string; exitCode: number | null; stoppedReason: string | null } | null> {
    const out = await this.call(`describe task ${taskId}`, () =>
      this.o.client.send(new DescribeTasksCommand({ cluster: this.o.cluster, tasks: [taskId] })),
    );
    const task = out.tasks?.[0];
    if (!task) return null;
    return {
      status: task.lastStatus ?? 'UNKNOWN',
      exitCode: task.containers?.[0]?.exitCode ?? null,
      stoppedReason: task.stoppedReason ?? null,
    };
  }

  /** Stops and deletes a process type's service (app destroyed or type removed). */
  async removeService(app: string, processType: string): Promise<void> {
    const service = ecsName(app, processType, this.o.namePrefix);
    await this.call(`delete service ${service}`, () =>
      this.o.client.send(new DeleteServiceCommand({ cluster: this.o.cluster, service, force: true })),
    ).catch((e: unknown) => {
      if (!(e instanceof NotFoundError)) throw e;
    });
  }

  async list(app?: string): Promise<Instance[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call('list tasks', () =>
        this.o.client.send(
          new ListTasksCommand({ cluster: this.o.cluster, ...(nextToken ? { nextToken } : {}) }),
        ),
      );
      arns.push(...(page?.taskArns ?? []));
      nextToken = page?.nextToken;
    } while (nextToken);
    const instances: Instance[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const chunk = arns.slice(i, i + 100);
      const out = await this.call('describe tasks', () =>
        this.o.client.send(
          new DescribeTasksCommand({ cluster: this.o.cluster, tasks: chunk, include: ['TAGS'] }),
        ),
      );
      for (const task of out.tasks ?? []) {
        const instance = taskToInstance(task, this.o.namePrefix);
        if (instance && (app === undefined || instance.app === app)) instances.push(instance);
      }
    }
    return instances;
  }

  async stop(instanceId: string): Promise<void> {
    await this.call(`stop task ${instanceId}`, () =>
      this.o.client.send(
        new StopTaskCommand({ cluster: this.o.cluster, task: instanceId, reason: 'stopped by wharf' }),
      ),
    );
  }

  /** ECS replaces a stopped service task with a new one: that is the restart. */
  async restart(instanceId: string): Promise<void> {
    await this.call(`restart task ${instanceId}`, () =>
      this.o.client.send(
        new StopTaskCommand({
          cluster: this.o.cluster,
          task: instanceId,
          reason: 'restarted by wharf (failed health checks)',
        }),
      ),
    );
  }

  /**
   * The core's per-instance start, mapped onto the service: the first start of a new
   * release rolls the service to it, later ones raise its desired count.
   */
  async start(spec: InstanceSpec): Promise<Instance> {
    const service = await this.describeService(spec.app, spec.processType);
    const sameRelease = service?.tags?.some(
      (t) => t.key === 'wharf:release' && t.value === String(spec.releaseVersion),
    );
    const desired = service && service.status !== 'INACTIVE' ? (service.desiredCount ?? 0) : 0;
    await this.deployService({
      spec,
      desiredCount: sameRelease ? desired + 1 : Math.max(1, desired),
      health: null,
    });
    return {
      id: `${ecsName(spec.app, spec.processType, this.o.namePrefix)}-v${spec.releaseVersion}-${desired + 1}`,
      app: spec.app,
      processType: spec.processType,
      releaseVersion: spec.releaseVersion,
      state: 'starting',
      host: '',
      port: CONTAINER_PORT,
      startedAt: new Date().toISOString(),
      restarts: 0,
    };
  }

  onChange(listener: (instance: Instance) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by the task-events function with each task change. */
  emit(instance: Instance): void {
    for (const l of this.listeners) l(instance);
  }

  async runOneOff(
    spec: InstanceSpec,
    io: { stdout: (chunk: Buffer) => void; stderr: (chunk: Buffer) => void },
  ): Promise<{ exitStatus: number | null; signal: string | null }> {
    const arn = await this.runTask(spec);
    io.stderr(
      Buffer.from(
        `-----> Started task ${taskIdOf(arn)}; its output is in the app's logs (source ${spec.processType})\n`,
      ),
    );
    return { exitStatus: null, signal: null };
  }
}

const STATES: Readonly<Record<string, Instance['state']>> = {
  PROVISIONING: 'starting',
  PENDING: 'starting',
  ACTIVATING: 'starting',
  RUNNING: 'up',
  DEACTIVATING: 'stopping',
  STOPPING: 'stopping',
  DEPROVISIONING: 'stopping',
  STOPPED: 'down',
};

/** An ECS task (from DescribeTasks or a task state-change event) as a Wharf instance. */
export function taskToInstance(task: Task | Record<string, unknown>, namePrefix?: string): Instance | null {
  const t = task as Task;
  const names =
    parseTaskGroup(t.group, namePrefix) ??
    parseTaskGroup(t.taskDefinitionArn?.split('/').pop()?.replace(/:\d+$/, ''), namePrefix);
  if (!names || !t.taskArn) return null;
  const release = t.tags?.find((tag) => tag.key === 'wharf:release')?.value;
  const container = t.containers?.find((c) => c.name === names.processType) ?? t.containers?.[0];
  const ip =
    t.attachments?.flatMap((a) => a.details ?? []).find((d) => d.name === 'privateIPv4Address')?.value ??
    container?.networkInterfaces?.[0]?.privateIpv4Address ??
    '';
  let state = STATES[t.lastStatus ?? ''] ?? 'starting';
  if (state === 'up' && t.healthStatus === 'UNHEALTHY') state = 'unhealthy';
  if (state === 'down' && container?.exitCode !== undefined && container.exitCode !== 0) state = 'crashed';
  return {
    id: taskIdOf(t.taskArn),
    app: names.app,
    processType: names.processType,
    releaseVersion: release ? Number(release) : 0,
    state,
    host: ip,
    port: CONTAINER_PORT,
    startedAt: (t.startedAt
      ? new Date(t.startedAt)
      : t.createdAt
        ? new Date(t.createdAt)
        : new Date(0)
    ).toISOString(),
    restarts: 0,
    exitStatus: container?.exitCode ?? null,
    oneOff: t.startedBy === 'wharf-run',
  };
}

/** The PRIMARY deployment of a service CreateService or UpdateService returned (mocks may return nothing). */
function primaryDeployment(
  out: { service?: { deployments?: { id?: string; status?: string }[] } } | undefined,
): string | null {
  return out?.service?.deployments?.find((x) => x.status === 'PRIMARY')?.id ?? null;
}
