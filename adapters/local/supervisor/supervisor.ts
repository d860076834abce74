import { randomBytes } from 'node:crypto';
import type { Instance, InstanceState } from '../../../core/domain.ts';
import { ConflictError, NotFoundError } from '../../../core/errors.ts';
import type { Clock, InstanceSpec, LogStore, Scheduler } from '../../../core/ports.ts';
import { Backoff, type BackoffOptions, formatDelay } from './backoff.ts';
import { reapRecords } from './orphans.ts';
import { LoopbackPortAllocator, type PortAllocator } from './port-allocator.ts';
import { InstanceStartError, SupervisorClosedError } from './errors.ts';
import { readProcStat, signalGroup } from './proc.ts';
import { deliver, pump, settlesWithin } from './process-io.ts';
import { type ProcessExit, type SpawnedProcess, spawnProcess, terminateGroup } from './spawn-process.ts';
import { type InstanceRecord, StateFile } from './state-file.ts';
import { onTerminal, resizeTerminal, terminalEnv } from './terminal.ts';

export interface LaunchCommand {
  readonly file: string;
  readonly args: string[];
}

export interface SupervisorOptions {
  /** the platform's data dir; the state file is `<dataDir>/supervisor/instances.json` */
  readonly dataDir: string;
  readonly logs: LogStore;
  /** how to run a process command in a slug dir (the buildpack runner's launchCommand) */
  readonly launch: (slugDir: string, command: string) => LaunchCommand;
  /** the slug dir of an artifact uri (ArtifactStore.resolve) */
  readonly resolveArtifact: (uri: string) => Promise<string>;
  /** @default a LoopbackPortAllocator */
  readonly portAllocator?: PortAllocator;
  /** @default the system clock */
  readonly clock?: Pick<Clock, 'now'>;
  /** @default 500 ms doubling to 30 s, reset after 60 s up */
  readonly backoff?: BackoffOptions;
  /** SIGTERM to SIGKILL, for stop, restart, shutdown and orphans. @default 10 s */
  readonly stopGraceMs?: number;
  /** the platform's env for every instance, under the release's. @default PATH and HOME of this process */
  readonly env?: Readonly<Record<string, string>>;
  /** env that depends on the instance id (its discovery names), laid over the spec's */
  readonly instanceEnv?: (id: string, spec: InstanceSpec) => Record<string, string>;
  /** working dir of an instance whose release has no artifact. @default dataDir */
  readonly defaultCwd?: string;
}

export { InstanceStartError, SupervisorClosedError };

export type OneOffIo = Parameters<Scheduler['runOneOff']>[1];

interface Managed {
  readonly id: string;
  readonly spec: InstanceSpec;
  readonly cwd: string;
  readonly oneOff: boolean;
  readonly backoff: Backoff;
  port: number;
  state: InstanceState;
  restarts: number;
  startedAt: string;
  startedAtMs: number;
  startTime: string | null;
  exitStatus: number | null | undefined;
  process: SpawnedProcess | null;
  /** set while the platform itself ends the process (stop, restart), so its exit is no crash */
  ending: boolean;
  removed: boolean;
  restartTimer: NodeJS.Timeout | null;
  stopping: Promise<void> | null;
  restarting: Promise<void> | null;
}

const HOST = '127.0.0.1';

/**
 * The local Scheduler: runs each instance as a child process in its own process
 * group on a port of its own, restarts crashed ones in place with backoff, and keeps
 * a state file of running processes so the next platform can reap what a killed one
 * left behind.
 */
export class Supervisor implements Scheduler {
  readonly #logs: LogStore;
  readonly #launch: SupervisorOptions['launch'];
  readonly #resolveArtifact: SupervisorOptions['resolveArtifact'];
  readonly #ports: PortAllocator;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #backoff: BackoffOptions;
  readonly #graceMs: number;
  readonly #env: Readonly<Record<string, string>>;
  readonly #instanceEnv: SupervisorOptions['instanceEnv'];
  readonly #defaultCwd: string;
  readonly #state: StateFile;
  readonly #instances = new Map<string, Managed>();
  readonly #listeners = new Set<(instance: Instance) => void>();
  #closed = false;

  constructor(options: SupervisorOptions) {
    this.#logs = options.logs;
    this.#launch = options.launch;
    this.#resolveArtifact = options.resolveArtifact;
    this.#ports = options.portAllocator ?? new LoopbackPortAllocator();
    this.#clock = options.clock ?? { now: () => new Date() };
    this.#backoff = options.backoff ?? {};
    this.#graceMs = options.stopGraceMs ?? 10_000;
    this.#env = options.env ?? defaultPlatformEnv();
    this.#instanceEnv = options.instanceEnv;
    this.#defaultCwd = options.defaultCwd ?? options.dataDir;
    this.#state = new StateFile(options.dataDir);
  }

