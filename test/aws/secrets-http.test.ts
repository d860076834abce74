/**
 * The HTTP Secrets Manager fake driven by the real SDK client and by Wharf's small client side
 * by side: the SDK's answers show the fake speaks the service's protocol as the SDK reads it,
 * and the small client's identical answers show it parses that protocol as the SDK does.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsJsonClient } from '../../adapters/aws/aws-json-client.ts';
import { nodeTransport, type Transport } from '../../adapters/aws/node-transport.ts';
import { httpSecretsApi, type SecretsApi, SECRETS_MANAGER_PROTOCOL } from '../../adapters/aws/secrets-api.ts';
import { sdkSecretsApi } from '../../adapters/aws/secrets-sdk-api.ts';
import { type FakeSecretsHttp, startFakeSecretsHttp } from './fake-secrets-http.ts';

const CREDENTIALS = { accessKeyId: 'AKIDSECRETS', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' };
const REGION = 'eu-west-1';

let fake: FakeSecretsHttp;
let apis: { name: 'sdk' | 'http'; api: SecretsApi }[];
let sdk: SecretsManagerClient;

const small = (options: Partial<ConstructorParameters<typeof AwsJsonClient>[0]> = {}) =>
  new AwsJsonClient({
    ...SECRETS_MANAGER_PROTOCOL,
    region: REGION,
    endpoint: fake.url,
    credentials: () => CREDENTIALS,
    ...options,
  });

beforeAll(async () => {
  fake = await startFakeSecretsHttp({ credentials: CREDENTIALS, region: REGION });
  sdk = new SecretsManagerClient({
    region: REGION,
    endpoint: fake.url,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
  apis = [
    { name: 'sdk', api: sdkSecretsApi(sdk) },
    { name: 'http', api: httpSecretsApi(small()) },
  ];
});

afterAll(async () => {
  sdk.destroy();
  await fake.close();
});

/** what callers look at in an error: both clients must agree on all of it */
async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (e) {
    const error = e as {
      name: string;
      message: string;
      $fault?: string;
      $metadata?: Record<string, unknown>;
    };
    return {
      name: error.name,
      message: error.message,
      fault: error.$fault,
      status: error.$metadata?.['httpStatusCode'],
      hasRequestId: typeof error.$metadata?.['requestId'] === 'string',
    };
  }
  throw new Error('expected the call to fail');
}

const withoutMetadata = (out: object) => {
  const { $metadata: _, ...rest } = out as { $metadata?: unknown };
  return rest;
};

