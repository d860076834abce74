/**
 * A small client for AWS's JSON protocols (awsJson1_0, awsJson1_1): one signed HTTPS
 * POST per call (node-transport.ts; not `fetch`: loading undici costs a first call ~25 ms
 * more). The Lambda functions use it on their usual path (DynamoDB on every invocation,
 * Secrets Manager on every webhook delivery) instead of the SDK's clients, whose import
 * alone costs more than the cold start budget (docs/lambda-cold-start.md).
 *
 * Retries: 5xx answers and the SDK's list of network errors, up to `maxAttempts`, with
 * jittered backoff; a request on a kept-alive socket the server had closed is resent at
 * once. Not the rest of the SDK's standard mode (no retry quota, no clock-skew
 * correction). Throttling is left to awsCall (aws-errors.ts), as for the SDK clients.
 * Errors carry the service's error name (`ConditionalCheckFailedException`, …) as `name`
 * and its other members (`Item`, `CancellationReasons`, …), like the SDK's exceptions, so
 * aws-errors.ts maps both the same way.
 */
import { endpointFor } from './aws-endpoints.ts';
import {
  type HttpAnswer,
  isRetryableNetworkError,
  nodeTransport,
  STALE_SOCKET,
  type Transport,
} from './node-transport.ts';
import { type AwsCredentials, signRequest } from './sigv4.ts';

export interface AwsJsonClientOptions {
  /** the endpoint prefix and signing name, e.g. `dynamodb`, `secretsmanager` */
  readonly service: string;
  /** the SDK's service id for endpoint settings, e.g. `SECRETS_MANAGER` → AWS_ENDPOINT_URL_SECRETS_MANAGER; default: `service` upper-cased */
  readonly serviceId?: string;
  /** the `X-Amz-Target` prefix, e.g. `DynamoDB_20120810` */
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
  readonly region: string;
  /** overrides the configured or regional endpoint (aws-endpoints.ts) */
  readonly endpoint?: string;
  readonly credentials: () => AwsCredentials;
  /** sends one request; node:http(s) unless a test gives another */
  readonly transport?: Transport;
  readonly now?: () => Date;
  /** attempts for transient faults, the first included; the SDK's default is 3 */
  readonly maxAttempts?: number;
  /** deadline of one attempt: DynamoDB and Secrets Manager answer in milliseconds */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly env?: NodeJS.ProcessEnv;
}

/** An error answer of an AWS service, shaped like the SDK's ServiceException. */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { readonly httpStatusCode: number; readonly requestId?: string };

  constructor(name: string, message: string, status: number, requestId: string | undefined) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata =
      requestId === undefined ? { httpStatusCode: status } : { httpStatusCode: status, requestId };
  }
}

/** No answer at all: the connection failed or timed out on every attempt. */
export class AwsNetworkError extends Error {
  constructor(what: string, cause: unknown) {
    super(`${what}: no answer from AWS (${cause instanceof Error ? cause.message : String(cause)})`, {
      cause,
    });
    this.name = 'AwsNetworkError';
  }
}

/** The SDK's sanitizeErrorCode: `aws.protocoltests#FooError:http://…` → `FooError`. */
export function errorTypeName(raw: string | number): string {
  let clean = String(raw);
  if (clean.includes(',')) clean = clean.split(',')[0]!;
  if (clean.includes(':')) clean = clean.split(':')[0]!;
  if (clean.includes('#')) clean = clean.split('#')[1]!;
  return clean;
}

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

export class AwsJsonClient {
  private readonly options: AwsJsonClientOptions;
  private readonly url: URL;
  private readonly transport: Transport;

  constructor(options: AwsJsonClientOptions) {
    this.options = options;
    this.url = new URL(
      options.endpoint ??
        endpointFor(
          options.service,
          options.serviceId ?? options.service.toUpperCase(),
          options.region,
          options.env,
        ),
    );
    this.transport = options.transport ?? nodeTransport;
  }

