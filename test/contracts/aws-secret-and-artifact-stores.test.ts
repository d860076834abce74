/**
 * Secrets Manager and S3 adapters against their contracts, each SDK client backed by a small
 * in-memory fake; Secrets Manager also over the small HTTP client against the HTTP fake.
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll } from 'vitest';
import { AwsJsonClient } from '../../adapters/aws/aws-json-client.ts';
import { S3ArtifactStore } from '../../adapters/aws/s3-artifact-store.ts';
import { httpSecretsApi, SECRETS_MANAGER_PROTOCOL } from '../../adapters/aws/secrets-api.ts';
import { sdkSecretsApi } from '../../adapters/aws/secrets-sdk-api.ts';
import { SecretsManagerStore } from '../../adapters/aws/secrets-store.ts';
import { type FakeSecretsHttp, startFakeSecretsHttp } from '../aws/fake-secrets-http.ts';
import { artifactStoreContract } from './artifact-store.contract.ts';
import { secretStoreContract } from './secret-store.contract.ts';

const sm = mockClient(SecretsManagerClient);
const s3 = mockClient(S3Client);
afterAll(() => {
  sm.restore();
  s3.restore();
});

const meta = { $metadata: {} };

secretStoreContract('Secrets Manager (aws-sdk-client-mock over an in-memory fake)', async () => {
  const secrets = new Map<string, { value: string; deleted: boolean }>();
  sm.reset();
  const missing = () =>
    new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...meta });
  const scheduled = () => new InvalidRequestException({ message: 'marked for deletion', ...meta });
  sm.on(GetSecretValueCommand).callsFake(({ SecretId }) => {
    const s = secrets.get(SecretId);
    if (!s) throw missing();
    if (s.deleted) throw scheduled();
    return { SecretString: s.value };
  });
  sm.on(PutSecretValueCommand).callsFake(({ SecretId, SecretString }) => {
    const s = secrets.get(SecretId);
    if (!s) throw missing();
    if (s.deleted) throw scheduled();
    s.value = SecretString;
    return {};
  });
  sm.on(CreateSecretCommand).callsFake(({ Name, SecretString }) => {
    secrets.set(Name, { value: SecretString, deleted: false });
    return {};
  });
  sm.on(DeleteSecretCommand).callsFake(({ SecretId, RecoveryWindowInDays }) => {
    const s = secrets.get(SecretId);
    if (!s) throw missing();
    if (s.deleted) throw scheduled();
    if (RecoveryWindowInDays !== 7) throw new Error('expected a 7 day recovery window');
    s.deleted = true;
    return {};
  });
  sm.on(RestoreSecretCommand).callsFake(({ SecretId }) => {
    secrets.get(SecretId)!.deleted = false;
    return {};
  });
  return new SecretsManagerStore({
    client: sdkSecretsApi(new SecretsManagerClient({ region: 'eu-west-1' })),
    prefix: 'wharf/',
  });
});

// The same contract over the small client the Lambda functions use, against the HTTP fake
// that speaks Secrets Manager's protocol (test/aws/secrets-http.test.ts checks it with the SDK).
const fakes: FakeSecretsHttp[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});

secretStoreContract('Secrets Manager (httpSecretsApi over the HTTP fake)', async () => {
  const credentials = { accessKeyId: 'AKIDCONTRACT', secretAccessKey: 'contract-secret' };
  const fake = await startFakeSecretsHttp({ credentials });
  fakes.push(fake);
  const client = new AwsJsonClient({
    ...SECRETS_MANAGER_PROTOCOL,
    region: 'eu-west-1',
    endpoint: fake.url,
    credentials: () => credentials,
  });
  return new SecretsManagerStore({ client: httpSecretsApi(client), prefix: 'wharf/' });
});

artifactStoreContract('S3 (aws-sdk-client-mock over an in-memory bucket)', async () => {
  const objects = new Map<string, Buffer>();
  s3.reset();
  s3.on(PutObjectCommand).callsFake(async ({ Bucket, Key, Body }) => {
    const chunks: Buffer[] = [];
    for await (const c of Body as Readable) chunks.push(Buffer.from(c));
    objects.set(`${Bucket}/${Key}`, Buffer.concat(chunks));
    return {};
  });
  s3.on(GetObjectCommand).callsFake(({ Bucket, Key }) => {
    const body = objects.get(`${Bucket}/${Key}`);
    if (!body) throw new NoSuchKey({ message: 'The specified key does not exist.', ...meta });
    return { Body: Readable.from([body]) };
  });
  s3.on(DeleteObjectCommand).callsFake(({ Bucket, Key }) => {
    objects.delete(`${Bucket}/${Key}`);
    return {};
  });
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  return new S3ArtifactStore({
    s3: new S3Client({ region: 'eu-west-1' }),
    bucket: 'wharf-bucket',
    scratchDir: await mkdtemp(join(tmpdir(), 'wharf-s3-')),
  });
});
