import { mkdirSync } from 'node:fs';
import { appendFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLine } from '../../../core/domain.ts';
import type { LogQuery, LogStore } from '../../../core/ports.ts';
import { DEFAULT_MAX_LINE_BYTES, splitUtf8 } from './line-splitter.ts';
import { readLinesBackward } from './read-backward.ts';

export interface FileLogStoreOptions {
  /** the folder that holds one `<app>.log` (and its rotated `.1`, `.2`...) per app */
  readonly dir: string;
  /** @default 8 MB */
  readonly maxBytesPerFile?: number;
  /** files kept per app, the current one included. @default 3 */
  readonly maxFiles?: number;
  /** how long appended lines may wait in memory before they are written. @default 50 ms */
  readonly flushIntervalMs?: number;
  /** pending bytes that trigger a write at once. @default 64 KB */
  readonly flushBytes?: number;
  /**
   * pending bytes past which new lines are dropped (and counted in a note) while the
   * disk is behind, so a runaway process cannot exhaust memory. @default 16 MB
   */
  readonly maxPendingBytes?: number;
  /** where write failures go (append cannot throw them). @default they are dropped */
  readonly onError?: (error: Error) => void;
}

interface StoredLine {
  readonly at: string;
  readonly source: string;
  readonly instance: string | null;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

interface Follower {
  readonly query: LogQuery;
  readonly onLine: (line: LogLine) => void;
}

interface AppLog {
  pending: string[];
  pendingBytes: number;
  /** lines dropped since the last write because the buffer was full */
  dropped: number;
  /** a write queued on the chain that has not taken its batch yet */
  queuedWrite: Promise<void> | null;
  /** bytes in the current file; null until it is first looked at */
  size: number | null;
  /** writes and reads of one app run one after another on this chain */
  chain: Promise<void>;
  timer: NodeJS.Timeout | null;
}

export class LogStoreWriteError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LogStoreWriteError';
  }
}

/**
 * Logs on disk, one JSON-lines file per app with bounded rotation. `append` only
 * buffers and tells followers at once; the buffer is written on a short timer or when
 * it grows, so a chatty process never costs a disk write per line. One store per
 * folder: two stores writing the same folder would interleave rotations.
 */
export class FileLogStore implements LogStore {
  readonly #dir: string;
  readonly #maxBytesPerFile: number;
  readonly #maxFiles: number;
  readonly #flushIntervalMs: number;
  readonly #flushBytes: number;
  readonly #maxPendingBytes: number;
  readonly #maxTextBytes: number;
  readonly #onError: (error: Error) => void;
  readonly #apps = new Map<string, AppLog>();
  readonly #followers = new Map<string, Set<Follower>>();

