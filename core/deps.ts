import type {
  ArtifactStore,
  Builder,
  Clock,
  Discovery,
  EventBus,
  HealthProbe,
  Ids,
  LogStore,
  ReleaseDeployer,
  ResourceProvisioner,
  Router,
  Scheduler,
  SecretStore,
  StateStore,
} from './ports.ts';

/** Everything the control plane needs, wired by a composition root (local/ or functions/). */
export interface CoreDeps {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly bus: EventBus;
  readonly logs: LogStore;
  readonly builder: Builder;
  readonly artifacts: ArtifactStore;
  readonly scheduler: Scheduler;
  readonly router: Router;
  readonly discovery: Discovery;
  readonly probe: HealthProbe;
  readonly secrets: SecretStore;
  readonly provisioner: ResourceProvisioner;
  readonly settings: CoreSettings;
  /**
   * How releases reach the runtime. Absent: the core deploys in process through the
   * scheduler, waiting for health (the local platform). AWS hands deploys to ECS.
   */
  readonly releaseDeployer?: ReleaseDeployer;
}

export interface CoreSettings {
  /** default routes are `<app>.<routerDomain>` */
  readonly routerDomain: string;
  /** env vars every instance gets from the platform (discovery endpoints...) */
  readonly instanceEnv: (instance: { app: string; processType: string }) => Record<string, string>;
  /** how long an instance with no health check must stay up to count as started */
  readonly settleMs: number;
  /** grace between SIGTERM and SIGKILL when an instance is stopped */
  readonly stopGraceMs: number;
  /** how long a drained instance keeps serving requests in flight before it is stopped */
  readonly drainMs: number;
}

export const DEFAULT_SETTINGS: CoreSettings = {
  routerDomain: 'localhost',
  instanceEnv: () => ({}),
  settleMs: 1000,
  stopGraceMs: 10_000,
  drainMs: 250,
};
