/**
 * The webhook Lambda (functions/webhook.ts) end to end with every AWS client faked:
 * DynamoDB and Secrets Manager by in-memory services over HTTP (the function's own signed
 * requests), CodeBuild by aws-sdk-client-mock.
 */
import { httpEvent, lambdaContext, setLambdaEnv } from '../aws/lambda-env.ts';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookProvider } from '../../core/webhooks/types.ts';
import { handler } from '../../functions/webhook.ts';
import { getPlatform, resetPlatform } from '../../functions/lib/platform.ts';
import { FakeTable, installFakeTable } from '../aws/fake-dynamo.ts';
import { installFakeSecrets } from '../aws/fake-secrets-http.ts';
import { type Delivery, deliver, githubExamples, payload, tamper } from './deliveries.ts';

const SECRET = 'a-webhook-secret-of-some-length';
const codebuild = mockClient(CodeBuildClient);
let dynamo: Awaited<ReturnType<typeof installFakeTable>> | undefined;
let secrets: Awaited<ReturnType<typeof installFakeSecrets>> | undefined;

async function post(path: string, d: Delivery) {
  const res = await handler(httpEvent('POST', path, d.headers, d.body), lambdaContext);
  return { status: res.statusCode, body: JSON.parse(res.body ?? '{}') as Record<string, unknown> };
}

const cases: {
  provider: WebhookProvider;
  event: string;
  body: () => Record<string, unknown>;
  commit: string;
  branch: string;
}[] = [
  {
    provider: 'github',
    event: 'push',
    body: () => githubExamples('push').find((p) => p['ref'] === 'refs/heads/master')!,
    commit: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
    branch: 'master',
  },
  {
    provider: 'gitlab',
    event: 'Push Hook',
    body: () => payload('gitlab-push.json'),
    commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    branch: 'master',
  },
  {
    provider: 'bitbucket',
    event: 'repo:push',
    body: () => payload('bitbucket-push.json'),
    commit: '709d658dc5b6d6afcd46049c2f332ee3f515a67d',
    branch: 'main',
  },
  {
    provider: 'gitea',
    event: 'push',
    body: () => payload('gitea-push.json'),
    commit: 'bffeb74224043ba2feb48d137756c8a9331c449a',
    branch: 'develop',
  },
];

