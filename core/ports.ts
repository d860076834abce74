/**
 * The ports: what the core needs from the world. Each has a local adapter
 * (adapters/local) and an AWS adapter (adapters/aws), and one contract suite
 * (test/contracts) runs against both.
 */
import type {
  App,
  Artifact,
  Build,
  BuildpackRef,
  Deployment,
  DeployStep,
  Formation,
  HealthCheck,
  Instance,
  LogLine,
  Release,
  Resource,
  Route,
  WharfEvent,
} from './domain.ts';

/** A release before the store gives it its number. */
export type ReleaseDraft = Omit<Release, 'version' | 'createdAt'>;

export interface StateStore {
  createApp(app: App): Promise<void>; // ConflictError when the name is taken
  getApp(name: string): Promise<App | null>;
  listApps(): Promise<App[]>;
  updateApp(name: string, patch: Partial<Omit<App, 'name' | 'createdAt'>>): Promise<App>;
  /** Removes the app and everything it owns (releases, builds, routes, formation...). */
  deleteApp(name: string): Promise<void>;

  /**
   * Appends a release with the next number, atomically: `make` sees the latest
   * release (or null) and returns the draft. Concurrent callers get dense, increasing
   * numbers and each sees the release before its own.
   */
  appendRelease(app: string, make: (latest: Release | null) => ReleaseDraft): Promise<Release>;
  getRelease(app: string, version: number): Promise<Release | null>;
  latestRelease(app: string): Promise<Release | null>;
  listReleases(app: string): Promise<Release[]>;

  putBuild(build: Build): Promise<void>;
  getBuild(id: string): Promise<Build | null>;
  listBuilds(app: string): Promise<Build[]>;

  putArtifact(artifact: Artifact): Promise<void>;
  getArtifact(id: string): Promise<Artifact | null>;

  getFormation(app: string): Promise<Formation | null>;
  putFormation(formation: Formation): Promise<void>;

  putDeployment(deployment: Deployment): Promise<void>;
  getDeployment(id: string): Promise<Deployment | null>;
  listDeployments(app: string): Promise<Deployment[]>;
  /** The release the app is meant to run (set when a deploy completes). */
  getCurrentVersion(app: string): Promise<number | null>;
  setCurrentVersion(app: string, version: number): Promise<void>;

  /**
   * A lease so that two deploys of one app never interleave, even across processes
   * or Lambdas. Returns false when another holder's lease has not expired.
   */
  acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(key: string, holder: string): Promise<void>;

  putRoute(route: Route): Promise<void>; // ConflictError on the same domain+path
  deleteRoute(app: string, id: string): Promise<void>;
  listRoutes(app?: string): Promise<Route[]>;

  putResource(resource: Resource): Promise<void>;
  getResource(app: string, name: string): Promise<Resource | null>;
  listResources(app?: string): Promise<Resource[]>;
  deleteResource(app: string, name: string): Promise<void>;

  appendEvent(event: Omit<WharfEvent, 'seq'>): Promise<WharfEvent>;
  listEvents(filter: { app?: string; afterSeq?: number; limit?: number }): Promise<WharfEvent[]>;