  /** Where running processes are recorded. */
  get stateFilePath(): string {
    return this.#state.path;
  }

  async start(spec: InstanceSpec): Promise<Instance> {
    const managed = await this.#prepare(spec, false);
    this.#spawn(managed);
    return snapshot(managed);
  }

  async stop(instanceId: string, graceMs: number = this.#graceMs): Promise<void> {
    const managed = this.#instances.get(instanceId);
    // Already gone is success: the core converges by stopping what it no longer wants.
    if (!managed) return;
    if (managed.stopping) return managed.stopping;
    managed.stopping = (async () => {
      managed.removed = true;
      this.#cancelRestart(managed);
      this.#setState(managed, 'stopping');
      await this.#terminate(managed, graceMs);
      this.#instances.delete(managed.id);
      this.#setState(managed, 'down');
      this.#persist();
      const status = managed.exitStatus == null ? '' : ` (status ${managed.exitStatus})`;
      this.#platformLog(managed, `${managed.id} stopped${status}`);
    })();
    return managed.stopping;
  }

  async restart(instanceId: string): Promise<void> {
    const managed = this.#instances.get(instanceId);
    if (!managed || managed.removed) {
      throw new NotFoundError(
        `no running instance "${instanceId}": list the app's instances with \`wharf ps\``,
      );
    }
    if (managed.oneOff) {
      throw new ConflictError(
        `${instanceId} is a one-off run: it cannot be restarted, start a new one instead`,
      );
    }
    this.#assertOpen();
    if (managed.restarting) return managed.restarting;
    managed.restarting = (async () => {
      this.#cancelRestart(managed);
      this.#platformLog(managed, `${managed.id} restarting on request`);
      if (managed.process) {
        this.#setState(managed, 'stopping');
        await this.#terminate(managed, this.#graceMs);
      }
      await this.#respawn(managed);
    })().finally(() => {
      managed.restarting = null;
    });
    return managed.restarting;
  }

