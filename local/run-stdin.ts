/**
 * The stdin of one-off runs (`wharf run`): `POST /apps/:app/run` with `{stdin: true}`
 * opens a RunStdin and names it in its first frame; the client then sends its input as
 * the body of `POST /apps/:app/runs/:id/stdin`, which becomes the process's stdin.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WharfError } from '../core/errors.ts';

export interface TerminalSize {
  readonly rows: number;
  readonly cols: number;
}

/** Why a stdin request ended: its body ended, the run ended first, or the process stopped reading. */
export type StdinEnding = 'eof' | 'exited' | 'closed' | 'aborted';

const CLOSED = Symbol('closed');

/** How long a run waits for its stdin request before it gets end of file. */
const ATTACH_TIMEOUT_MS = 30_000;
/** How long an ended run is remembered, so a late stdin request gets 409 rather than 404. */
const REMEMBER_MS = 5 * 60_000;

export class RunStdin {
  readonly id: string;
  readonly app: string;
  /** the process's stdin: what the stdin request sends, until its end or the run's */
  readonly input: AsyncIterable<Buffer>;
  bytes = 0;
  attached = false;
  #closed = false;
  #attach!: (req: IncomingMessage) => void;
  readonly #attachedReq: Promise<IncomingMessage>;
  #close!: () => void;
  readonly #closedSignal: Promise<typeof CLOSED>;
  #ended!: (ending: StdinEnding) => void;
  readonly #ending: Promise<StdinEnding>;
  readonly #onClose: (run: RunStdin) => void;
  #resizeListener: ((size: TerminalSize) => Promise<void>) | null = null;

  constructor(id: string, app: string, onClose: (run: RunStdin) => void) {
    this.id = id;
    this.app = app;
    this.#onClose = onClose;
    this.#attachedReq = new Promise((resolve) => {
      this.#attach = resolve;
    });
    this.#closedSignal = new Promise((resolve) => {
      this.#close = () => resolve(CLOSED);
    });
    this.#ending = new Promise((resolve) => {
      this.#ended = resolve;
    });
    this.input = this.#read();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Where a window size change goes: set by a run on a terminal (the supervisor). */
  onResize(listener: (size: TerminalSize) => Promise<void>): void {
    this.#resizeListener = listener;
  }

  /** The client's window changed size; false when the run has no terminal. */
  async resize(size: TerminalSize): Promise<boolean> {
    if (!this.#resizeListener) return false;
    await this.#resizeListener(size);
    return true;
  }

  /** Feeds the request's body to the process; resolves when the stdin request is done with. */
  attach(req: IncomingMessage): Promise<StdinEnding> {
    this.attached = true;
    this.#attach(req);
    return this.#ending;
  }

  /** The run ended (or its client left): the process's stdin ends, a stdin request is answered. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#close();
    // answers a stdin request whose body the process never started reading (the run failed
    // to start); while the input is being read, its own ending settled first
    queueMicrotask(() => this.#ended('exited'));
    this.#onClose(this);
  }

  async *#read(): AsyncGenerator<Buffer> {
    const req = await Promise.race([this.#attachedReq, this.#closedSignal]);
    if (req === CLOSED) return;
    let ending: StdinEnding = 'closed';
    try {
      const chunks = req[Symbol.asyncIterator]();
      for (;;) {
        // a racing next() left pending is harmless: its rejection is handled by the race
        const next = await Promise.race([chunks.next(), this.#closedSignal]);
        if (next === CLOSED) {
          ending = 'exited';
          return;
        }
        if (next.done) {
          ending = 'eof';
          return;
        }
        const chunk = next.value as Buffer;
        this.bytes += chunk.length;
        yield chunk;
      }
    } catch {
      ending = 'aborted';
    } finally {
      // 'closed' when the process's stdin closed first and the pump stopped asking
      this.#ended(ending);
    }
  }
}

/** The runs of one API server whose stdin may still be sent. */
export class RunStdinRegistry {
  readonly #live = new Map<string, RunStdin>();
  readonly #ended = new Map<string, string>();

  open(app: string): RunStdin {
    const id = `run-${randomBytes(8).toString('hex')}`;
    const run = new RunStdin(id, app, (r) => this.#forget(r));
    this.#live.set(id, run);
    // a client that never sends its input must not leave the process waiting forever
    setTimeout(() => {
      if (!run.attached) run.close();
    }, ATTACH_TIMEOUT_MS).unref();
    return run;
  }

  /** The live run `id` of `app`, ready for its stdin request; a WharfError (404/409) otherwise. */
  claim(app: string, id: string): RunStdin {
    const run = this.find(app, id);
    if (run.attached)
      throw new WharfError(
        'conflict',
        `run ${id} of ${app} is already receiving its stdin on another request`,
      );
    return run;
  }

  /** The live run `id` of `app`; a WharfError (404, or 409 once it has ended) otherwise. */
  find(app: string, id: string): RunStdin {
    const run = this.#live.get(id);
    if (!run || run.app !== app) {
      if (this.#ended.get(id) === app)
        throw new WharfError('conflict', `run ${id} of ${app} has ended: its stdin can no longer be sent`);
      throw new WharfError(
        'not_found',
        `no run ${id} of ${app}: start one with POST /apps/${app}/run and {"stdin": true}`,
      );
    }
    return run;
  }

  #forget(run: RunStdin): void {
    this.#live.delete(run.id);
    this.#ended.set(run.id, run.app);
    setTimeout(() => this.#ended.delete(run.id), REMEMBER_MS).unref();
  }
}
