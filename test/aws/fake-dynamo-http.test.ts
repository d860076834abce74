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

function sdk(
  opts: {
    maxAttempts?: number;
    credentials?: typeof CREDENTIALS & { sessionToken?: string };
    region?: string;
  } = {},
) {
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
  sign: { unsignable?: string[]; sessionToken?: string } = {},
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
    { unsignableHeaders: new Set(sign.unsignable ?? []) },
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
    };
    await sdk().send(new PutCommand({ TableName, Item: item }));
    const got = await sdk().send(new GetCommand({ TableName, Key: { pk: 'app#web', sk: 'release#0001' } }));

    expect(got.Item).toEqual(item);
    const [put] = bodies('PutItem');
    expect(put?.['Item']).toMatchObject({
      processes: { L: [{ M: { count: { N: '2' }, type: { S: 'web' } } }] },
    });
    expect(put?.['Item']).toMatchObject({ note: { NULL: true }, ready: { BOOL: true } });
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
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(error).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
    });
    expect((error as ConditionalCheckFailedException).$metadata).toMatchObject({ httpStatusCode: 400 });
    expect((error as ConditionalCheckFailedException).$metadata.requestId).toMatch(/^[0-9A-F]{32}$/);
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

  it('refuses a signature made with the wrong secret, without touching the table', async () => {
    const wrong = sdk({
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'not-the-secret' },
    });
    await expect(wrong.send(new GetCommand({ TableName, Key: { pk: 'a', sk: 'b' } }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringContaining('signature we calculated does not match'),
      $metadata: { httpStatusCode: 400 },
    });
    expect(table.calls).toBe(0);
  });

  it('refuses an unknown access key and a credential scoped to another region', async () => {
    const unknown = sdk({
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'secret' },
    });
    await expect(
      unknown.send(new GetCommand({ TableName, Key: { pk: 'a', sk: 'b' } })),
    ).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
    const elsewhere = sdk({ maxAttempts: 1, region: 'us-east-1' });
    await expect(
      elsewhere.send(new GetCommand({ TableName, Key: { pk: 'a', sk: 'b' } })),
    ).rejects.toMatchObject({
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

describe('fake DynamoDB over HTTP, what the SDK never sends', () => {
  it('refuses a missing Authorization and an unsigned security token', async () => {
    const res = await fetch(fake.url, {
      method: 'POST',
      body: '{}',
      headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
    });

    const unsigned = await signedFetch('DynamoDB_20120810.GetItem', '{}', {
      sessionToken: 't',
      unsignable: ['x-amz-security-token'],
    });
    expect(unsigned.status).toBe(400);
    expect(unsigned.body).toMatchObject({
      __type: 'com.amazon.coral.service#InvalidSignatureException',
      message: expect.stringContaining('x-amz-security-token'),
    });
  });

  it('answers unknown targets, malformed JSON and internal failures as DynamoDB does', async () => {
    const unknown = await signedFetch('DynamoDB_20120810.Scan', '{}');
    expect(unknown).toMatchObject({
      status: 400,
      body: { __type: 'com.amazon.coral.service#UnknownOperationException' },
    });
    expect(unknown.requestId).toMatch(/^[0-9A-F]{32}$/);

    const malformed = await signedFetch('DynamoDB_20120810.GetItem', '{"Key":');
    expect(malformed).toMatchObject({
      status: 400,
      body: { __type: 'com.amazon.coral.service#SerializationException' },
    });

    const broken = await signedFetch(
      'DynamoDB_20120810.UpdateItem',
      JSON.stringify({ TableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } }, UpdateExpression: 'DROP x' }),
    );
    expect(broken).toMatchObject({
      status: 500,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
        message: expect.stringContaining('DROP'),
      },
    });
  });

  it('refuses parameters FakeTable does not implement instead of ignoring them', async () => {
    const filtered = await signedFetch(
      'DynamoDB_20120810.Query',
      JSON.stringify({
        TableName,
        KeyConditionExpression: 'pk = :p',
        FilterExpression: 'x = :p',
        ExpressionAttributeValues: { ':p': { S: 'a' } },
      }),
    );
    expect(filtered).toMatchObject({
      status: 400,
      body: {
        __type: 'com.amazon.coral.validate#ValidationException',
        message: expect.stringContaining('FilterExpression'),
      },
    });
  });
});
