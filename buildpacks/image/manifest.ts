import { ImageAssemblyError, InvalidImageOptionError, PlatformNotFoundError } from './errors.ts';

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociForeignLayerGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** What we send as Accept when fetching the base: images and indexes, OCI and Docker. */
export const MANIFEST_ACCEPT: readonly string[] = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
];

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
}

export type ParsedManifest =
  | { readonly kind: 'image'; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly index: ImageIndex };

/**
 * Classifies a fetched manifest by its Content-Type, falling back to the body's own mediaType
 * (OCI allows it to be absent, and some registries send a generic content type).
 */
export function parseManifest(reference: string, contentType: string, bytes: Buffer): ParsedManifest {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ImageAssemblyError(`the manifest of ${reference} is not JSON`, { cause: e });
  }
  if (body['schemaVersion'] === 1) {
    throw new ImageAssemblyError(
      `${reference} is a Docker schema 1 image, which registries no longer serve: rebuild and push the run image with a current tool`,
    );
  }
  const declared = typeof body['mediaType'] === 'string' ? body['mediaType'] : undefined;
  const type = [declared, contentType].find((t) => t && (MANIFEST_ACCEPT as string[]).includes(t));
  const isIndex =
    type === MediaType.ociIndex ||
    type === MediaType.dockerManifestList ||
    (type === undefined && Array.isArray(body['manifests']));
  if (isIndex) {
    if (!Array.isArray(body['manifests'])) throw malformed(reference, 'an index without "manifests"');
    return { kind: 'index', index: body as unknown as ImageIndex };
  }
  if (typeof body['config'] !== 'object' || !Array.isArray(body['layers'])) {
    throw malformed(reference, `a manifest of type ${type ?? contentType} without "config" and "layers"`);
  }
  return { kind: 'image', manifest: body as unknown as ImageManifest };
}

function malformed(reference: string, what: string): ImageAssemblyError {
  return new ImageAssemblyError(
    `the registry returned ${what} for ${reference}; the base image is malformed`,
  );
}

/** `linux/amd64`, `linux/arm64/v8` → Platform. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) {
    throw new InvalidImageOptionError(
      `invalid platform "${text}": write os/architecture[/variant], e.g. linux/amd64`,
    );
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/**
 * Picks the image for `wanted` from an index. A variant is compared only when both sides name
 * one, since arm64 images are listed both with and without `v8`.
 */
export function selectPlatform(reference: string, index: ImageIndex, wanted: Platform): Descriptor {
  const candidates = index.manifests.filter((m) => m.platform);
  const match = candidates.find(
    (m) =>
      m.platform!.os === wanted.os &&
      m.platform!.architecture === wanted.architecture &&
      (!wanted.variant || !m.platform!.variant || m.platform!.variant === wanted.variant),
  );
  if (!match) {
    const available = candidates
      .map((m) => formatPlatform(m.platform!))
      .filter((p) => p !== 'unknown/unknown');
    throw new PlatformNotFoundError(reference, formatPlatform(wanted), available);
  }
  return match;
}

const LAYER_TO_OCI: Readonly<Record<string, string>> = {
  [MediaType.dockerLayerGzip]: MediaType.ociLayerGzip,
  [MediaType.dockerForeignLayerGzip]: MediaType.ociForeignLayerGzip,
};

/**
 * The base's layer descriptors as OCI ones. Docker and OCI layer blobs are the same bytes, so
 * only the media type changes and the digests stay valid.
 */
export function toOciLayer(d: Descriptor): Descriptor {
  const out: Descriptor = {
    mediaType: LAYER_TO_OCI[d.mediaType] ?? d.mediaType,
    digest: d.digest,
    size: d.size,
  };
  return {
    ...out,
    ...(d.urls ? { urls: d.urls } : {}),
    ...(d.annotations ? { annotations: d.annotations } : {}),
  };
}

/** Layers that registries do not store (foreign layers) are fetched by clients from their `urls`. */
export function isForeignLayer(d: Descriptor): boolean {
  return d.mediaType === MediaType.dockerForeignLayerGzip || d.mediaType.includes('nondistributable');
}
