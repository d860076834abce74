/**
 * What the HTTP fakes of AWS services (fake-dynamo-http.ts, fake-secrets-http.ts) share:
 * reading a request, a loopback server that closes even with kept-alive clients, and
 * pointing the Lambda functions at a fake through the SDK's endpoint variable.
 */
import type { IncomingMessage, RequestListener } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** the keys test/aws/lambda-env.ts gives the functions: the fakes check every signature with them */
export const LAMBDA_TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function lowerCasedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  return out;
}

/** `listener` on 127.0.0.1, on a port of the kernel's choosing. */
export async function listenOnLoopback(
  listener: RequestListener,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // clients keep connections alive; close would otherwise wait for them
        server.closeAllConnections();
      }),
  };
}

/**
 * Points the composition roots at `fake` through `variable` (e.g. AWS_ENDPOINT_URL_DYNAMODB,
 * which the small client and the SDK both read); restore() puts it back and stops the fake.
 */
export function installEndpoint<T extends { url: string; close(): Promise<void> }>(
  variable: string,
  fake: T,
): { fake: T; restore(): Promise<void> } {
  const before = process.env[variable];
  process.env[variable] = fake.url;
  return {
    fake,
    async restore() {
      if (before === undefined) delete process.env[variable];
      else process.env[variable] = before;
      await fake.close();
    },
  };
}
