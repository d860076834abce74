/**
 * A stand-in for API Gateway's IAM authorizer on 127.0.0.1: it recomputes each request's
 * SigV4 signature with @smithy/signature-v4 and the test's static credentials (from env
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), checks the scope and the date window as API
 * Gateway does, answers 403 like it, and passes valid requests to the real API handler.
 */
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lowerCasedHeaders } from '../aws/fake-aws-server.ts';
import { SigV4RefusedError, verifySigV4 } from '../aws/sigv4-verify.ts';

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
        const verdict = await verify(req, body, region);
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

/**
 * API Gateway's IAM check, by the shared verifier (test/aws/sigv4-verify.ts) with the
 * gateway's 5-minute window; refusals carry the message API Gateway answers with.
 */
async function verify(
  req: IncomingMessage,
  body: Buffer,
  region: string,
): Promise<{ accessKey: string } | { refuse: string }> {
  const headers = lowerCasedHeaders(req);
  try {
    await verifySigV4(
      { method: req.method ?? 'GET', url: req.url ?? '/', headers, body },
      {
        credentials: {
          accessKeyId: process.env['AWS_ACCESS_KEY_ID'] ?? '',
          secretAccessKey: process.env['AWS_SECRET_ACCESS_KEY'] ?? '',
        },
        region,
        service: 'execute-api',
        maxSkewMs: FIVE_MINUTES,
      },
    );
  } catch (e) {
    if (!(e instanceof SigV4RefusedError)) throw e;
    // an unsigned request gets API Gateway's bare 403
    if (e.type === 'MissingAuthenticationTokenException') return { refuse: 'Forbidden' };
    return { refuse: e.message.split('\n\n')[0]! };
  }
  return { accessKey: /Credential=([^/]+)\//.exec(headers['authorization']!)![1]! };
}
