/** Runs the wharf CLI in this process (so the SDK mocks apply) and keeps what it wrote. */
import { Writable } from 'node:stream';
import { main } from '../../cli/wharf.ts';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export async function wharf(
  argv: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(argv, { stdout, stderr, env: options.env, cwd: options.cwd });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/**
 * The env the CLI and the credential chain see: the test's static keys only. No config
 * files and no instance metadata, so that nothing leaves 127.0.0.1.
 */
export function isolateAwsEnv(home: string): void {
  process.env['AWS_CONFIG_FILE'] = `${home}/no-aws-config`;
  process.env['AWS_SHARED_CREDENTIALS_FILE'] = `${home}/no-aws-credentials`;
  process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
  for (const name of [
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'AWS_SESSION_TOKEN',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'WHARF_URL',
    'WHARF_AWS',
    'WHARF_APP',
  ])
    delete process.env[name];
}
