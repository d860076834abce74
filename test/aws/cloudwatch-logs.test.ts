import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
  ResourceNotFoundException,
  StartLiveTailCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchLogStore } from '../../adapters/aws/cloudwatch-log-store.ts';
import { liveTail } from '../../adapters/aws/live-tail.ts';
import type { LogLine } from '../../core/domain.ts';

const cw = mockClient(CloudWatchLogsClient);
afterAll(() => cw.restore());

function make() {
  let now = 1_800_000_000_000;
  const sleeps: number[] = [];
  const store = new CloudWatchLogStore({
    client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
    groupPrefix: '/wharf/apps/',
    callsPerSecond: 5,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    backoff: { sleep: async (ms) => void sleeps.push(-ms), random: () => 0 },
  });
  return { store, sleeps };
}

const ev = (i: number, stream = 'web/web/task1') => ({
  eventId: `e${i}`,
  timestamp: 1_799_999_000_000 + i,
  logStreamName: stream,
  message: `line ${i}\n`,
});

describe('CloudWatchLogStore', () => {
  beforeEach(() => cw.reset());

  it('pages FilterLogEvents by nextToken, paced at its rate, and returns the last lines', async () => {
    const { store, sleeps } = make();
    cw.on(FilterLogEventsCommand)
      .resolvesOnce({ events: [ev(1), ev(2)], nextToken: 'a' })
      .resolvesOnce({ events: [ev(3)], nextToken: 'b' })
      .resolvesOnce({ events: [ev(4), ev(5, 'web/web/task2')] });
    const lines = await store.query('shop', { source: 'web', lines: 3 });
    const inputs = cw.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.nextToken)).toEqual([undefined, 'a', 'b']);
    expect(inputs[0]).toMatchObject({ logGroupName: '/wharf/apps/shop', logStreamNamePrefix: 'web/' });
    // 5 calls a second: the 2nd and 3rd page each wait 200 ms.
    expect(sleeps).toEqual([200, 200]);
    expect(lines.map((l) => l.text)).toEqual(['line 3', 'line 4', 'line 5']);
    expect(lines[2]).toMatchObject({ app: 'shop', source: 'web', instance: 'task2', stream: 'stdout' });
  });

  it('retries a throttled page with backoff and reads one instance or a build by stream prefix', async () => {
    const { store, sleeps } = make();
    cw.on(FilterLogEventsCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ events: [ev(1, 'build/build-1/uuid')] });
    const lines = await store.query('shop', { source: 'build', instance: 'build-1' });
    expect(sleeps.filter((s) => s < 0)).toEqual([-50]);
    expect(cw.commandCalls(FilterLogEventsCommand)[0]!.args[0].input.logStreamNamePrefix).toBe(
      'build/build-1',
    );
    expect(lines[0]).toMatchObject({ source: 'build', instance: 'build-1', text: 'line 1' });
    await store.query('shop', { source: 'worker', instance: 'abc' });
    expect(cw.commandCalls(FilterLogEventsCommand).at(-1)!.args[0].input.logStreamNamePrefix).toBe(
      'worker/worker/abc',
    );
  });

  it('reads an app without a log group as no lines', async () => {
    const { store } = make();
    cw.on(FilterLogEventsCommand).rejects(
      new ResourceNotFoundException({ message: 'no group', $metadata: {} }),
    );
    expect(await store.query('new-app', {})).toEqual([]);
  });

  it('flushes appended lines with PutLogEvents, creating the platform stream when missing', async () => {
    const { store } = make();
    cw.on(PutLogEventsCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'no stream', $metadata: {} }))
      .resolves({});
    cw.on(CreateLogStreamCommand).resolves({});
    store.append({
      at: '2026-11-25T10:00:01.000Z',
      app: 'shop',
      source: 'platform',
      instance: null,
      stream: 'stdout',
      text: 'deploying v3',
    });
    await store.flush();
    expect(cw.commandCalls(CreateLogStreamCommand)[0]!.args[0].input).toEqual({
      logGroupName: '/wharf/apps/shop',
      logStreamName: 'platform/wharf',
    });
    expect(cw.commandCalls(PutLogEventsCommand)[1]!.args[0].input).toEqual({
      logGroupName: '/wharf/apps/shop',
      logStreamName: 'platform/wharf',
      logEvents: [{ timestamp: Date.parse('2026-11-25T10:00:01.000Z'), message: 'platform deploying v3' }],
    });
    await store.flush();
    expect(cw.commandCalls(PutLogEventsCommand)).toHaveLength(2);
  });
});

describe('liveTail', () => {
  it('streams session updates as log lines filtered by process type', async () => {
    cw.reset();
    async function* stream() {
      yield { sessionStart: { sessionId: 's' } };
      yield {
        sessionUpdate: {
          sessionResults: [{ logStreamName: 'web/web/t1', timestamp: 1_800_000_000_000, message: 'hello' }],
        },
      };
      yield {
        sessionUpdate: {
          sessionResults: [{ logStreamName: 'web/web/t2', timestamp: 1_800_000_000_001, message: 'world' }],
        },
      };
    }
    cw.on(StartLiveTailCommand).resolves({ responseStream: stream() } as never);
    const lines: LogLine[] = [];
    await liveTail({
      client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
      logGroupArn: 'arn:aws:logs:eu-west-1:1:log-group:/wharf/apps/shop:*',
      app: 'shop',
      source: 'web',
      onLine: (l) => lines.push(l),
    });
    expect(cw.commandCalls(StartLiveTailCommand)[0]!.args[0].input).toEqual({
      logGroupIdentifiers: ['arn:aws:logs:eu-west-1:1:log-group:/wharf/apps/shop'],
      logStreamNamePrefixes: ['web/'],
    });
    expect(lines.map((l) => [l.instance, l.text])).toEqual([
      ['t1', 'hello'],
      ['t2', 'world'],
    ]);
  });
});
