/**
 * Log group and stream names shared by the task definitions (awslogs), CodeBuild and
 * the log store: one group per app; streams `TYPE/TYPE/TASKID` (awslogs: prefix/container/task),
 * `build/BUILDID/...` for builds and `platform/wharf` for the control plane's own lines.
 */
import type { LogLine } from '../../core/domain.ts';

export function logGroupName(prefix: string, app: string): string {
  return `${prefix}${app}`;
}

export function buildStreamPrefix(buildId: string): string {
  return `build/${buildId}`;
}

export const PLATFORM_STREAM = 'platform/wharf';

/** What a stream name says about its lines: the source and the instance. */
export function describeStream(stream: string): { source: string; instance: string | null } {
  const [first = 'platform', second = null, third = null] = stream.split('/');
  if (first === 'build') return { source: 'build', instance: second };
  if (first === 'platform') return { source: 'platform', instance: null };
  return { source: first, instance: third };
}

/** The stream prefix that selects a query's lines, if any. */
export function streamPrefixFor(query: { source?: string; instance?: string }): string | undefined {
  if (!query.source) return undefined;
  if (query.source === 'build') return query.instance ? `${buildStreamPrefix(query.instance)}` : 'build/';
  if (query.source === 'platform') return PLATFORM_STREAM;
  return query.instance ? `${query.source}/${query.source}/${query.instance}` : `${query.source}/`;
}

export function toLogLine(
  app: string,
  stream: string,
  timestamp: number | undefined,
  message: string,
): LogLine {
  const { source, instance } = describeStream(stream);
  return {
    at: new Date(timestamp ?? 0).toISOString(),
    app,
    source,
    instance,
    stream: 'stdout',
    text: message.replace(/\n$/, ''),
  };
}