  /** Records a webhook delivery id; false when it was seen before (dedupe). */
  markDelivery(id: string, ttlMs: number): Promise<boolean>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export interface Ids {
  /** a new id with a readable prefix: `b-`, `d-`, `r-`, `i-`... */
  next(prefix: string): string;
}

export interface BuildRequest {
  readonly buildId: string;
  readonly app: string;
  readonly sourceVersion: string;
  /** where the source is: a directory or an archive the adapter understands */
  readonly source:
    | { readonly kind: 'dir' | 'tar'; readonly path: string }
    | { readonly kind: 'git'; readonly url: string; readonly ref: string };
  /** the app's config vars (for ENV_DIR and BUILDPACK_URL) */
  readonly env: Readonly<Record<string, string>>;
  readonly buildpacks: readonly string[];
}

export interface BuildOutcome {
  readonly ok: boolean;
  readonly error?: string;
  readonly artifact?: Omit<Artifact, 'id' | 'app' | 'createdAt'>;
  readonly buildpacks?: readonly BuildpackRef[];
  readonly cacheHit?: boolean;
  readonly timings?: Readonly<Record<string, number>>;
  /** the app's wharf.json and app.json from the source, parsed, when present */
  readonly appConfig?: { readonly wharfJson?: unknown; readonly appJson?: unknown };
}

/** Runs buildpack builds. Locally it awaits the runner; on AWS it starts CodeBuild and returns `pending`. */
export interface Builder {
  build(
    request: BuildRequest,
    output: (line: string) => void,
  ): Promise<BuildOutcome | { readonly pending: true }>;
}

/** What one instance runs. */
export interface InstanceSpec {
  readonly app: string;
  readonly processType: string;
  readonly releaseVersion: number;
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  /** the artifact to run (slug path or image) */
  readonly artifactUri: string | null;
  readonly oneOff?: boolean;
}

export interface InstanceExit {
  readonly instance: Instance;
  readonly exitStatus: number | null;
  readonly signal: string | null;
}

/**
 * Runs instances (the local supervisor; on AWS, ECS tasks). The supervisor restarts
 * crashed long-running instances itself with backoff and reports every change.
 */
export interface Scheduler {
  start(spec: InstanceSpec): Promise<Instance>;
  /** SIGTERM, then SIGKILL after the grace period. */
  stop(instanceId: string, graceMs?: number): Promise<void>;
  /** Stops and starts the instance again in place (same id), e.g. after failed health checks. */
  restart(instanceId: string): Promise<void>;
  list(app?: string): Promise<Instance[]>;
  onChange(listener: (instance: Instance) => void): () => void;
  /** A one-off instance whose output and exit status go to the caller. */
  runOneOff(
    spec: InstanceSpec,
    io: {
      stdout: (chunk: Buffer) => void;
      stderr: (chunk: Buffer) => void;
      stdin?: AsyncIterable<Buffer>;
      /** run on a terminal of this size (output then comes on stdout only, as a terminal gives it) */
      tty?: RunTerminal;
      /** aborted when the caller went away: the run is stopped (SIGTERM, then SIGKILL after the grace) */
      signal?: AbortSignal;
      /** called once the run's process has started, with its instance id */
      started?: (instanceId: string) => void;
      /** with `tty`: where the caller's window size changes are to be sent */
      onResize?: (listener: (size: { rows: number; cols: number }) => Promise<void>) => void;
    },
  ): Promise<{ exitStatus: number | null; signal: string | null }>;
}

/** The terminal a one-off run gets (`wharf run` from a terminal: `heroku run bash`). */
export interface RunTerminal {
  readonly rows: number;
  readonly cols: number;
  /** TERM, e.g. `xterm-256color` */
  readonly term: string;
}

/** Checks one instance once; true when healthy. */
export interface HealthProbe {
  check(target: { host: string; port: number }, check: HealthCheck): Promise<boolean>;
}

export interface Backend {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

export interface RouteTableEntry {
  readonly routeId: string;
  readonly app: string;
  readonly domain: string;
  readonly path: string;
  /** the process type the route sends to */
  readonly processType: string;
  /** only the leader of the process type serves (Flynn's --leader) */
  readonly leader: boolean;
  readonly sticky: boolean;
  /** healthy instances only; the leader alone for leader routes */
  readonly backends: readonly Backend[];
}

/** Routes outside HTTP traffic. The core pushes the whole table after every change. */
export interface Router {
  setTable(table: readonly RouteTableEntry[]): Promise<void>;
}

export interface DiscoveryInstance {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly startedAt: string;
  readonly healthy: boolean;
}

/** Service discovery: the healthy instances of each app's process types, and its leader. */
export interface Discovery {
  publish(
    app: string,
    processType: string,
    instances: readonly DiscoveryInstance[],
    leaderId: string | null,
  ): Promise<void>;
  remove(app: string): Promise<void>;
}

export interface LogQuery {
  readonly source?: string;
  readonly instance?: string;
  readonly lines?: number;
}

export interface LogStore {
  append(line: LogLine): void;
  query(app: string, query: LogQuery): Promise<LogLine[]>;
  /** Calls `onLine` for every new line that matches until the returned function is called. */
  follow(app: string, query: LogQuery, onLine: (line: LogLine) => void): () => void;
}

export interface ArtifactStore {
  /** Takes a built slug (file path) and keeps it; returns its uri. */
  put(app: string, buildId: string, slugPath: string): Promise<string>;
  /** Where the artifact can be read from (a local path). */
  resolve(uri: string): Promise<string>;
  remove(uri: string): Promise<void>;
}

export interface SecretStore {
  get(name: string): Promise<string | null>;
  put(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

export interface ProvisionedResource {
  readonly env: Readonly<Record<string, string>>;
  readonly meta: Readonly<Record<string, unknown>>;
  /** true when ready now; false when a later event (onResourceReady) will say so */
  readonly ready: boolean;
}

export interface ResourceProvisioner {
  provision(
    app: string,
    name: string,
    provider: Resource['provider'],
    envPrefix: string,
  ): Promise<ProvisionedResource>;
  /**
   * keepData true: the data outlives the resource (local: its dir, started again by an add
   * of the same name; AWS: a final snapshot, or the retained table or bucket). false: it
   * is deleted. Absent: the provisioner's default, which on AWS keeps a final snapshot
   * (a backup, not a live store) and locally deletes the data dir.
   */
  deprovision(resource: Resource, options: { keepData?: boolean }): Promise<void>;
}

export interface EventBus {
  publish(event: WharfEvent): void;
  subscribe(listener: (event: WharfEvent) => void): () => void;
}

/**
 * How releases and formations reach the runtime. Locally the core does it in process
 * (start, wait for health, switch, stop: core/deployer.ts); on AWS the deploy is handed to
 * ECS and finished by its events. The use cases (config change, rollback, restart, scale,
 * resources, builds, destroy) go through this port on both.
 */
export interface ReleaseDeployer {
  /**
   * Deploys `version` of the app; returns the deployment (still running where the runtime
   * finishes it later). A version already deployed or being deployed is not deployed again
   * (events arrive more than once) unless `redeploy` asks for it (restart, new sizes).
   */
  deploy(
    app: string,
    version: number,
    options?: { onStep?: (step: DeployStep) => void; redeploy?: boolean },
  ): Promise<Deployment>;
  /** The stored formation changed (scale): brings what runs to it. */
  applyFormation(app: string, changedTypes: readonly string[]): Promise<void>;
  /** Brings what runs to the current release and formation (after a restart, or on request). */
  converge(app: string): Promise<void>;
  /** Stops everything the app runs; called before its records are deleted. */
  removeApp(app: string): Promise<void>;
}
