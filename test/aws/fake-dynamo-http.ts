/**
 * FakeTable (fake-dynamo.ts) behind a real HTTP endpoint that speaks DynamoDB's JSON 1.0
 * protocol: POST /, X-Amz-Target DynamoDB_20120810.<Op>, AttributeValue maps on the wire,
 * errors as `{"__type": "<namespace>#<Code>", "message": ...}` with the status codes the service
 * uses, and (given credentials) SigV4 checked as AWS checks it. It exists so that Wharf's own
 * fetch-based DynamoDB client is tested over real sockets against the same table semantics the
 * SDK-mocked adapters are tested against; fake-dynamo-http.test.ts proves the wire format by
 * driving it with the real AWS SDK.
 *
 * The operations themselves (wire <-> FakeTable) are in fake-dynamo-operations.ts, the SigV4
 * check in sigv4-verify.ts.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { listenOnLoopback, lowerCasedHeaders, readBody } from './fake-aws-server.ts';
import type { FakeTable } from './fake-dynamo.ts';
import { DynamoWireError, operations, required, type Wire } from './fake-dynamo-operations.ts';
import { type SigV4Credentials, SigV4RefusedError, verifySigV4 } from './sigv4-verify.ts';

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

/** What FakeTable (or this front) threw, as the status and body DynamoDB would answer with. */
function errorAnswer(e: unknown): DynamoWireError {
  if (e instanceof DynamoWireError) return e;
  if (e instanceof SigV4RefusedError)
    return new DynamoWireError(400, CORAL + e.type, e.message, { cause: e });
  if ((e as Error)?.name === 'ConditionalCheckFailedException') {
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
  if (headers['content-type']?.split(';')[0]?.trim() !== CONTENT_TYPE) {
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
  const server = await listenOnLoopback((req, res) => {
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
        send(res, error.status, { __type: error.type, [error.messageKey]: error.message });
      }
    })().catch((e: unknown) => res.destroy(e as Error));
  });
  return { url: server.url, requests, close: server.close };
}
