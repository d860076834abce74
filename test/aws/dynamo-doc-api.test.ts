/**
 * httpDocApi (the Lambda functions' DynamoDB client) against the SDK's DocumentClient, side by
 * side: both post to one recording server, which must receive the same JSON body from each, and
 * both read the same canned wire answer, which they must hand back as the same values (binary as
 * Uint8Array, sets as Sets, large integers as BigInt). The server checks nothing, so this compares
 * the clients with each other, not with the fake.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsJsonClient } from '../../adapters/aws/aws-json-client.ts';
import { type DynamoDocApi, httpDocApi, DYNAMODB_PROTOCOL } from '../../adapters/aws/dynamo-doc-api.ts';
import { sdkDocApi } from '../../adapters/aws/dynamo-sdk-doc-api.ts';

const credentials = { accessKeyId: 'AKID', secretAccessKey: 's' };
const TableName = 'wharf';

let server: Server;
let endpoint: string;
let sdkClient: DynamoDBClient;
let sdk: DynamoDocApi;
let small: DynamoDocApi;
/** what the server answers next, to both clients */
let answer: { status: number; body: unknown } = { status: 200, body: {} };
const received: { target: string; body: unknown }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        target: String(req.headers['x-amz-target']),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      const text = Buffer.from(JSON.stringify(answer.body));
      res.writeHead(answer.status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': text.length,
        'x-amzn-requestid': 'REQUEST1',
        'x-amz-crc32': String(crc32(text)),
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sdkClient = new DynamoDBClient({ region: 'eu-west-1', endpoint, credentials, maxAttempts: 1 });
  sdk = sdkDocApi(
    DynamoDBDocumentClient.from(sdkClient, { marshallOptions: { removeUndefinedValues: true } }),
  );
  small = httpDocApi(
    new AwsJsonClient({
      ...DYNAMODB_PROTOCOL,
      region: 'eu-west-1',
      endpoint,
      credentials: () => credentials,
    }),
    { removeUndefinedValues: true },
  );
});

afterAll(async () => {
  sdkClient.destroy();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
});

const bytes = new Uint8Array([0, 1, 2, 250, 255]);
const nine = new Uint8Array([9]);
const B64 = Buffer.from(bytes).toString('base64');

/** every kind of value the DocumentClient marshals, binary at every depth, and undefined fields */
const ITEM = {
  pk: 'app#web',
  sk: 'release#0001',
  s: 'hé "quoted"\n',
  empty: '',
  int: 42,
  float: 3.25,
  neg: -17.5,
  big: 12345678901234567890n,
  yes: true,
  no: false,
  nothing: null,
  map: { a: 1, deep: { c: 'd', list: [1, 'two', null, false] }, bin: bytes, gone: undefined },
  list: [1, 'a', { x: true, bin: nine }, [2, 3], bytes, new Set(['q'])],
  ss: new Set(['a', 'b']),
  ns: new Set([1, 2.5, -3]),
  bs: new Set([bytes, nine]),
  bin: bytes,
  emptyBin: new Uint8Array(0),
  gone: undefined,
};

/** the same item as DynamoDB sends it */
const WIRE_ITEM = {
  pk: { S: 'app#web' },
  sk: { S: 'release#0001' },
  s: { S: 'hé "quoted"\n' },
  empty: { S: '' },
  int: { N: '42' },
  float: { N: '3.25' },
  neg: { N: '-17.5' },
  big: { N: '12345678901234567890' },
  yes: { BOOL: true },
  no: { BOOL: false },
  nothing: { NULL: true },
  map: {
    M: {
      a: { N: '1' },
      deep: {
        M: { c: { S: 'd' }, list: { L: [{ N: '1' }, { S: 'two' }, { NULL: true }, { BOOL: false }] } },
      },
      bin: { B: B64 },
    },
  },
  list: {
    L: [
      { N: '1' },
      { S: 'a' },
      { M: { x: { BOOL: true }, bin: { B: 'CQ==' } } },
      { L: [{ N: '2' }, { N: '3' }] },
      { B: B64 },
      { SS: ['q'] },
    ],
  },
  ss: { SS: ['a', 'b'] },
  ns: { NS: ['1', '2.5', '-3'] },
  bs: { BS: [B64, 'CQ=='] },
  bin: { B: B64 },
  emptyBin: { B: '' },
};

const KEY = { pk: 'app#web', sk: 'release#0001' };
const WIRE_KEY = { pk: { S: 'app#web' }, sk: { S: 'release#0001' } };

/** what a caller sees of a result: no $metadata, no members left undefined */
function seen(out: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(out).filter(([k, v]) => k !== '$metadata' && v !== undefined));
}

/**
 * Runs `call` through the SDK and through httpDocApi against the same `wireAnswer`; returns the
 * request bodies and results of both.
 */
async function sideBySide(call: (api: DynamoDocApi) => Promise<object>, wireAnswer: unknown) {
  answer = { status: 200, body: wireAnswer };
  received.length = 0;
  const sdkOut = seen(await call(sdk));
  const smallOut = seen(await call(small));
  expect(received.map((r) => r.target)).toHaveLength(2);
  expect(received[1]!.target).toBe(received[0]!.target);
  return { sdk: { body: received[0]!.body, out: sdkOut }, small: { body: received[1]!.body, out: smallOut } };
}

