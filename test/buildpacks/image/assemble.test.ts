import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assembleImage,
  BaseImageNotFoundError,
  ENTRYPOINT,
  InvalidSlugError,
  PlatformNotFoundError,
} from '../../../buildpacks/image/index.ts';
import {
  type Layer,
  makeLayer,
  makeSlug,
  pushLayout,
  sha256Of,
  skopeo,
  tempDir,
  writeOciLayout,
} from './fixtures.ts';
import { type RunningRegistry, startRegistry } from './registry-server.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let registry: RunningRegistry;
let baseLayers: Layer[];
let slugPath: string;

beforeAll(async () => {
  registry = await startRegistry();
  baseLayers = [
    await makeLayer({ 'etc/os-release': 'ID=wharf-test\n', 'usr/bin/hello': '#!/bin/sh\necho hi\n' }),
    await makeLayer({ 'etc/motd': 'welcome\n' }),
  ];
  const layout = await tempDir('layout');
  await writeOciLayout(layout, '24', [{ architecture: 'amd64', layers: baseLayers }]);
  await pushLayout(layout, '24', `${registry.host}/stack:24`);
  slugPath = await makeSlug({
    Procfile: 'web: node server.js\n',
    'server.js': 'console.log("hi")\n',
    '.profile.d/000-path.sh': 'export GREETING=hello\n',
  });
});

afterAll(async () => {
  await registry?.stop();
});

