/**
 * The CLI against the real API handler behind a SigV4-checking gateway on 127.0.0.1:
 * login, the everyday commands, and the refusals API Gateway would answer.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../aws/lambda-env.ts';
import { handler as api } from '../../functions/api.ts';
import { getPlatform } from '../../functions/lib/platform.ts';
import { installAwsMocks } from './aws-mocks.ts';
import { GATEWAY_ACCOUNT, type Gateway, startGateway } from './sigv4-gateway.ts';
import { isolateAwsEnv, wharf } from './cli.ts';

describe('wharf against an AWS API (SigV4)', () => {
  let aws: Awaited<ReturnType<typeof installAwsMocks>>;
  let gateway: Gateway;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const run = (argv: string[], extra: NodeJS.ProcessEnv = {}) =>
    wharf(argv, { env: { ...env, ...extra }, cwd: home });

  beforeAll(async () => {
    aws = await installAwsMocks();
    home = mkdtempSync(join(tmpdir(), 'wharf-cli-aws-'));
    isolateAwsEnv(home);
    gateway = await startGateway(api, lambdaContext);
    env = { ...process.env, WHARF_HOME: join(home, 'wharf-home') };
  });
  afterAll(async () => {
    await gateway.close();
    await aws.restore();
    rmSync(home, { recursive: true, force: true });
  });

  it('logs in with a signed GET /apps, saves the remote 0600, and says with which identity', async () => {
    const r = await run(['login', '--aws', gateway.url, '--region', 'eu-west-1']);
    expect(r.stderr).not.toContain('!');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Logged in to ${gateway.url} (AWS eu-west-1)`);
    // the identity IAM verified (GET /whoami), with the key that signed
    expect(r.stdout).toContain(
      `with arn:aws:iam::${GATEWAY_ACCOUNT}:user/akidtest (access key AKIDTEST): 0 apps`,
    );
    const file = join(env['WHARF_HOME']!, 'remote.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      kind: 'aws',
      apiUrl: gateway.url,
      region: 'eu-west-1',
    });
    expect(gateway.calls.slice(-2)).toMatchObject([
      { method: 'GET', path: '/apps', accessKey: 'AKIDTEST' },
      { method: 'GET', path: '/whoami', accessKey: 'AKIDTEST' },
    ]);
  });

  it('logs in to an API that knows no caller identity (an older stack), naming the access key', async () => {
    gateway.passIdentity = false;
    try {
      const r = await run(['login', '--aws', gateway.url, '--region', 'eu-west-1', '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ identity: 'access key AKIDTEST', apps: 0 });
    } finally {
      gateway.passIdentity = true;
    }
  });

  it('creates an app, lists it, sets config and scales through signed requests', async () => {
    expect((await run(['create', 'shop'])).code).toBe(0);
    const apps = await run(['apps', '--json']);
    expect(apps.code).toBe(0);
    expect(JSON.parse(apps.stdout).map((a: { name: string }) => a.name)).toEqual(['shop']);

    const set = await run(['env', 'set', 'GREETING=hello world', '-a', 'shop']);
    expect(set.stderr).not.toContain(' !');
    expect(set.code).toBe(0);
    const shown = await run(['env', '-a', 'shop', '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ GREETING: 'hello world' });

    const scaled = await run(['scale', 'web=2', '-a', 'shop', '--json']);
    expect(scaled.stderr).toBe('');
    expect(JSON.parse(scaled.stdout).processes).toEqual({ web: 2 });
    expect((await getPlatform().store.getFormation('shop'))?.processes).toEqual({ web: 2 });
    // each went through the gateway, signed
    expect(gateway.calls.map((c) => `${c.method} ${c.path}`)).toEqual(
      expect.arrayContaining(['POST /apps', 'PATCH /apps/shop/env', 'PUT /apps/shop/formation']),
    );
    expect(gateway.refusals).toEqual([]);
  });

  it('the same with WHARF_URL and WHARF_AWS=1 and no saved remote; logout goes back to the local platform', async () => {
    const out = await run(['logout']);
    expect(out.stdout).toContain('Logged out');
    expect(existsSync(join(env['WHARF_HOME']!, 'remote.json'))).toBe(false);
    const local = await run(['apps']);
    expect(local.code).toBe(1);
    expect(local.stderr).toContain('no Wharf platform found');

    const viaEnv = await run(['apps', '--json'], {
      WHARF_URL: gateway.url,
      WHARF_AWS: '1',
      AWS_REGION: 'eu-west-1',
    });
    expect(viaEnv.code).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toHaveLength(1);
  });

  it('API Gateway refuses unsigned and tampered requests with 403', async () => {
    const unsigned = await fetch(`${gateway.url}/apps`);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toEqual({ message: 'Forbidden' });

    // sign one body, send another
    const { requestSigner } = await import('../../cli/aws/signer.ts');
    const sign = requestSigner({ region: 'eu-west-1' });
    const url = `${gateway.url}/apps`;
    const headers = await sign({ method: 'POST', url, headers: {}, body: JSON.stringify({ name: 'good' }) });
    const tampered = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ name: 'evil' }) });
    expect(tampered.status).toBe(403);
    expect(((await tampered.json()) as { message: string }).message).toMatch(
      /signature we calculated does not match/,
    );
    // another path with the same signature
    const moved = await fetch(`${gateway.url}/apps/shop`, {
      method: 'GET',
      headers: await sign({ method: 'GET', url, headers: {}, body: '' }),
    });
    expect(moved.status).toBe(403);
    // and nothing reached the handler
    expect(await getPlatform().store.getApp('evil')).toBeNull();

    // a signature for another region is refused, and the CLI says what to check
    const wrongRegion = await run(['apps'], {
      WHARF_URL: gateway.url,
      WHARF_AWS: '1',
      WHARF_REGION: 'us-east-1',
    });
    expect(wrongRegion.code).toBe(1);
    expect(wrongRegion.stderr).toContain('API Gateway refused the signature');
    expect(wrongRegion.stderr).toContain('region us-east-1');
  });

  it('a 403 for an identity without execute-api:Invoke names the permission', async () => {
    gateway.denied.add('AKIDTEST');
    try {
      const r = await run(['login', '--aws', gateway.url, '--region', 'eu-west-1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('execute-api:Invoke');
      expect(r.stderr).toContain('OperatorPolicyArn');
      expect(existsSync(join(env['WHARF_HOME']!, 'remote.json'))).toBe(false);
    } finally {
      gateway.denied.delete('AKIDTEST');
    }
  });

  it('webhook sets the secret and prints the URL for each git host; the local platform refuses it', async () => {
    const aws = { WHARF_URL: gateway.url, WHARF_AWS: '1' };
    const r = await run(['webhook', '-a', 'shop', '--json'], aws);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.secret).toMatch(/^[0-9a-f]{48}$/);
    expect(out.urls).toEqual({
      github: `${gateway.url}/webhooks/github/shop`,
      gitlab: `${gateway.url}/webhooks/gitlab/shop`,
      bitbucket: `${gateway.url}/webhooks/bitbucket/shop`,
      gitea: `${gateway.url}/webhooks/gitea/shop`,
    });
    expect(await getPlatform().secrets.get('webhook/shop')).toBe(out.secret);

    const chosen = await run(['webhook', '-a', 'shop', '--secret', 'a-secret-of-our-own'], aws);
    expect(chosen.stdout).toContain('secret: a-secret-of-our-own');
    expect(chosen.stdout).toContain(`GitHub:        ${gateway.url}/webhooks/github/shop`);
    const short = await run(['webhook', '-a', 'shop', '--secret', 'short'], aws);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('at least 16 characters');

    const local = await run(['webhook', '-a', 'shop'], { WHARF_URL: 'http://127.0.0.1:1', WHARF_TOKEN: 't' });
    expect(local.code).toBe(1);
    expect(local.stderr).toContain('git push wharf main');
  });

  it('events -f polls the events after the last one seen', async () => {
    const { followEvents } = await import('../../cli/aws/follow.ts');
    const { clientFor } = await import('../../cli/config.ts');
    const remote = { kind: 'aws' as const, apiUrl: gateway.url, region: 'eu-west-1' };
    const seen: { seq: number; type: string; app: string | null }[] = [];
    const stop = new AbortController();
    const following = followEvents(
      { client: () => clientFor(remote), env: { WHARF_POLL_MS: '20' } } as never,
      {},
      (e) => seen.push(e),
      stop.signal,
    );
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(ok()).toBe(true);
    };
    await until(() => seen.length > 0);
    const before = seen.length;
    expect((await run(['create', 'later'], { WHARF_URL: gateway.url, WHARF_AWS: '1' })).code).toBe(0);
    await until(() => seen.some((e) => e.app === 'later'));
    stop.abort();
    await following;
    expect(seen.length).toBeGreaterThan(before);
    const seqs = seen.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('refuses a login that is not a URL, or has no region', async () => {
    const bad = await run(['login', '--aws', 'not a url']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not a URL');
    const { AWS_REGION: _r, AWS_DEFAULT_REGION: _d, ...noRegion } = env;
    const r = await wharf(['login', '--aws', gateway.url], { env: noRegion, cwd: home });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('give --region');
  });
});
