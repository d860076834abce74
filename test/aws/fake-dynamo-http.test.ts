import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTable } from './fake-dynamo.ts';
import { type FakeDynamoHttp, startFakeDynamoHttp } from './fake-dynamo-http.ts';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const TableName = 'wharf';

let table: FakeTable;
let fake: FakeDynamoHttp;

beforeEach(async () => {
  table = new FakeTable();
  fake = await startFakeDynamoHttp(table, { credentials: CREDENTIALS, region: 'eu-west-1' });
});
afterEach(() => fake.close());

type SdkOptions = { maxAttempts?: number; credentials?: typeof CREDENTIALS & { sessionToken?: string } };

function sdk(opts: SdkOptions & { region?: string } = {}) {
  const client = new DynamoDBClient({
    region: opts.region ?? 'eu-west-1',
    endpoint: fake.url,
    credentials: opts.credentials ?? CREDENTIALS,
    maxAttempts: opts.maxAttempts ?? 3,
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function bodies(op: string): Record<string, unknown>[] {
  return fake.requests
    .filter((r) => r.target === `DynamoDB_20120810.${op}`)
    .map((r) => r.body as Record<string, unknown>);
}

/** A request signed by the reference signer but sent with fetch, for what the SDK never sends. */
async function signedFetch(
  target: string,
  body: string,
  sign: { unsignable?: string[]; sessionToken?: string; signingDate?: Date } = {},
) {
  const url = new URL(fake.url);
  const signer = new SignatureV4({
    credentials: { ...CREDENTIALS, sessionToken: sign.sessionToken },
    region: 'eu-west-1',
    service: 'dynamodb',
    sha256: Sha256,
  });
  const request = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
      body,
    },
    { unsignableHeaders: new Set(sign.unsignable ?? []), signingDate: sign.signingDate ?? new Date() },
  );
  const res = await fetch(fake.url, { method: 'POST', headers: request.headers, body });
  return { status: res.status, requestId: res.headers.get('x-amzn-requestid'), body: await res.json() };
}

describe('fake DynamoDB over HTTP, driven by the real AWS SDK', () => {
  it('round-trips nested items: maps, lists, numbers, booleans, null, string sets', async () => {
    const item = {
      pk: 'app#web',
      sk: 'release#0001',
      env: { PORT: '8080', nested: { deep: [1, 'two', { three: 3.5 }] } },
      processes: [{ type: 'web', count: 2 }],
      ready: true,
      failed: false,
      note: null,
      tags: new Set(['a', 'b']),
      blob: new Uint8Array([0, 1, 254, 255]),
    };
    await sdk().send(new PutCommand({ TableName, Item: item }));
    const got = await sdk().send(new GetCommand({ TableName, Key: { pk: 'app#web', sk: 'release#0001' } }));

    expect(got.Item).toEqual(item);
    const [put] = bodies('PutItem');
    expect(put?.['Item']).toMatchObject({
      processes: { L: [{ M: { count: { N: '2' }, type: { S: 'web' } } }] },
      note: { NULL: true },
      ready: { BOOL: true },
      blob: { B: 'AAH+/w==' },
    });
    expect(table.items.size).toBe(1);
    expect(fake.requests[0]?.headers['content-type']).toBe('application/x-amz-json-1.0');
    const missing = await sdk().send(new GetCommand({ TableName, Key: { pk: 'app#web', sk: 'nope' } }));
    expect(missing.Item).toBeUndefined();
  });

  it('updates with SET and ADD and returns ALL_NEW attributes', async () => {
    await sdk().send(new PutCommand({ TableName, Item: { pk: 'app#web', sk: 'meta', version: 1 } }));
    const out = await sdk().send(
      new UpdateCommand({
        TableName,
        Key: { pk: 'app#web', sk: 'meta' },
        UpdateExpression: 'SET #s = :s ADD version :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':s': { phase: 'up' }, ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(out.Attributes).toEqual({ pk: 'app#web', sk: 'meta', version: 2, state: { phase: 'up' } });
    const silent = await sdk().send(
      new UpdateCommand({
        TableName,
        Key: { pk: 'app#web', sk: 'meta' },
        UpdateExpression: 'REMOVE #s',
        ExpressionAttributeNames: { '#s': 'state' },
      }),
    );
    expect(silent.Attributes).toBeUndefined();
    expect([...table.items.values()]).toEqual([{ pk: 'app#web', sk: 'meta', version: 2 }]);
  });

  it('fails a conditional put with the typed ConditionalCheckFailedException', async () => {
    const put = new PutCommand({
      TableName,
      Item: { pk: 'lock', sk: 'leader', owner: 'a' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await sdk().send(put);
    const error = await sdk({ maxAttempts: 1 })
      .send(put)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(error).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400, requestId: expect.stringMatching(/^[0-9A-F]{32}$/) },
    });
  });

  it('deletes, and refuses a delete whose condition fails', async () => {
    await sdk().send(new PutCommand({ TableName, Item: { pk: 'app#a', sk: 'x', n: 1 } }));
    await expect(
      sdk().send(
        new DeleteCommand({
          TableName,
          Key: { pk: 'app#a', sk: 'x' },
          ConditionExpression: 'n = :two',
          ExpressionAttributeValues: { ':two': 2 },
        }),
      ),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(table.items.size).toBe(1);
    await sdk().send(new DeleteCommand({ TableName, Key: { pk: 'app#a', sk: 'x' } }));
    expect(table.items.size).toBe(0);
  });

  it('pages a backwards query through LastEvaluatedKey', async () => {
    for (const sk of ['1', '2', '3', '4', '5', '6', '7'])
      table.items.set(`app#a\u0000${sk}`, { pk: 'app#a', sk });
    table.items.set('app#b\u00001', { pk: 'app#b', sk: '1' });
    const pages: string[][] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await sdk().send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'app#a' },
          ScanIndexForward: false,
          ExclusiveStartKey: start,
        }),
      );
      pages.push((page.Items ?? []).map((i) => String(i['sk'])));
      expect(page.Count).toBe(page.Items?.length);
      start = page.LastEvaluatedKey;
    } while (start);

    expect(pages).toEqual([['7', '6', '5'], ['4', '3', '2'], ['1']]);
    expect(bodies('Query')[1]?.['ExclusiveStartKey']).toEqual({ pk: { S: 'app#a' }, sk: { S: '5' } });
  });

  it('returns the unprocessed batch item for the caller to resend', async () => {
    const puts = ['1', '2', '3'].map((sk) => ({ PutRequest: { Item: { pk: 'app#a', sk, on: true } } }));
    const out = await sdk().send(new BatchWriteCommand({ RequestItems: { [TableName]: puts } }));

    expect(out.UnprocessedItems).toEqual({
      [TableName]: [{ PutRequest: { Item: { pk: 'app#a', sk: '3', on: true } } }],
    });
    expect(table.items.size).toBe(2);
    await sdk().send(new BatchWriteCommand({ RequestItems: out.UnprocessedItems! }));
    expect(table.items.size).toBe(3);
  });

  it('throttles: the SDK retries and succeeds, or throws ThrottlingException with one attempt', async () => {
    table.items.set('a\u0000b', { pk: 'a', sk: 'b' });
    table.throttleNext = 1;
    const got = await sdk({ maxAttempts: 3 }).send(new GetCommand({ TableName, Key: { pk: 'a', sk: 'b' } }));
    expect(got.Item).toEqual({ pk: 'a', sk: 'b' });
    expect(fake.requests.map((r) => r.headers['amz-sdk-request'])).toEqual([
      'attempt=1; max=3',
      'attempt=2; max=3',
    ]);

    table.throttleNext = 1;
    await expect(
      sdk({ maxAttempts: 1 }).send(new GetCommand({ TableName, Key: { pk: 'a', sk: 'b' } })),
    ).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('refuses a wrong secret, an unknown key and another region, without touching the table', async () => {
    const refusal = (client: ReturnType<typeof sdk>) =>
      client.send(new GetCommand({ TableName, Key: { pk: 'a', sk: 'b' } })).then(
        () => 'served',
        (e: unknown) => e,
      );
    const wrongSecret = { accessKeyId: 'AKIDTEST', secretAccessKey: 'not-the-secret' };
    expect(await refusal(sdk({ maxAttempts: 1, credentials: wrongSecret }))).toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringContaining('signature we calculated does not match'),
      $metadata: { httpStatusCode: 400 },
    });
    const unknownKey = { accessKeyId: 'AKIDOTHER', secretAccessKey: 'secret' };
    expect(await refusal(sdk({ maxAttempts: 1, credentials: unknownKey }))).toMatchObject({
      name: 'UnrecognizedClientException',
    });
    expect(await refusal(sdk({ maxAttempts: 1, region: 'us-east-1' }))).toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringContaining("not 'us-east-1'"),
    });
    expect(table.calls).toBe(0);
  });

  it('accepts session credentials, whose token is sent and signed', async () => {
    const session = sdk({ credentials: { ...CREDENTIALS, sessionToken: 'FwoGZXIvYXdzEXAMPLE' } });
    await session.send(new PutCommand({ TableName, Item: { pk: 'a', sk: 'b' } }));
    const [put] = fake.requests;
    expect(put?.headers['x-amz-security-token']).toBe('FwoGZXIvYXdzEXAMPLE');
    expect(put?.headers['authorization']).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
    expect(table.items.size).toBe(1);
  });
});