  /** Calls `operation` (e.g. `GetItem`) with `input`; the service's JSON answer. */
  async call<T = Record<string, unknown>>(operation: string, input: unknown): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 3;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const body = JSON.stringify(input);
    let staleResent = false;
    for (let attempt = 1; ; attempt++) {
      // outside the try: missing credentials are a configuration error, not a network one
      const headers = this.sign(operation, body);
      let answer: HttpAnswer;
      try {
        answer = await this.transport(this.url, headers, body, this.options.timeoutMs ?? 3_000);
      } catch (e) {
        if (!isRetryableNetworkError(e)) throw e;
        if ((e as { [STALE_SOCKET]?: boolean })[STALE_SOCKET] && !staleResent) {
          staleResent = true;
          attempt--;
          continue;
        }
        if (attempt >= maxAttempts) throw new AwsNetworkError(`${this.options.service} ${operation}`, e);
        await sleep(backoffMs(attempt));
        continue;
      }
      if (answer.status >= 200 && answer.status < 300)
        return (answer.body === '' ? {} : JSON.parse(answer.body)) as T;
      const error = this.errorOf(answer, operation);
      if (!TRANSIENT_STATUS.has(answer.status) || attempt >= maxAttempts) throw error;
      await sleep(backoffMs(attempt));
    }
  }

  private sign(operation: string, body: string): Record<string, string> {
    const signed = signRequest({
      method: 'POST',
      url: this.url,
      headers: {
        'content-type': `application/x-amz-json-${this.options.jsonVersion}`,
        'x-amz-target': `${this.options.targetPrefix}.${operation}`,
      },
      body,
      credentials: this.options.credentials(),
      region: this.options.region,
      service: this.options.service,
      now: this.options.now?.() ?? new Date(),
    });
    // As the SDK's recursion detection does in Lambda: the call joins the X-Ray trace (unsigned).
    const env = this.options.env ?? process.env;
    const trace = env['_X_AMZN_TRACE_ID'];
    if (trace && env['AWS_LAMBDA_FUNCTION_NAME']) signed['x-amzn-trace-id'] = trace;
    return signed;
  }

  private errorOf(answer: HttpAnswer, operation: string): AwsServiceError {
    const text = answer.body;
    const header = (name: string) => {
      const v = answer.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      // a proxy's HTML page or a truncated body: the status says what is known
    }
    // the SDK's order for the JSON protocols: the body's __type, then code (any case), then the header
    const codeKey = Object.keys(parsed).find((k) => k.toLowerCase() === 'code');
    const code = codeKey === undefined ? undefined : parsed[codeKey];
    const rawType =
      (typeof parsed['__type'] === 'string' ? parsed['__type'] : undefined) ??
      (typeof code === 'string' || typeof code === 'number' ? code : undefined) ??
      header('x-amzn-errortype');
    const name = rawType
      ? errorTypeName(rawType)
      : answer.status >= 500
        ? 'InternalServerError'
        : 'UnknownError';
    const said = parsed['message'] ?? parsed['Message'];
    const message =
      typeof said === 'string'
        ? said
        : `${this.options.service} ${operation} answered HTTP ${answer.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    const error = new AwsServiceError(name, message, answer.status, header('x-amzn-requestid'));
    // the error's own members (`Item`, `CancellationReasons`, …), as the SDK's exceptions carry them
    for (const [k, v] of Object.entries(parsed)) {
      if (k !== '__type' && k !== codeKey && k !== 'message' && k !== 'Message' && !(k in error)) {
        (error as unknown as Record<string, unknown>)[k] = v;
      }
    }
    return error;
  }
}

/** Like the SDK's standard mode: full jitter over an exponential step of 100 ms, capped at 20 s. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(20_000, 100 * 2 ** attempt);
}

/** Lambda's credentials: the role's keys are always in the environment. */
export function envCredentials(env: NodeJS.ProcessEnv = process.env): () => AwsCredentials {
  return () => {
    const accessKeyId = env['AWS_ACCESS_KEY_ID'];
    const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
    if (!accessKeyId || !secretAccessKey) {
      throw new Error(
        'no AWS credentials in the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (Lambda sets them from the function role)',
      );
    }
    const sessionToken = env['AWS_SESSION_TOKEN'];
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  };
}
