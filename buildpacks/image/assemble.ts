import { createReadStream } from 'node:fs';
import type { RegistryCredentials } from './auth.ts';
import { BaseImageNotFoundError, ImageAssemblyError, RegistryAuthError } from './errors.ts';
import { buildSlugConfig } from './image-config.ts';
import {
  type Descriptor,
  formatPlatform,
  type ImageManifest,
  isForeignLayer,
  MANIFEST_ACCEPT,
  MediaType,
  parseManifest,
  parsePlatform,
  selectPlatform,
  toOciLayer,
} from './manifest.ts';
import {
  formatReference,
  type ImageReference,
  manifestRef,
  parseImageReference,
  registryEndpoint,
} from './reference.ts';
import { type BlobBody, RegistryClient, sha256 } from './registry.ts';
import { describeSlug, type SlugLayer } from './slug-layer.ts';

export interface AssembleImageOptions {
  /** registry to push to: `host[:port]` (HTTPS) or `http(s)://host[:port]` */
  readonly registry: string;
  /** repository to push to, e.g. `wharf/myapp` */
  readonly repository: string;
  /** tag for the new image; @default - pushed by digest only */
  readonly tag?: string;
  /** run image: `repo:tag`, `repo@sha256:…` (in `registry`) or `host/repo…` (in another registry) */
  readonly base: string | ImageReference;
  /** the slug: gzip tar of `./app/...` */
  readonly slugPath: string;
  /** platform to take from a multi-platform base; @default 'linux/amd64' */
  readonly platform?: string;
  /** @default - anonymous */
  readonly credentials?: RegistryCredentials;
  /** for a base in another registry; @default - `credentials` when the base is in `registry`, else anonymous */
  readonly baseCredentials?: RegistryCredentials;
  /** use HTTP for a bare `host[:port]` (a registry on loopback); @default false */
  readonly insecure?: boolean;
  /** upload the slug in PATCH chunks of this many bytes; @default - one monolithic PUT */
  readonly chunkSize?: number;
  /** default container command, e.g. the web process; @default - none, the command is given at run */
  readonly command?: string;
  /** labels added to the image config */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default - now */
  readonly created?: Date;
  /** history line of the slug layer; @default 'wharf: buildpack slug' */
  readonly createdBy?: string;
  /** progress lines in Heroku's form (`-----> …`, indented details) */
  readonly onProgress?: (line: string) => void;
}

export interface AssembledImage {
  /** digest of the pushed manifest */
  readonly digest: string;
  /** `host/repo@sha256:…`, what a task definition should run */
  readonly reference: string;
  /** digest of the slug layer (the sha256 of the slug file) */
  readonly layerDigest: string;
  readonly configDigest: string;
  /** digest of the base image manifest used (the platform's, when the base is an index) */
  readonly baseDigest: string;
}

/**
 * Appends a slug as a layer to a run image and pushes the result through the distribution API:
 * no Docker daemon, and the base's layers are never downloaded when they are in the same
 * registry (they are mounted or already there).
 */
export async function assembleImage(opts: AssembleImageOptions): Promise<AssembledImage> {
  const say = opts.onProgress ?? (() => {});
  const target = registryEndpoint(opts.registry, opts.insecure);
  const baseRef = typeof opts.base === 'string' ? parseImageReference(opts.base) : opts.base;
  const baseHost = baseRef.registry ?? target.host;
  const sameRegistry = baseHost === target.host;
  const credentials = opts.credentials ?? { kind: 'anonymous' };
  const client = new RegistryClient(target.baseUrl, credentials);
  const baseClient = sameRegistry
    ? client
    : new RegistryClient(
        registryEndpoint(baseHost, opts.insecure).baseUrl,
        opts.baseCredentials ?? { kind: 'anonymous' },
      );
  const baseName = formatReference(target.host, baseRef);
  const platform = parsePlatform(opts.platform ?? 'linux/amd64');

  say(`-----> Assembling image ${target.host}/${opts.repository} on ${baseName}`);
  const slugPromise = describeSlug(opts.slugPath);
  slugPromise.catch(() => {});
  const base = await readBase(baseClient, baseRef, baseName, platform);
  const slug = await slugPromise;
  say(
    `       Base ${baseName}@${base.digest} (${formatPlatform(platform)}), ${base.manifest.layers.length} layers`,
  );

  const copy = sameRegistry ? undefined : baseClient;
  await forEachLimit(base.manifest.layers, 4, async (layer) => {
    if (isForeignLayer(layer)) return;
    const how = await ensureBaseBlob(client, opts.repository, layer, baseRef.repository, copy);
    say(`       Layer ${layer.digest.slice(7, 19)} ${how}`);
  });

  const slugHow = await ensureSlugBlob(client, opts.repository, slug, opts.chunkSize);
  say(`       Slug layer ${slug.digest.slice(7, 19)} ${slugHow} (${formatSize(slug.size)})`);

  const config = buildSlugConfig(base.config, {
    diffId: slug.diffId,
    created: (opts.created ?? new Date()).toISOString(),
    createdBy: opts.createdBy ?? 'wharf: buildpack slug',
    ...(opts.command ? { command: opts.command } : {}),
    ...(opts.labels ? { labels: opts.labels } : {}),
  });
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = sha256(configBytes);
  if (!(await client.blobExists(opts.repository, configDigest))) {
    const location = await client.startUpload(opts.repository);
    await client.uploadMonolithic(opts.repository, location, configDigest, bytesBody(configBytes));
  }

  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length },
    layers: [
      ...base.manifest.layers.map(toOciLayer),
      { mediaType: MediaType.ociLayerGzip, digest: slug.digest, size: slug.size },
    ],
    annotations: {
      'org.opencontainers.image.base.name': baseName,
      'org.opencontainers.image.base.digest': base.digest,
    },
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const digest = await client.putManifest(
    opts.repository,
    opts.tag ?? sha256(manifestBytes),
    MediaType.ociManifest,
    manifestBytes,
  );
  const reference = `${target.host}/${opts.repository}@${digest}`;
  say(`       Pushed ${reference}${opts.tag ? ` (tag ${opts.tag})` : ''}`);
  return { digest, reference, layerDigest: slug.digest, configDigest, baseDigest: base.digest };
}

