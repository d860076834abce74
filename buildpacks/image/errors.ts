/**
 * Image assembly runs as the last step of a build, so its failures are build failures (code
 * `build_failed`, as core/errors.ts names it). This module imports nothing outside `buildpacks/`
 * because CodeBuild receives only that folder (the `runner` secondary source).
 */
export class ImageAssemblyError extends Error {
  readonly code = 'build_failed';
  readonly details: Record<string, unknown> | undefined;
  constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'ImageAssemblyError';
    this.details = options?.details;
  }
}

/** A bad option or flag: an image reference, a registry, a platform, a CLI argument. */
export class InvalidImageOptionError extends ImageAssemblyError {
  constructor(message: string, options?: ErrorOptions & { details?: Record<string, unknown> }) {
    super(message, options);
    this.name = 'InvalidImageOptionError';
  }
}

/** The registry answered with an unexpected status; `registryCode` is the first code of its error body. */
export class RegistryError extends ImageAssemblyError {
  readonly status: number;
  readonly registryCode: string | undefined;
  constructor(
    message: string,
    status: number,
    registryCode: string | undefined,
    options?: ErrorOptions & { details?: Record<string, unknown> },
  ) {
    super(message, options);
    this.name = 'RegistryError';
    this.status = status;
    this.registryCode = registryCode;
  }
}

export class RegistryAuthError extends ImageAssemblyError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RegistryAuthError';
  }
}

export class BaseImageNotFoundError extends ImageAssemblyError {
  readonly reference: string;
  constructor(reference: string, reason: string, options?: ErrorOptions) {
    super(
      `base image ${reference} not found (${reason}): check the stack's run image reference, and that it was pushed to that registry`,
      { ...options, details: { reference } },
    );
    this.name = 'BaseImageNotFoundError';
    this.reference = reference;
  }
}

export class PlatformNotFoundError extends ImageAssemblyError {
  constructor(reference: string, wanted: string, available: readonly string[], options?: ErrorOptions) {
    super(
      `base image ${reference} has no ${wanted} image (it has: ${available.join(', ') || 'none'}): choose one of those platforms or another run image`,
      { ...options, details: { reference, wanted, available } },
    );
    this.name = 'PlatformNotFoundError';
  }
}

export class DigestMismatchError extends ImageAssemblyError {
  constructor(what: string, expected: string, actual: string) {
    super(
      `${what}: expected digest ${expected} but the content hashes to ${actual}; the registry or the network corrupted it`,
      {
        details: { expected, actual },
      },
    );
    this.name = 'DigestMismatchError';
  }
}

export class InvalidSlugError extends ImageAssemblyError {
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`slug ${path} is not a usable gzip tar (${reason}): rebuild it with the buildpack runner`, options);
    this.name = 'InvalidSlugError';
  }
}