describe('webhook function', () => {
  beforeAll(() => {
    setLambdaEnv();
  });
  afterAll(async () => {
    codebuild.restore();
    await dynamo?.restore();
    await secrets?.restore();
  });
  beforeEach(async () => {
    resetPlatform();
    await dynamo?.restore();
    dynamo = await installFakeTable(new FakeTable());
    await secrets?.restore();
    secrets = await installFakeSecrets();
    codebuild.reset();
    for (const c of cases) {
      await getPlatform().controlPlane.createApp({ name: `app-${c.provider}`, branch: c.branch });
      secrets.fake.set(`wharf/webhook/app-${c.provider}`, SECRET);
    }
    codebuild
      .on(StartBuildCommand)
      .callsFake((input) => ({ build: { id: `wharf-build:${input.idempotencyToken}` } }));
  });

  it.each(cases)(
    '$provider: a signed push to the app branch starts one build; its replay does not',
    async (c) => {
      const app = `app-${c.provider}`;
      const d = deliver(c.provider, c.event, JSON.stringify(c.body()), SECRET, 'delivery-1');
      const first = await post(`/webhooks/${c.provider}/${app}`, d);
      expect(first).toMatchObject({ status: 202, body: { status: 'building', commit: c.commit } });
      const calls = codebuild.commandCalls(StartBuildCommand);
      expect(calls).toHaveLength(1);
      const input = calls[0]!.args[0].input;
      expect(input.projectName).toBe('wharf-build');
      expect(input.idempotencyToken).toBe(first.body['build']);
      expect(input.sourceTypeOverride).toBe('NO_SOURCE');
      expect(input.environmentVariablesOverride).toEqual(
        expect.arrayContaining([
          { name: 'WHARF_APP', value: app, type: 'PLAINTEXT' },
          { name: 'WHARF_SOURCE_VERSION', value: c.commit, type: 'PLAINTEXT' },
          { name: 'WHARF_BUILD_ID', value: first.body['build'], type: 'PLAINTEXT' },
        ]),
      );
      expect((await getPlatform().store.getBuild(String(first.body['build'])))?.sourceVersion).toBe(c.commit);

      const replay = await post(`/webhooks/${c.provider}/${app}`, d);
      expect(replay).toMatchObject({ status: 200, body: { status: 'duplicate' } });
      expect(codebuild.commandCalls(StartBuildCommand)).toHaveLength(1);
      expect(await getPlatform().store.listBuilds(app)).toHaveLength(1);
    },
  );

  it.each(cases.filter((c) => c.provider !== 'gitlab'))(
    '$provider: a tampered body is refused with 401',
    async (c) => {
      const d = tamper(deliver(c.provider, c.event, JSON.stringify(c.body()), SECRET));
      const res = await post(`/webhooks/${c.provider}/app-${c.provider}`, d);
      expect(res.status).toBe(401);
      expect(codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
    },
  );

  it.each(cases)('$provider: a delivery signed with another secret is refused with 401', async (c) => {
    const d = deliver(c.provider, c.event, JSON.stringify(c.body()), 'not-the-secret');
    const res = await post(`/webhooks/${c.provider}/app-${c.provider}`, d);
    expect(res).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
  });

  it.each(cases)('$provider: a push to another branch is answered 2xx and says why', async (c) => {
    const body = c.body();
    const d = deliver(c.provider, c.event, JSON.stringify(body), SECRET);
    await getPlatform().store.updateApp(`app-${c.provider}`, { branch: 'production' });
    const res = await post(`/webhooks/${c.provider}/app-${c.provider}`, d);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored' });
    expect(String(res.body['reason'])).toContain('the app deploys branch production');
    expect(codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
  });

  it('answers a GitHub ping, and ignores a branch deletion and other events with a reason', async () => {
    const ping = await post(
      '/webhooks/github/app-github',
      deliver('github', 'ping', JSON.stringify(githubExamples('ping')[0]), SECRET),
    );
    expect(ping).toMatchObject({ status: 200, body: { status: 'pong' } });
    const deletion = githubExamples('push').find((p) => p['deleted'] === true)!;
    deletion['ref'] = 'refs/heads/master';
    const del = await post(
      '/webhooks/github/app-github',
      deliver('github', 'push', JSON.stringify(deletion), SECRET),
    );
    expect(del).toMatchObject({
      status: 202,
      body: { status: 'ignored', reason: 'branch master was deleted: nothing to build' },
    });
    const issue = await post(
      '/webhooks/github/app-github',
      deliver('github', 'issues', JSON.stringify(githubExamples('issues')[0]), SECRET),
    );
    expect(issue).toMatchObject({ status: 202, body: { status: 'ignored' } });
    expect(codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
  });

  it('refuses an oversized body with 413 before reading it, and a malformed one with 400', async () => {
    const big = deliver('github', 'push', `{"pad":"${'x'.repeat(70_000)}"}`, SECRET);
    expect((await post('/webhooks/github/app-github', big)).status).toBe(413);
    const malformed = await post(
      '/webhooks/github/app-github',
      deliver('github', 'push', '{"ref": "refs/heads/mas', SECRET),
    );
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'validation_error' } } });
    const noRepo = await post(
      '/webhooks/gitea/app-gitea',
      deliver('gitea', 'push', '{"ref":"refs/heads/develop"}', SECRET),
    );
    expect(noRepo.status).toBe(400);
    expect(codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
  });

  it('answers 404 for an unknown app, 400 for an unknown sender or a provider mismatch, 401 without a secret', async () => {
    const d = deliver('github', 'push', '{}', SECRET);
    expect((await post('/webhooks/github/no-such-app', d)).status).toBe(404);
    expect((await post('/webhooks/gitlab/app-github', d)).status).toBe(400);
    expect(
      (await post('/webhooks/github/app-github', { headers: { 'user-agent': 'x' }, body: Buffer.from('{}') }))
        .status,
    ).toBe(400);
    await getPlatform().controlPlane.createApp({ name: 'unsecured' });
    const res = await post('/webhooks/github/unsecured', d);
    expect(res.status).toBe(401);
    expect(String((res.body['error'] as { message: string }).message)).toContain('wharf webhook unsecured');
  });
});
