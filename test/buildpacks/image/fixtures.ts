import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

const run = promisify(execFile);

export const sha256Of = (bytes: Uint8Array): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export async function tempDir(prefix: string): Promise<string> {
  return await mkdtemp(path.join(tmpdir(), `wharf-${prefix}-`));
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), content);
  }
}

export interface Layer {
  readonly bytes: Buffer;
  readonly digest: string;
  readonly diffId: string;
}

/** A gzip tar of `files` made with the system's tar, as a base image layer. */
export async function makeLayer(files: Record<string, string>): Promise<Layer> {
  const dir = await tempDir('layer');
  await writeTree(path.join(dir, 'root'), files);
  await run('tar', ['-C', path.join(dir, 'root'), '-czf', path.join(dir, 'layer.tgz'), '.']);
  const bytes = await readFile(path.join(dir, 'layer.tgz'));
  return { bytes, digest: sha256Of(bytes), diffId: sha256Of(gunzipSync(bytes)) };
}

/** A slug as the runner makes it: gzip tar whose entries start with `./app/`. */
export async function makeSlug(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('slug');
  await writeTree(path.join(dir, 'root', 'app'), files);
  const slug = path.join(dir, 'slug.tgz');
  await run('tar', ['-C', path.join(dir, 'root'), '-czf', slug, './app']);
  return slug;
}

export interface BaseSpec {
  readonly architecture: string;
  readonly variant?: string;
  readonly layers: readonly Layer[];
}

/**
 * Writes an OCI image layout (the format skopeo reads with `oci:DIR:TAG`) holding one image,
 * or an index of several when more than one spec is given.
 */
export async function writeOciLayout(dir: string, tag: string, specs: readonly BaseSpec[]): Promise<void> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (bytes: Buffer) => {
    const digest = sha256Of(bytes);
    await writeFile(path.join(blobs, digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  const manifests = [];
  for (const spec of specs) {
    for (const l of spec.layers) await put(l.bytes);
    const config = Buffer.from(
      JSON.stringify({
        architecture: spec.architecture,
        ...(spec.variant ? { variant: spec.variant } : {}),
        os: 'linux',
        created: '2024-01-01T00:00:00Z',
        config: {
          Env: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8'],
          Cmd: ['/bin/bash'],
          Labels: { stack: 'test' },
        },
        rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
        history: spec.layers.map((_, i) => ({
          created: '2024-01-01T00:00:00Z',
          created_by: `base layer ${i}`,
        })),
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...(await put(config)) },
        layers: spec.layers.map((l) => ({
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: l.digest,
          size: l.bytes.length,
        })),
      }),
    );
    manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...(await put(manifest)),
      platform: {
        os: 'linux',
        architecture: spec.architecture,
        ...(spec.variant ? { variant: spec.variant } : {}),
      },
    });
  }
  let top: Record<string, unknown> = manifests[0]!;
  if (specs.length > 1) {
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
    );
    top = { mediaType: 'application/vnd.oci.image.index.v1+json', ...(await put(index)) };
  }
  const { platform: _p, ...ref } = top as { platform?: unknown };
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...ref, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
}

export async function skopeo(args: readonly string[]): Promise<string> {
  const { stdout } = await run('skopeo', ['--insecure-policy', ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Pushes an OCI layout to the registry with skopeo, optionally converted to Docker v2 schema 2. */
export async function pushLayout(
  layoutDir: string,
  tag: string,
  dest: string,
  opts: { format?: 'v2s2' | 'oci'; all?: boolean } = {},
): Promise<void> {
  await skopeo([
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    ...(opts.format ? ['--format', opts.format] : []),
    ...(opts.all ? ['--all'] : []),
    `oci:${layoutDir}:${tag}`,
    `docker://${dest}`,
  ]);
}
