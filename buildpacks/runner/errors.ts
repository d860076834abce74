export type BuildPhase = 'fetch' | 'detect' | 'compile' | 'release' | 'slug' | 'source' | 'procfile';

/**
 * A build failed for a reason the user can act on. `phase` and `buildpack` say where, so the
 * last line of the build output and the platform's build record can name the cause.
 */
export class BuildError extends Error {
  readonly phase: BuildPhase;
  readonly buildpack: string | undefined;
  constructor(phase: BuildPhase, message: string, options?: ErrorOptions & { buildpack?: string }) {
    super(message, options);
    this.name = 'BuildError';
    this.phase = phase;
    this.buildpack = options?.buildpack;
  }
}
