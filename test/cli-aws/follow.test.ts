/**
 * What API Gateway cannot stream, done by the CLI with the user's credentials:
 * `wharf log -f` through Live Tail, `wharf run` as an ECS task followed to its exit code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilterLogEventsCommand, StartLiveTailCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as api } from '../../functions/api.ts';
import { lambdaContext } from '../aws/lambda-env.ts';
import { installAwsMocks, liveTailStream, seedRelease } from './aws-mocks.ts';
import { isolateAwsEnv, wharf } from './cli.ts';
import { type Gateway, startGateway } from './sigv4-gateway.ts';

const GROUP_ARN = 'arn:aws:logs:eu-west-1:111122223333:log-group:/wharf/apps/shop';
const T0 = Date.parse('2026-11-25T10:00:00Z');

describe('following on AWS', () => {
  let aws: Awaited<ReturnType<typeof installAwsMocks>>;
  let gateway: Gateway;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const run = (argv: string[]) => wharf(argv, { env, cwd: home });

  beforeAll(async () => {
    aws = await installAwsMocks();
    home = mkdtempSync(join(tmpdir(), 'wharf-cli-follow-'));
    isolateAwsEnv(home);
    gateway = await startGateway(api, lambdaContext);
    env = {
      ...process.env,
      WHARF_HOME: join(home, 'h'),
      WHARF_URL: gateway.url,
      WHARF_AWS: '1',
      WHARF_POLL_MS: '20',
    };
    expect((await run(['create', 'shop'])).code).toBe(0);
  });
  afterAll(async () => {
    await gateway.close();
    await aws.restore();
    rmSync(home, { recursive: true, force: true });
  });
  beforeEach(() => {
    aws.mocks.logs.resetHistory();
    aws.mocks.ecs.resetHistory();
  });

  it('log -f -p web prints the last lines, then Live Tail of the web streams only', async () => {
    aws.mocks.logs.on(FilterLogEventsCommand).resolves({
      events: [{ eventId: 'h1', timestamp: T0, logStreamName: 'web/web/task-1', message: 'booted\n' }],
    });
    aws.mocks.logs.on(StartLiveTailCommand).callsFake(() => ({
      responseStream: liveTailStream([
        [{ stream: 'web/web/task-1', message: 'GET / 200\n', timestamp: T0 + 1000 }],
        [
          { stream: 'web/web/task-2', message: 'GET /cart 200\n', timestamp: T0 + 2000 },
          { stream: 'web/web/task-1', message: 'GET /pay 500\n', timestamp: T0 + 3000 },
        ],
      ]),
    }));
    const r = await run(['log', '-f', '-p', 'web', '-a', 'shop']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      '2026-11-25T10:00:00.000Z shop[web.task-1]: booted',
      '2026-11-25T10:00:01.000Z shop[web.task-1]: GET / 200',
      '2026-11-25T10:00:02.000Z shop[web.task-2]: GET /cart 200',
      '2026-11-25T10:00:03.000Z shop[web.task-1]: GET /pay 500',
    ]);
    const [tail] = aws.mocks.logs.commandCalls(StartLiveTailCommand);
    expect(tail!.args[0].input).toEqual({
      logGroupIdentifiers: [GROUP_ARN],
      logStreamNamePrefixes: ['web/'],
    });
    expect(aws.mocks.logs.commandCalls(FilterLogEventsCommand)[0]!.args[0].input).toMatchObject({
      logGroupName: '/wharf/apps/shop',
      logStreamNamePrefix: 'web/',
    });
  });

  it('log -f -i without a type tails the whole group and keeps that instance', async () => {
    aws.mocks.logs.on(FilterLogEventsCommand).resolves({ events: [] });
    aws.mocks.logs.on(StartLiveTailCommand).callsFake(() => ({
      responseStream: liveTailStream([
        [
          { stream: 'web/web/task-1', message: 'one', timestamp: T0 },
          { stream: 'worker/worker/task-9', message: 'nine', timestamp: T0 },
        ],
      ]),
    }));
    const r = await run(['log', '-f', '-i', 'task-9', '-a', 'shop', '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l: { text: string; source: string }) => [l.source, l.text])).toEqual([
      ['worker', 'nine'],
    ]);
    expect(aws.mocks.logs.commandCalls(StartLiveTailCommand)[0]!.args[0].input).toEqual({
      logGroupIdentifiers: [GROUP_ARN],
    });
  });

  it("run starts an ECS task, prints its lines (Live Tail, then what it missed) and exits with the container's code", async () => {
    await seedRelease('shop');
    const taskArn = 'arn:aws:ecs:eu-west-1:111122223333:task/wharf/abc123';
    aws.mocks.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn }] });
    const states = [
      { lastStatus: 'PROVISIONING' },
      { lastStatus: 'RUNNING' },
      { lastStatus: 'RUNNING' },
      {
        lastStatus: 'STOPPED',
        stoppedReason: 'Essential container in task exited',
        containers: [{ name: 'run', exitCode: 3 }],
      },
    ];
    let polls = 0;
    aws.mocks.ecs
      .on(DescribeTasksCommand)
      .callsFake(() => ({ tasks: [{ taskArn, ...states[Math.min(polls++, states.length - 1)] }] }));
    const lines = [
      { stream: 'run/run/abc123', message: 'starting\n', timestamp: T0 },
      { stream: 'run/run/abc123', message: 'exiting with 3\n', timestamp: T0 + 5 },
    ];
    aws.mocks.logs.on(StartLiveTailCommand).callsFake(() => ({ responseStream: liveTailStream([lines]) }));
    // the history has one line more: Live Tail's session started after it was written
    aws.mocks.logs.on(FilterLogEventsCommand).callsFake((input: { logStreamNamePrefix?: string }) => ({
      events:
        input.logStreamNamePrefix === 'run/run/abc123'
          ? [
              {
                eventId: 'e0',
                timestamp: T0 - 5,
                logStreamName: 'run/run/abc123',
                message: 'npm warn: early\n',
              },
              ...lines.map((l, i) => ({
                eventId: `e${i + 1}`,
                timestamp: l.timestamp,
                logStreamName: l.stream,
                message: l.message,
              })),
            ]
          : [],
    }));

    const r = await run(['run', '-a', 'shop', '--', 'node', '-e', 'process.exit(3)']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('starting\nexiting with 3\nnpm warn: early\n');
    expect(r.stderr).toContain("Running `node -e 'process.exit(3)'` on shop as ECS task abc123");
    expect(r.stderr).toContain('-----> provisioning');
    expect(r.stderr).toContain('-----> stopped');
    const input = aws.mocks.ecs.commandCalls(RunTaskCommand)[0]!.args[0].input;
    expect(input.overrides?.containerOverrides?.[0]?.command).toEqual([
      'bash',
      '-c',
      "node -e 'process.exit(3)'",
    ]);
    expect(aws.mocks.logs.commandCalls(StartLiveTailCommand)[0]!.args[0].input).toEqual({
      logGroupIdentifiers: [GROUP_ARN],
      logStreamNamePrefixes: ['run/run/abc123'],
    });
    expect(polls).toBeGreaterThanOrEqual(4);
  });

  it('run says why when the task never started', async () => {
    const taskArn = 'arn:aws:ecs:eu-west-1:111122223333:task/wharf/def456';
    aws.mocks.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn }] });
    aws.mocks.ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn,
          lastStatus: 'STOPPED',
          stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
          containers: [{ name: 'run' }],
        },
      ],
    });
    aws.mocks.logs.on(StartLiveTailCommand).callsFake(() => ({ responseStream: liveTailStream([]) }));
    aws.mocks.logs.on(FilterLogEventsCommand).resolves({ events: [] });
    const r = await run(['run', '-a', 'shop', 'true']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('task def456 stopped before its command ran: CannotPullContainerError');
  });

  it('run --detach starts the ECS task and answers with it, following nothing', async () => {
    await seedRelease('shop');
    const taskArn = 'arn:aws:ecs:eu-west-1:111122223333:task/wharf/fed789';
    aws.mocks.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn }] });
    const described = aws.mocks.ecs.commandCalls(DescribeTasksCommand).length;
    const tails = aws.mocks.logs.commandCalls(StartLiveTailCommand).length;
    const r = await run(['run', '--detach', '-a', 'shop', '--json', '--', 'sleep', '600']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ app: 'shop', instance: 'fed789', detached: true });
    expect(aws.mocks.ecs.commandCalls(DescribeTasksCommand)).toHaveLength(described);
    expect(aws.mocks.logs.commandCalls(StartLiveTailCommand)).toHaveLength(tails);
  });

  it('run refuses an app with no build yet', async () => {
    expect((await run(['create', 'empty'])).code).toBe(0);
    const r = await run(['run', '-a', 'empty', '--', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('empty has no releases yet');
    expect(aws.mocks.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });
});
