/**
 * A small client for AWS's JSON protocols (awsJson1_0, awsJson1_1): one signed HTTPS
 * POST per call, on node:https with keep-alive (not `fetch`: loading undici costs a
 * first call ~25 ms more). The Lambda functions use it on their usual path (DynamoDB on every
 * invocation, Secrets Manager on every webhook delivery) instead of the SDK's clients,
 * whose import alone costs more than the cold start budget (docs/lambda-cold-start.md).
 *
 * It does what the SDK's standard retry mode does for transient faults (5xx, a dropped
 * connection, a timeout: up to `maxAttempts`, with jittered backoff); throttling is left
 * to awsCall (aws-errors.ts), as it is for the SDK clients. Errors carry the service's
 * error name (`ConditionalCheckFailedException`, …) as `name`, like the SDK's exceptions,
 * so aws-errors.ts maps both the same way.
 */
import { type AwsCredentials, signRequest } from './sigv4.ts';

export interface AwsJsonClientOptions {
  /** the endpoint prefix and signing name, e.g. `dynamodb`, `secretsmanager` */
  readonly service: string;
  /** the `X-Amz-Target` prefix, e.g. `DynamoDB_20120810` */
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
  readonly region: string;
  /** overrides `https://<service>.<region>.amazonaws.com` (tests, VPC endpoints) */
  readonly endpoint?: string;
  readonly credentials: () => AwsCredentials;
  /** sends one request; node:http(s) unless a test gives another */
  readonly transport?: Transport;
  readonly now?: () => Date;
  /** attempts for transient faults, the first included; the SDK's default is 3 */
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
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

/** The host of a regional endpoint: China's regions are under amazonaws.com.cn. */
export function regionalEndpoint(service: string, region: string): string {
  return `https://${service}.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

/** The name in `__type` or `x-amzn-ErrorType`: `aws.protocoltests#FooError:http://…` → `FooError`. */
export function errorTypeName(raw: string): string {
  const afterHash = raw.slice(raw.lastIndexOf('#') + 1);
  const colon = afterHash.indexOf(':');
  return colon < 0 ? afterHash : afterHash.slice(0, colon);
}

export interface HttpAnswer {
  readonly status: number;
  /** lower-case names */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export type Transport = (
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
) => Promise<HttpAnswer>;

/**
 * POST over node:http or node:https, loaded on the first call (process.getBuiltinModule:
 * no ES import, so importing this module costs nothing). Node's global agents keep
 * connections alive, so warm invocations reuse the TLS session.
 */
export const nodeTransport: Transport = (url, headers, body, timeoutMs) =>
  new Promise((resolve, reject) => {
    const mod =
      url.protocol === 'https:'
        ? process.getBuiltinModule('node:https')
        : process.getBuiltinModule('node:http');
    const req = mod.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

export class AwsJsonClient {
  private readonly options: AwsJsonClientOptions;
  private readonly url: URL;
  private readonly transport: Transport;

  constructor(options: AwsJsonClientOptions) {
    this.options = options;
    this.url = new URL(options.endpoint ?? regionalEndpoint(options.service, options.region));
    if (this.url.pathname === '') this.url.pathname = '/';
    this.transport = options.transport ?? nodeTransport;
  }

  /** Calls `operation` (e.g. `GetItem`) with `input`; the service's JSON answer. */
  async call<T = Record<string, unknown>>(operation: string, input: unknown): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 3;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      let answer: HttpAnswer;
      try {
        answer = await this.transport(
          this.url,
          this.sign(operation, body),
          body,
          this.options.timeoutMs ?? 20_000,
        );
      } catch (e) {
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
    return signRequest({
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
  }

  private errorOf(answer: HttpAnswer, operation: string): AwsServiceError {
    const text = answer.body;
    const header = (name: string) => {
      const v = answer.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    let parsed: { __type?: unknown; code?: unknown; message?: unknown; Message?: unknown } = {};
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      // a proxy's HTML page or a truncated body: the status says what is known
    }
    // the SDK's order for the JSON protocols: the body's __type, then code, then the header
    const rawType =
      (typeof parsed.__type === 'string' ? parsed.__type : undefined) ??
      (typeof parsed.code === 'string' ? parsed.code : undefined) ??
      header('x-amzn-errortype');
    const name = rawType
      ? errorTypeName(rawType)
      : answer.status >= 500
        ? 'InternalServerError'
        : 'UnknownError';
    const message =
      typeof parsed.message === 'string'
        ? parsed.message
        : typeof parsed.Message === 'string'
          ? parsed.Message
          : `${this.options.service} ${operation} answered HTTP ${answer.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    return new AwsServiceError(name, message, answer.status, header('x-amzn-requestid'));
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

/**
 * The endpoint configured for a service the SDK's way (`AWS_ENDPOINT_URL_<SERVICE_ID>`, then
 * `AWS_ENDPOINT_URL`), so that one setting points SDK and small clients alike.
 */
export function configuredEndpoint(
  serviceId: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'] === 'true') return undefined;
  return env[`AWS_ENDPOINT_URL_${serviceId}`] || env['AWS_ENDPOINT_URL'] || undefined;
}
