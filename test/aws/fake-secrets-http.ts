/**
 * An in-memory Secrets Manager behind a real HTTP endpoint on 127.0.0.1, speaking the service's
 * awsJson1_1 protocol: POST /, `X-Amz-Target: secretsmanager.<Op>`, JSON both ways, binary
 * values as base64, timestamps as epoch seconds, errors as HTTP 400 with
 * `{"__type": "<Code>", "Message": ...}` (the service model's error shapes name the member
 * `Message`) and an `x-amzn-RequestId` header. Given credentials, every request's SigV4
 * signature is checked with @smithy/signature-v4 as the reference.
 *
 * It exists because the Lambda functions reach Secrets Manager through their own signed fetch
 * client (adapters/aws/secrets-api.ts), which aws-sdk-client-mock cannot intercept: tests of
 * the composition root serve its real requests here. secrets-http.test.ts drives it with the
 * real SDK client too, which is what shows it speaks the protocol the SDK speaks.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  installEndpoint,
  LAMBDA_TEST_CREDENTIALS,
  listenOnLoopback,
  lowerCasedHeaders,
  readBody,
} from './fake-aws-server.ts';
import { type SigV4Credentials, SigV4RefusedError, verifySigV4 } from './sigv4-verify.ts';

export interface RecordedSecretsRequest {
  /** e.g. `GetSecretValue`, from `X-Amz-Target: secretsmanager.GetSecretValue` */
  readonly operation: string;
  /** lower-cased names */
  readonly headers: Record<string, string>;
  /** the parsed JSON body (wire form: SecretBinary as base64), or the raw text when not JSON */
  readonly body: Wire;
}

export type SecretValue = string | Uint8Array;

export interface FakeSecretsHttp {
  /** `http://127.0.0.1:<port>`, to pass as the client's endpoint */
  readonly url: string;
  /** every request that arrived, refused ones included */
  readonly requests: RecordedSecretsRequest[];
  /** the bodies of the requests for `operation` that arrived */
  calls(operation: string): Wire[];
  /** creates or overwrites a live secret, without a request */
  set(name: string, value: SecretValue): void;
  /** the current value of a live secret; undefined when missing or pending deletion */
  value(name: string): SecretValue | undefined;
  /** whether `name` is deleted but still within its recovery window */
  pendingDeletion(name: string): boolean;
  close(): Promise<void>;
}

export interface FakeSecretsHttpOptions {
  /** when given, every request must carry a valid SigV4 signature by these credentials */
  readonly credentials?: SigV4Credentials;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '111122223333' */
  readonly accountId?: string;
}

type Wire = Record<string, unknown>;

interface Secret {
  readonly name: string;
  readonly arn: string;
  /** version id → value; a secret made without a value has none */
  readonly versions: Map<string, { value: SecretValue; created: number }>;
  current: string | undefined;
  /** epoch seconds after which it is gone; set while pending deletion */
  deletionDate: number | undefined;
}

/** An answer Secrets Manager gives as an error. */
class SecretsWireError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = 'SecretsWireError';
    this.type = type;
    this.status = status;
  }
}

const TARGET_PREFIX = 'secretsmanager.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MARKED_FOR_DELETION =
  "You can't perform this operation on the secret because it was marked for deletion.";

const invalidParameter = (message: string) => new SecretsWireError('InvalidParameterException', message);
const epochSeconds = () => Date.now() / 1000;

function suffix(): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 6 }, () => letters[Math.floor(Math.random() * letters.length)]).join('');
}

class SecretsState {
  readonly secrets = new Map<string, Secret>();
  private readonly arnPrefix: string;

  constructor(region: string, accountId: string) {
    this.arnPrefix = `arn:aws:secretsmanager:${region}:${accountId}:secret:`;
  }

  /** SecretId is a name or a full ARN */
  find(id: unknown): Secret | undefined {
    if (typeof id !== 'string' || id === '') throw invalidParameter('SecretId must be given.');
    return this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.arn === id);
  }

  live(id: unknown): Secret {
    const secret = this.find(id);
    if (!secret) throw new SecretsWireError('ResourceNotFoundException', NOT_FOUND);
    if (secret.deletionDate !== undefined)
      throw new SecretsWireError('InvalidRequestException', MARKED_FOR_DELETION);
    return secret;
  }

  create(name: string): Secret {
    const secret: Secret = {
      name,
      arn: `${this.arnPrefix}${name}-${suffix()}`,
      versions: new Map(),
      current: undefined,
      deletionDate: undefined,
    };
    this.secrets.set(name, secret);
    return secret;
  }
}

