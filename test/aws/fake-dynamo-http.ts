/**
 * FakeTable (fake-dynamo.ts) behind a real HTTP endpoint that speaks DynamoDB's JSON 1.0
 * protocol: POST /, X-Amz-Target DynamoDB_20120810.<Op>, AttributeValue maps on the wire,
 * errors as `{"__type": "<namespace>#<Code>", "message": ...}` with the status codes the service
 * uses, and (given credentials) SigV4 checked as AWS checks it. It exists so that Wharf's own
 * fetch-based DynamoDB client is tested over real sockets against the same table semantics the
 * SDK-mocked adapters are tested against; fake-dynamo-http.test.ts proves the wire format by
 * driving it with the real AWS SDK.
 *
 * Parameters FakeTable does not implement (FilterExpression, IndexName, ReturnValues other
 * than NONE/ALL_NEW, ...) are refused with a ValidationException naming them, rather than
 * silently ignored: a fake that ignores a filter would let a wrong client pass.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { type AttributeValue, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { FakeTable } from './fake-dynamo.ts';
import { type SigV4Credentials, SigV4RefusedError, verifySigV4 } from './fake-dynamo-sigv4.ts';

export interface RecordedDynamoRequest {
  /** X-Amz-Target as sent, e.g. `DynamoDB_20120810.GetItem` */
  readonly target: string;
  /** lower-cased names */
  readonly headers: Record<string, string>;
  /** the parsed JSON body (wire form), or the raw text when it was not JSON */
  readonly body: unknown;
}

export interface FakeDynamoHttp {
  /** `http://127.0.0.1:<port>`, to pass as the client's endpoint */
  readonly url: string;
  readonly requests: RecordedDynamoRequest[];
  close(): Promise<void>;
}

export interface FakeDynamoHttpOptions {
  /** when given, every request must carry a valid SigV4 signature by these credentials */
  readonly credentials?: SigV4Credentials;
  /** the region signatures must be scoped to; @default 'eu-west-1' */
  readonly region?: string;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const DYNAMO = 'com.amazonaws.dynamodb.v20120810#';
const CORAL = 'com.amazon.coral.service#';
const VALIDATION = 'com.amazon.coral.validate#ValidationException';

/** An answer DynamoDB gives as an error: status, namespaced `__type`, message. */
class DynamoWireError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DynamoWireError';
    this.status = status;
    this.type = type;
  }
}

type Wire = Record<string, unknown>;
type Plain = Record<string, unknown>;

function validation(message: string): DynamoWireError {
  return new DynamoWireError(400, VALIDATION, message);
}

/** base64 `B`/`BS` values of the wire become bytes, which is what unmarshall expects */
function decodeBinary(av: unknown): unknown {
  if (typeof av !== 'object' || av === null) return av;
  const v = av as Record<string, unknown>;
  if (typeof v['B'] === 'string') return { B: Buffer.from(v['B'], 'base64') };
  if (Array.isArray(v['BS'])) return { BS: v['BS'].map((b) => Buffer.from(String(b), 'base64')) };
  if (Array.isArray(v['L'])) return { L: v['L'].map(decodeBinary) };
  if (typeof v['M'] === 'object' && v['M'] !== null) return { M: mapValues(v['M'] as Wire, decodeBinary) };
  return av;
}

