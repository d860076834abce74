/** Errors of the local resource servers; each says how to fix it. 'unavailable' maps to 503 in the API. */
import { WharfError } from '../../../core/errors.ts';

export class MissingServerBinaryError extends WharfError {
  readonly binary: string;
  readonly aptPackages: readonly string[];
  constructor(binary: string, aptPackages: readonly string[], options?: ErrorOptions) {
    super(
      'unavailable',
      `${binary} was not found on this machine: install it with \`sudo apt-get install -y ${aptPackages.join(' ')}\` (or run scripts/setup.sh, which installs everything in .ci/apt/*.txt)`,
      options,
    );
    this.name = 'MissingServerBinaryError';
    this.binary = binary;
    this.aptPackages = aptPackages;
  }
}

export class ResourceServerStartError extends WharfError {
  readonly resource: string;
  readonly output: string;
  constructor(resource: string, reason: string, output: string, options?: ErrorOptions) {
    const tail = output.trim() ? `\n--- last output of the server ---\n${output.trim()}` : '';
    super('unavailable', `resource ${resource} failed to start: ${reason}${tail}`, options);
    this.name = 'ResourceServerStartError';
    this.resource = resource;
    this.output = output;
  }
}

/** The port a server is to listen on already answers: another process holds it. */
export class ResourcePortInUseError extends ResourceServerStartError {
  readonly port: number;
  constructor(resource: string, port: number) {
    super(
      resource,
      `port ${port} on 127.0.0.1 is in use by another process: stop that process (\`ss -ltnp 'sport = :${port}'\` shows it)`,
      '',
    );
    this.name = 'ResourcePortInUseError';
    this.port = port;
  }
}
