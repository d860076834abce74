/**
 * `wharf log -f` on AWS: the CLI opens a CloudWatch Live Tail session with the user's own
 * credentials (15 sessions per account) instead of polling through the API.
 */
import { type CloudWatchLogsClient, StartLiveTailCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { LogLine } from '../../core/domain.ts';
import { awsCall } from './aws-errors.ts';
import { streamPrefixFor, toLogLine } from './log-streams.ts';

export interface LiveTailOptions {
  readonly client: CloudWatchLogsClient;
  /** ARN of the app's log group (Live Tail takes ARNs, without the trailing `:*`) */
  readonly logGroupArn: string;
  readonly app: string;
  readonly source?: string;
  readonly instance?: string;
  readonly onLine: (line: LogLine) => void;
  readonly signal?: AbortSignal;
}

/** Streams lines until the session ends or `signal` aborts; resolves when it is over. */
export async function liveTail(options: LiveTailOptions): Promise<void> {
  const prefix = streamPrefixFor(options);
  const arn = options.logGroupArn.replace(/:\*$/, '');
  const out = await awsCall(`follow logs of ${options.app}`, () =>
    options.client.send(
      new StartLiveTailCommand({
        logGroupIdentifiers: [arn],
        ...(prefix ? { logStreamNamePrefixes: [prefix] } : {}),
      }),
      options.signal ? { abortSignal: options.signal } : {},
    ),
  );
  if (!out.responseStream) return;
  try {
    for await (const event of out.responseStream) {
      if (options.signal?.aborted) break;
      if (event.SessionTimeoutException || event.SessionStreamingException) {
        const e = event.SessionTimeoutException ?? event.SessionStreamingException;
        throw new Error(
          `live tail of ${options.app} ended: ${e?.message ?? 'session closed'}; run the command again`,
        );
      }
      for (const r of event.sessionUpdate?.sessionResults ?? []) {
        options.onLine(toLogLine(options.app, r.logStreamName ?? '', r.timestamp, r.message ?? ''));
      }
    }
  } catch (e) {
    if (options.signal?.aborted) return;
    throw e;
  }
}
