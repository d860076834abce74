export interface BackoffOptions {
  /** first delay after a crash. @default 500 ms */
  readonly initialMs?: number;
  /** the delay doubles up to this. @default 30 s */
  readonly maxMs?: number;
  /** an instance that stayed up this long starts again from initialMs. @default 60 s */
  readonly resetAfterMs?: number;
}

/** Exponential restart delays for one instance. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #resetAfterMs: number;
  #failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 500;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#resetAfterMs = options.resetAfterMs ?? 60_000;
  }

  /** The delay before the next start, given how long the process that just ended ran. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.#resetAfterMs) this.#failures = 0;
    const delay = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#failures);
    this.#failures++;
    return delay;
  }
}

/** `500ms`, `1s`, `1.5s`, `30s`: as in the platform's log lines. */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  return `${Number((ms / 1000).toFixed(1))}s`;
}