/** Reads straight from the registry with fetch, so the checks do not trust the code under test. */
async function fetchBack(repo: string, ref: string) {
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/${ref}`, {
    headers: { accept: OCI_MANIFEST },
  });
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const manifest = JSON.parse(bytes.toString()) as {
    schemaVersion: number;
    mediaType: string;
    config: { mediaType: string; digest: string; size: number };
    layers: { mediaType: string; digest: string; size: number }[];
    annotations?: Record<string, string>;
  };
  const blob = async (digest: string) =>
    Buffer.from(await (await fetch(`${registry.url}/v2/${repo}/blobs/${digest}`)).arrayBuffer());
  const configBytes = await blob(manifest.config.digest);
  const config = JSON.parse(configBytes.toString()) as {
    architecture: string;
    config: Record<string, unknown>;
    rootfs: { diff_ids: string[] };
    history: { created_by?: string }[];
  };
  return { contentType: res.headers.get('content-type'), bytes, manifest, configBytes, config, blob };
}

describe('assembleImage against docker-registry on loopback', () => {
  it('pushes a valid OCI image: the slug appended as a layer, config and blobs consistent, readable by skopeo', async () => {
    const result = await assembleImage({
      registry: registry.url,
      repository: 'apps/web',
      tag: 'v1',
      base: 'stack:24',
      slugPath,
      command: 'node server.js',
      labels: { 'io.wharf.app': 'web' },
    });

    const back = await fetchBack('apps/web', result.digest);
    expect(back.contentType).toBe(OCI_MANIFEST);
    expect(sha256Of(back.bytes)).toBe(result.digest);
    expect(back.manifest.schemaVersion).toBe(2);
    expect(back.manifest.mediaType).toBe(OCI_MANIFEST);
    expect(back.manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(back.manifest.config.digest).toBe(result.configDigest);
    expect(back.manifest.config.size).toBe(back.configBytes.length);
    expect(sha256Of(back.configBytes)).toBe(back.manifest.config.digest);
    expect(back.manifest.layers).toHaveLength(3);
    for (const [i, layer] of back.manifest.layers.entries()) {
      expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
      const bytes = await back.blob(layer.digest);
      expect(bytes.length).toBe(layer.size);
      expect(sha256Of(bytes)).toBe(layer.digest);
      expect(sha256Of(gunzipSync(bytes))).toBe(back.config.rootfs.diff_ids[i]);
    }
    const slugBytes = await readFile(slugPath);
    expect(result.layerDigest).toBe(sha256Of(slugBytes));
    expect(back.manifest.layers[2]).toEqual({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: sha256Of(slugBytes),
      size: slugBytes.length,
    });
    expect(back.manifest.layers.slice(0, 2).map((l) => l.digest)).toEqual(baseLayers.map((l) => l.digest));
    expect(back.manifest.annotations?.['org.opencontainers.image.base.name']).toBe(
      `${registry.host}/stack:24`,
    );

    const run = back.config.config;
    expect(run['WorkingDir']).toBe('/app');
    expect(run['Entrypoint']).toEqual(ENTRYPOINT);
    expect(run['Cmd']).toEqual(['node server.js']);
    expect(run['Env']).toEqual(['PATH=/usr/bin:/bin', 'LANG=C.UTF-8', 'HOME=/app']);
    expect(run['Labels']).toEqual({ stack: 'test', 'io.wharf.app': 'web' });
    expect(back.config.history.map((h) => h.created_by)).toEqual([
      'base layer 0',
      'base layer 1',
      'wharf: buildpack slug',
    ]);
    expect(result.reference).toBe(`${registry.host}/apps/web@${result.digest}`);

    const inspected = JSON.parse(
      await skopeo([
        'inspect',
        '--no-tags',
        '--tls-verify=false',
        `docker://${registry.host}/apps/web@${result.digest}`,
      ]),
    ) as { Digest: string; Layers: string[]; Architecture: string; Os: string };
    expect(inspected.Digest).toBe(result.digest);
    expect(inspected.Layers).toEqual(back.manifest.layers.map((l) => l.digest));
    expect(inspected.Architecture).toBe('amd64');
    const inspectedConfig = JSON.parse(
      await skopeo([
        'inspect',
        '--config',
        '--no-tags',
        '--tls-verify=false',
        `docker://${registry.host}/apps/web:v1`,
      ]),
    ) as { config: { WorkingDir: string; Entrypoint: string[] }; rootfs: { diff_ids: string[] } };
    expect(inspectedConfig.config.WorkingDir).toBe('/app');
    expect(inspectedConfig.config.Entrypoint).toEqual(ENTRYPOINT);
    expect(inspectedConfig.rootfs.diff_ids).toEqual(back.config.rootfs.diff_ids);
  });

  it('is reproducible: the same slug, base and time give the same digest, and a second push uploads nothing', async () => {
    const created = new Date('2025-01-02T03:04:05Z');
    const first = await assembleImage({
      registry: registry.url,
      repository: 'repro',
      base: 'stack:24',
      slugPath,
      created,
    });
    const lines: string[] = [];
    const second = await assembleImage({
      registry: registry.url,
      repository: 'repro',
      base: 'stack:24',
      slugPath,
      created,
      onProgress: (l) => lines.push(l),
    });
    expect(second.digest).toBe(first.digest);
    expect(lines.filter((l) => l.includes('already present'))).toHaveLength(3);
  });

  it('uploads the slug in PATCH chunks when asked, and the registry accepts the digest', async () => {
    const big = await makeSlug({ 'data.bin': randomText(48 * 1024) });
    const lines: string[] = [];
    const result = await assembleImage({
      registry: registry.url,
      repository: 'chunked',
      base: 'stack:24',
      slugPath: big,
      chunkSize: 8 * 1024,
      onProgress: (l) => lines.push(l),
    });
    const size = (await readFile(big)).length;
    expect(lines.join('\n')).toContain(`uploaded in ${Math.ceil(size / 8192)} chunks`);
    const back = await fetchBack('chunked', result.digest);
    expect(sha256Of(await back.blob(result.layerDigest))).toBe(result.layerDigest);
  });

  it('takes a Docker v2 schema 2 base from another repository by mounting its layers, and writes OCI', async () => {
    const layout = await tempDir('layout-docker');
    await writeOciLayout(layout, 'd', [{ architecture: 'amd64', layers: baseLayers }]);
    await pushLayout(layout, 'd', `${registry.host}/stack-docker:d`, { format: 'v2s2' });
    const raw = await fetch(`${registry.url}/v2/stack-docker/manifests/d`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(raw.headers.get('content-type')).toBe('application/vnd.docker.distribution.manifest.v2+json');

    const lines: string[] = [];
    const result = await assembleImage({
      registry: registry.host,
      insecure: true,
      repository: 'from-docker',
      base: 'stack-docker:d',
      slugPath,
      onProgress: (l) => lines.push(l),
    });
    expect(lines.filter((l) => l.includes('mounted from stack-docker'))).toHaveLength(2);
    const back = await fetchBack('from-docker', result.digest);
    expect(back.manifest.mediaType).toBe(OCI_MANIFEST);
    expect(
      back.manifest.layers.every((l) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip'),
    ).toBe(true);
    const inspected = JSON.parse(
      await skopeo([
        'inspect',
        '--no-tags',
        '--tls-verify=false',
        `docker://${registry.host}/from-docker@${result.digest}`,
      ]),
    ) as { Layers: string[] };
    expect(inspected.Layers).toEqual([...baseLayers.map((l) => l.digest), result.layerDigest]);
  });

  it('chooses the platform from a multi-platform base (default linux/amd64) and names the ones it has', async () => {
    const armLayer = await makeLayer({ 'etc/arch': 'arm64\n' });
    const layout = await tempDir('layout-multi');
    await writeOciLayout(layout, 'multi', [
      { architecture: 'amd64', layers: baseLayers },
      { architecture: 'arm64', variant: 'v8', layers: [armLayer] },
    ]);
    await pushLayout(layout, 'multi', `${registry.host}/stack-multi:multi`, { all: true });

    const amd = await assembleImage({
      registry: registry.url,
      repository: 'multi',
      base: 'stack-multi:multi',
      slugPath,
    });
    const arm = await assembleImage({
      registry: registry.url,
      repository: 'multi',
      base: 'stack-multi:multi',
      slugPath,
      platform: 'linux/arm64',
    });
    const amdBack = await fetchBack('multi', amd.digest);
    const armBack = await fetchBack('multi', arm.digest);
    expect(amdBack.config.architecture).toBe('amd64');
    expect(amdBack.manifest.layers.map((l) => l.digest)).toEqual([
      ...baseLayers.map((l) => l.digest),
      amd.layerDigest,
    ]);
    expect(armBack.config.architecture).toBe('arm64');
    expect(armBack.manifest.layers.map((l) => l.digest)).toEqual([armLayer.digest, arm.layerDigest]);
    expect(armBack.manifest.annotations?.['org.opencontainers.image.base.digest']).toBe(arm.baseDigest);

    const wrong = assembleImage({
      registry: registry.url,
      repository: 'multi',
      base: 'stack-multi:multi',
      slugPath,
      platform: 'linux/s390x',
    });
    await expect(wrong).rejects.toBeInstanceOf(PlatformNotFoundError);
    await expect(wrong).rejects.toThrow(
      /has no linux\/s390x image \(it has: linux\/amd64, linux\/arm64\/v8\)/,
    );
  });

  it('copies base layers from another registry by streaming them', async () => {
    const other = await startRegistry();
    try {
      const lines: string[] = [];
      const result = await assembleImage({
        registry: other.url,
        repository: 'copied',
        base: `${registry.host}/stack:24`,
        insecure: true,
        slugPath,
        onProgress: (l) => lines.push(l),
      });
      expect(lines.filter((l) => l.includes('copied from stack'))).toHaveLength(2);
      const inspected = JSON.parse(
        await skopeo([
          'inspect',
          '--no-tags',
          '--tls-verify=false',
          `docker://${other.host}/copied@${result.digest}`,
        ]),
      ) as { Layers: string[] };
      expect(inspected.Layers).toEqual([...baseLayers.map((l) => l.digest), result.layerDigest]);
    } finally {
      await other.stop();
    }
  });
});