describe('httpDocApi sends what the DocumentClient sends and reads what it reads', () => {
  it('put: every value type, binary at any depth, undefined removed; ALL_OLD attributes back', async () => {
    const r = await sideBySide(
      (api) =>
        api.put({
          TableName,
          Item: ITEM,
          ConditionExpression: 'attribute_not_exists(pk) OR (#v < :v AND blob = :bin)',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':v': 3, ':bin': bytes },
          ReturnValues: 'ALL_OLD',
        }),
      { Attributes: WIRE_ITEM },
    );
    expect(r.small.body).toEqual(r.sdk.body);
    expect((r.sdk.body as { Item: unknown }).Item).toEqual(WIRE_ITEM);
    expect(r.small.out).toStrictEqual(r.sdk.out);
    expect((r.small.out['Attributes'] as { bin: unknown }).bin).toBeInstanceOf(Uint8Array);
  });

  it('get: the item, with binary as Uint8Array, sets as Sets, a large integer as BigInt; a miss', async () => {
    const r = await sideBySide((api) => api.get({ TableName, Key: KEY, ConsistentRead: true }), {
      Item: WIRE_ITEM,
    });
    expect(r.small.body).toEqual(r.sdk.body);
    expect(r.small.out).toStrictEqual(r.sdk.out);
    const item = r.small.out['Item'] as Record<string, unknown>;
    expect(item['bin']).toStrictEqual(new Uint8Array(bytes));
    expect(item['bs']).toStrictEqual(new Set([new Uint8Array(bytes), new Uint8Array(nine)]));
    expect(item['big']).toBe(12345678901234567890n);

    const miss = await sideBySide((api) => api.get({ TableName, Key: KEY }), {});
    expect(miss.small.body).toEqual(miss.sdk.body);
    expect(miss.small.out).toStrictEqual(miss.sdk.out);
  });

  it('update: nested values and a binary set in the values; ALL_NEW attributes back', async () => {
    const r = await sideBySide(
      (api) =>
        api.update({
          TableName,
          Key: KEY,
          UpdateExpression: 'SET #m = :m, bins = :bs, label = :empty ADD #n :one REMOVE gone',
          ExpressionAttributeNames: { '#m': 'map', '#n': 'count' },
          ExpressionAttributeValues: {
            ':m': { x: [bytes, { y: nine, z: undefined }], n: -0.5 },
            ':bs': new Set([bytes, nine]),
            ':empty': '',
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      { Attributes: WIRE_ITEM },
    );
    expect(r.small.body).toEqual(r.sdk.body);
    expect(r.small.out).toStrictEqual(r.sdk.out);
  });

  it('delete: a binary condition value; ALL_OLD attributes back', async () => {
    const r = await sideBySide(
      (api) =>
        api.delete({
          TableName,
          Key: KEY,
          ConditionExpression: 'bin = :b',
          ExpressionAttributeValues: { ':b': bytes },
          ReturnValues: 'ALL_OLD',
        }),
      { Attributes: WIRE_ITEM },
    );
    expect(r.small.body).toEqual(r.sdk.body);
    expect(r.small.out).toStrictEqual(r.sdk.out);
  });

  it('query: values and a start key in; items and the last evaluated key out', async () => {
    const r = await sideBySide(
      (api) =>
        api.query({
          TableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': 'app#web', ':p': 'release#' },
          ExclusiveStartKey: KEY,
          ScanIndexForward: false,
          Limit: 2,
        }),
      {
        Items: [WIRE_ITEM, { ...WIRE_KEY, bin: { B: 'CQ==' }, n: { N: '-0.001' } }],
        Count: 2,
        ScannedCount: 2,
        LastEvaluatedKey: WIRE_KEY,
      },
    );
    expect(r.small.body).toEqual(r.sdk.body);
    expect(r.small.out).toStrictEqual(r.sdk.out);
    expect(r.small.out['LastEvaluatedKey']).toEqual(KEY);
  });

  it('batchWrite: puts and deletes in; unprocessed puts and deletes out', async () => {
    const r = await sideBySide(
      (api) =>
        api.batchWrite({
          RequestItems: {
            [TableName]: [
              { PutRequest: { Item: ITEM } },
              { DeleteRequest: { Key: { pk: 'app#web', sk: 'release#0000' } } },
            ],
          },
        }),
      {
        UnprocessedItems: {
          [TableName]: [{ PutRequest: { Item: WIRE_ITEM } }, { DeleteRequest: { Key: WIRE_KEY } }],
        },
      },
    );
    expect(r.small.body).toEqual(r.sdk.body);
    expect(r.small.out).toStrictEqual(r.sdk.out);
    const none = await sideBySide(
      (api) => api.batchWrite({ RequestItems: { [TableName]: [{ PutRequest: { Item: KEY } }] } }),
      { UnprocessedItems: {} },
    );
    expect(none.small.body).toEqual(none.sdk.body);
    expect(none.small.out).toStrictEqual(none.sdk.out);
  });

  it('ConditionalCheckFailedException with the old item (ALL_OLD): the same name and Item from both', async () => {
    const call = (api: DynamoDocApi) =>
      api.put({
        TableName,
        Item: KEY,
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    answer = {
      status: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        Item: WIRE_ITEM,
      },
    };
    received.length = 0;
    const failures = [];
    for (const api of [sdk, small]) {
      const error = await call(api).then(
        () => {
          throw new Error('expected ConditionalCheckFailedException');
        },
        (e: unknown) => e as { name: string; message: string; Item?: unknown },
      );
      failures.push({ name: error.name, message: error.message, Item: error.Item });
    }
    expect(received[1]!.body).toEqual(received[0]!.body);
    expect(failures[0]!.name).toBe('ConditionalCheckFailedException');
    expect(failures[0]!.Item).toBeDefined();
    expect(failures[1]).toStrictEqual(failures[0]);
  });
});
