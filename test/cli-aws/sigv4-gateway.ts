/**
 * A stand-in for API Gateway's IAM authorizer on 127.0.0.1: it recomputes each request's
 * SigV4 signature with @smithy/signature-v4 and the test's static credentials (from env
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), checks the scope and the date window as API
 * Gateway does, answers 403 like it, and passes valid requests to the real API handler.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { Sha256 } from '../../cli/aws/sha256.ts';

/** the account the gateway's callers belong to (their ARNs are `…:user/<access key>`) */
export const GATEWAY_ACCOUNT = '111122223333';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export interface Gateway {
  readonly url: string;
  readonly region: string;
  /** access keys whose identity has no execute-api:Invoke */
  readonly denied: Set<string>;
  /** false: hand the function no IAM authorizer context (an API not behind the IAM authorizer) */
  passIdentity: boolean;
  /** what reached the handler */
  readonly calls: { method: string; path: string; accessKey: string }[];
  /** every refusal, with API Gateway's message */
  readonly refusals: { path: string; message: string }[];
  close(): Promise<void>;
}

const FIVE_MINUTES = 5 * 60 * 1000;

export async function startGateway(
  handler: Handler,
  context: Context,
  region = 'eu-west-1',
): Promise<Gateway> {
  const denied = new Set<string>();
  const gateway = { passIdentity: true };
  const calls: Gateway['calls'] = [];
  const refusals: Gateway['refusals'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://gateway');
      const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
      };
      try {
        const verdict = await verify(req, url, body, region);
        if ('refuse' in verdict) {
          refusals.push({ path: url.pathname, message: verdict.refuse });
          return answer(403, { message: verdict.refuse });
        }
        if (denied.has(verdict.accessKey)) {
          const message = 'Forbidden';
          refusals.push({ path: url.pathname, message });
          return answer(403, { message });
        }
        calls.push({ method: req.method ?? 'GET', path: url.pathname, accessKey: verdict.accessKey });
        const event = {
          version: '2.0',
          routeKey: '$default',
          rawPath: url.pathname,
          rawQueryString: url.search.replace(/^\?/, ''),
          headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
          isBase64Encoded: body.length > 0,
          ...(body.length > 0 ? { body: body.toString('base64') } : {}),
          requestContext: {
            http: { method: req.method, path: url.pathname },
            // what API Gateway's IAM authorizer hands the function: the verified caller
            ...(gateway.passIdentity && {
              authorizer: {
                iam: {
                  accessKey: verdict.accessKey,
                  accountId: GATEWAY_ACCOUNT,
                  callerId: `AIDA${verdict.accessKey}`,
                  cognitoIdentity: null,
                  principalOrgId: '',
                  userArn: `arn:aws:iam::${GATEWAY_ACCOUNT}:user/${verdict.accessKey.toLowerCase()}`,
                  userId: `AIDA${verdict.accessKey}`,
                },
              },
            }),
          },
        } as unknown as APIGatewayProxyEventV2;
        const out = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
        answer(out.statusCode ?? 200, out.body ?? '', (out.headers ?? {}) as Record<string, string>);
      } catch (e) {
        answer(500, { message: `Internal Server Error: ${(e as Error).message}` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(gateway, {
    url: `http://127.0.0.1:${port}`,
    region,
    denied,
    calls,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

async function verify(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  region: string,
): Promise<{ accessKey: string } | { refuse: string }> {
  const auth = req.headers['authorization'];
  if (!auth) return { refuse: 'Forbidden' };
  const m = AUTH.exec(auth);
  if (!m) return { refuse: 'Authorization header requires Credential, SignedHeaders and Signature' };
  const [, accessKey, day, scopeRegion, service, signedHeaders] = m as unknown as string[];
  if (accessKey !== process.env['AWS_ACCESS_KEY_ID'])
    return { refuse: 'The security token included in the request is invalid.' };
  if (scopeRegion !== region || service !== 'execute-api')
    return {
      refuse: `Credential should be scoped to a valid region and service execute-api, not ${scopeRegion}/${service}`,
    };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!dm || amzDate.slice(0, 8) !== day)
    return {
      refuse: 'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP',
    };
  const signedAt = new Date(Date.UTC(+dm[1]!, +dm[2]! - 1, +dm[3]!, +dm[4]!, +dm[5]!, +dm[6]!));
  if (Math.abs(Date.now() - signedAt.getTime()) > FIVE_MINUTES)
    return { refuse: `Signature expired: ${amzDate} is now earlier or later than 5 minutes from now` };

  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(';')) {
    const v = req.headers[name];
    if (v === undefined) return { refuse: `Header ${name} is signed but missing` };
    headers[name] = Array.isArray(v) ? v.join(',') : v;
  }
  // the payload hash is the body's, whatever a header claims
  if (headers['x-amz-content-sha256'])
    headers['x-amz-content-sha256'] = createHash('sha256').update(body).digest('hex');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const had = query[k];
    query[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    sha256: Sha256,
    applyChecksum: false,
    credentials: {
      accessKeyId: accessKey!,
      secretAccessKey: process.env['AWS_SECRET_ACCESS_KEY'] ?? '',
    },
  });
  const expected = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      path: url.pathname,
      query,
      headers,
      body: body.length > 0 ? body : undefined,
    },
    { signingDate: signedAt },
  );
  const want = Buffer.from(String(expected.headers['authorization']));
  const got = Buffer.from(auth);
  if (want.length !== got.length || !timingSafeEqual(want, got)) {
    return {
      refuse:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { accessKey: accessKey! };
}