describe('assembleImage with bad input', () => {
  it('fails with a clear error naming the reference when the base image is missing', async () => {
    const missingRepo = assembleImage({
      registry: registry.url,
      repository: 'x',
      base: 'no-such-stack:24',
      slugPath,
    });
    await expect(missingRepo).rejects.toBeInstanceOf(BaseImageNotFoundError);
    await expect(missingRepo).rejects.toThrow(`base image ${registry.host}/no-such-stack:24 not found`);
    const missingTag = assembleImage({ registry: registry.url, repository: 'x', base: 'stack:99', slugPath });
    await expect(missingTag).rejects.toThrow(`base image ${registry.host}/stack:99 not found`);
  });

  it('refuses a slug that is not gzip, naming the file', async () => {
    const dir = await tempDir('bad-slug');
    const bad = path.join(dir, 'slug.tgz');
    await writeFile(bad, 'this is not gzip');
    const attempt = assembleImage({
      registry: registry.url,
      repository: 'x',
      base: 'stack:24',
      slugPath: bad,
    });
    await expect(attempt).rejects.toBeInstanceOf(InvalidSlugError);
    await expect(attempt).rejects.toThrow(`slug ${bad} is not a usable gzip tar`);
  });
});

function randomText(n: number): string {
  let s = '';
  while (s.length < n) s += Math.random().toString(36).slice(2);
  return s.slice(0, n);
}
