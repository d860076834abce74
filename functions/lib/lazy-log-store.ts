/**
 * The log store whose CloudWatch Logs client loads on first use. Unlike lazy.ts it keeps
 * the LogStore's sync members: lines appended before the adapter loads wait here, and a
 * flush with nothing appended loads nothing. Most invocations (reads through the API, ECS
 * events) write no log line, so they never load CloudWatch Logs.
 */
import type { LogLine } from '../../core/domain.ts';
import type { LogQuery, LogStore } from '../../core/ports.ts';

export interface FlushingLogStore extends LogStore {
  /** sends the appended lines; a Lambda calls it before it returns */
  flush(): Promise<void>;
}

export class LazyLogStore implements FlushingLogStore {
  readonly #load: () => Promise<FlushingLogStore>;
  #loading: Promise<FlushingLogStore> | null = null;
  #store: FlushingLogStore | null = null;
  #pending: LogLine[] = [];

  constructor(load: () => Promise<FlushingLogStore>) {
    this.#load = load;
  }

  append(line: LogLine): void {
    if (this.#store) this.#store.append(line);
    else this.#pending.push(line);
  }

  async flush(): Promise<void> {
    if (!this.#store && this.#pending.length === 0) return;
    await (await this.#get()).flush();
  }

  async query(app: string, query: LogQuery): Promise<LogLine[]> {
    return (await this.#get()).query(app, query);
  }

  follow(app: string, query: LogQuery, onLine: (line: LogLine) => void): () => void {
    let stop: (() => void) | null = null;
    let stopped = false;
    // A failed load surfaces as an unhandled rejection: follow has no other way to report it.
    void this.#get().then((store) => {
      if (!stopped) stop = store.follow(app, query, onLine);
    });
    return () => {
      stopped = true;
      stop?.();
    };
  }

  #get(): Promise<FlushingLogStore> {
    this.#loading ??= this.#load().then(
      (store) => {
        for (const line of this.#pending) store.append(line);
        this.#pending = [];
        this.#store = store;
        return store;
      },
      (e: unknown) => {
        // the next call tries again rather than failing for the container's life
        this.#loading = null;
        throw e;
      },
    );
    return this.#loading;
  }
}