/** The status and body DynamoDB answers an error with; `message` is a substring or pattern. */
const wireError = (status: number, type: string, message: string | RegExp = /./) => ({
  status,
  body: {
    __type: type,
    message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message),
  },
});
const CORAL = 'com.amazon.coral.service#';

describe('fake DynamoDB over HTTP, what the SDK never sends', () => {
  it('refuses a missing Authorization, an unsigned security token and an old signature', async () => {
    const headers = { 'x-amz-target': 'DynamoDB_20120810.GetItem' };
    const res = await fetch(fake.url, { method: 'POST', body: '{}', headers });
    expect({ status: res.status, body: await res.json() }).toMatchObject(
      wireError(
        400,
        `${CORAL}MissingAuthenticationTokenException`,
        'Request is missing Authentication Token',
      ),
    );
    const unsigned = { sessionToken: 't', unsignable: ['x-amz-security-token'] };
    expect(await signedFetch('DynamoDB_20120810.GetItem', '{}', unsigned)).toMatchObject(
      wireError(400, `${CORAL}InvalidSignatureException`, 'x-amz-security-token'),
    );
    const old = { signingDate: new Date(Date.now() - 3600e3) };
    expect(await signedFetch('DynamoDB_20120810.GetItem', '{}', old)).toMatchObject(
      wireError(400, `${CORAL}InvalidSignatureException`, /^Signature expired: \d{8}T\d{6}Z is now earlier/),
    );
    expect(table.calls).toBe(0);
  });

  it('answers unknown targets, malformed JSON and internal failures as DynamoDB does', async () => {
    const unknown = await signedFetch('DynamoDB_20120810.Scan', '{}');
    expect(unknown).toMatchObject(wireError(400, `${CORAL}UnknownOperationException`, 'Scan'));
    expect(unknown.requestId).toMatch(/^[0-9A-F]{32}$/);
    expect(await signedFetch('DynamoDB_20120810.GetItem', '{"Key":')).toMatchObject(
      wireError(400, `${CORAL}SerializationException`),
    );
    const update = { TableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } }, UpdateExpression: 'DROP x' };
    expect(await signedFetch('DynamoDB_20120810.UpdateItem', JSON.stringify(update))).toMatchObject(
      wireError(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'DROP'),
    );
  });

  it('refuses parameters FakeTable does not implement instead of ignoring them', async () => {
    const query = { TableName, KeyConditionExpression: 'pk = :p', FilterExpression: 'x = :p' };
    const body = JSON.stringify({ ...query, ExpressionAttributeValues: { ':p': { S: 'a' } } });
    expect(await signedFetch('DynamoDB_20120810.Query', body)).toMatchObject(
      wireError(400, 'com.amazon.coral.validate#ValidationException', 'FilterExpression'),
    );
  });
});