interface BaseImage {
  readonly digest: string;
  readonly manifest: ImageManifest;
  readonly config: Record<string, unknown>;
}

async function readBase(
  client: RegistryClient,
  ref: ImageReference,
  name: string,
  platform: ReturnType<typeof parsePlatform>,
): Promise<BaseImage> {
  const fetched = await withReference(name, () =>
    client.getManifest(ref.repository, manifestRef(ref), MANIFEST_ACCEPT),
  );
  if (!fetched) throw new BaseImageNotFoundError(name, 'the registry has no manifest by that name');
  let parsed = parseManifest(name, fetched.mediaType, fetched.bytes);
  let digest = fetched.digest;
  if (parsed.kind === 'index') {
    const chosen = selectPlatform(name, parsed.index, platform);
    const inner = await withReference(name, () =>
      client.getManifest(ref.repository, chosen.digest, MANIFEST_ACCEPT),
    );
    if (!inner)
      throw new BaseImageNotFoundError(
        name,
        `its index lists ${chosen.digest}, which the registry does not have`,
      );
    parsed = parseManifest(`${name}@${chosen.digest}`, inner.mediaType, inner.bytes);
    if (parsed.kind !== 'image')
      throw new ImageAssemblyError(`${name}: an index inside an index is not supported`);
    digest = inner.digest;
  }
  const manifest = parsed.manifest;
  const configBytes = await withReference(name, () =>
    client.getBlobBytes(ref.repository, manifest.config.digest),
  );
  const config = JSON.parse(configBytes.toString('utf8')) as Record<string, unknown>;
  const diffIds = (config['rootfs'] as { diff_ids?: unknown[] } | undefined)?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== manifest.layers.length) {
    throw new ImageAssemblyError(
      `${name}: its config lists ${diffIds?.length ?? 'no'} diff_ids for ${manifest.layers.length} layers; the base image is malformed`,
    );
  }
  return { digest, manifest, config };
}

/** Errors while reading the base name it, so a build log says which run image was at fault. */
async function withReference<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof BaseImageNotFoundError) throw e;
    if (e instanceof ImageAssemblyError && 'status' in e && e.status === 404) {
      throw new BaseImageNotFoundError(name, e.message, { cause: e });
    }
    const message = `cannot read base image ${name}: ${e instanceof Error ? e.message : String(e)}`;
    if (e instanceof RegistryAuthError) throw new RegistryAuthError(message, { cause: e });
    throw new ImageAssemblyError(message, { cause: e });
  }
}

async function ensureBaseBlob(
  client: RegistryClient,
  repo: string,
  layer: Descriptor,
  fromRepo: string,
  copyFrom: RegistryClient | undefined,
): Promise<string> {
  if (await client.blobExists(repo, layer.digest)) return 'already present';
  let location: string | null;
  if (!copyFrom && fromRepo !== repo) {
    location = await client.mountBlob(repo, layer.digest, fromRepo);
    if (location === null) return `mounted from ${fromRepo}`;
  } else {
    location = await client.startUpload(repo);
  }
  const source = copyFrom ?? client;
  // Each attempt reads the layer again, so that an upload refused with 401 can be retried.
  const open = async function* (): AsyncGenerator<Uint8Array> {
    const res = await source.getBlob(fromRepo, layer.digest);
    if (!res.body)
      throw new ImageAssemblyError(`the registry sent an empty body for base layer ${layer.digest}`);
    yield* res.body;
  };
  await client.uploadMonolithic(repo, location, layer.digest, { size: layer.size, open });
  return `copied from ${fromRepo} (${formatSize(layer.size)})`;
}

async function ensureSlugBlob(
  client: RegistryClient,
  repo: string,
  slug: SlugLayer,
  chunkSize: number | undefined,
): Promise<string> {
  if (await client.blobExists(repo, slug.digest)) return 'already present';
  const location = await client.startUpload(repo);
  if (chunkSize && chunkSize > 0 && slug.size > chunkSize) {
    await client.uploadChunked(repo, location, slug.digest, slug.size, chunkSize, (start, end) =>
      createReadStream(slug.path, { start, end }),
    );
    return `uploaded in ${Math.ceil(slug.size / chunkSize)} chunks`;
  }
  await client.uploadMonolithic(repo, location, slug.digest, {
    size: slug.size,
    open: () => createReadStream(slug.path),
  });
  return 'uploaded';
}

function bytesBody(bytes: Buffer): BlobBody {
  return {
    size: bytes.length,
    open: async function* () {
      yield bytes;
    },
  };
}

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
