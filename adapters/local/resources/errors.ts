/** Errors of the local resource servers; each says how to fix it. */

export class MissingServerBinaryError extends Error {
  readonly binary: string;
  readonly aptPackages: readonly string[];
  constructor(binary: string, aptPackages: readonly string[], options?: ErrorOptions) {
    super(
      `${binary} was not found on this machine: install it with \`sudo apt-get install -y ${aptPackages.join(' ')}\` (or run scripts/setup.sh, which installs everything in .ci/apt/*.txt)`,
      options,
    );
    this.name = 'MissingServerBinaryError';
    this.binary = binary;
    this.aptPackages = aptPackages;
  }
}

export class ResourceServerStartError extends Error {
  readonly resource: string;
  readonly output: string;
  constructor(resource: string, reason: string, output: string, options?: ErrorOptions) {
    const tail = output.trim() ? `\n--- last output of the server ---\n${output.trim()}` : '';
    super(`resource ${resource} failed to start: ${reason}${tail}`, options);
    this.name = 'ResourceServerStartError';
    this.resource = resource;
    this.output = output;
  }
}