function encodeBinary(av: AttributeValue): unknown {
  if (av.B) return { B: Buffer.from(av.B).toString('base64') };
  if (av.BS) return { BS: av.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (av.L) return { L: av.L.map(encodeBinary) };
  if (av.M) return { M: mapValues(av.M, (x) => encodeBinary(x as AttributeValue)) };
  return av;
}

function mapValues(o: Record<string, unknown>, f: (v: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** A wire attribute map (`{"pk": {"S": "a"}}`) as a plain object (`{pk: "a"}`). */
function fromWire(value: unknown, field: string): Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validation(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must be a map of AttributeValues`,
    );
  }
  try {
    return unmarshall(mapValues(value as Wire, decodeBinary) as Record<string, AttributeValue>);
  } catch (e) {
    throw new DynamoWireError(
      400,
      VALIDATION,
      `Invalid AttributeValue in '${field}': ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

function toWire(item: Plain): Wire {
  return mapValues(marshall(item, { removeUndefinedValues: true }), (av) =>
    encodeBinary(av as AttributeValue),
  );
}

function required(body: Wire, field: string): unknown {
  if (body[field] === undefined || body[field] === null) {
    throw validation(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return body[field];
}

function refuseUnsupported(body: Wire, fields: string[]): void {
  const present = fields.filter((f) => body[f] !== undefined);
  if (present.length > 0) throw validation(`fake DynamoDB does not implement ${present.join(', ')}`);
}

function returnValues(body: Wire, supported: string[]): string {
  const rv = (body['ReturnValues'] as string | undefined) ?? 'NONE';
  if (!supported.includes(rv)) {
    throw validation(`fake DynamoDB supports ReturnValues ${supported.join(', ')} here, not ${rv}`);
  }
  return rv;
}

/** The expression parameters shared by conditional writes and queries, values unmarshalled. */
function expressions(body: Wire) {
  const values = body['ExpressionAttributeValues'];
  return {
    ConditionExpression: body['ConditionExpression'] as string | undefined,
    ExpressionAttributeNames: body['ExpressionAttributeNames'] as Record<string, string> | undefined,
    ExpressionAttributeValues:
      values === undefined ? undefined : fromWire(values, 'expressionAttributeValues'),
  };
}

type Operation = (table: FakeTable, body: Wire) => Promise<Wire>;

const LEGACY = ['Expected', 'ConditionalOperator', 'AttributesToGet', 'AttributeUpdates', 'KeyConditions'];

const operations: Record<string, Operation> = {
  async GetItem(table, body) {
    refuseUnsupported(body, ['ProjectionExpression', ...LEGACY]);
    const out = await table.get({ Key: fromWire(required(body, 'Key'), 'key') });
    return out.Item ? { Item: toWire(out.Item) } : {};
  },
  async PutItem(table, body) {
    refuseUnsupported(body, LEGACY);
    returnValues(body, ['NONE']);
    await table.put({ Item: fromWire(required(body, 'Item'), 'item'), ...expressions(body) });
    return {};
  },
  async DeleteItem(table, body) {
    refuseUnsupported(body, LEGACY);
    returnValues(body, ['NONE']);
    await table.delete({ Key: fromWire(required(body, 'Key'), 'key'), ...expressions(body) });
    return {};
  },
  async UpdateItem(table, body) {
    refuseUnsupported(body, LEGACY);
    const rv = returnValues(body, ['NONE', 'ALL_NEW']);
    const out = await table.update({
      Key: fromWire(required(body, 'Key'), 'key'),
      UpdateExpression: required(body, 'UpdateExpression') as string,
      ReturnValues: rv,
      ...expressions(body),
    });
    return rv === 'ALL_NEW' && out.Attributes ? { Attributes: toWire(out.Attributes) } : {};
  },
  async Query(table, body) {
    refuseUnsupported(body, ['IndexName', 'FilterExpression', 'ProjectionExpression', 'Select', ...LEGACY]);
    const { ExpressionAttributeNames, ExpressionAttributeValues } = expressions(body);
    const start = body['ExclusiveStartKey'];
    const out = await table.query({
      KeyConditionExpression: required(body, 'KeyConditionExpression') as string,
      ExpressionAttributeNames,
      ExpressionAttributeValues,
      ScanIndexForward: body['ScanIndexForward'] as boolean | undefined,
      Limit: body['Limit'] as number | undefined,
      ExclusiveStartKey: start === undefined ? undefined : fromWire(start, 'exclusiveStartKey'),
    });
    const items = out.Items.map(toWire);
    const last = out.LastEvaluatedKey;
    return {
      Items: items,
      Count: items.length,
      ScannedCount: items.length,
      ...(last && { LastEvaluatedKey: toWire(last) }),
    };
  },
  async BatchWriteItem(table, body) {
    type Request = { PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } };
    const requestItems = required(body, 'RequestItems') as Record<string, Request[]>;
    const plain = mapValues(requestItems, (requests) =>
      (requests as Request[]).map((r) =>
        r.PutRequest
          ? { PutRequest: { Item: fromWire(r.PutRequest.Item, 'putRequest.item') } }
          : { DeleteRequest: { Key: fromWire(r.DeleteRequest?.Key, 'deleteRequest.key') } },
      ),
    ) as Parameters<FakeTable['batchWrite']>[0]['RequestItems'];
    const out = await table.batchWrite({ RequestItems: plain });
    const unprocessed = mapValues(out.UnprocessedItems, (requests) =>
      (requests as { PutRequest?: { Item: Plain }; DeleteRequest?: { Key: Plain } }[]).map((r) =>
        r.PutRequest
          ? { PutRequest: { Item: toWire(r.PutRequest.Item) } }
          : { DeleteRequest: { Key: toWire(r.DeleteRequest!.Key) } },
      ),
    );
    return { UnprocessedItems: unprocessed };
  },
};

/** What FakeTable (or this front) threw, as the status and body DynamoDB would answer with. */
function errorAnswer(e: unknown): DynamoWireError {
  if (e instanceof DynamoWireError) return e;
  if (e instanceof SigV4RefusedError)
    return new DynamoWireError(400, CORAL + e.type, e.message, { cause: e });
  if (
    e instanceof ConditionalCheckFailedException ||
    (e as Error)?.name === 'ConditionalCheckFailedException'
  ) {
    return new DynamoWireError(
      400,
      DYNAMO + 'ConditionalCheckFailedException',
      'The conditional request failed',
    );
  }
  if ((e as Error)?.name === 'ThrottlingException') {
    return new DynamoWireError(
      400,
      DYNAMO + 'ThrottlingException',
      'Rate of requests exceeds the allowed throughput.',
    );
  }
  return new DynamoWireError(
    500,
    DYNAMO + 'InternalServerError',
    `fake DynamoDB failed: ${(e as Error)?.message ?? e}`,
  );
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': text.length,
    'x-amzn-RequestId': randomUUID().replaceAll('-', '').toUpperCase(),
    // DynamoDB checksums every answer; clients may verify it
    'x-amz-crc32': String(crc32(text)),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function lowerCasedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

async function answer(
  table: FakeTable,
  req: IncomingMessage,
  raw: Buffer,
  options: FakeDynamoHttpOptions,
  headers: Record<string, string>,
  parsed: ReturnType<typeof parseJson>,
): Promise<Wire> {
  if (options.credentials) {
    await verifySigV4(
      { method: req.method ?? '', url: req.url ?? '/', headers, body: raw },
      { credentials: options.credentials, region: options.region ?? 'eu-west-1', service: 'dynamodb' },
    );
  }
  const target = headers['x-amz-target'] ?? '';
  const operation = target.startsWith(TARGET_PREFIX)
    ? operations[target.slice(TARGET_PREFIX.length)]
    : undefined;
  if (req.method !== 'POST' || operation === undefined) {
    throw new DynamoWireError(
      400,
      CORAL + 'UnknownOperationException',
      `Unknown operation: ${req.method} with X-Amz-Target '${target}'; the fake serves POST with ${TARGET_PREFIX}{${Object.keys(operations).join(',')}}`,
    );
  }
  if (headers['content-type'] !== CONTENT_TYPE) {
    throw new DynamoWireError(
      400,
      CORAL + 'SerializationException',
      `Content-Type must be ${CONTENT_TYPE}, got '${headers['content-type']}'`,
    );
  }
  if (
    !parsed.ok ||
    typeof parsed.value !== 'object' ||
    parsed.value === null ||
    Array.isArray(parsed.value)
  ) {
    throw new DynamoWireError(
      400,
      CORAL + 'SerializationException',
      'The request body is not a JSON object.',
    );
  }
  const body = parsed.value as Wire;
  if (!target.endsWith('.BatchWriteItem')) required(body, 'TableName');
  return operation(table, body);
}

/** Serves `table` over DynamoDB's JSON 1.0 protocol on 127.0.0.1 (a free port). */
export async function startFakeDynamoHttp(
  table: FakeTable,
  options: FakeDynamoHttpOptions = {},
): Promise<FakeDynamoHttp> {
  const requests: RecordedDynamoRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const headers = lowerCasedHeaders(req);
      const parsed = parseJson(raw);
      requests.push({
        target: headers['x-amz-target'] ?? '',
        headers,
        body: parsed.ok ? parsed.value : raw.toString('utf8'),
      });
      try {
        send(res, 200, await answer(table, req, raw, options, headers, parsed));
      } catch (e) {
        const error = errorAnswer(e);
        send(res, error.status, { __type: error.type, message: error.message });
      }
    })().catch((e: unknown) => res.destroy(e as Error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // the SDK keeps connections alive; close would otherwise wait for them
        server.closeAllConnections();
      }),
  };
}
