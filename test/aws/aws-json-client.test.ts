/**
 * The small JSON-protocol client over a real HTTP server on 127.0.0.1: what it sends,
 * how it reads answers and errors, which faults it retries, and how its errors reach the
 * core through aws-errors.ts the way the SDK's exceptions do.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { awsCall, isThrottling } from '../../adapters/aws/aws-errors.ts';
import { configuredEndpoint, endpointFor, regionalEndpoint } from '../../adapters/aws/aws-endpoints.ts';
import {
  AwsJsonClient,
  AwsNetworkError,
  AwsServiceError,
  envCredentials,
  errorTypeName,
} from '../../adapters/aws/aws-json-client.ts';
import { DYNAMODB_PROTOCOL } from '../../adapters/aws/dynamo-doc-api.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.ts';

type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void;

const servers: Server[] = [];
const seen: (IncomingMessage & { body: string })[] = [];

async function serve(handler: Handler): Promise<string> {
  seen.length = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      const r = Object.assign(req, { body });
      seen.push(r);
      handler(r, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const client = (endpoint: string, over: Partial<ConstructorParameters<typeof AwsJsonClient>[0]> = {}) =>
  new AwsJsonClient({
    ...DYNAMODB_PROTOCOL,
    region: 'eu-west-1',
    endpoint,
    credentials: () => ({ accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' }),
    sleep: async () => {},
    ...over,
  });

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': 'req-1',
    ...headers,
  });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

describe('AwsJsonClient', () => {
  it('POSTs the input as JSON with the target, content type and a signature, and returns the answer', async () => {
    const url = await serve((_req, res) => json(res, 200, { Item: { pk: { S: 'a' } } }));
    const out = await client(url).call('GetItem', { TableName: 't', Key: { pk: { S: 'a' } } });
    expect(out).toEqual({ Item: { pk: { S: 'a' } } });
    const req = seen[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/');
    expect(req.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(req.headers['x-amz-security-token']).toBe('token');
    expect(req.headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(req.body)).toEqual({ TableName: 't', Key: { pk: { S: 'a' } } });
  });

  it('reads an empty answer as {}', async () => {
    const url = await serve((_req, res) => json(res, 200, ''));
    expect(await client(url).call('DeleteItem', {})).toEqual({});
  });

  it('names errors as the SDK does: from __type, without namespace or suffix, with the message and request id', async () => {
    const url = await serve((_req, res) =>
      json(res, 400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
      }),
    );
    const error = await client(url)
      .call('PutItem', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'req-1' },
    });
    // and the core sees what it sees for the SDK's exception
    await expect(awsCall('release 3 of shop', () => client(url).call('PutItem', {}))).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(seen).toHaveLength(2);
  });

  it('reads the x-amzn-ErrorType header when the body names no type, and Message as well as message', async () => {
    const url = await serve((_req, res) =>
      json(
        res,
        400,
        { Message: 'Secrets Manager cannot find the secret' },
        {
          'x-amzn-errortype': 'ResourceNotFoundException:http://internal.amazon.com/coral/',
        },
      ),
    );
    const error = await client(url)
      .call('GetSecretValue', {})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Secrets Manager cannot find the secret',
    });
    await expect(awsCall('secret x', () => client(url).call('GetSecretValue', {}))).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('leaves throttling to awsCall: one request, an error awsCall retries', async () => {
    let n = 0;
    const url = await serve((_req, res) =>
      ++n === 1
        ? json(res, 400, {
            __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
            message: 'Rate exceeded',
          })
        : json(res, 200, {}),
    );
    const error = await client(url)
      .call('Query', {})
      .catch((e: unknown) => e);
    expect(isThrottling(error)).toBe(true);
    expect(seen).toHaveLength(1);
    n = 0;
    await expect(
      awsCall('apps', () => client(url).call('Query', {}), { sleep: async () => {} }),
    ).resolves.toEqual({});
  });

  it('retries 5xx answers, then gives up with the last one', async () => {
    let n = 0;
    const url = await serve((_req, res) =>
      ++n < 3 ? json(res, 503, { __type: 'ServiceUnavailable', message: 'busy' }) : json(res, 200, { ok: 1 }),
    );
    expect(await client(url).call('GetItem', {})).toEqual({ ok: 1 });
    expect(seen).toHaveLength(3);
    n = -10;
    const error = await client(url, { maxAttempts: 2 })
      .call('GetItem', {})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ServiceUnavailable', $fault: 'server' });
  });

  it('does not retry a client error', async () => {
    const url = await serve((_req, res) =>
      json(res, 400, { __type: 'ValidationException', message: 'bad key' }),
    );
    await expect(client(url).call('GetItem', {})).rejects.toMatchObject({ name: 'ValidationException' });
    expect(seen).toHaveLength(1);
  });

  it('names a non-JSON error page by its status', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    });
    await expect(client(url, { maxAttempts: 1 }).call('GetItem', {})).rejects.toMatchObject({
      name: 'InternalServerError',
      message: 'dynamodb GetItem answered HTTP 502: <html>Bad Gateway</html>',
    });
  });

  it('retries a dropped connection and a timeout, then says no answer came', async () => {
    let n = 0;
    const url = await serve((req, res) => {
      if (++n === 1) req.socket.destroy();
      else json(res, 200, { after: n });
    });
    expect(await client(url).call('GetItem', {})).toEqual({ after: 2 });

    const silent = await serve(() => {});
    const error = await client(silent, { timeoutMs: 50, maxAttempts: 2 })
      .call('GetItem', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsNetworkError);
    expect((error as Error).message).toMatch(/^dynamodb GetItem: no answer from AWS/);
    expect(seen).toHaveLength(2);
  });
});

describe('AwsJsonClient connections and local failures', () => {
  it('keeps its connection across a pause longer than Node’s 5 s agent timeout', async () => {
    let connections = 0;
    const url = await serve((_req, res) => json(res, 200, {}));
    servers.at(-1)!.on('connection', () => connections++);
    const c = client(url);
    await c.call('GetItem', {});
    await new Promise((r) => setTimeout(r, 5_500));
    await c.call('GetItem', {});
    expect(seen).toHaveLength(2);
    expect(connections).toBe(1);
  }, 15_000);

  it('resends at once, without backoff, a request whose kept-alive socket the server had closed', async () => {
    let n = 0;
    const url = await serve((req, res) => {
      // the second request arrives on the reused socket: the server drops it unanswered
      if (++n === 2) req.socket.destroy();
      else json(res, 200, { n });
    });
    const waits: number[] = [];
    const c = client(url, { sleep: async (ms) => void waits.push(ms) });
    expect(await c.call('GetItem', {})).toEqual({ n: 1 });
    expect(await c.call('GetItem', {})).toEqual({ n: 3 });
    expect(waits).toEqual([]);
  });

  it('fails at once on missing credentials, with their message, not as a network failure', async () => {
    const url = await serve((_req, res) => json(res, 200, {}));
    const waits: number[] = [];
    const c = client(url, { credentials: envCredentials({}), sleep: async (ms) => void waits.push(ms) });
    const error = await c.call('GetItem', {}).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(AwsNetworkError);
    expect((error as Error).message).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set/);
    expect(waits).toEqual([]);
    expect(seen).toHaveLength(0);
  });

  it('does not retry a local failure that is no network error', async () => {
    let calls = 0;
    const c = client('http://127.0.0.1:9', {
      transport: async () => {
        calls++;
        throw new TypeError('Invalid character in header content ["x-amz-target"]');
      },
    });
    await expect(c.call('GetItem', {})).rejects.toThrow(TypeError);
    expect(calls).toBe(1);
  });

  it('keeps the error’s own members, as the SDK’s exceptions do', async () => {
    const url = await serve((_req, res) =>
      json(res, 400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        Item: { pk: { S: 'a' } },
      }),
    );
    const error = await client(url)
      .call('PutItem', {})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConditionalCheckFailedException', Item: { pk: { S: 'a' } } });
    expect(error).not.toHaveProperty('__type');
  });

  it('joins the X-Ray trace in Lambda, outside the signature', async () => {
    const url = await serve((_req, res) => json(res, 200, {}));
    const trace = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    await client(url, { env: { AWS_LAMBDA_FUNCTION_NAME: 'wharf-api', _X_AMZN_TRACE_ID: trace } }).call(
      'GetItem',
      {},
    );
    await client(url, { env: { _X_AMZN_TRACE_ID: trace } }).call('GetItem', {});
    expect(seen[0]!.headers['x-amzn-trace-id']).toBe(trace);
    expect(seen[0]!.headers['authorization']).not.toContain('x-amzn-trace-id');
    expect(seen[1]!.headers['x-amzn-trace-id']).toBeUndefined();
  });
});

describe('endpoints and credentials', () => {
  it('builds regional endpoints as the SDK does: China, GovCloud, FIPS and dual-stack', () => {
    const at = (region: string, env: NodeJS.ProcessEnv = {}) =>
      regionalEndpoint('dynamodb', region, 'DYNAMODB', env);
    expect(at('eu-west-1')).toBe('https://dynamodb.eu-west-1.amazonaws.com');
    expect(at('cn-north-1')).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn');
    expect(at('us-gov-west-1', { AWS_USE_FIPS_ENDPOINT: 'true' })).toBe(
      'https://dynamodb-fips.us-gov-west-1.amazonaws.com',
    );
    expect(at('us-east-1', { AWS_USE_DUALSTACK_ENDPOINT: 'true' })).toBe(
      'https://dynamodb.us-east-1.api.aws',
    );
    expect(at('us-east-1', { AWS_USE_FIPS_ENDPOINT: 'TRUE', AWS_USE_DUALSTACK_ENDPOINT: 'true' })).toBe(
      'https://dynamodb-fips.us-east-1.api.aws',
    );
    expect(at('cn-north-1', { AWS_USE_DUALSTACK_ENDPOINT: 'true' })).toBe(
      'https://dynamodb.cn-north-1.api.amazonwebservices.com.cn',
    );
  });

  it('refuses partitions whose hosts it does not know, naming the setting to use', () => {
    for (const region of ['us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'eusc-de-east-1']) {
      expect(() => regionalEndpoint('secretsmanager', region, 'SECRETS_MANAGER', {})).toThrow(
        ValidationError,
      );
      expect(() => regionalEndpoint('secretsmanager', region, 'SECRETS_MANAGER', {})).toThrow(
        /set AWS_ENDPOINT_URL_SECRETS_MANAGER/,
      );
    }
    // …and a configured endpoint serves them
    expect(
      endpointFor('secretsmanager', 'SECRETS_MANAGER', 'us-iso-east-1', {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'https://secretsmanager.us-iso-east-1.c2s.ic.gov',
      }),
    ).toBe('https://secretsmanager.us-iso-east-1.c2s.ic.gov');
  });

  it('reads configured endpoints the SDK way', () => {
    expect(
      configuredEndpoint('DYNAMODB', { AWS_ENDPOINT_URL_DYNAMODB: 'http://a', AWS_ENDPOINT_URL: 'http://b' }),
    ).toBe('http://a');
    expect(configuredEndpoint('DYNAMODB', { AWS_ENDPOINT_URL: 'http://b' })).toBe('http://b');
    expect(
      configuredEndpoint('DYNAMODB', {
        AWS_ENDPOINT_URL: 'http://b',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      }),
    ).toBeUndefined();
    expect(configuredEndpoint('DYNAMODB', {})).toBeUndefined();
  });

  it('takes credentials from the environment and says which variables are missing', () => {
    expect(envCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })()).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
    expect(
      envCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_SESSION_TOKEN: 'c' })(),
    ).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 'b',
      sessionToken: 'c',
    });
    expect(() => envCredentials({})()).toThrow(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set/);
  });

  it('strips namespaces and suffixes from error types', () => {
    expect(errorTypeName('com.amazonaws.dynamodb.v20120810#ResourceNotFoundException')).toBe(
      'ResourceNotFoundException',
    );
    expect(errorTypeName('FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/')).toBe(
      'FooError',
    );
    expect(errorTypeName('ValidationException')).toBe('ValidationException');
    expect(errorTypeName('FooError,BarError')).toBe('FooError');
    expect(errorTypeName(400)).toBe('400');
  });
});
