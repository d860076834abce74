/**
 * Following an app's lines on AWS: CloudWatch Live Tail with the user's own credentials
 * (API Gateway cannot stream), on the log group the API names. Lines that Live Tail
 * missed (it only sees what arrives after the session starts) are printed afterwards
 * from the log history, once: `SeenLines` remembers what was printed.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { liveTail } from '../../adapters/aws/live-tail.ts';
import type { WharfClient } from '../../api/client.ts';
import type { LogLine } from '../../api/contract.ts';
import { WharfError } from '../../core/errors.ts';
import type { AwsRemote } from '../remote.ts';
import { credentialsFor } from './credentials.ts';

export interface TailQuery {
  readonly source?: string;
  readonly instance?: string;
}

/** Streams the app's lines until the session ends or `signal` aborts. */
export async function tailApp(
  client: WharfClient,
  remote: AwsRemote,
  app: string,
  query: TailQuery,
  onLine: (line: LogLine) => void,
  signal?: AbortSignal,
): Promise<void> {
  const group = await client.logGroup(app);
  if (!group.logGroupArn) {
    throw new WharfError(
      'internal',
      `the API did not say which account ${group.logGroupName} is in, so Live Tail cannot be started; show the log without -f`,
    );
  }
  const logs = new CloudWatchLogsClient({ region: group.region, credentials: credentialsFor(remote) });
  try {
    await liveTail({
      client: logs,
      logGroupArn: group.logGroupArn,
      app,
      ...(query.source ? { source: query.source } : {}),
      ...(query.instance ? { instance: query.instance } : {}),
      // without a process type, Live Tail cannot filter by instance (stream names start with the type)
      onLine: (line) => {
        if (!query.source && query.instance && line.instance !== query.instance) return;
        onLine(line);
      },
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if (e instanceof WharfError && e.code === 'forbidden') {
      throw new WharfError(
        'forbidden',
        `${e.message}: following logs needs logs:StartLiveTail on ${group.logGroupArn} for your own IAM identity`,
        { cause: e },
      );
    }
    throw e;
  } finally {
    logs.destroy();
  }
}

/** A tail running in the background while the caller polls for the end of its work. */
export class BackgroundTail {
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;
  private failure: unknown = null;

  constructor(start: (signal: AbortSignal) => Promise<void>) {
    this.done = start(this.abort.signal).catch((e: unknown) => {
      this.failure = e;
    });
  }

  /** Gives late lines `graceMs` to arrive, then ends the session; returns its error, if any. */
  async stop(graceMs: number): Promise<unknown> {
    await Promise.race([this.done, sleep(graceMs)]);
    this.abort.abort();
    // a stream that ignores the abort must not keep the CLI waiting
    await Promise.race([this.done, sleep(1000)]);
    return this.failure;
  }
}

/** Which lines were printed, as a multiset: identical lines in one millisecond count twice. */
export class SeenLines {
  private readonly counts = new Map<string, number>();

  private key(l: LogLine): string {
    return `${l.at}\u0000${l.text}`;
  }

  add(l: LogLine): void {
    const k = this.key(l);
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  /** The history's lines that were not printed yet, in order. */
  unseen(history: readonly LogLine[]): LogLine[] {
    const left = new Map(this.counts);
    return history.filter((l) => {
      const k = this.key(l);
      const n = left.get(k) ?? 0;
      if (n > 0) {
        left.set(k, n - 1);
        return false;
      }
      return true;
    });
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** How often to ask the API how a task or build is doing (WHARF_POLL_MS; 2 s by default). */
export function pollInterval(env: NodeJS.ProcessEnv): number {
  const ms = Number(env['WHARF_POLL_MS']);
  return Number.isFinite(ms) && ms > 0 ? ms : 2000;
}
