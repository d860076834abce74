import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningRegistry } from './registry-server.ts';

export interface AuthProxy {
  readonly url: string;
  readonly host: string;
  /** the scopes asked for in each token request, in order */
  readonly tokenRequests: string[][];
  /** requests refused with 401 */
  readonly challenges: string[];
  stop(): Promise<void>;
}

/**
 * A registry front that demands auth the way Docker Hub (bearer) or ECR (basic) do, in front of a
 * real docker-registry. The bearer token server is on the same port under /token; its tokens
 * carry the granted scopes, and the front checks each request's repository and action against them.
 */
export async function startAuthProxy(
  upstream: RunningRegistry,
  mode: 'bearer' | 'basic',
  user: { username: string; password: string },
  /** refuse the first request this matches even with a good token, as when a token expires mid-push */
  refuseOnce?: (method: string, pathname: string) => boolean,
): Promise<AuthProxy> {
  let refused = false;
  const tokenRequests: string[][] = [];
  const challenges: string[] = [];
  const basic = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  let origin = '';

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (mode === 'bearer' && url.pathname === '/token') {
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      const scopes = url.searchParams.getAll('scope');
      tokenRequests.push(scopes);
      const token = Buffer.from(JSON.stringify(scopes)).toString('base64url');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const need = requiredScopes(req.method ?? 'GET', url);
    const expire = !refused && refuseOnce?.(req.method ?? 'GET', url.pathname) === true;
    if (expire) refused = true;
    if (expire || !authorized(req.headers.authorization, need.target)) {
      challenges.push(`${req.method} ${url.pathname}`);
      const header =
        mode === 'basic'
          ? 'Basic realm="test-registry"'
          : `Bearer realm="${origin}/token",service="test-registry"${need.target ? `,scope="${need.target}"` : ''}`;
      res
        .writeHead(401, { 'www-authenticate': header, 'content-type': 'application/json' })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    // Like a real registry, a mount without pull rights on the source silently becomes an upload.
    if (need.from && !authorized(req.headers.authorization, need.from)) {
      url.searchParams.delete('mount');
      url.searchParams.delete('from');
    }
    const { authorization: _a, ...headers } = req.headers;
    const up = request(
      {
        host: '127.0.0.1',
        port: upstream.port,
        method: req.method,
        path: url.pathname + url.search,
        headers,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });

  function authorized(header: string | undefined, scope: string | undefined): boolean {
    if (mode === 'basic') return header === basic;
    if (!header?.startsWith('Bearer ')) return false;
    if (!scope) return true;
    let granted: string[];
    try {
      granted = JSON.parse(Buffer.from(header.slice(7), 'base64url').toString()) as string[];
    } catch {
      return false;
    }
    const [, name, actions] = /^repository:(.+):([a-z,]+)$/.exec(scope) ?? [];
    return actions!.split(',').every((action) =>
      granted.some((g) => {
        const m = /^repository:(.+):([a-z,*]+)$/.exec(g);
        return m !== null && m[1] === name && m[2]!.split(',').includes(action);
      }),
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    host: `127.0.0.1:${port}`,
    tokenRequests,
    challenges,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function requiredScopes(method: string, url: URL): { target?: string; from?: string } {
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname);
  if (!m) return {};
  const action = method === 'GET' || method === 'HEAD' ? 'pull' : 'pull,push';
  const from = url.searchParams.get('from');
  return {
    target: `repository:${m[1]}:${action}`,
    ...(from ? { from: `repository:${from}:pull` } : {}),
  };
}
