/**
 * LogStore on CloudWatch Logs. History comes from FilterLogEvents, paged and paced
 * below the account's rate; throttled calls back off. Following from the server side
 * polls (the CLI follows with Live Tail instead: see live-tail.ts). Lines the control
 * plane itself appends are buffered and sent by flush(), which a Lambda calls before
 * returning.
 */
import {
  type CloudWatchLogsClient,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { LogLine } from '../../core/domain.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { LogQuery, LogStore } from '../../core/ports.ts';
import { type BackoffOptions, awsCall } from './aws-errors.ts';
import { PLATFORM_STREAM, logGroupName, streamPrefixFor, toLogLine } from './log-streams.ts';
import { Pacer } from './pacer.ts';

export interface CloudWatchLogStoreOptions {
  readonly client: CloudWatchLogsClient;
  /** e.g. `/wharf/apps/` */
  readonly groupPrefix: string;
  /** FilterLogEvents calls a second from this process (the account allows 10-25) */
  readonly callsPerSecond?: number;
  /** pages read at most per query, so one query cannot take the whole budget */
  readonly maxPages?: number;
  /** how far back history goes */
  readonly historyMs?: number;
  readonly followIntervalMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly backoff?: BackoffOptions;
}

export class CloudWatchLogStore implements LogStore {
  private readonly options: CloudWatchLogStoreOptions;
  private readonly pacer: Pacer;
  private readonly now: () => number;
  private buffer: LogLine[] = [];

  constructor(options: CloudWatchLogStoreOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.pacer = new Pacer(options.callsPerSecond ?? 5, this.now, options.sleep);
  }

  append(line: LogLine): void {
    this.buffer.push(line);
  }

  /** Sends the buffered lines, one PutLogEvents per app. */
  async flush(): Promise<void> {
    const lines = this.buffer;
    this.buffer = [];
    const byApp = new Map<string, LogLine[]>();
    for (const l of lines) byApp.set(l.app, [...(byApp.get(l.app) ?? []), l]);
    for (const [app, appLines] of byApp) {
      const group = logGroupName(this.options.groupPrefix, app);
      const logEvents = appLines
        .map((l) => ({ timestamp: Date.parse(l.at) || this.now(), message: `${l.source} ${l.text}` }))
        .sort((a, b) => a.timestamp - b.timestamp);
      const put = () =>
        this.options.client.send(
          new PutLogEventsCommand({ logGroupName: group, logStreamName: PLATFORM_STREAM, logEvents }),
        );
      try {
        await awsCall(`write logs of ${app}`, put, this.options.backoff);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        await awsCall(
          `create log stream of ${app}`,
          () =>
            this.options.client.send(
              new CreateLogStreamCommand({ logGroupName: group, logStreamName: PLATFORM_STREAM }),
            ),
          this.options.backoff,
        );
        await awsCall(`write logs of ${app}`, put, this.options.backoff);
      }
    }
  }

  async query(app: string, query: LogQuery): Promise<LogLine[]> {
    const want = query.lines ?? 100;
    const startTime = this.now() - (this.options.historyMs ?? 24 * 3600_000);
    const { lines } = await this.read(app, query, startTime, this.options.maxPages ?? 20);
    return lines.slice(-want);
  }

  private async read(
    app: string,
    query: LogQuery,
    startTime: number,
    maxPages: number,
    skip: ReadonlySet<string> = new Set(),
  ): Promise<{ lines: LogLine[]; lastTimestamp: number; seen: Set<string> }> {
    const lines: LogLine[] = [];
    const seen = new Set<string>();
    let lastTimestamp = startTime;
    let nextToken: string | undefined;
    const prefix = streamPrefixFor(query);
    for (let page = 0; page < maxPages; page++) {
      await this.pacer.turn();
      const out = await awsCall(
        `read logs of ${app}`,
        () =>
          this.options.client.send(
            new FilterLogEventsCommand({
              logGroupName: logGroupName(this.options.groupPrefix, app),
              startTime,
              ...(prefix ? { logStreamNamePrefix: prefix } : {}),
              ...(nextToken ? { nextToken } : {}),
            }),
          ),
        this.options.backoff,
      ).catch((e: unknown) => {
        // An app that never logged has no group yet: that is no lines, not an error.
        if (e instanceof NotFoundError) return { events: [], nextToken: undefined };
        throw e;
      });
      for (const ev of out.events ?? []) {
        if (ev.eventId && skip.has(ev.eventId)) continue;
        if (ev.eventId) seen.add(ev.eventId);
        lastTimestamp = Math.max(lastTimestamp, ev.timestamp ?? 0);
        lines.push(toLogLine(app, ev.logStreamName ?? '', ev.timestamp, ev.message ?? ''));
      }
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    lines.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return { lines, lastTimestamp, seen };
  }

  follow(app: string, query: LogQuery, onLine: (line: LogLine) => void): () => void {
    let stopped = false;
    let since = this.now();
    let seen = new Set<string>();
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const loop = async () => {
      while (!stopped) {
        const got = await this.read(app, query, since, 5, seen).catch(() => null);
        if (got && !stopped) {
          for (const line of got.lines) onLine(line);
          // Events at the boundary millisecond are read again next time; their ids skip them.
          since = got.lastTimestamp;
          seen = got.seen;
        }
        await sleep(this.options.followIntervalMs ?? 2000);
      }
    };
    void loop();
    return () => {
      stopped = true;
    };
  }
}
