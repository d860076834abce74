import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { BatchDeleteImageCommand, ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CodeBuildBuilder } from '../../adapters/aws/codebuild-builder.ts';
import { parseCodeBuildEvent } from '../../adapters/aws/codebuild-events.ts';
import { S3ArtifactStore } from '../../adapters/aws/s3-artifact-store.ts';
import { sdkSecretsApi } from '../../adapters/aws/secrets-sdk-api.ts';
import { SecretsManagerStore } from '../../adapters/aws/secrets-store.ts';
import { ValidationError } from '../../core/errors.ts';
import type { BuildRequest } from '../../core/ports.ts';

const cb = mockClient(CodeBuildClient);
const ecr = mockClient(ECRClient);
const sm = mockClient(SecretsManagerClient);
afterAll(() => {
  cb.restore();
  ecr.restore();
  sm.restore();
});

const secrets = new SecretsManagerStore({
  client: sdkSecretsApi(new SecretsManagerClient({ region: 'eu-west-1' })),
  prefix: 'wharf/',
  backoff: { sleep: async () => {} },
});

const builder = (token: string | null = null) =>
  new CodeBuildBuilder({
    client: new CodeBuildClient({ region: 'eu-west-1' }),
    project: 'wharf-build',
    dockerProject: 'wharf-docker-build',
    bucket: 'wharf-bucket',
    repositoryUri: '1.dkr.ecr.eu-west-1.amazonaws.com/wharf-apps',
    logGroupPrefix: '/wharf/apps/',
    gitTokenSecret: async () => token,
    buildEnvSecrets: secrets,
    backoff: { sleep: async () => {} },
  });

const request: BuildRequest = {
  buildId: 'build-1',
  app: 'shop',
  sourceVersion: 'abc123',
  source: { kind: 'tar', path: 's3://wharf-bucket/sources/shop/u1.tar.gz' },
  env: { NODE_ENV: 'production' },
  buildpacks: ['https://github.com/heroku/heroku-buildpack-nodejs'],
};

