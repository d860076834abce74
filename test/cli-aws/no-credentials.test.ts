/** With no AWS credentials anywhere, the CLI says which variables or profile to set. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../aws/lambda-env.ts';
import { handler as api } from '../../functions/api.ts';
import { installAwsMocks } from './aws-mocks.ts';
import { type Gateway, startGateway } from './sigv4-gateway.ts';
import { isolateAwsEnv, wharf } from './cli.ts';

describe('wharf on AWS without credentials', () => {
  let aws: Awaited<ReturnType<typeof installAwsMocks>>;
  let gateway: Gateway;
  let home: string;

  beforeAll(async () => {
    aws = await installAwsMocks();
    home = mkdtempSync(join(tmpdir(), 'wharf-cli-nocreds-'));
    isolateAwsEnv(home);
    gateway = await startGateway(api, lambdaContext);
  });
  afterAll(async () => {
    await gateway.close();
    await aws.restore();
    rmSync(home, { recursive: true, force: true });
  });

  it('names the env vars to set, and sends nothing', async () => {
    const keys = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
    // the credential chain reads the process's env
    delete process.env['AWS_ACCESS_KEY_ID'];
    delete process.env['AWS_SECRET_ACCESS_KEY'];
    try {
      const env = { ...process.env, WHARF_HOME: join(home, 'h') };
      const login = await wharf(['login', '--aws', gateway.url, '--region', 'eu-west-1'], { env, cwd: home });
      expect(login.code).toBe(1);
      expect(login.stderr).toContain('no AWS credentials');
      expect(login.stderr).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
      expect(login.stderr).toContain('AWS_PROFILE');

      const apps = await wharf(['apps'], {
        env: { ...env, WHARF_URL: gateway.url, WHARF_AWS: '1' },
        cwd: home,
      });
      expect(apps.code).toBe(1);
      expect(apps.stderr).toContain('no AWS credentials');
      expect(gateway.calls).toEqual([]);
    } finally {
      process.env['AWS_ACCESS_KEY_ID'] = keys.id;
      process.env['AWS_SECRET_ACCESS_KEY'] = keys.secret;
    }
  });

  it('names the profile when a named profile has none', async () => {
    const env = { ...process.env, WHARF_HOME: join(home, 'h') };
    const keys = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
    delete process.env['AWS_ACCESS_KEY_ID'];
    delete process.env['AWS_SECRET_ACCESS_KEY'];
    let r: Awaited<ReturnType<typeof wharf>>;
    try {
      r = await wharf(['login', '--aws', gateway.url, '--region', 'eu-west-1', '--profile', 'nobody'], {
        env,
        cwd: home,
      });
    } finally {
      process.env['AWS_ACCESS_KEY_ID'] = keys.id;
      process.env['AWS_SECRET_ACCESS_KEY'] = keys.secret;
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('profile "nobody" gave none');
    expect(r.stderr).toContain('aws sso login --profile nobody');
  });
});
