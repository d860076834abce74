/**
 * The pieces the functions run on instead of middy and Powertools (functions/lib/handler.ts,
 * logger.ts) and the log store that loads CloudWatch Logs on first use (lazy-log-store.ts).
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../core/domain.ts';
import type { LogQuery } from '../../core/ports.ts';
import { LambdaTimeoutError, lambdaHandler, type Middleware } from '../../functions/lib/handler.ts';
import { type FlushingLogStore, LazyLogStore } from '../../functions/lib/lazy-log-store.ts';
import { createLogger } from '../../functions/lib/logger.ts';
import { requestId } from '../../functions/lib/middleware.ts';

const context = (remainingMs = 30_000) =>
  ({ awsRequestId: 'req-7', getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

function tracing(
  name: string,
  calls: string[],
  extra: Middleware<unknown, string> = {},
): Middleware<unknown, string> {
  return {
    before: () => {
      calls.push(`${name}.before`);
    },
    after: () => {
      calls.push(`${name}.after`);
    },
    onError: () => {
      calls.push(`${name}.onError`);
    },
    ...extra,
  };
}

describe('lambdaHandler', () => {
  it('runs before in order, the handler, then after in reverse order', async () => {
    const calls: string[] = [];
    const handler = lambdaHandler(
      async (event: unknown) => {
        calls.push('handler');
        return `got ${String(event)}`;
      },
      tracing('a', calls),
      tracing('b', calls),
    );
    expect(await handler('x', context())).toBe('got x');
    expect(calls).toEqual(['a.before', 'b.before', 'handler', 'b.after', 'a.after']);
  });

  it('runs onError in reverse order and answers with the response an onError sets', async () => {
    const calls: string[] = [];
    const handler = lambdaHandler<unknown, string>(
      async () => {
        throw new Error('boom');
      },
      tracing('a', calls, {
        onError: (request) => {
          calls.push('a.onError');
          request.response = `handled ${(request.error as Error).message}`;
        },
      }),
      tracing('b', calls),
    );
    expect(await handler('x', context())).toBe('handled boom');
    expect(calls).toEqual(['a.before', 'b.before', 'b.onError', 'a.onError']);
  });

  it('rethrows the error when no onError answers, and an after that throws goes to onError', async () => {
    const calls: string[] = [];
    const failing = lambdaHandler<unknown, string>(
      async () => {
        throw new Error('boom');
      },
      tracing('a', calls),
    );
    await expect(failing('x', context())).rejects.toThrow('boom');
    const afterFails = lambdaHandler<unknown, string>(
      async () => 'ok',
      tracing('c', calls, {
        after: () => {
          throw new Error('after failed');
        },
      }),
    );
    await expect(afterFails('x', context())).rejects.toThrow('after failed');
    expect(calls).toEqual(['a.before', 'a.onError', 'c.before', 'c.onError']);
  });

  it('gives up just before the function times out, so that onError still runs', async () => {
    let seen: unknown;
    const handler = lambdaHandler<unknown, string>(() => new Promise(() => {}), {
      onError: (request) => {
        seen = request.error;
      },
    });
    await expect(handler('x', context(30))).rejects.toBeInstanceOf(LambdaTimeoutError);
    expect(seen).toBeInstanceOf(LambdaTimeoutError);
  });
});

describe('logger', () => {
  it('writes Powertools-shaped JSON lines at or above its level, with the request id and trace', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      serviceName: 'wharf',
      level: 'INFO',
      env: { _X_AMZN_TRACE_ID: 'Root=1-abc-def;Parent=1;Sampled=1' },
      write: (l) => lines.push(l),
      now: () => new Date('2026-01-02T03:04:05.000Z'),
    });
    const handler = lambdaHandler(async () => {
      logger.debug('hidden');
      logger.info('build event handled', { outcome: 'ok' });
      return 1;
    }, requestId(logger));
    await handler({}, context());
    logger.warn('after the invocation');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        level: 'INFO',
        message: 'build event handled',
        timestamp: '2026-01-02T03:04:05.000Z',
        service: 'wharf',
        function_request_id: 'req-7',
        xray_trace_id: '1-abc-def',
        outcome: 'ok',
      },
      {
        level: 'WARN',
        message: 'after the invocation',
        timestamp: '2026-01-02T03:04:05.000Z',
        service: 'wharf',
        xray_trace_id: '1-abc-def',
      },
    ]);
  });

  it('serializes errors with their cause, and reads its level from POWERTOOLS_LOG_LEVEL', () => {
    const lines: string[] = [];
    const logger = createLogger({
      serviceName: 'wharf',
      env: { POWERTOOLS_LOG_LEVEL: 'error' },
      write: (l) => lines.push(l),
    });
    logger.warn('not written');
    logger.error('request failed', { error: new TypeError('bad', { cause: new Error('root') }) });
    expect(lines).toHaveLength(1);
    const error = JSON.parse(lines[0]!)['error'];
    expect(error).toMatchObject({
      name: 'TypeError',
      message: 'bad',
      cause: { name: 'Error', message: 'root' },
    });
    expect(error.stack).toContain('TypeError: bad');
    const silent = createLogger({
      serviceName: 'wharf',
      env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
      write: (l) => lines.push(l),
    });
    silent.error('never');
    expect(lines).toHaveLength(1);
  });
});

class RecordingStore implements FlushingLogStore {
  appended: LogLine[] = [];
  flushed: LogLine[][] = [];
  followers = 0;
  append(line: LogLine): void {
    this.appended.push(line);
  }
  async flush(): Promise<void> {
    this.flushed.push(this.appended);
    this.appended = [];
  }
  async query(_app: string, _query: LogQuery): Promise<LogLine[]> {
    return this.flushed.flat();
  }
  follow(_app: string, _query: LogQuery, onLine: (line: LogLine) => void): () => void {
    this.followers++;
    onLine({ at: 't', app: 'shop', source: 'web', instance: null, stream: 'stdout', text: 'live' });
    return () => {
      this.followers--;
    };
  }
}

const line = (text: string): LogLine => ({
  at: '2026-01-01T00:00:00.000Z',
  app: 'shop',
  source: 'platform',
  instance: null,
  stream: 'stdout',
  text,
});

describe('LazyLogStore', () => {
  it('loads nothing for a flush with no line, and hands lines appended before the load to the adapter', async () => {
    let loads = 0;
    const real = new RecordingStore();
    const logs = new LazyLogStore(async () => {
      loads++;
      return real;
    });
    await logs.flush();
    expect(loads).toBe(0);
    logs.append(line('app shop created'));
    logs.append(line('release v1'));
    expect(loads).toBe(0);
    await logs.flush();
    logs.append(line('after load'));
    await logs.flush();
    expect(loads).toBe(1);
    expect(real.flushed.map((ls) => ls.map((l) => l.text))).toEqual([
      ['app shop created', 'release v1'],
      ['after load'],
    ]);
    expect((await logs.query('shop', {})).map((l) => l.text)).toEqual([
      'app shop created',
      'release v1',
      'after load',
    ]);
  });

  it('follows once loaded, and a stop before the load starts nothing', async () => {
    const real = new RecordingStore();
    const logs = new LazyLogStore(async () => real);
    const stopEarly = logs.follow('shop', {}, () => {});
    stopEarly();
    const seen: string[] = [];
    const stop = logs.follow('shop', {}, (l) => seen.push(l.text));
    await logs.query('shop', {});
    expect(seen).toEqual(['live']);
    expect(real.followers).toBe(1);
    stop();
    expect(real.followers).toBe(0);
  });

  it('tries the load again after a failed one', async () => {
    let attempts = 0;
    const logs = new LazyLogStore(async () => {
      attempts++;
      if (attempts === 1) throw new Error('chunk missing');
      return new RecordingStore();
    });
    await expect(logs.query('shop', {})).rejects.toThrow('chunk missing');
    await expect(logs.query('shop', {})).resolves.toEqual([]);
    expect(attempts).toBe(2);
  });
});
