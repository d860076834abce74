/**
 * `wharf deploy` on AWS: git archive of HEAD → presigned PUT (to a bucket on 127.0.0.1) →
 * a CodeBuild build of that upload, followed through Live Tail until the build-events
 * Lambda finishes it → the release → its ECS rollout, until complete.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FilterLogEventsCommand, StartLiveTailCommand } from '@aws-sdk/client-cloudwatch-logs';
import { StartBuildCommand } from '@aws-sdk/client-codebuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as api } from '../../functions/api.ts';
import { handler as buildEvents } from '../../functions/build-events.ts';
import { getPlatform } from '../../functions/lib/platform.ts';
import { lambdaContext } from '../aws/lambda-env.ts';
import { IMAGE, installAwsMocks, liveTailStream } from './aws-mocks.ts';
import { isolateAwsEnv, wharf } from './cli.ts';
import { buildSucceeded } from '../aws/codebuild-state-events.ts';
import { type FakeS3, startFakeS3 } from './fake-s3.ts';
import { type Gateway, startGateway } from './sigv4-gateway.ts';

function git(cwd: string, ...args: string[]): Buffer {
  return execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd });
}

describe('wharf deploy on AWS', () => {
  let aws: Awaited<ReturnType<typeof installAwsMocks>>;
  let gateway: Gateway;
  let s3: FakeS3;
  let home: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const run = (argv: string[]) => wharf(argv, { env, cwd: repo });

  beforeAll(async () => {
    s3 = await startFakeS3();
    // the Lambda's S3 client presigns for this bucket (path style, since the host is an IP)
    process.env['AWS_ENDPOINT_URL_S3'] = s3.url;
    // Without it the SDK signs the CRC32 of an empty body into the URL and S3 refuses every
    // upload (aws-sdk-js-v3#6994): the platform's S3 client must presign WHEN_REQUIRED.
    process.env['AWS_REQUEST_CHECKSUM_CALCULATION'] = 'WHEN_REQUIRED';
    aws = await installAwsMocks();
    home = mkdtempSync(join(tmpdir(), 'wharf-cli-deploy-'));
    isolateAwsEnv(home);
    gateway = await startGateway(api, lambdaContext);
    repo = join(home, 'app');
    mkdirSync(join(repo, 'lib'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'package.json'), '{"name":"shop","scripts":{"start":"node index.js"}}\n');
    writeFileSync(
      join(repo, 'index.js'),
      "require('http').createServer((q, s) => s.end('hi')).listen(process.env.PORT);\n",
    );
    writeFileSync(join(repo, 'lib', 'util.js'), 'module.exports = 1;\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'first');
    env = { ...process.env, WHARF_HOME: join(home, 'h'), WHARF_POLL_MS: '20' };
    expect(
      (await wharf(['login', '--aws', gateway.url, '--region', 'eu-west-1'], { env, cwd: repo })).code,
    ).toBe(0);
    const created = await run(['create', 'shop']);
    expect(created.code).toBe(0);
    expect(git(repo, 'config', 'wharf.app').toString().trim()).toBe('shop');
  });
  afterAll(async () => {
    await gateway.close();
    await s3.close();
    await aws.restore();
    delete process.env['AWS_ENDPOINT_URL_S3'];
    delete process.env['AWS_REQUEST_CHECKSUM_CALCULATION'];
    rmSync(home, { recursive: true, force: true });
  });

  it('uploads the gzip tar of HEAD, follows the build through Live Tail, then the rollout', async () => {
    writeFileSync(join(repo, 'index.js'), '// not committed\n');
    const T0 = Date.now();
    const detected = { message: '-----> Node.js app detected\n', timestamp: T0 };
    const done = { message: '-----> Build succeeded\n', timestamp: T0 + 1 };
    aws.mocks.logs.on(StartLiveTailCommand).callsFake((input: { logStreamNamePrefixes: string[] }) => {
      const stream = input.logStreamNamePrefixes[0]!;
      const buildId = stream.replace('build/', '');
      return {
        responseStream: liveTailStream(
          [[{ stream, ...detected }], [{ stream, ...done }]],
          // CodeBuild finishes after the first line: its event reaches the build-events Lambda
          async (batch) => {
            if (batch === 0)
              await buildEvents(
                buildSucceeded(buildId, IMAGE, { web: 'node index.js' }) as never,
                lambdaContext,
              );
          },
        ),
      };
    });
    // the last line may come after the CLI ended its session: the build log has it
    aws.mocks.logs.on(FilterLogEventsCommand).callsFake((input: { logStreamNamePrefix?: string }) => ({
      events: input.logStreamNamePrefix?.startsWith('build/')
        ? [{ eventId: 'l2', logStreamName: input.logStreamNamePrefix, ...done }]
        : [],
    }));

    const deploying = run(['deploy', '--json']);
    // ECS finishes the rollout once the build-events Lambda has started it (a pending step per type)
    const store = getPlatform().store;
    let deployment = null;
    for (let i = 0; i < 1000 && !deployment; i++) {
      deployment =
        (await store.listDeployments('shop')).find(
          (d) => d.status === 'running' && d.steps.some((s) => s.detail?.startsWith('pending')),
        ) ?? null;
      if (!deployment) await new Promise((r) => setTimeout(r, 10));
    }
    expect(deployment).not.toBeNull();
    await getPlatform().deployer.onServiceDeployment('shop', 'web', 'completed', '');
    const r = await deploying;

    expect(r.stderr).toContain('Uncommitted changes are not deployed');
    expect(r.code).toBe(0);
    const [key, object] = [...s3.objects][0]!;
    expect(key).toMatch(/^\/wharf-bucket\/sources\/shop\/[0-9a-f]{16}\.tar\.gz$/);
    expect(object.contentType).toBe('application/gzip');
    // the committed tree, not the working copy
    expect(gunzipSync(object.body).equals(git(repo, 'archive', '--format=tar', 'HEAD'))).toBe(true);

    const build = mocks().codebuild.commandCalls(StartBuildCommand)[0]!.args[0].input;
    expect(build).toMatchObject({
      sourceTypeOverride: 'S3',
      sourceLocationOverride: `wharf-bucket${key.slice('/wharf-bucket'.length)}`,
    });
    const out = JSON.parse(r.stdout);
    expect(out.build).toMatchObject({
      status: 'succeeded',
      sourceVersion: git(repo, 'rev-parse', 'HEAD').toString().trim(),
    });
    expect(out.release).toMatchObject({ version: 1 });
    expect(out.deployment).toMatchObject({ toVersion: 1, status: 'complete' });
    expect(r.stderr).toContain(`-----> Build ${out.build.id} started`);
    // the first line from Live Tail only, each once
    expect(r.stderr).toContain('-----> Node.js app detected\n-----> Build succeeded\n');
    expect(r.stderr.split('Build succeeded')).toHaveLength(2);
    expect(r.stderr).toContain('-----> Released v1');
    expect(r.stderr).toContain('-----> v1 is running');
    expect(aws.mocks.logs.commandCalls(StartLiveTailCommand)[0]!.args[0].input.logStreamNamePrefixes).toEqual(
      [`build/${out.build.id}`],
    );
  });

  it('a failed build exits 1 with its error and the lines Live Tail missed', async () => {
    git(repo, 'checkout', '--', 'index.js');
    const T0 = Date.now();
    aws.mocks.logs.on(StartLiveTailCommand).callsFake((input: { logStreamNamePrefixes: string[] }) => {
      const stream = input.logStreamNamePrefixes[0]!;
      const buildId = stream.replace('build/', '');
      const failBuild = async () => {
        const store = getPlatform().store;
        const b = (await store.listBuilds('shop')).find((x) => x.id === buildId)!;
        await store.putBuild({
          ...b,
          status: 'failed',
          error: 'no buildpack detected',
          finishedAt: new Date().toISOString(),
        });
      };
      // the build fails as soon as the session is open, before Live Tail saw a line
      return { responseStream: liveTailStream([[]], failBuild) };
    });
    aws.mocks.logs.on(FilterLogEventsCommand).callsFake((input: { logStreamNamePrefix?: string }) => ({
      events: input.logStreamNamePrefix?.startsWith('build/')
        ? [
            {
              eventId: 'b1',
              timestamp: T0,
              logStreamName: input.logStreamNamePrefix,
              message: ' !     No buildpack fits\n',
            },
          ]
        : [],
    }));
    const r = await run(['deploy']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(' !     No buildpack fits');
    expect(r.stderr).toMatch(/build \S+ failed: no buildpack detected/);
  });

  it('an upload S3 refuses is reported with its code', async () => {
    s3.refuseNext = { status: 403, code: 'AccessDenied', message: 'Request has expired' };
    const builds = mocks().codebuild.commandCalls(StartBuildCommand).length;
    const r = await run(['deploy']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('S3 refused the source upload (AccessDenied: Request has expired)');
    expect(mocks().codebuild.commandCalls(StartBuildCommand)).toHaveLength(builds);
  });

  function mocks() {
    return aws.mocks;
  }
});