  async list(app?: string): Promise<Instance[]> {
    return [...this.#instances.values()].filter((m) => app === undefined || m.spec.app === app).map(snapshot);
  }

  onChange(listener: (instance: Instance) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async runOneOff(
    spec: InstanceSpec,
    io: OneOffIo,
  ): Promise<{ exitStatus: number | null; signal: string | null }> {
    const managed = await this.#prepare(spec, true);
    const proc = this.#spawn(managed, io);
    // Nobody is left to read a run whose caller went away (a closed terminal, Ctrl-C on the
    // CLI): it is stopped, as Heroku stops an attached one-off dyno.
    const abandon = () => {
      this.#platformLog(managed, `${managed.id}: its client went away; stopping it`);
      void this.stop(managed.id);
    };
    if (io.signal?.aborted) abandon();
    else io.signal?.addEventListener('abort', abandon, { once: true });
    io.started?.(managed.id);
    const exit = await proc.exited;
    io.signal?.removeEventListener('abort', abandon);
    // The pipes close once the last output is read; a daemon that escaped the group and
    // keeps them open must not hold the caller forever.
    await settlesWithin(proc.closed, 5_000);
    return { exitStatus: exit.status, signal: exit.signal };
  }

  /**
   * The core's health checks decide when an instance is up: this records their verdict
   * so `list` and `onChange` show it. Ignored unless the instance is running.
   */
  setHealth(instanceId: string, healthy: boolean): void {
    const managed = this.#instances.get(instanceId);
    if (!managed?.process || managed.removed || managed.oneOff) return;
    if (!['starting', 'up', 'unhealthy'].includes(managed.state)) return;
    const state: InstanceState = healthy ? 'up' : 'unhealthy';
    if (managed.state !== state) this.#setState(managed, state);
  }

  /**
   * Stops the processes an earlier platform recorded and left running (SIGTERM, then
   * SIGKILL after the grace) and clears them from the state file. Call it once at start,
   * before the core starts the current releases again. Returns how many were found.
   */
  async reapOrphans(): Promise<number> {
    const records = this.#state.read().filter((record) => !this.#instances.has(record.id));
    const reaped = await reapRecords(records, this.#graceMs);
    for (const record of reaped) {
      this.#logs.append({
        at: this.#clock.now().toISOString(),
        app: record.spec.app,
        source: 'platform',
        instance: record.id,
        stream: 'stdout',
        text: `${record.id} was left running by an earlier platform (pid ${record.pid}); stopped it`,
      });
    }
    this.#persist();
    return reaped.length;
  }

  /** Stops every instance (SIGTERM, then SIGKILL after the grace); later starts are refused. */
  async shutdown(graceMs: number = this.#graceMs): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#instances.keys()].map((id) => this.stop(id, graceMs)));
  }

  /**
   * Sends a signal to every instance's process group at once, without waiting: the
   * last resort for a platform that is exiting without `shutdown` (hook it to the
   * process's 'exit' event). What survives is reaped by the next `reapOrphans`.
   */
  killAllNow(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.#closed = true;
    for (const managed of this.#instances.values()) {
      this.#cancelRestart(managed);
      const pid = managed.process?.pid;
      if (pid !== undefined) signalGroup(pid, signal);
    }
  }

  async #prepare(spec: InstanceSpec, oneOff: boolean): Promise<Managed> {
    this.#assertOpen();
    const cwd = await this.#cwdFor(spec);
    const port = await this.#ports.allocate();
    this.#assertOpen();
    const now = this.#clock.now();
    const managed: Managed = {
      id: this.#newId(spec.processType),
      spec,
      cwd,
      oneOff,
      backoff: new Backoff(this.#backoff),
      port,
      state: 'starting',
      restarts: 0,
      startedAt: now.toISOString(),
      startedAtMs: now.getTime(),
      startTime: null,
      exitStatus: undefined,
      process: null,
      ending: false,
      removed: false,
      restartTimer: null,
      stopping: null,
      restarting: null,
    };
    this.#instances.set(managed.id, managed);
    return managed;
  }

  #spawn(managed: Managed, io?: OneOffIo): SpawnedProcess {
    const launched = this.#launch(managed.cwd, managed.spec.command);
    const { file, args } = io?.tty ? onTerminal(launched, io.tty) : launched;
    const now = this.#clock.now();
    managed.startedAt = now.toISOString();
    managed.startedAtMs = now.getTime();
    managed.exitStatus = undefined;
    managed.ending = false;
    const proc = spawnProcess({
      file,
      args,
      cwd: managed.cwd,
      env: io?.tty ? { ...this.#envFor(managed), ...terminalEnv(io.tty) } : this.#envFor(managed),
      pipeStdin: io?.stdin !== undefined,
      onLine: (stream, text) =>
        this.#logs.append({
          at: this.#clock.now().toISOString(),
          app: managed.spec.app,
          source: managed.spec.processType,
          instance: managed.id,
          stream,
          text,
        }),
      onChunk: io ? (stream, chunk) => deliver(io[stream], chunk) : undefined,
    });
    managed.process = proc;
    // Read now, while the pid surely names our process: it is what makes a later reap safe.
    managed.startTime = proc.pid === undefined ? null : (readProcStat(proc.pid)?.startTime ?? null);
    // Written synchronously so the record is on disk before anything can kill the platform.
    this.#persist();
    this.#setState(managed, managed.oneOff ? 'up' : 'starting');
    this.#platformLog(
      managed,
      `${managed.id} starting \`${managed.spec.command}\` on port ${managed.port} (release v${managed.spec.releaseVersion})`,
    );
    if (io?.stdin && proc.child.stdin) void pump(io.stdin, proc.child.stdin);
    if (io?.tty && proc.pid !== undefined) {
      const pid = proc.pid;
      io.onResize?.(async (size) => {
        if (managed.process === proc) await resizeTerminal(pid, size);
      });
    }
    void proc.exited.then((exit) => this.#onExit(managed, proc, exit));
    return proc;
  }

  #onExit(managed: Managed, proc: SpawnedProcess, exit: ProcessExit): void {
    if (managed.process !== proc) return;
    managed.process = null;
    managed.exitStatus = exit.status;
    if (exit.spawnError)
      this.#platformLog(managed, `${managed.id} could not start: ${exit.spawnError.message}`);
    this.#persist();
    // A stop or restart in progress gives the rest of the group its grace itself.
    if (managed.ending || managed.removed) return;
    // Whatever the process left in its group would hold its port or run unsupervised.
    if (proc.pid !== undefined) signalGroup(proc.pid, 'SIGKILL');
    if (managed.oneOff) {
      this.#instances.delete(managed.id);
      managed.removed = true;
      this.#setState(managed, 'down');
      return;
    }
    const delay = managed.backoff.next(this.#clock.now().getTime() - managed.startedAtMs);
    this.#setState(managed, 'crashed');
    const status = exit.status === null ? '' : ` with status ${exit.status}`;
    this.#platformLog(managed, `${managed.id} exited${status}; restarting in ${formatDelay(delay)}`);
    this.#scheduleRespawn(managed, delay);
  }

  #scheduleRespawn(managed: Managed, delayMs: number): void {
    if (this.#closed || managed.removed) return;
    managed.restartTimer = setTimeout(() => {
      managed.restartTimer = null;
      void this.#respawn(managed);
    }, delayMs);
  }

  async #respawn(managed: Managed): Promise<void> {
    if (this.#closed || managed.removed) return;
    try {
      // Keep the port when it is still free, so routes and discovery need not change.
      if (!(await this.#ports.isFree(managed.port))) managed.port = await this.#ports.allocate();
      if (this.#closed || managed.removed) return;
      managed.restarts++;
      this.#spawn(managed);
    } catch (error) {
      const delay = managed.backoff.next(0);
      const reason = error instanceof Error ? error.message : String(error);
      this.#platformLog(
        managed,
        `${managed.id} could not restart: ${reason}; trying again in ${formatDelay(delay)}`,
      );
      this.#scheduleRespawn(managed, delay);
    }
  }

  async #terminate(managed: Managed, graceMs: number): Promise<void> {
    const proc = managed.process;
    if (!proc) return;
    managed.ending = true;
    await terminateGroup(proc, graceMs);
  }

  #cancelRestart(managed: Managed): void {
    if (managed.restartTimer) clearTimeout(managed.restartTimer);
    managed.restartTimer = null;
  }

  #setState(managed: Managed, state: InstanceState): void {
    managed.state = state;
    const instance = snapshot(managed);
    for (const listener of this.#listeners) {
      try {
        listener(instance);
      } catch {
        // A failing listener must not break supervision of the instance.
      }
    }
  }

  #platformLog(managed: Managed, text: string): void {
    this.#logs.append({
      at: this.#clock.now().toISOString(),
      app: managed.spec.app,
      source: 'platform',
      instance: managed.id,
      stream: 'stdout',
      text,
    });
  }

  #persist(): void {
    const records: InstanceRecord[] = [];
    for (const managed of this.#instances.values()) {
      const pid = managed.process?.pid;
      if (pid === undefined) continue;
      records.push({
        id: managed.id,
        pid,
        pgid: pid,
        startTime: managed.startTime,
        startedAt: managed.startedAt,
        port: managed.port,
        spec: managed.spec,
      });
    }
    this.#state.write(records);
  }

  #envFor(managed: Managed): Record<string, string> {
    return {
      // Node gives a piped stdin as a socket, and bash on a socket stdin thinks rshd started
      // it and sources ~/.bashrc unless it is a nested shell (SHLVL of 1 or more).
      SHLVL: '1',
      ...this.#env,
      WHARF_APP: managed.spec.app,
      WHARF_PROCESS_TYPE: managed.spec.processType,
      WHARF_RELEASE: String(managed.spec.releaseVersion),
      ...managed.spec.env,
      ...(this.#instanceEnv?.(managed.id, managed.spec) ?? {}),
      PORT: String(managed.port),
      WHARF_INSTANCE_ID: managed.id,
    };
  }

  async #cwdFor(spec: InstanceSpec): Promise<string> {
    if (spec.artifactUri === null) return this.#defaultCwd;
    try {
      return await this.#resolveArtifact(spec.artifactUri);
    } catch (error) {
      throw new InstanceStartError(
        `cannot start ${spec.app} ${spec.processType} (release v${spec.releaseVersion}): its artifact ${spec.artifactUri} could not be found; push the app again to rebuild it`,
        { cause: error },
      );
    }
  }

  #newId(processType: string): string {
    for (;;) {
      const id = `${processType}.${randomBytes(4).toString('hex')}`;
      if (!this.#instances.has(id)) return id;
    }
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new SupervisorClosedError(
        'the supervisor is shutting down: start the platform again to run instances',
      );
    }
  }
}

function snapshot(managed: Managed): Instance {
  const pid = managed.process?.pid;
  return {
    id: managed.id,
    app: managed.spec.app,
    processType: managed.spec.processType,
    releaseVersion: managed.spec.releaseVersion,
    state: managed.state,
    host: HOST,
    port: managed.port,
    ...(pid === undefined ? {} : { pid }),
    startedAt: managed.startedAt,
    restarts: managed.restarts,
    ...(managed.exitStatus === undefined ? {} : { exitStatus: managed.exitStatus }),
    ...(managed.oneOff ? { oneOff: true } : {}),
  };
}

function defaultPlatformEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  return env;
}