describe('CodeBuildBuilder', () => {
  beforeEach(() => {
    cb.reset();
    sm.reset();
  });

  it('starts a buildpack build from an uploaded archive with cache, logs and env, and returns pending', async () => {
    cb.on(StartBuildCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ build: { id: 'wharf-build:1' } });
    const out: string[] = [];
    expect(await builder().build(request, (l) => out.push(l))).toEqual({ pending: true });
    expect(cb.commandCalls(StartBuildCommand)).toHaveLength(2);
    expect(cb.commandCalls(StartBuildCommand)[1]!.args[0].input).toEqual({
      projectName: 'wharf-build',
      idempotencyToken: 'build-1',
      sourceTypeOverride: 'S3',
      sourceLocationOverride: 'wharf-bucket/sources/shop/u1.tar.gz',
      environmentVariablesOverride: [
        { name: 'WHARF_BUILD_ID', value: 'build-1', type: 'PLAINTEXT' },
        { name: 'WHARF_APP', value: 'shop', type: 'PLAINTEXT' },
        { name: 'WHARF_SOURCE_VERSION', value: 'abc123', type: 'PLAINTEXT' },
        {
          name: 'WHARF_IMAGE_REPOSITORY',
          value: '1.dkr.ecr.eu-west-1.amazonaws.com/wharf-apps',
          type: 'PLAINTEXT',
        },
        { name: 'WHARF_IMAGE_TAG', value: 'shop-build-1', type: 'PLAINTEXT' },
        { name: 'WHARF_BUILD_ENV', value: 'wharf/build-env/shop', type: 'SECRETS_MANAGER' },
        {
          name: 'WHARF_BUILDPACKS',
          value: 'https://github.com/heroku/heroku-buildpack-nodejs',
          type: 'PLAINTEXT',
        },
      ],
      cacheOverride: { type: 'S3', location: 'wharf-bucket/cache/shop' },
      logsConfigOverride: {
        cloudWatchLogs: { status: 'ENABLED', groupName: '/wharf/apps/shop', streamName: 'build/build-1' },
        s3Logs: { status: 'DISABLED' },
      },
    });
    expect(out[0]).toContain('wharf-build:1');
  });

  it('clones from git with the token as a Secrets Manager variable, and builds Dockerfiles on the docker project', async () => {
    cb.on(StartBuildCommand).resolves({ build: { id: 'x' } });
    await builder('wharf/git-token/shop').build(
      {
        ...request,
        source: { kind: 'git', url: 'https://github.com/o/r.git', ref: 'abc123' },
        buildpacks: ['dockerfile'],
      },
      () => {},
    );
    const input = cb.commandCalls(StartBuildCommand)[0]!.args[0].input;
    expect(input.projectName).toBe('wharf-docker-build');
    expect(input.sourceTypeOverride).toBe('NO_SOURCE');
    expect(input.environmentVariablesOverride).toEqual(
      expect.arrayContaining([
        { name: 'WHARF_GIT_URL', value: 'https://github.com/o/r.git', type: 'PLAINTEXT' },
        { name: 'WHARF_GIT_REF', value: 'abc123', type: 'PLAINTEXT' },
        { name: 'WHARF_GIT_TOKEN', value: 'wharf/git-token/shop', type: 'SECRETS_MANAGER' },
      ]),
    );
    expect(input.environmentVariablesOverride!.some((v) => v.name === 'WHARF_BUILDPACKS')).toBe(false);
    await expect(
      builder().build({ ...request, source: { kind: 'dir', path: '/tmp/x' } }, () => {}),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('CodeBuildBuilder: config vars never in plain text', () => {
  beforeEach(() => {
    cb.reset();
    sm.reset();
  });

  const plainValues = () =>
    cb
      .commandCalls(StartBuildCommand)
      .flatMap((c) => c.args[0].input.environmentVariablesOverride ?? [])
      .filter((v) => v.type !== 'SECRETS_MANAGER')
      .map((v) => v.value ?? '');

  it('writes the config to the app secret before StartBuild and passes only its name', async () => {
    const order: string[] = [];
    sm.on(PutSecretValueCommand).callsFake(() => {
      order.push('put');
      return {};
    });
    cb.on(StartBuildCommand).callsFake(() => {
      order.push('start');
      return { build: { id: 'x' } };
    });
    const env = { NODE_ENV: 'production', API_KEY: 'sk-very-secret' };
    await builder().build({ ...request, env }, () => {});
    expect(order).toEqual(['put', 'start']);
    const encoded = Buffer.from(JSON.stringify(env)).toString('base64');
    expect(sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input).toEqual({
      SecretId: 'wharf/build-env/shop',
      SecretString: encoded,
    });
    const vars = cb.commandCalls(StartBuildCommand)[0]!.args[0].input.environmentVariablesOverride!;
    expect(vars).toContainEqual({
      name: 'WHARF_BUILD_ENV',
      value: 'wharf/build-env/shop',
      type: 'SECRETS_MANAGER',
    });
    const plain = plainValues().join('\n');
    expect(plain).not.toContain('sk-very-secret');
    expect(plain).not.toContain(encoded);
  });

  it("creates the app's secret on its first build", async () => {
    sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error('Secrets Manager can’t find the specified secret.'), {
        name: 'ResourceNotFoundException',
      }),
    );
    sm.on(CreateSecretCommand).resolves({});
    cb.on(StartBuildCommand).resolves({ build: { id: 'x' } });
    await builder().build(request, () => {});
    expect(sm.commandCalls(CreateSecretCommand)[0]!.args[0].input).toEqual({
      Name: 'wharf/build-env/shop',
      SecretString: Buffer.from('{"NODE_ENV":"production"}').toString('base64'),
    });
    expect(cb.commandCalls(StartBuildCommand)).toHaveLength(1);
  });

  it('writes no secret for an app without config, nor for a Dockerfile build', async () => {
    cb.on(StartBuildCommand).resolves({ build: { id: 'x' } });
    await builder().build({ ...request, env: {} }, () => {});
    await builder().build({ ...request, buildpacks: ['dockerfile'] }, () => {});
    expect(sm.calls()).toHaveLength(0);
    for (const call of cb.commandCalls(StartBuildCommand)) {
      expect(call.args[0].input.environmentVariablesOverride!.map((v) => v.name)).not.toContain(
        'WHARF_BUILD_ENV',
      );
    }
    expect(plainValues().join('\n')).not.toContain('production');
  });

  it('starts no build when the config cannot be stored', async () => {
    sm.on(PutSecretValueCommand).rejects(
      Object.assign(new Error('not authorized to perform secretsmanager:PutSecretValue'), {
        name: 'AccessDeniedException',
      }),
    );
    cb.on(StartBuildCommand).resolves({ build: { id: 'x' } });
    await expect(builder().build(request, () => {})).rejects.toThrow(/store secret build-env\/shop/);
    expect(cb.commandCalls(StartBuildCommand)).toHaveLength(0);
  });
});

describe('CodeBuild state events', () => {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
  const event = (status: string, exported: { name: string; value: string }[] = []) => ({
    'detail-type': 'CodeBuild Build State Change',
    detail: {
      'build-status': status,
      'additional-information': {
        environment: { 'environment-variables': [{ name: 'WHARF_BUILD_ID', value: 'build-1' }] },
        'exported-environment-variables': exported,
        phases: [
          { 'phase-type': 'INSTALL', 'phase-status': 'SUCCEEDED', 'duration-in-seconds': 3 },
          {
            'phase-type': 'BUILD',
            'phase-status': status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
            'duration-in-seconds': 40,
            'phase-context': [
              'COMMAND_EXECUTION_ERROR: Error while executing command: bin/compile. Reason: exit status 1',
            ],
          },
        ],
      },
    },
  });

  it('turns a success into the image artifact with process types, config defaults and timings', () => {
    const state = parseCodeBuildEvent(
      event('SUCCEEDED', [
        {
          name: 'WHARF_IMAGE_URI',
          value: '1.dkr.ecr.eu-west-1.amazonaws.com/wharf-apps@sha256:' + 'b'.repeat(64),
        },
        { name: 'WHARF_IMAGE_DIGEST', value: 'sha256:' + 'b'.repeat(64) },
        { name: 'WHARF_PROCESS_TYPES', value: b64({ web: 'npm start' }) },
        { name: 'WHARF_CONFIG_DEFAULTS', value: b64({ NODE_ENV: 'production' }) },
        { name: 'WHARF_BUILDPACKS', value: b64([{ url: 'heroku/nodejs', name: 'Node.js' }]) },
        { name: 'WHARF_CACHE_HIT', value: 'true' },
      ]),
    );
    expect(state).toEqual({
      kind: 'finished',
      buildId: 'build-1',
      outcome: {
        ok: true,
        artifact: {
          kind: 'image',
          uri: '1.dkr.ecr.eu-west-1.amazonaws.com/wharf-apps@sha256:' + 'b'.repeat(64),
          digest: 'sha256:' + 'b'.repeat(64),
          processTypes: { web: 'npm start' },
          configDefaults: { NODE_ENV: 'production' },
        },
        buildpacks: [{ url: 'heroku/nodejs', name: 'Node.js' }],
        cacheHit: true,
        timings: { install: 3000, build: 40000 },
      },
    });
  });

  it('explains a failure by its phase, and ignores builds Wharf did not start', () => {
    const failed = parseCodeBuildEvent(event('FAILED'));
    expect(failed).toMatchObject({ kind: 'finished', outcome: { ok: false } });
    expect((failed as { outcome: { error: string } }).outcome.error).toBe(
      'CodeBuild build failed in phase BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: bin/compile. Reason: exit status 1',
    );
    expect(parseCodeBuildEvent(event('IN_PROGRESS'))).toEqual({ kind: 'running', buildId: 'build-1' });
    expect(parseCodeBuildEvent({ detail: { 'build-status': 'SUCCEEDED' } })).toBeNull();
    expect(() => parseCodeBuildEvent({})).toThrow(ValidationError);
  });
});

describe('S3ArtifactStore extras', () => {
  it('presigns a source upload URL for wharf deploy', async () => {
    const store = new S3ArtifactStore({
      s3: new S3Client({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
      }),
      bucket: 'wharf-bucket',
    });
    const upload = await store.presignSourceUpload('shop', 'abcdef0123456789');
    expect(upload.key).toBe('sources/shop/abcdef0123456789.tar.gz');
    expect(upload.location).toBe('wharf-bucket/sources/shop/abcdef0123456789.tar.gz');
    const url = new URL(upload.url);
    expect(url.hostname).toBe('wharf-bucket.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/sources/shop/abcdef0123456789.tar.gz');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    await expect(store.presignSourceUpload('shop', '../etc')).rejects.toBeInstanceOf(ValidationError);
  });

  it('removes an image artifact from ECR by digest', async () => {
    ecr.reset();
    ecr.on(BatchDeleteImageCommand).resolves({});
    const store = new S3ArtifactStore({
      s3: new S3Client({ region: 'eu-west-1' }),
      bucket: 'b',
      ecr: new ECRClient({ region: 'eu-west-1' }),
    });
    await store.remove(`111122223333.dkr.ecr.eu-west-1.amazonaws.com/wharf-apps@sha256:${'c'.repeat(64)}`);
    expect(ecr.commandCalls(BatchDeleteImageCommand)[0]!.args[0].input).toEqual({
      registryId: '111122223333',
      repositoryName: 'wharf-apps',
      imageIds: [{ imageDigest: `sha256:${'c'.repeat(64)}` }],
    });
  });
});