  constructor(options: FileLogStoreOptions) {
    this.#dir = options.dir;
    this.#maxBytesPerFile = options.maxBytesPerFile ?? 8 * 1024 * 1024;
    this.#maxFiles = options.maxFiles ?? 3;
    this.#flushIntervalMs = options.flushIntervalMs ?? 50;
    this.#flushBytes = options.flushBytes ?? 64 * 1024;
    this.#maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
    this.#onError = options.onError ?? (() => {});
    if (!Number.isInteger(this.#maxBytesPerFile) || this.#maxBytesPerFile < 4096) {
      throw new RangeError(`maxBytesPerFile must be at least 4096 bytes, got ${this.#maxBytesPerFile}`);
    }
    if (!Number.isInteger(this.#maxFiles) || this.#maxFiles < 1) {
      throw new RangeError(`maxFiles must be an integer of at least 1, got ${this.#maxFiles}`);
    }
    // Escaping can make a record several times longer than its text: keep each record
    // well under one file so the bound per app holds.
    this.#maxTextBytes = Math.min(DEFAULT_MAX_LINE_BYTES, Math.floor(this.#maxBytesPerFile / 8));
    mkdirSync(this.#dir, { recursive: true });
  }

  append(line: LogLine): void {
    const log = this.#log(line.app);
    for (const text of splitUtf8(line.text, this.#maxTextBytes)) {
      const piece = text === line.text ? line : { ...line, text };
      const stored: StoredLine = {
        at: piece.at,
        source: piece.source,
        instance: piece.instance,
        stream: piece.stream,
        text: piece.text,
      };
      const record = JSON.stringify(stored) + '\n';
      this.#notify(piece);
      if (log.pendingBytes >= this.#maxPendingBytes) {
        log.dropped++;
        continue;
      }
      log.pending.push(record);
      log.pendingBytes += Buffer.byteLength(record);
    }
    if (log.pendingBytes >= this.#flushBytes) {
      this.#flushSoon(line.app, log, 0);
    } else {
      this.#flushSoon(line.app, log, this.#flushIntervalMs);
    }
  }

  /** The last `query.lines` matching lines (all kept lines when unset), oldest first. */
  async query(app: string, query: LogQuery): Promise<LogLine[]> {
    const limit = query.lines ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return [];
    const log = this.#log(app);
    this.#write(app, log);
    const found: LogLine[] = [];
    // Reading on the app's chain means no rotation can move a file mid-read.
    await this.#enqueue(log, async () => {
      for (let index = 0; index < this.#maxFiles && found.length < limit; index++) {
        for await (const raw of readLinesBackward(this.#file(app, index))) {
          const line = parseLine(app, raw);
          if (line === null || !matches(line, query)) continue;
          found.push(line);
          if (found.length >= limit) break;
        }
      }
    });
    return found.reverse();
  }

  follow(app: string, query: LogQuery, onLine: (line: LogLine) => void): () => void {
    let set = this.#followers.get(app);
    if (!set) {
      set = new Set();
      this.#followers.set(app, set);
    }
    const follower: Follower = { query, onLine };
    set.add(follower);
    return () => {
      set.delete(follower);
      if (set.size === 0 && this.#followers.get(app) === set) this.#followers.delete(app);
    };
  }

  /** Writes every buffered line; resolves when they are on disk. */
  async flush(): Promise<void> {
    await Promise.all([...this.#apps].map(([app, log]) => this.#write(app, log)));
  }

  /** Flushes; the store stays usable (later appends are written as before). */
  async close(): Promise<void> {
    await this.flush();
  }

  /** Deletes an app's log files and buffered lines (when the app is destroyed). */
  async removeApp(app: string): Promise<void> {
    const log = this.#log(app);
    if (log.timer) clearTimeout(log.timer);
    log.timer = null;
    log.pending = [];
    log.pendingBytes = 0;
    log.dropped = 0;
    await this.#enqueue(log, async () => {
      for (let index = 0; index < this.#maxFiles; index++) await unlinkIfExists(this.#file(app, index));
      log.size = 0;
    });
    this.#apps.delete(app);
  }

  #notify(line: LogLine): void {
    const followers = this.#followers.get(line.app);
    if (!followers) return;
    for (const follower of followers) {
      if (!matches(line, follower.query)) continue;
      try {
        follower.onLine(line);
      } catch (error) {
        // One broken subscriber must not stop the others or the writer.
        this.#onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  #log(app: string): AppLog {
    let log = this.#apps.get(app);
    if (!log) {
      log = {
        pending: [],
        pendingBytes: 0,
        dropped: 0,
        queuedWrite: null,
        size: null,
        chain: Promise.resolve(),
        timer: null,
      };
      this.#apps.set(app, log);
    }
    return log;
  }

  #flushSoon(app: string, log: AppLog, delayMs: number): void {
    if (delayMs === 0) {
      this.#write(app, log);
      return;
    }
    if (log.timer) return;
    log.timer = setTimeout(() => this.#write(app, log), delayMs);
    log.timer.unref();
  }

  /**
   * Queues a write of the pending lines; it takes them when its turn comes, so lines
   * appended while an earlier write is busy join the next batch. Settles when written.
   */
  #write(app: string, log: AppLog): Promise<void> {
    if (log.timer) clearTimeout(log.timer);
    log.timer = null;
    if (log.queuedWrite) return log.queuedWrite;
    const write = this.#enqueue(log, async () => {
      log.queuedWrite = null;
      const batch = log.pending;
      if (log.dropped > 0) batch.push(droppedNote(log.dropped));
      log.pending = [];
      log.pendingBytes = 0;
      log.dropped = 0;
      if (batch.length > 0) await this.#writeBatch(app, log, batch);
    });
    log.queuedWrite = write;
    return write;
  }

  #enqueue(log: AppLog, task: () => Promise<void>): Promise<void> {
    const run = log.chain.then(task).catch((error: unknown) => {
      this.#onError(new LogStoreWriteError(`could not write logs under ${this.#dir}`, { cause: error }));
    });
    log.chain = run;
    return run;
  }

  async #writeBatch(app: string, log: AppLog, batch: string[]): Promise<void> {
    try {
      await this.#writeRotating(app, log, batch);
    } catch (error) {
      // The file's size is unknown after a failed write: look again next time.
      log.size = null;
      throw error;
    }
  }

  async #writeRotating(app: string, log: AppLog, batch: string[]): Promise<void> {
    const current = this.#file(app, 0);
    if (log.size === null) log.size = await sizeOf(current);
    let segment = '';
    let segmentBytes = 0;
    for (const record of batch) {
      const bytes = Buffer.byteLength(record);
      if (log.size + segmentBytes + bytes > this.#maxBytesPerFile && log.size + segmentBytes > 0) {
        if (segment) await appendFile(current, segment);
        await this.#rotate(app);
        log.size = 0;
        segment = '';
        segmentBytes = 0;
      }
      segment += record;
      segmentBytes += bytes;
    }
    if (segment) await appendFile(current, segment);
    log.size += segmentBytes;
  }

  async #rotate(app: string): Promise<void> {
    if (this.#maxFiles === 1) {
      await unlinkIfExists(this.#file(app, 0));
      return;
    }
    // The oldest file is overwritten by the rename of the one before it.
    for (let index = this.#maxFiles - 1; index >= 1; index--) {
      try {
        await rename(this.#file(app, index - 1), this.#file(app, index));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  #file(app: string, index: number): string {
    const base = join(this.#dir, `${safeFileName(app)}.log`);
    return index === 0 ? base : `${base}.${index}`;
  }
}

function droppedNote(count: number): string {
  const note: StoredLine = {
    at: new Date().toISOString(),
    source: 'platform',
    instance: null,
    stream: 'stderr',
    text: `${count} log lines dropped: output came faster than the disk could take it`,
  };
  return JSON.stringify(note) + '\n';
}

function matches(line: LogLine, query: LogQuery): boolean {
  if (query.source !== undefined && line.source !== query.source) return false;
  if (query.instance !== undefined && line.instance !== query.instance) return false;
  return true;
}

function parseLine(app: string, raw: string): LogLine | null {
  try {
    const stored = JSON.parse(raw) as StoredLine;
    if (typeof stored.text !== 'string' || typeof stored.source !== 'string') return null;
    return {
      at: stored.at,
      app,
      source: stored.source,
      instance: stored.instance ?? null,
      stream: stored.stream === 'stderr' ? 'stderr' : 'stdout',
      text: stored.text,
    };
  } catch {
    // A line cut short by a crash of the platform mid-write is skipped, not fatal.
    return null;
  }
}

/** App names are DNS labels already; escaping anything else keeps a bad name out of other folders. */
function safeFileName(app: string): string {
  return app.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
