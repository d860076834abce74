/** A platform setting that cannot work; the message names the prop (and its context key) and the fix. */
export class WharfConfigError extends Error {
  /** The WharfPlatformProps field (or CDK context key) that is wrong. */
  readonly prop: string;

  constructor(prop: string, message: string, options?: ErrorOptions) {
    super(`${prop}: ${message}`, options);
    this.name = 'WharfConfigError';
    this.prop = prop;
  }
}