/** The value a write carries: exactly one of SecretString and SecretBinary (base64 on the wire). */
function writtenValue(body: Wire, required: boolean): SecretValue | undefined {
  const text = body['SecretString'];
  const binary = body['SecretBinary'];
  if (text !== undefined && binary !== undefined) {
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (typeof text === 'string') return text;
  if (typeof binary === 'string') return new Uint8Array(Buffer.from(binary, 'base64'));
  if (required) throw invalidParameter('You must provide either SecretString or SecretBinary.');
  return undefined;
}

/**
 * The documentation says a raw HTTP caller must send the token the SDK makes up itself: a
 * client that forgets it is refused here rather than left to the service's mercy.
 */
function tokenOf(body: Wire): string {
  const token = body['ClientRequestToken'];
  if (typeof token !== 'string' || token.length < 32 || token.length > 64) {
    throw invalidParameter(
      `ClientRequestToken must be a string of 32 to 64 characters (the SDK sends a UUID); got ${JSON.stringify(token)}.`,
    );
  }
  return token;
}

function sameValue(a: SecretValue, b: SecretValue): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Adds a version under `token`, made current; a repeated token with the same value is a no-op. */
function addVersion(secret: Secret, token: string, value: SecretValue): void {
  const existing = secret.versions.get(token);
  if (existing) {
    if (!sameValue(existing.value, value)) {
      throw new SecretsWireError(
        'ResourceExistsException',
        "You can't modify an existing version, you can only create a new version.",
      );
    }
  } else {
    secret.versions.set(token, { value, created: epochSeconds() });
  }
  secret.current = token;
}

function wireValue(value: SecretValue): Wire {
  return typeof value === 'string'
    ? { SecretString: value }
    : { SecretBinary: Buffer.from(value).toString('base64') };
}

const operations: Record<string, (state: SecretsState, body: Wire) => Wire> = {
  GetSecretValue(state, body) {
    const secret = state.live(body['SecretId']);
    const version = secret.current === undefined ? undefined : secret.versions.get(secret.current);
    if (!version || secret.current === undefined) {
      throw new SecretsWireError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.current,
      ...wireValue(version.value),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: version.created,
    };
  },
  PutSecretValue(state, body) {
    const secret = state.live(body['SecretId']);
    const token = tokenOf(body);
    addVersion(secret, token, writtenValue(body, true)!);
    return { ARN: secret.arn, Name: secret.name, VersionId: token, VersionStages: ['AWSCURRENT'] };
  },
  CreateSecret(state, body) {
    const name = body['Name'];
    if (typeof name !== 'string' || !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
      throw invalidParameter(`Invalid name ${JSON.stringify(name)}: use 1 to 512 of A-Z a-z 0-9 /_+=.@-`);
    }
    const token = tokenOf(body);
    const value = writtenValue(body, false);
    const existing = state.secrets.get(name);
    if (existing?.deletionDate !== undefined) {
      throw new SecretsWireError(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing) {
      throw new SecretsWireError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const secret = state.create(name);
    if (value !== undefined) addVersion(secret, token, value);
    return { ARN: secret.arn, Name: secret.name, ...(value === undefined ? {} : { VersionId: token }) };
  },
  DeleteSecret(state, body) {
    const days = body['RecoveryWindowInDays'];
    const force = body['ForceDeleteWithoutRecovery'] === true;
    if (days !== undefined && force) {
      throw invalidParameter(
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    if (days !== undefined && (typeof days !== 'number' || days < 7 || days > 30)) {
      throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
    }
    const secret = state.find(body['SecretId']);
    const now = epochSeconds();
    if (force) {
      // forcing never answers ResourceNotFoundException, for a missing or already deleted secret alike
      if (secret) state.secrets.delete(secret.name);
      const id = String(body['SecretId']);
      return { ARN: secret?.arn ?? id, Name: secret?.name ?? id, DeletionDate: now };
    }
    if (!secret) throw new SecretsWireError('ResourceNotFoundException', NOT_FOUND);
    if (secret.deletionDate !== undefined) {
      throw new SecretsWireError(
        'InvalidRequestException',
        "You can't perform this operation on the secret because it was already scheduled for deletion.",
      );
    }
    secret.deletionDate = now + ((days as number | undefined) ?? 30) * 86_400;
    return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletionDate };
  },
  RestoreSecret(state, body) {
    const secret = state.find(body['SecretId']);
    if (!secret) throw new SecretsWireError('ResourceNotFoundException', NOT_FOUND);
    secret.deletionDate = undefined;
    return { ARN: secret.arn, Name: secret.name };
  },
};

function send(res: ServerResponse, status: number, body: Wire): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

function parseBody(raw: Buffer): Wire | undefined {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Wire) : undefined;
  } catch {
    return undefined;
  }
}

async function answer(
  state: SecretsState,
  req: IncomingMessage,
  raw: Buffer,
  headers: Record<string, string>,
  body: Wire | undefined,
  options: FakeSecretsHttpOptions,
): Promise<Wire> {
  if (options.credentials) {
    await verifySigV4(
      { method: req.method ?? '', url: req.url ?? '/', headers, body: raw },
      { credentials: options.credentials, region: options.region ?? 'eu-west-1', service: 'secretsmanager' },
    );
  }
  const target = headers['x-amz-target'] ?? '';
  const operation = target.startsWith(TARGET_PREFIX)
    ? operations[target.slice(TARGET_PREFIX.length)]
    : undefined;
  if (req.method !== 'POST' || operation === undefined) {
    throw new SecretsWireError(
      'UnknownOperationException',
      `Unknown operation: ${req.method} with X-Amz-Target '${target}'; the fake serves POST with ${TARGET_PREFIX}{${Object.keys(operations).join(',')}}`,
    );
  }
  if (headers['content-type'] !== CONTENT_TYPE) {
    throw new SecretsWireError(
      'SerializationException',
      `Content-Type must be ${CONTENT_TYPE}, got '${headers['content-type']}'`,
    );
  }
  if (body === undefined)
    throw new SecretsWireError('SerializationException', 'The request body is not a JSON object.');
  return operation(state, body);
}

/** Serves an empty Secrets Manager on 127.0.0.1 (a free port). */
export async function startFakeSecretsHttp(options: FakeSecretsHttpOptions = {}): Promise<FakeSecretsHttp> {
  const state = new SecretsState(options.region ?? 'eu-west-1', options.accountId ?? '111122223333');
  const requests: RecordedSecretsRequest[] = [];
  const server = await listenOnLoopback((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const headers = lowerCasedHeaders(req);
      const body = parseBody(raw);
      const target = headers['x-amz-target'] ?? '';
      requests.push({
        operation: target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target,
        headers,
        body: body ?? { raw: raw.toString('utf8') },
      });
      try {
        send(res, 200, await answer(state, req, raw, headers, body, options));
      } catch (e) {
        if (e instanceof SigV4RefusedError) {
          // refusals of the AWS front end carry a lower-case `message`, as DynamoDB's do
          send(res, e.type === 'MissingAuthenticationTokenException' ? 403 : 400, {
            __type: e.type,
            message: e.message,
          });
        } else if (e instanceof SecretsWireError) {
          send(res, e.status, { __type: e.type, Message: e.message });
        } else {
          send(res, 500, {
            __type: 'InternalServiceError',
            Message: e instanceof Error ? e.message : String(e),
          });
        }
      }
    })().catch((e: unknown) => res.destroy(e as Error));
  });
  return {
    url: server.url,
    requests,
    calls: (operation) => requests.filter((r) => r.operation === operation).map((r) => r.body),
    set(name, value) {
      const secret = state.secrets.get(name) ?? state.create(name);
      secret.deletionDate = undefined;
      addVersion(secret, randomUUID(), value);
    },
    value(name) {
      const secret = state.secrets.get(name);
      if (!secret || secret.deletionDate !== undefined || secret.current === undefined) return undefined;
      return secret.versions.get(secret.current)?.value;
    },
    pendingDeletion: (name) => state.secrets.get(name)?.deletionDate !== undefined,
    close: server.close,
  };
}

/**
 * Starts a fake for the Lambda functions and points them at it (AWS_ENDPOINT_URL_SECRETS_MANAGER,
 * which the small client and the SDK both read); restore() puts the variable back and stops it.
 */
export async function installFakeSecrets(): Promise<{ fake: FakeSecretsHttp; restore(): Promise<void> }> {
  return installEndpoint(
    'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    await startFakeSecretsHttp({ credentials: LAMBDA_TEST_CREDENTIALS }),
  );
}