describe('Secrets Manager over HTTP: the SDK and the small client against one fake', () => {
  it('read string and binary values alike, bytes as a plain Uint8Array and dates as Dates', async () => {
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255, 10, 13]);
    fake.set('read/text', 'pa$$ wörd\n"quoted"');
    fake.set('read/binary', bytes);
    for (const name of ['read/text', 'read/binary']) {
      const [fromSdk, fromHttp] = await Promise.all(
        apis.map(({ api }) => api.getSecretValue({ SecretId: name })),
      );
      expect(withoutMetadata(fromSdk!)).toEqual(fromHttp);
      expect(fromHttp!.Name).toBe(name);
      expect(fromHttp!.ARN).toMatch(
        new RegExp(`^arn:aws:secretsmanager:eu-west-1:111122223333:secret:${name}-\\w{6}$`),
      );
      expect(fromHttp!.VersionStages).toEqual(['AWSCURRENT']);
      expect(fromHttp!.CreatedDate).toBeInstanceOf(Date);
      expect(Math.abs(fromHttp!.CreatedDate!.getTime() - Date.now())).toBeLessThan(60_000);
    }
    const binary = await apis[1]!.api.getSecretValue({ SecretId: 'read/binary' });
    expect(binary.SecretBinary).toEqual(bytes);
    expect(Object.getPrototypeOf(binary.SecretBinary)).toBe(Uint8Array.prototype);
    expect(binary.SecretString).toBeUndefined();
    // a full ARN names the secret as well as its name does
    const byArn = await apis[1]!.api.getSecretValue({ SecretId: binary.ARN! });
    expect(byArn.SecretBinary).toEqual(bytes);
  });

  it('write values the other client and the fake read back, each write with an idempotency token', async () => {
    const bytes = new Uint8Array([255, 0, 42]);
    for (const { name, api } of apis) {
      const created = await api.createSecret({ Name: `write/${name}`, SecretString: 'first' });
      expect(created).toMatchObject({ Name: `write/${name}`, VersionId: expect.any(String) });
      const put = await api.putSecretValue({ SecretId: `write/${name}`, SecretBinary: bytes });
      expect(put.VersionStages).toEqual(['AWSCURRENT']);
      expect(put.VersionId).not.toBe(created.VersionId);
    }
    for (const { name } of apis) expect(fake.value(`write/${name}`)).toEqual(bytes);
    const [sdkReadsHttp, httpReadsSdk] = await Promise.all([
      apis[0]!.api.getSecretValue({ SecretId: 'write/http' }),
      apis[1]!.api.getSecretValue({ SecretId: 'write/sdk' }),
    ]);
    expect(sdkReadsHttp.SecretBinary).toEqual(bytes);
    expect(httpReadsSdk.SecretBinary).toEqual(bytes);
    // on the wire both sent base64 and a UUID token (the SDK makes one up; the small client must too)
    const writes = [...fake.calls('CreateSecret'), ...fake.calls('PutSecretValue')].filter((b) =>
      String(b['Name'] ?? b['SecretId']).startsWith('write/'),
    );
    expect(writes).toHaveLength(4);
    for (const body of writes) {
      expect(body['ClientRequestToken']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
    expect(writes.filter((b) => b['SecretBinary'] === Buffer.from(bytes).toString('base64'))).toHaveLength(2);
  });

  it('a repeated token is the same write, not a second version; with another value it is refused', async () => {
    const token = 'a'.repeat(32);
    for (const { name, api } of apis) {
      await api.createSecret({ Name: `token/${name}`, SecretString: 'v1' });
      const first = await api.putSecretValue({
        SecretId: `token/${name}`,
        SecretString: 'v2',
        ClientRequestToken: token,
      });
      const again = await api.putSecretValue({
        SecretId: `token/${name}`,
        SecretString: 'v2',
        ClientRequestToken: token,
      });
      expect(again.VersionId).toBe(first.VersionId);
    }
    const [a, b] = await Promise.all(
      apis.map(({ name, api }) =>
        failure(
          api.putSecretValue({ SecretId: `token/${name}`, SecretString: 'v3', ClientRequestToken: token }),
        ),
      ),
    );
    expect(a).toEqual(b);
    expect(a!.name).toBe('ResourceExistsException');
  });

  it('agree on a missing secret, an existing one and a secret without a value', async () => {
    const missing = await Promise.all(
      apis.map(({ api }) => failure(api.getSecretValue({ SecretId: 'nope' }))),
    );
    expect(missing[0]).toEqual({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
      fault: 'client',
      status: 400,
      hasRequestId: true,
    });
    expect(missing[1]).toEqual(missing[0]);

    fake.set('exists/one', 'x');
    const exists = await Promise.all(
      apis.map(({ api }) => failure(api.createSecret({ Name: 'exists/one', SecretString: 'y' }))),
    );
    expect(exists[0]).toMatchObject({ name: 'ResourceExistsException', status: 400 });
    expect(exists[1]).toEqual(exists[0]);
    expect(fake.value('exists/one')).toBe('x');

    for (const { name, api } of apis) await api.createSecret({ Name: `empty/${name}` });
    const empty = await Promise.all(
      apis.map(({ name, api }) => failure(api.getSecretValue({ SecretId: `empty/${name}` }))),
    );
    expect(empty[0]).toMatchObject({
      name: 'ResourceNotFoundException',
      message: expect.stringContaining('AWSCURRENT'),
    });
    expect(empty[1]).toEqual(empty[0]);
  });

  it('delete within a recovery window: reads and writes refused as InvalidRequestException until restored', async () => {
    for (const { name, api } of apis) {
      fake.set(`gone/${name}`, 'kept');
      const deleted = await api.deleteSecret({ SecretId: `gone/${name}`, RecoveryWindowInDays: 7 });
      expect(deleted.DeletionDate).toBeInstanceOf(Date);
      const days = (deleted.DeletionDate!.getTime() - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(6.9);
      expect(days).toBeLessThan(7.1);
      expect(fake.pendingDeletion(`gone/${name}`)).toBe(true);
      expect(fake.value(`gone/${name}`)).toBeUndefined();
    }
    const refused = async (call: (api: SecretsApi, id: string) => Promise<unknown>) => {
      const [a, b] = await Promise.all(apis.map(({ name, api }) => failure(call(api, `gone/${name}`))));
      expect(a).toEqual(b);
      return a!;
    };
    expect(await refused((api, id) => api.getSecretValue({ SecretId: id }))).toMatchObject({
      name: 'InvalidRequestException',
      message: expect.stringContaining('marked for deletion'),
    });
    expect((await refused((api, id) => api.putSecretValue({ SecretId: id, SecretString: 'new' }))).name).toBe(
      'InvalidRequestException',
    );
    expect(
      (await refused((api, id) => api.deleteSecret({ SecretId: id, RecoveryWindowInDays: 7 }))).name,
    ).toBe('InvalidRequestException');
    expect((await refused((api) => api.createSecret({ Name: 'gone/sdk', SecretString: 'x' }))).name).toBe(
      'InvalidRequestException',
    );
    expect(
      (await refused((api, id) => api.deleteSecret({ SecretId: id, RecoveryWindowInDays: 3 }))).message,
    ).toContain('between 7 and 30');

    for (const { name, api } of apis) {
      expect(await api.restoreSecret({ SecretId: `gone/${name}` })).toMatchObject({ Name: `gone/${name}` });
      expect((await api.getSecretValue({ SecretId: `gone/${name}` })).SecretString).toBe('kept');
    }
  });

  it('force delete removes at once and never answers not found', async () => {
    for (const { name, api } of apis) {
      fake.set(`force/${name}`, 'x');
      await api.deleteSecret({ SecretId: `force/${name}`, ForceDeleteWithoutRecovery: true });
      expect(fake.value(`force/${name}`)).toBeUndefined();
      expect(fake.pendingDeletion(`force/${name}`)).toBe(false);
      await api.deleteSecret({ SecretId: `force/${name}`, ForceDeleteWithoutRecovery: true });
      await api.createSecret({ Name: `force/${name}`, SecretString: 'again' });
    }
    const both = await Promise.all(
      apis.map(({ api }) =>
        failure(
          api.deleteSecret({
            SecretId: 'force/sdk',
            ForceDeleteWithoutRecovery: true,
            RecoveryWindowInDays: 7,
          }),
        ),
      ),
    );
    expect(both[0]).toMatchObject({ name: 'InvalidParameterException' });
    expect(both[1]).toEqual(both[0]);
  });

  it('refuses a tampered signature, a wrong secret key and an unknown key id, from either client', async () => {
    fake.set('signed', 'x');
    const tampering: Transport = (url, signed, body, timeoutMs) => {
      const headers = { ...signed };
      headers['authorization'] = headers['authorization']!.replace(/Signature=(\w)/, (_, c) =>
        c === '0' ? 'Signature=1' : 'Signature=0',
      );
      return nodeTransport(url, headers, body, timeoutMs);
    };
    const tampered = await failure(
      httpSecretsApi(small({ transport: tampering })).getSecretValue({ SecretId: 'signed' }),
    );
    expect(tampered).toMatchObject({ name: 'InvalidSignatureException', status: 400 });
    expect(tampered.message).toContain('The request signature we calculated does not match');

    const wrongSecret = { ...CREDENTIALS, secretAccessKey: 'not-the-secret' };
    const unknownKey = { ...CREDENTIALS, accessKeyId: 'AKIDSTRANGER' };
    for (const [credentials, name] of [
      [wrongSecret, 'InvalidSignatureException'],
      [unknownKey, 'UnrecognizedClientException'],
    ] as const) {
      const client = new SecretsManagerClient({
        region: REGION,
        endpoint: fake.url,
        credentials,
        maxAttempts: 1,
      });
      const fromSdk = await failure(sdkSecretsApi(client).getSecretValue({ SecretId: 'signed' }));
      client.destroy();
      const fromHttp = await failure(
        httpSecretsApi(small({ credentials: () => credentials })).getSecretValue({ SecretId: 'signed' }),
      );
      expect(fromSdk).toMatchObject({ name, status: 400, fault: 'client', hasRequestId: true });
      // the message differs only where it quotes each client's own canonical request
      expect({ ...fromHttp, message: undefined }).toEqual({ ...fromSdk, message: undefined });
    }
  });
});
