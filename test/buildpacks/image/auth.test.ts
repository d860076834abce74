import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assembleImage,
  ecrCredentials,
  parseAuthenticateHeader,
  RegistryAuthError,
} from '../../../buildpacks/image/index.ts';
import { startAuthProxy } from './auth-proxy.ts';
import { makeLayer, makeSlug, pushLayout, sha256Of, skopeo, tempDir, writeOciLayout } from './fixtures.ts';
import { type RunningRegistry, startRegistry } from './registry-server.ts';

describe('parseAuthenticateHeader', () => {
  it('reads a Bearer challenge whose quoted scope holds commas', () => {
    expect(
      parseAuthenticateHeader(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:samalba/my-app:pull,push',
        },
      },
    ]);
  });

  it('reads several challenges, unquoted values, escapes and odd spacing', () => {
    expect(
      parseAuthenticateHeader(
        'Basic realm="a \\"b\\"" , Bearer realm=https://t/x , error=insufficient_scope',
      ),
    ).toEqual([
      { scheme: 'basic', params: { realm: 'a "b"' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', error: 'insufficient_scope' } },
    ]);
    expect(parseAuthenticateHeader('')).toEqual([]);
  });
});

describe('ecrCredentials', () => {
  it('decodes the GetAuthorizationToken token into basic credentials', () => {
    expect(ecrCredentials(Buffer.from('AWS:pa:ss').toString('base64'))).toEqual({
      kind: 'basic',
      username: 'AWS',
      password: 'pa:ss',
    });
  });

  it('refuses a token that is not base64 user:password', () => {
    expect(() => ecrCredentials('bm9jb2xvbg==')).toThrow(RegistryAuthError);
  });
});

describe('registry auth against a front that demands it, over a real docker-registry', () => {
  const user = { username: 'ci', password: 's3cret' };
  let registry: RunningRegistry;
  let slugPath: string;

  beforeAll(async () => {
    registry = await startRegistry();
    const layout = await tempDir('auth-layout');
    await writeOciLayout(layout, 'b', [
      { architecture: 'amd64', layers: [await makeLayer({ 'etc/os-release': 'ID=auth\n' })] },
    ]);
    await pushLayout(layout, 'b', `${registry.host}/stack:b`);
    slugPath = await makeSlug({ Procfile: 'web: true\n' });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('answers Bearer challenges with tokens from the realm, asking for the source repo too when mounting', async () => {
    const proxy = await startAuthProxy(registry, 'bearer', user);
    try {
      const lines: string[] = [];
      const result = await assembleImage({
        registry: proxy.url,
        repository: 'team/app',
        base: 'stack:b',
        slugPath,
        credentials: { kind: 'basic', ...user },
        onProgress: (l) => lines.push(l),
      });
      expect(lines.some((l) => l.includes('mounted from stack'))).toBe(true);
      expect(proxy.tokenRequests).toContainEqual(['repository:stack:pull', 'repository:team/app:pull,push']);
      // One token per distinct scope set: tokens are cached, not fetched per request.
      const distinct = new Set(proxy.tokenRequests.map((s) => s.join(' ')));
      expect(proxy.tokenRequests.length).toBe(distinct.size);
      // Only the first probe of the registry is refused; later requests carry a token up front.
      expect(proxy.challenges).toEqual(['GET /v2/']);
      const inspected = JSON.parse(
        await skopeo([
          'inspect',
          '--no-tags',
          '--tls-verify=false',
          `docker://${registry.host}/team/app@${result.digest}`,
        ]),
      ) as { Layers: string[] };
      expect(inspected.Layers.at(-1)).toBe(result.layerDigest);
    } finally {
      await proxy.stop();
    }
  });

  it('fetches a fresh token and sends a streamed upload again when a token is refused mid-push', async () => {
    const proxy = await startAuthProxy(
      registry,
      'bearer',
      user,
      (method, pathname) => method === 'PUT' && pathname.includes('/blobs/uploads/'),
    );
    try {
      const fresh = await makeSlug({ Procfile: 'web: fresh\n' });
      const result = await assembleImage({
        registry: proxy.url,
        repository: 'team/retry',
        base: 'stack:b',
        slugPath: fresh,
        credentials: { kind: 'basic', ...user },
      });
      expect(proxy.challenges).toHaveLength(2);
      expect(proxy.challenges[1]).toMatch(/^PUT \/v2\/team\/retry\/blobs\/uploads\//);
      const blob = await fetch(`${registry.url}/v2/team/retry/blobs/${result.layerDigest}`);
      expect(sha256Of(Buffer.from(await blob.arrayBuffer()))).toBe(result.layerDigest);
    } finally {
      await proxy.stop();
    }
  });

  it('fails with a RegistryAuthError naming the token server when the credentials are wrong', async () => {
    const proxy = await startAuthProxy(registry, 'bearer', user);
    try {
      const attempt = assembleImage({
        registry: proxy.url,
        repository: 'team/app',
        base: 'stack:b',
        slugPath,
        credentials: { kind: 'basic', username: 'ci', password: 'wrong' },
      });
      await expect(attempt).rejects.toBeInstanceOf(RegistryAuthError);
      await expect(attempt).rejects.toThrow(/token server http:\/\/127\.0\.0\.1:\d+\/token refused a token/);
    } finally {
      await proxy.stop();
    }
  });

  it('sends basic credentials (an ECR token, or a ready header) and refuses anonymous pushes clearly', async () => {
    const proxy = await startAuthProxy(registry, 'basic', user);
    try {
      const ecr = await assembleImage({
        registry: proxy.url,
        repository: 'ecr-style',
        base: 'stack:b',
        slugPath,
        credentials: ecrCredentials(Buffer.from(`${user.username}:${user.password}`).toString('base64')),
      });
      expect(ecr.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const header = await assembleImage({
        registry: proxy.url,
        repository: 'ecr-style',
        base: 'stack:b',
        slugPath,
        credentials: { kind: 'header', value: `Basic ${Buffer.from('ci:s3cret').toString('base64')}` },
      });
      expect(header.layerDigest).toBe(ecr.layerDigest);
      const anonymous = assembleImage({
        registry: proxy.url,
        repository: 'ecr-style',
        base: 'stack:b',
        slugPath,
      });
      await expect(anonymous).rejects.toBeInstanceOf(RegistryAuthError);
      await expect(anonymous).rejects.toThrow(/requires basic credentials/);
    } finally {
      await proxy.stop();
    }
  });
});
