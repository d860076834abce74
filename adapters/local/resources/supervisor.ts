/**
 * One supervised server process: started, checked for readiness, restarted with
 * backoff when it dies, stopped on request. Its output goes to the log store and a
 * short tail is kept for error messages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { LogStore } from '../../../core/ports.ts';
import { ResourceServerStartError } from './errors.ts';

export interface ServerCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** postgres takes SIGINT as its fast shutdown; SIGTERM would wait for clients */
  readonly stopSignal?: NodeJS.Signals;
}

export interface SupervisedServerOptions {
  readonly app: string;
  readonly resource: string;
  readonly command: ServerCommand;
  /** true once the server answers its protocol */
  readonly ready: () => Promise<boolean>;
  readonly startTimeoutMs?: number;
  readonly logs?: LogStore | undefined;
  /** called with each new process id (to record it for reaping after a platform crash) */
  readonly onSpawn?: (pid: number) => void;
}

/** the server's pid, in its resource dir */
export const PID_FILE = 'server.pid';
const TAIL_LINES = 40;
const MAX_BACKOFF_MS = 30_000;
const STOP_GRACE_MS = 10_000;

export class SupervisedServer {
  readonly #options: SupervisedServerOptions;
  #child: ChildProcess | null = null;
  #tail: string[] = [];
  #stopping = false;
  #restarts = 0;
  #restartTimer: NodeJS.Timeout | null = null;

  constructor(options: SupervisedServerOptions) {
    this.#options = options;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get restarts(): number {
    return this.#restarts;
  }

  get output(): string {
    return this.#tail.join('\n');
  }

  /** Starts the process and waits until it is ready; on failure it is stopped again. */
  async start(): Promise<void> {
    this.#stopping = false;
    const child = this.#spawn();
    try {
      await this.#waitReady(child);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(this.#options.command.stopSignal ?? 'SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killTimer);
  }

  #label(): string {
    return `${this.#options.app}/${this.#options.resource}`;
  }

  #spawn(): ChildProcess {
    const { command } = this.#options;
    const child = spawn(command.file, command.args, {
      env: command.env ?? process.env,
      cwd: command.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    if (child.pid !== undefined) this.#options.onSpawn?.(child.pid);
    child.stdout?.on('data', (c: Buffer) => this.#record('stdout', c));
    child.stderr?.on('data', (c: Buffer) => this.#record('stderr', c));
    child.on('error', (e) => this.#record('stderr', Buffer.from(`${e.message}\n`)));
    child.on('exit', (code, signal) => {
      if (this.#child !== child || this.#stopping) return;
      this.#record('stderr', Buffer.from(`server exited (status ${code}, signal ${signal}); restarting\n`));
      this.#scheduleRestart();
    });
    return child;
  }

  #scheduleRestart(): void {
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.#restarts, 6));
    this.#restarts++;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopping) return;
      const child = this.#spawn();
      this.#waitReady(child).catch((e: Error) => this.#record('stderr', Buffer.from(`${e.message}\n`)));
    }, delay);
    this.#restartTimer.unref();
  }

  async #waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + (this.#options.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new ResourceServerStartError(
          this.#label(),
          `the server exited with status ${child.exitCode ?? child.signalCode} before it was ready`,
          this.output,
        );
      }
      if (await this.#options.ready().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new ResourceServerStartError(
      this.#label(),
      `not ready within ${(this.#options.startTimeoutMs ?? 30_000) / 1000} s`,
      this.output,
    );
  }

  #record(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const lines = chunk.toString('utf8').split('\n').filter(Boolean);
    this.#tail.push(...lines);
    if (this.#tail.length > TAIL_LINES) this.#tail.splice(0, this.#tail.length - TAIL_LINES);
    const at = new Date().toISOString();
    for (const text of lines) {
      this.#options.logs?.append({
        at,
        app: this.#options.app,
        source: `resource:${this.#options.resource}`,
        instance: null,
        stream,
        text,
      });
    }
  }
}
