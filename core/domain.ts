/** The vocabulary of docs/architecture.md (Flynn's), as plain data. */

export type DeployStrategy = 'one-by-one' | 'all-at-once';

export interface HealthCheck {
  /** tcp: connect to PORT; http: GET path, expect status. */
  readonly kind: 'tcp' | 'http';
  readonly path?: string;
  readonly status?: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** consecutive failures before an instance is unhealthy, successes before it is healthy */
  readonly threshold: number;
  /** how long a new instance may take to pass its first check */
  readonly startTimeoutMs: number;
}

export interface App {
  readonly name: string;
  readonly createdAt: string;
  /** branch whose pushes deploy (main or master locally, configurable on AWS) */
  readonly branch: string;
  /** explicit buildpack list (`wharf buildpacks set`); empty = BUILDPACK_URL, .buildpacks, auto-detect */
  readonly buildpacks: readonly string[];
  readonly strategy: DeployStrategy;
  /** health checks per process type; web defaults to tcp */
  readonly health: Readonly<Record<string, HealthCheck>>;
  readonly deployTimeoutMs: number;
}

export type BuildStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface BuildpackRef {
  readonly url: string;
  readonly name: string;
  readonly commit?: string;
}

export interface Build {
  readonly id: string;
  readonly app: string;
  readonly status: BuildStatus;
  readonly sourceVersion: string;
  readonly createdAt: string;
  readonly finishedAt?: string;
  readonly artifactId?: string;
  readonly error?: string;
  readonly buildpacks?: readonly BuildpackRef[];
  readonly processTypes?: Readonly<Record<string, string>>;
  readonly cacheHit?: boolean;
  readonly timings?: Readonly<Record<string, number>>;
}

export interface Artifact {
  readonly id: string;
  readonly app: string;
  readonly kind: 'slug' | 'image';
  /** slug path on disk, or image reference with digest */
  readonly uri: string;
  readonly digest?: string;
  readonly processTypes: Readonly<Record<string, string>>;
  /** config var defaults from buildpacks' bin/release; user vars win */
  readonly configDefaults: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

export interface Release {
  readonly app: string;
  readonly version: number;
  readonly artifactId: string | null;
  readonly env: Readonly<Record<string, string>>;
  /** vars for one process type only, overlaid on env (Flynn's per-process env) */
  readonly processEnv: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly processes: Readonly<Record<string, string>>;
  readonly description: string;
  readonly createdAt: string;
}

export interface Formation {
  readonly app: string;
  readonly processes: Readonly<Record<string, number>>;
  /** CPU and memory per process type (the ECS task size; recorded but not enforced locally) */
  readonly sizes?: Readonly<Record<string, ProcessSize>>;
  /**
   * Target-tracking autoscaling per process type (AWS): the count moves between min and
   * max, so deploys keep the count the runtime chose and `scale` refuses the type.
   */
  readonly autoscaling?: Readonly<Record<string, AutoscalingConfig>>;
  readonly updatedAt: string;
}

export interface ProcessSize {
  /** CPU units: 1024 = 1 vCPU */
  readonly cpu: number;
  /** MiB */
  readonly memory: number;
}

export type AutoscalingTarget = { readonly cpu: number } | { readonly requestsPerTarget: number };

export interface AutoscalingConfig {
  readonly min: number;
  readonly max: number;
  readonly target: AutoscalingTarget;
}

export type DeploymentStatus = 'pending' | 'running' | 'complete' | 'failed';

export interface DeployStep {
  readonly name: string;
  readonly ms: number;
  readonly detail?: string;
}

export interface Deployment {
  readonly id: string;
  readonly app: string;
  readonly fromVersion: number | null;
  readonly toVersion: number;
  readonly strategy: DeployStrategy;
  readonly status: DeploymentStatus;
  readonly steps: readonly DeployStep[];
  readonly error?: string;
  readonly createdAt: string;
  readonly finishedAt?: string;
}

export interface Route {
  readonly id: string;
  readonly app: string;
  readonly domain: string;
  /** path prefix, always starting with '/' */
  readonly path: string;
  readonly processType: string;
  /** send traffic to the leader only (Flynn's --leader) */
  readonly leader: boolean;
  readonly sticky: boolean;
  readonly createdAt: string;
}

export type InstanceState = 'starting' | 'up' | 'unhealthy' | 'crashed' | 'stopping' | 'down';

export interface Instance {
  readonly id: string;
  readonly app: string;
  readonly processType: string;
  readonly releaseVersion: number;
  readonly state: InstanceState;
  readonly host: string;
  readonly port: number;
  readonly pid?: number;
  readonly startedAt: string;
  readonly restarts: number;
  readonly exitStatus?: number | null;
  readonly oneOff?: boolean;
}

export interface WharfEvent {
  readonly seq: number;
  readonly app: string | null;
  readonly type: string;
  readonly at: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export type ResourceProvider = 'postgres' | 'mysql' | 'redis' | 'document' | 'blob' | 'postgis';

export type ResourceStatus = 'provisioning' | 'ready' | 'failed' | 'deleting';

export interface Resource {
  readonly name: string;
  readonly app: string;
  readonly provider: ResourceProvider;
  readonly status: ResourceStatus;
  /** the env vars the resource adds to the app's releases */
  readonly env: Readonly<Record<string, string>>;
  /** adapter-specific facts (port, data dir, stack id) */
  readonly meta: Readonly<Record<string, unknown>>;
  readonly error?: string;
  readonly createdAt: string;
}

export interface LogLine {
  readonly at: string;
  readonly app: string;
  /** process type, or 'build' / 'platform' */
  readonly source: string;
  readonly instance: string | null;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}
